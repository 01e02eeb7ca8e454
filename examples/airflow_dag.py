"""Airflow DAG: the daily report job (``daily_report_job.run_job``) as one task.

Copy this file and ``daily_report_job.py`` into your DAGs folder (Airflow puts that
folder on ``sys.path``), set ``WATCHLISTS_HOME`` for the worker, and adjust
``REPORT_DIR``. The task reports for the DAG's logical date (``{{ ds }}``), so a
backfill of a past day writes that day's reports from the store.

Importing this file without Airflow installed works and defines ``dag = None``;
the tests rely on that.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import os
import sys
from pathlib import Path

try:  # Airflow is optional: the module must import without it
    from airflow import DAG
except ImportError:  # pragma: no cover - depends on the environment
    DAG = None

if DAG is not None:
    try:  # Airflow 3
        from airflow.providers.standard.operators.python import PythonOperator
    except ImportError:  # Airflow 2
        from airflow.operators.python import PythonOperator
else:
    PythonOperator = None

log = logging.getLogger(__name__)

REPORT_DIR = os.environ.get("WATCHLISTS_REPORT_DIR", "reports")
WATCHLIST_NAMES: list[str] | None = None  # None = every bundled watchlist


def _load_job():  # type: ignore[no-untyped-def]
    """``daily_report_job`` from beside this file (whether or not its folder is on sys.path)."""
    if "daily_report_job" in sys.modules:
        return sys.modules["daily_report_job"]
    path = Path(__file__).resolve().with_name("daily_report_job.py")
    spec = importlib.util.spec_from_file_location("daily_report_job", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["daily_report_job"] = module
    spec.loader.exec_module(module)
    return module


def report_task(ds: str | None = None, **_context: object) -> int:
    """Run the job for the logical date ``ds``; fail the task unless it exits 0.

    Exit 1 (stale or missing prices) raises too, so Airflow retries later when the
    data may have arrived; exit 2 (bad input) will fail every retry and needs a person.
    """
    job = _load_job()
    code = job.run_job(REPORT_DIR, names=WATCHLIST_NAMES, asof=ds)
    if code != job.EXIT_OK:
        kind = "partial (stale or missing data)" if code == job.EXIT_PARTIAL else "bad input"
        raise RuntimeError(f"daily report job exited {code}: {kind}; see the task log")
    return code


if DAG is not None:
    with DAG(
        dag_id="watchlists_daily_report",
        description="Refresh watchlist prices and write Markdown/HTML/CSV/JSON reports",
        schedule="30 22 * * 1-5",  # weekdays after the US close (UTC)
        start_date=dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,  # one writer to the SQLite store at a time
        default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=30)},
        tags=["watchlists"],
    ) as dag:
        PythonOperator(task_id="refresh_and_report", python_callable=report_task)
else:
    dag = None

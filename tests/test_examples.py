"""Smoke tests: every example runs offline, in a subprocess, against a temp home."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import numpy as np
import pandas as pd
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TIMEOUT = 300
# Documented exit codes and extra arguments of each script when run offline.
SCRIPTS: dict[str, tuple[list[str], int]] = {
    "quant_peer_valuation.py": ([], 0),
    # an offline run on an empty store has members without a price: partial (1)
    "daily_report_job.py": (["--out", "reports", "--offline", "--asof", "2025-12-04"], 1),
    "airflow_dag.py": ([], 0),
}


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "WATCHLISTS_HOME": str(tmp_path / "home"), "MPLBACKEND": "Agg",
            "PYTHONIOENCODING": "utf-8"}


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=TIMEOUT)


def _load(name: str) -> ModuleType:
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_script_is_covered():
    assert {p.name for p in EXAMPLES.glob("*.py")} == set(SCRIPTS)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_runs_offline(script, tmp_path):
    extra, code = SCRIPTS[script]
    proc = _run([str(EXAMPLES / script), *extra], tmp_path)
    assert proc.returncode == code, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr


def test_quant_peer_valuation_output(tmp_path):
    proc = _run([str(EXAMPLES / "quant_peer_valuation.py")], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "Cambricon" in out and "HYPOTHETICAL" in out
    row = next(line for line in out.splitlines() if line.startswith("Cambricon "))
    assert "1,369.00" in row and " ok " in f"{row} "
    growth = float(re.search(r"([+-]\d+\.\d)%", row).group(1))
    assert 50 < growth < 150  # about +94.5 % with the bundled assumptions
    assert "price below value at lowest growth" in out
    assert "no bundled price, shares" in out  # NVIDIA: no close on or before asof, no count
    assert "no bundled revenue, shares" in out  # AMD: nothing invented
    assert "HSBC" in out and "1,915.06" in out  # the min-upside bound: 1.2 x 1,595.88


def test_quant_peer_valuation_user_inputs(tmp_path):
    # MADE-UP inputs, only to exercise the --inputs path
    (tmp_path / "inputs.csv").write_text("company,price,revenue,shares\nNVDA,100,50e9,1e9\n")
    proc = _run([str(EXAMPLES / "quant_peer_valuation.py"), "--inputs", "inputs.csv"],
                tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = next(line for line in proc.stdout.splitlines() if line.startswith("NVIDIA "))
    assert "user file" in row and "no bundled" not in row
    bad = _run([str(EXAMPLES / "quant_peer_valuation.py"), "--inputs", "missing.csv"], tmp_path)
    assert bad.returncode == 2


def test_daily_report_job_writes_reports(tmp_path):
    extra, code = SCRIPTS["daily_report_job.py"]
    proc = _run([str(EXAMPLES / "daily_report_job.py"), *extra, "--watchlist",
                 "china-ai-compute"], tmp_path)
    assert proc.returncode == code, proc.stderr[-3000:]
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert written == [f"china-ai-compute-2025-12-04.{ext}"
                       for ext in ("csv", "html", "json", "manifest.json", "md")]
    assert "INFO daily_report_job" in proc.stderr and "exit code 1" in proc.stderr


@pytest.mark.parametrize("args", [["--watchlist", "no-such-list"], ["--asof", "2999-01-01"],
                                  []])
def test_daily_report_job_bad_input(args, tmp_path):
    argv = [str(EXAMPLES / "daily_report_job.py"), "--offline", *args]
    if args:
        argv += ["--out", "reports"]  # without args, --out is missing: a usage error
    proc = _run(argv, tmp_path)
    assert proc.returncode == 2, proc.stderr[-3000:]


class _FakeProvider:
    """Synthetic Mon–Fri closes for any symbol; no analyst coverage."""

    name = "fake"
    offline = False

    def fetch_prices(self, symbols, start, end):
        from watchlists import FetchResult

        dates = pd.bdate_range(start, pd.Timestamp(end) - pd.Timedelta(days=1))
        frames = [pd.DataFrame({"symbol": s, "date": dates, "open": 10.0, "high": 10.0,
                                "low": 10.0, "close": 10.0 + np.arange(len(dates)) * 0.01,
                                "adj_close": 10.0, "volume": 1e6}) for s in symbols]
        return FetchResult(frame=pd.concat(frames, ignore_index=True),
                           status=dict.fromkeys(symbols, "ok"), provider=self.name,
                           fetched_at=dt.datetime.now(dt.UTC))

    def fetch_targets(self, symbol):
        from watchlists import AnalystData
        from watchlists.providers import ACTION_COLUMNS

        return AnalystData(symbol=symbol, consensus={}, analyst_count=None, currency=None,
                           actions=pd.DataFrame(columns=list(ACTION_COLUMNS)), status="missing",
                           fetched_at=dt.datetime.now(dt.UTC), provider=self.name)


def test_daily_report_job_online_path_with_fake_provider(tmp_path):
    job = _load("daily_report_job")
    now = dt.datetime(2025, 12, 5, 22, 30, tzinfo=dt.UTC)
    code = job.run_job(tmp_path / "out", names=["western-ai-compute"], asof="2025-12-05",
                       home=tmp_path / "home", now=now, provider=_FakeProvider())
    assert code == job.EXIT_OK
    payload = json.loads((tmp_path / "out" / "western-ai-compute-2025-12-05.json").read_text())
    assert payload  # written from the freshly refreshed store


class _FailingFakeProvider(_FakeProvider):
    """``_FakeProvider`` whose prices of ``bad`` fail and whose analyst call for it raises."""

    def __init__(self, bad: str) -> None:
        self.bad = bad

    def fetch_prices(self, symbols, start, end):
        from watchlists import FetchResult

        good = [s for s in symbols if s != self.bad]
        result = super().fetch_prices(good, start, end) if good else None
        status = dict(result.status) if result else {}
        status.update({s: "error: HTTP 500" for s in symbols if s == self.bad})
        frame = result.frame if result else pd.DataFrame(
            columns=["symbol", "date", "open", "high", "low", "close", "adj_close", "volume"])
        return FetchResult(frame=frame, status=status, provider=self.name,
                           fetched_at=dt.datetime.now(dt.UTC))


@pytest.fixture
def recorded_snapshots(monkeypatch):
    """Record what the job hands ``snapshot`` (the job's wiring, not the snapshot)."""
    from types import SimpleNamespace

    import watchlists

    calls = []

    def snapshot(wl, asof=None, *, store=None, now=None, refresh=None):
        calls.append(refresh)
        table = pd.DataFrame({"symbol": ["X"], "stale": [False], "status": ["ok"]})
        return SimpleNamespace(table=table, asof=asof, changes=[], warnings=[], ok=True,
                               offline=refresh is None or refresh.offline)

    monkeypatch.setattr(watchlists, "snapshot", snapshot)
    monkeypatch.setattr(watchlists, "write_report",
                        lambda snap, formats, out, *, store: {"md": Path(out) / "x.md"})
    return calls


def test_daily_report_job_uses_the_library_refresh_job(tmp_path, recorded_snapshots):
    import watchlists

    job = _load("daily_report_job")
    assert not hasattr(job, "FX_PAIRS")  # the pairs are derived by refresh_all
    now = dt.datetime(2025, 12, 5, 22, 30, tzinfo=dt.UTC)
    code = job.run_job(tmp_path / "out", names=["china-ai-compute"], asof="2025-12-05",
                       home=tmp_path / "home", now=now, provider=_FakeProvider())
    assert code == job.EXIT_OK
    (report,) = recorded_snapshots
    assert isinstance(report, watchlists.RefreshReport) and report.ok
    with watchlists.open_store(tmp_path / "home") as store:
        assert set(store.read_fx()["pair"]) == {"HKDCNY", "USDCNY", "USDHKD"}
        assert "000300.SS" in set(store.read_prices()["symbol"])  # the benchmark too


def test_daily_report_job_offline_passes_no_refresh(tmp_path, recorded_snapshots):
    job = _load("daily_report_job")
    code = job.run_job(tmp_path / "out", names=["china-ai-compute"], offline=True,
                       asof="2025-12-04", home=tmp_path / "home")
    assert code == job.EXIT_OK and recorded_snapshots == [None]


def test_daily_report_job_partial_refresh(tmp_path, recorded_snapshots, caplog):
    job = _load("daily_report_job")
    now = dt.datetime(2025, 12, 5, 22, 30, tzinfo=dt.UTC)
    with caplog.at_level("WARNING", logger="daily_report_job"):
        code = job.run_job(tmp_path / "out", names=["china-ai-compute"], asof="2025-12-05",
                           home=tmp_path / "home", now=now,
                           provider=_FailingFakeProvider("0700.HK"))
    assert code == job.EXIT_PARTIAL
    assert "refresh price 0700.HK: error: HTTP 500" in caplog.text
    assert recorded_snapshots[0].failed == 1


def test_notebook_outputs_are_cleared():
    nb = nbformat.read(EXAMPLES / "article_names.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None


def test_notebook_code_cells_run(tmp_path):
    nb = nbformat.read(EXAMPLES / "article_names.ipynb", as_version=4)
    source = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
    script = tmp_path / "article_names.py"
    script.write_text(source + "\n\nprint('NOTEBOOK OK')\n", encoding="utf-8")
    proc = _run([str(script)], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NOTEBOOK OK" in proc.stdout
    assert "bound 1,915.06 CNY" in proc.stdout and "implied growth" in proc.stdout


def test_airflow_dag_imports_without_airflow():
    module = _load("airflow_dag")
    if module.DAG is None:
        assert module.dag is None
    else:  # pragma: no cover - only where Airflow is installed
        assert module.dag.dag_id == "watchlists_daily_report"
    assert callable(module.report_task)
    assert module._load_job().run_job is not None

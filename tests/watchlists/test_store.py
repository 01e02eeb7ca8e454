"""The SQLite store: schema, upserts, point-in-time reads, runs."""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import pandas as pd
import pytest

from watchlists.errors import StoreError
from watchlists.providers import AnalystData, empty_actions
from watchlists.store import SCHEMA_VERSION, STORE_FILENAME, Store, default_home, open_store

T0 = dt.datetime(2025, 12, 5, 22, tzinfo=dt.UTC)


def prices(symbol, dates, close=100.0):
    dates = pd.to_datetime(dates)
    c = close + np.arange(len(dates), dtype=float)
    return pd.DataFrame({"symbol": symbol, "date": dates, "open": c, "high": c + 1,
                         "low": c - 1, "close": c, "adj_close": c * 0.9,
                         "volume": 1000.0})


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "home") as s:
        yield s


def test_home_resolution(tmp_path, monkeypatch, _isolated_home):
    assert default_home() == _isolated_home
    monkeypatch.delenv("WATCHLISTS_HOME")
    assert default_home().name == "watchlists"
    with open_store(tmp_path / "x") as s:
        assert s.path == tmp_path / "x" / STORE_FILENAME and s.path.exists()


def test_schema_wal_and_tables(store):
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"prices", "analyst_consensus", "analyst_actions", "fx_rates", "fetch_log",
            "report_runs", "meta", "price_blocks"} <= tables
    assert store.schema_version == SCHEMA_VERSION == 4


def test_upsert_is_idempotent_and_counts(store):
    frame = prices("BABA", ["2025-12-01", "2025-12-02"])
    before = frame.copy()
    assert store.merge_prices(frame, source="t") == (2, 0)
    pd.testing.assert_frame_equal(frame, before)
    assert store.merge_prices(frame, source="t") == (0, 0)
    changed = frame.assign(close=[100.0, 55.0])
    assert store.merge_prices(changed, source="t") == (0, 1)
    assert store.upsert_prices(prices("BABA", ["2025-12-03"]), source="t") == 1
    got = store.read_prices("BABA")
    assert len(got) == 3 and got.loc[1, "close"] == 55.0
    assert got["date"].dtype == "datetime64[ns]"
    assert store.check_blocks() == []
    assert store.price_table(["BABA"])["BABA"].tolist() == [100.0, 55.0, 100.0]


def test_read_prices_end_inclusive_and_strange_symbols(store):
    store.upsert_prices(prices("O'Reilly; DROP TABLE prices", ["2025-12-01", "2025-12-02"]),
                        source="t")
    got = store.read_prices(["O'Reilly; DROP TABLE prices"], start="2025-12-02",
                            end=dt.date(2025, 12, 2))
    assert len(got) == 1


def test_price_table_order_and_gaps(store):
    store.upsert_prices(prices("A", ["2025-12-01", "2025-12-02"]), source="t")
    store.upsert_prices(prices("B", ["2025-12-02", "2025-12-03"], close=50), source="t")
    wide = store.price_table(["B", "A", "NONE"], end="2025-12-02")
    assert list(wide.columns) == ["B", "A", "NONE"]
    assert list(wide.index.strftime("%Y-%m-%d")) == ["2025-12-01", "2025-12-02"]
    assert np.isnan(wide.loc["2025-12-01", "B"]) and wide.loc["2025-12-02", "A"] == 101.0
    assert wide["NONE"].isna().all()
    adj = store.price_table(["A"], field="adj_close")
    assert adj.iloc[0, 0] == pytest.approx(90.0)
    with pytest.raises(ValueError, match="field"):
        store.price_table(["A"], field="close; DROP")  # type: ignore[arg-type]
    empty = store.price_table(["Q"])
    assert list(empty.columns) == ["Q"] and empty.empty


def test_last_dates(store):
    store.upsert_prices(prices("A", ["2025-12-01", "2025-12-04"]), source="t")
    assert store.last_dates(["A", "B"]) == {"A": pd.Timestamp("2025-12-04"), "B": None}


def analyst(symbol, fetched_at, mean, actions=None):
    return AnalystData(symbol=symbol, consensus={"mean": mean, "high": mean * 1.2},
                       analyst_count=10, currency="USD",
                       actions=empty_actions() if actions is None else actions,
                       status="ok", fetched_at=fetched_at, provider="yahoo")


def test_consensus_point_in_time(store):
    store.upsert_analyst(analyst("BABA", dt.datetime(2025, 12, 1, 9, tzinfo=dt.UTC), 150.0))
    store.upsert_analyst(analyst("BABA", dt.datetime(2025, 12, 4, 23, tzinfo=dt.UTC), 160.0))
    latest = store.read_consensus(["BABA"])
    assert latest["mean"].tolist() == [160.0] and latest["currency"].tolist() == ["USD"]
    assert store.read_consensus(["BABA"], asof=dt.date(2025, 12, 3))["mean"].tolist() == [150.0]
    assert store.read_consensus(["BABA"], asof=dt.date(2025, 11, 30)).empty


def test_actions_upsert_and_asof(store):
    acts = pd.DataFrame({"date": pd.to_datetime(["2025-11-01", "2025-12-03"]),
                         "firm": ["GS", "JPM"], "to_grade": ["Buy", "Overweight"],
                         "from_grade": ["Hold", None], "action": ["up", "main"],
                         "current_target": [200.0, np.nan], "prior_target": [np.nan, np.nan]})
    data = analyst("BABA", T0, 150.0, acts)
    store.upsert_analyst(data)
    store.upsert_analyst(data)  # no duplicates
    assert len(store.read_actions(["BABA"])) == 2
    got = store.read_actions(["BABA"], asof=dt.date(2025, 12, 2))
    assert got["firm"].tolist() == ["GS"] and got.loc[0, "current_target"] == 200.0


def test_fx_roundtrip(store):
    frame = pd.DataFrame({"from_ccy": ["USD", "USD"], "to_ccy": ["CNY", "CNY"],
                          "date": pd.to_datetime(["2025-12-04", "2025-12-05"]),
                          "rate": [7.10, 7.08]})
    assert store.upsert_fx(frame, source="t") == 2
    got = store.read_fx("USDCNY", end="2025-12-04")
    assert got["rate"].tolist() == [7.10]
    assert store.last_fx_rate("USD", "CNY", "2025-12-07") == (7.08, pd.Timestamp("2025-12-05"))


def test_fetch_log_and_runs(store):
    store.log_fetch(provider="yahoo", symbols=["A"], start="2025-12-01", end="2025-12-06",
                    rows=5, status={"A": "ok"}, started_at=T0)
    log = store.read_fetch_log()
    assert log.loc[0, "status"] == {"A": "ok"} and log.loc[0, "symbols"] == ["A"]
    first = store.record_run("china", dt.date(2025, 12, 4), T0, {"upside": {"A": 0.1},
                                                                  "x": float("nan")})
    second = store.record_run("china", dt.date(2025, 12, 5), T0, {"upside": {"A": 0.2}})
    assert store.last_run("china")["payload"]["upside"]["A"] == 0.2
    prev = store.last_run("china", before=dt.date(2025, 12, 5))
    assert prev["id"] == first and prev["payload"]["x"] is None
    assert prev["asof"] == dt.date(2025, 12, 4)
    assert store.last_run("china", before="2025-12-04") is None
    assert store.last_run("other") is None
    assert second > first


def test_last_run_is_point_in_time(store):
    """A backfill (an earlier asof run made later) never becomes the 'previous run' of a
    later date's run, and a later date's run is never the previous run of an earlier one."""
    late = store.record_run("china", dt.date(2025, 12, 4), T0, {"n": "dec"})
    store.record_run("china", dt.date(2025, 10, 1), T0, {"n": "oct"})  # backfill, made later
    again = store.record_run("china", dt.date(2025, 11, 3), T0, {"n": "nov"})
    assert store.last_run("china", before="2025-10-01") is None
    assert store.last_run("china", before="2025-10-02")["payload"]["n"] == "oct"
    assert store.last_run("china", before="2025-12-04")["id"] == again
    assert store.last_run("china", before="2025-12-05")["id"] == late
    redo = store.record_run("china", dt.date(2025, 11, 3), T0, {"n": "nov, rerun"})
    assert store.last_run("china", before="2025-12-04")["id"] == redo


def test_newer_schema_is_refused(tmp_path):
    home = tmp_path / "h"
    open_store(home).close()
    with sqlite3.connect(home / STORE_FILENAME) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    data = (home / STORE_FILENAME).read_bytes()
    with pytest.raises(StoreError, match=r"schema version 99.*newer"):
        open_store(home)
    assert (home / STORE_FILENAME).read_bytes() == data


def test_context_manager_closes(tmp_path):
    with Store(tmp_path / "h") as s:
        pass
    with pytest.raises(StoreError, match="closed"):
        s.read_prices()

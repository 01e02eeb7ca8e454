"""Incremental refresh and point-in-time lookup with the fallback chain."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_yfinance import FakeProvider, FakeYFinance

from watchlists import calendars, market
from watchlists.market import latest_prices, price_history, refresh
from watchlists.store import open_store
from watchlists.yahoo import YahooProvider

NOW = dt.datetime(2025, 12, 5, 22, tzinfo=dt.UTC)  # Friday, after the NYSE close
LATER = dt.datetime(2025, 12, 9, 22, tzinfo=dt.UTC)  # Tuesday
SYMS = ["BABA", "9988.HK", "688256.SS"]


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "h") as s:
        yield s


@pytest.fixture
def no_profiles(monkeypatch):
    monkeypatch.setattr(market, "_listing_currency", lambda s: None)
    monkeypatch.setattr(market, "_reference_closes", lambda syms: pd.DataFrame(
        columns=["symbol", "date", "value", "currency", "source_url", "note"]))


def test_first_run_then_incremental(store):
    p = FakeProvider()
    first = refresh(SYMS, store=store, provider=p, now=NOW, history_years=2)
    assert first.ok and not first.offline
    assert (first.table["rows_added"] > 500).all()
    assert first.table.loc[0, "requested_start"] == pd.Timestamp("2023-12-05")
    n_rows = len(store.read_prices())
    last = store.last_dates(SYMS)
    p.calls.clear()
    p.rows_requested = 0
    second = refresh(SYMS, store=store, provider=p, now=LATER)
    for sym in SYMS:
        expected = calendars.sessions_back(sym, last[sym], 5)
        row = second.table.set_index("symbol").loc[sym]
        assert row["requested_start"] == expected
        assert any(sym in c[0] and pd.Timestamp(c[1]) == expected for c in p.calls)
    # only new rows; the revision window's identical rows are not rewritten
    assert second.table["rows_updated"].sum() == 0
    assert len(store.read_prices()) == n_rows + second.table["rows_added"].sum()
    assert max(c[2] for c in p.calls) <= dt.date(2025, 12, 11)
    assert p.rows_requested < 40  # never re-downloads stored history


def test_same_window_is_one_call(store):
    p = FakeProvider()
    refresh(["A", "B", "C"], store=store, provider=p, now=NOW, history_years=1)
    assert len(p.calls) == 1 and p.calls[0][0] == ("A", "B", "C")


def test_full_redownloads_and_revision_updates(store):
    refresh(["BABA"], store=store, provider=FakeProvider(), now=NOW, history_years=1)
    corrected = FakeProvider(version=1)
    res = refresh(["BABA"], store=store, provider=corrected, now=NOW, revision_sessions=3)
    assert res.table.loc[0, "rows_updated"] == 4  # 3 sessions back + the last one
    full = refresh(["BABA"], store=store, provider=corrected, now=NOW, full=True,
                   history_years=1)
    assert full.table.loc[0, "requested_start"] == pd.Timestamp("2024-12-05")


def test_offline_makes_no_call(store):
    p = FakeProvider()
    res = refresh(["BABA"], store=store, provider=p, now=NOW, offline=True)
    assert p.calls == [] and res.offline and not res.ok
    assert res.status == {"BABA": "skipped: offline"}


def test_partial_failure_and_progress(store):
    p = FakeProvider(fail={"BAD": "boom"})
    messages: list[str] = []
    res = refresh(["BABA", "BAD"], store=store, provider=p, now=NOW, history_years=1,
                  progress=messages.append)
    assert res.status == {"BABA": "ok", "BAD": "error: boom"} and not res.ok
    assert store.last_dates(["BABA", "BAD"])["BAD"] is None
    assert len(store.read_prices("BABA")) > 200
    assert messages and "2 symbol(s)" in messages[0]
    assert store.read_fetch_log().loc[0, "status"]["BAD"] == "error: boom"


def test_dns_error_goes_offline_with_one_call(store, monkeypatch, tmp_path):
    fake = FakeYFinance({s: "dns" for s in ["A", "B", "C", "D"]}).install(monkeypatch)
    p = YahooProvider(sleep=lambda s: None, rng=random.Random(1), cache_dir=tmp_path / "c")
    res = refresh(["A", "B", "C", "D"], store=store, provider=p, now=NOW)
    assert len(fake.price_calls()) == 1
    assert res.offline and all(s.startswith("error: offline (DNS failure") for s in
                               res.status.values())


def seed(store, symbol, dates, close):
    frame = pd.DataFrame({"symbol": symbol, "date": pd.to_datetime(dates), "open": close,
                          "high": close, "low": close, "close": close, "adj_close": close,
                          "volume": 1.0})
    store.upsert_prices(frame, source="test")


def test_latest_prices_fresh_and_point_in_time(store, no_profiles):
    seed(store, "688256.SS", ["2025-12-03", "2025-12-04"], [1300.0, 1369.0])
    seed(store, "688256.SS", ["2025-12-05", "2025-12-08"], [9999.0, 9999.0])  # after asof
    out = latest_prices(["688256.SS"], dt.date(2025, 12, 4), store=store)
    row = out.iloc[0]
    assert row["price"] == 1369.0 and row["price_date"] == pd.Timestamp("2025-12-04")
    # the source is the provider that filled the store, not "store"
    assert row["source"] == "test" and row["status"] == "ok" and not row["stale"]
    assert list(out.columns) == ["symbol", "price", "price_date", "currency", "source",
                                 "source_url", "stale", "status", "note"]


def test_latest_prices_stale_store(store, no_profiles):
    seed(store, "BABA", ["2025-12-01"], [120.0])
    out = latest_prices(["BABA"], dt.date(2025, 12, 4), store=store)
    row = out.iloc[0]
    assert row["source"] == "test" and row["stale"] and row["status"] == "stale"
    assert "2025-12-01" in row["note"] and "watchlists refresh" in row["note"]


def test_latest_prices_reference_and_unavailable(store, monkeypatch):
    refs = pd.DataFrame({
        "symbol": ["688256.SS", "688795.SS", "688795.SS"],
        "date": pd.to_datetime(["2025-12-04", "2025-12-05", "2025-12-10"]),
        "value": [1369.0, 600.50, 700.0], "currency": ["CNY", "CNY", "CNY"],
        "source_url": ["https://example.test/a", None, None], "note": ["", "", ""],
        "origin": ["bundled", "user", "user"]})
    monkeypatch.setattr(market, "_reference_closes", lambda syms: refs)
    monkeypatch.setattr(market, "_listing_currency",
                        lambda s: {"688256.SS": "CNY"}.get(s))
    out = latest_prices(["688256.SS", "688795.SS", "NOPE"], dt.date(2025, 12, 5),
                        store=store).set_index("symbol")
    cam = out.loc["688256.SS"]
    assert cam["source"] == "bundled" and cam["price"] == 1369.0
    assert cam["source_url"] == "https://example.test/a"
    assert cam["stale"] and cam["status"] == "stale" and cam["currency"] == "CNY"
    moore = out.loc["688795.SS"]
    assert moore["price"] == 600.50 and not moore["stale"] and moore["status"] == "ok"
    assert moore["source"] == "user"  # a user data quote says so
    assert moore["currency"] == "CNY"  # from the quote when no listing
    assert out.loc["NOPE", "status"] == "unavailable: no price on or before 2025-12-05"
    assert out.loc["NOPE", "source"] == "unavailable"


def test_latest_prices_never_fetches(store, no_profiles):
    with pytest.raises(TypeError, match="provider"):
        latest_prices(["BABA"], dt.date(2025, 12, 5), store=store, provider=object())

def test_price_history(store):
    seed(store, "A", ["2024-11-01", "2025-06-02", "2025-12-04", "2025-12-05"],
         [1.0, 2.0, 3.0, 4.0])
    wide = price_history(["A"], dt.date(2025, 12, 4), store=store)
    assert wide["A"].tolist() == [2.0, 3.0]


def _refresh_child(home: str, version: int) -> None:
    with open_store(home) as s:
        for _ in range(3):
            refresh(["A", "B", "C"], store=s, provider=FakeProvider(version=version),
                    now=NOW, history_years=3, full=True)


def test_two_processes_refresh_concurrently(tmp_path):
    home = str(tmp_path / "shared")
    open_store(home).close()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_refresh_child, args=(home, v)) for v in (0, 0)]
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join(30)
        assert pr.exitcode == 0
    with open_store(home) as s:
        dup = s.conn.execute("SELECT symbol, date, count(*) FROM prices GROUP BY symbol, date "
                             "HAVING count(*) > 1").fetchall()
        assert dup == []
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        frame = s.read_prices()
        assert frame.groupby("symbol").size().nunique() == 1  # every symbol complete

"""The ``price_blocks`` read model: ``price_table`` equals the row table, blocks stay
consistent through revisions, and version-1 and version-3 stores are migrated in place."""

from __future__ import annotations

import multiprocessing
import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchlists.errors import StoreError
from watchlists.store import SCHEMA_VERSION, STORE_FILENAME, open_store

FIELDS = ("open", "high", "low", "close", "adj_close", "volume")

# The version-1 schema exactly as shipped (saved here so the migration test never depends
# on the current DDL).
V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE prices (
    symbol TEXT NOT NULL, date TEXT NOT NULL, open REAL, high REAL, low REAL, close REAL,
    adj_close REAL, volume REAL, source TEXT NOT NULL, fetched_at TEXT NOT NULL,
    PRIMARY KEY (symbol, date)
) WITHOUT ROWID;
CREATE TABLE analyst_consensus (
    symbol TEXT NOT NULL, fetched_at TEXT NOT NULL, current REAL, high REAL, low REAL,
    mean REAL, median REAL, analyst_count INTEGER, currency TEXT, source TEXT NOT NULL,
    PRIMARY KEY (symbol, fetched_at, source)
);
CREATE TABLE analyst_actions (
    symbol TEXT NOT NULL, date TEXT NOT NULL, firm TEXT NOT NULL, to_grade TEXT,
    from_grade TEXT, action TEXT NOT NULL, current_target REAL, prior_target REAL,
    currency TEXT, source TEXT NOT NULL, fetched_at TEXT NOT NULL,
    UNIQUE (symbol, date, firm, action)
);
CREATE TABLE fx_rates (
    pair TEXT NOT NULL, from_ccy TEXT NOT NULL, to_ccy TEXT NOT NULL, date TEXT NOT NULL,
    rate REAL NOT NULL, source TEXT NOT NULL, PRIMARY KEY (pair, date)
) WITHOUT ROWID;
CREATE TABLE fetch_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL, provider TEXT NOT NULL, symbols TEXT NOT NULL, start TEXT,
    "end" TEXT, rows INTEGER NOT NULL, status TEXT NOT NULL
);
CREATE TABLE report_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, watchlist TEXT NOT NULL, asof TEXT NOT NULL,
    generated_at TEXT NOT NULL, payload TEXT NOT NULL
);
CREATE INDEX report_runs_watchlist ON report_runs (watchlist, id);
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
"""

CALENDARS = {
    "weekdays": lambda a, b: pd.bdate_range(a, b),
    "every_day": lambda a, b: pd.date_range(a, b),
    "thursdays": lambda a, b: pd.date_range(a, b, freq="W-THU"),
    "month_ends": lambda a, b: pd.date_range(a, b, freq="ME"),
}


def tidy(symbol: str, dates, rng: np.random.Generator, nan_share: float = 0.0,
         level: float = 100.0) -> pd.DataFrame:
    dates = pd.DatetimeIndex(dates)
    frame = pd.DataFrame({"symbol": symbol, "date": dates})
    for i, field in enumerate(FIELDS):
        values = level + i + rng.normal(0, 1, len(dates))
        if nan_share:
            values[rng.random(len(dates)) < nan_share] = np.nan
        frame[field] = values
    return frame


def reference(store, syms: list[str], start, end, field: str) -> pd.DataFrame:
    """The wide table built the slow, obvious way: pivot of the tidy row table."""
    wanted = list(dict.fromkeys(syms))
    rows = store.read_prices(wanted, start=start, end=end)
    wide = rows.pivot(index="date", columns="symbol", values=field)
    wide = wide.reindex(columns=wanted).astype("float64")
    wide.index = pd.DatetimeIndex(wide.index, name="date").as_unit("ns")
    wide.columns = pd.Index(wanted, name="symbol")
    return wide


def assert_same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.index.dtype == "datetime64[ns]" and got.index.name == "date"
    assert got.columns.name == "symbol" and got.columns.equals(want.columns)
    assert (got.dtypes == "float64").all()


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "h") as s:
        yield s


def test_new_store_has_blocks_at_current_version(store):
    assert store.schema_version == SCHEMA_VERSION == 4
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    assert "price_blocks" in tables
    assert store.check_blocks() == []


def test_block_layout_is_raw_little_endian_arrays(store):
    frame = tidy("A", ["2024-12-30", "2024-12-31", "2025-01-02"], np.random.default_rng(0))
    frame.loc[1, "volume"] = np.nan
    store.upsert_prices(frame, source="t")
    rows = store.conn.execute(
        "SELECT field, year, n, dates, data FROM price_blocks WHERE symbol = 'A' "
        "ORDER BY year, field").fetchall()
    assert sorted((f, y, n) for f, y, n, _, _ in rows) == sorted(
        [(f, 2024, 2) for f in FIELDS] + [(f, 2025, 1) for f in FIELDS])
    by_key = {(f, y): (n, dates, data) for f, y, n, dates, data in rows}
    for field in FIELDS:  # one row per (field, symbol, year): that field's values only
        _, dates, data = by_key[field, 2024]
        days = np.frombuffer(dates, dtype="<i4")
        assert days.tolist() == [(pd.Timestamp(d) - pd.Timestamp("1970-01-01")).days
                                 for d in ("2024-12-30", "2024-12-31")]
        values = np.frombuffer(data, dtype="<f8")
        np.testing.assert_array_equal(values, frame.loc[:1, field].to_numpy())
        assert not data.startswith(b"\x80")  # not a pickle
    assert np.isnan(np.frombuffer(by_key["volume", 2024][2], dtype="<f8")[1])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32 - 1),
    symbols=st.lists(
        st.tuples(st.sampled_from(sorted(CALENDARS)),
                  st.dates(min_value=pd.Timestamp("2018-11-01").date(),
                           max_value=pd.Timestamp("2021-02-01").date()),
                  st.integers(0, 500)),
        min_size=0, max_size=4),
    extra=st.lists(st.sampled_from(["NONE", "S0", "S1"]), max_size=3),
    start=st.none() | st.dates(min_value=pd.Timestamp("2018-06-01").date(),
                               max_value=pd.Timestamp("2021-06-01").date()),
    span=st.none() | st.integers(0, 900),
    field=st.sampled_from(FIELDS),
    nan_share=st.sampled_from([0.0, 0.2, 1.0]),
)
def test_price_table_equals_row_pivot(seed, symbols, extra, start, span, field, nan_share):
    rng = np.random.default_rng(seed)
    end = None if span is None else pd.Timestamp(start or "2019-06-15") + pd.Timedelta(days=span)
    with tempfile.TemporaryDirectory() as tmp, open_store(tmp) as store:
        names = []
        for i, (calendar, first, days) in enumerate(symbols):
            name = f"S{i}"
            names.append(name)
            dates = CALENDARS[calendar](first, pd.Timestamp(first) + pd.Timedelta(days=days))
            if len(dates) == 0:
                continue
            keep = rng.random(len(dates)) > 0.15  # random gaps
            frame = tidy(name, dates[keep], rng, nan_share)
            # write in two overlapping parts, the second revising some rows (late corrections)
            cut = len(frame) // 2
            store.merge_prices(frame.iloc[: cut + 3], source="a")
            revised = frame.iloc[cut:].copy()
            revised["close"] += np.where(rng.random(len(revised)) < 0.5, 1.0, 0.0)
            store.merge_prices(revised, source="b")
        asked = [*extra, *reversed(names), *extra]
        got = store.price_table(asked, start=start, end=end, field=field)
        assert_same_table(got, reference(store, asked, start, end, field))
        assert store.check_blocks() == []


def test_late_corrections_keep_blocks_in_sync(store):
    rng = np.random.default_rng(7)
    history = tidy("A", pd.bdate_range("2022-06-01", "2024-03-01"), rng)
    store.merge_prices(history, source="t")
    store.merge_prices(tidy("B", pd.bdate_range("2023-01-01", "2023-12-31"), rng), source="t")
    # a revision crossing a year boundary, with a NaN and new rows appended
    fix = history[(history["date"] >= "2023-12-20") & (history["date"] <= "2024-01-10")].copy()
    fix["close"] *= 1.01
    fix.loc[fix.index[0], "volume"] = np.nan
    more = tidy("A", pd.bdate_range("2024-03-04", "2024-03-08"), rng)
    added, updated = store.merge_prices(pd.concat([fix, more]), source="fix")
    assert (added, updated) == (5, len(fix))
    assert store.check_blocks() == []
    got = store.price_table(["A", "B"], start="2023-12-01", end="2024-01-31")
    assert_same_table(got, reference(store, ["A", "B"], "2023-12-01", "2024-01-31", "close"))
    assert got.loc[fix["date"].iloc[1], "A"] == pytest.approx(fix["close"].iloc[1])
    # re-sending identical rows changes nothing
    assert store.merge_prices(fix, source="again") == (0, 0)
    assert store.check_blocks() == []


def test_check_blocks_reports_drift_and_rebuild_repairs(store):
    store.upsert_prices(tidy("A", pd.bdate_range("2024-12-20", "2025-01-10"),
                             np.random.default_rng(1)), source="t")
    conn = store.conn
    with store.transaction():  # simulate another tool editing rows behind the store's back
        conn.execute("UPDATE prices SET close = close + 1 WHERE date = '2025-01-03'")
        conn.execute("INSERT INTO prices VALUES ('B', '2025-01-02', 1, 1, 1, 1, 1, 1, 'x', 'x')")
        conn.execute("UPDATE price_blocks SET data = x'00' WHERE year = 2024")
    problems = store.check_blocks()
    assert any("'A' 2025: close differs" in p for p in problems)
    assert any("'B' 2025: block missing" in p for p in problems)
    assert any("'A' 2024: damaged block" in p for p in problems)
    with pytest.raises(StoreError, match="rebuild_blocks"):
        store.price_table(["A"])
    assert store.rebuild_blocks() == 3
    assert store.check_blocks() == []
    assert_same_table(store.price_table(["A", "B"]), reference(store, ["A", "B"], None, None,
                                                              "close"))


def make_v1_store(home: Path, frame: pd.DataFrame) -> None:
    home.mkdir(parents=True)
    conn = sqlite3.connect(home / STORE_FILENAME)
    conn.executescript(V1_SCHEMA)
    rows = [(r.symbol, r.date.strftime("%Y-%m-%d"),
             *(None if np.isnan(getattr(r, f)) else float(getattr(r, f)) for f in FIELDS),
             "v1", "2025-01-01T00:00:00+00:00") for r in frame.itertuples()]
    conn.executemany("INSERT INTO prices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("INSERT INTO fx_rates VALUES ('USDCNY', 'USD', 'CNY', '2025-01-02', 7.3, 'v1')")
    conn.commit()
    conn.close()


def v1_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.concat([tidy("A", pd.bdate_range("2023-11-01", "2025-02-01"), rng, 0.1),
                      tidy("9988.HK", pd.date_range("2024-06-01", "2025-01-05"), rng)],
                     ignore_index=True)


def test_version_1_store_is_migrated_in_place(tmp_path):
    home = tmp_path / "old"
    frame = v1_frame()
    make_v1_store(home, frame)
    with open_store(home) as s:
        assert s.schema_version == SCHEMA_VERSION == 4
        assert s.conn.execute("SELECT count(*) FROM price_blocks").fetchone()[0] == 5 * 6
        assert s.check_blocks() == []
        got = s.read_prices()
        assert len(got) == len(frame) and set(got["source"]) == {"v1"}
        assert s.read_fx("USDCNY")["rate"].tolist() == [7.3]
        wide = s.price_table(["A", "9988.HK", "NONE"], start="2024-07-01", end="2025-01-15")
        assert_same_table(wide, reference(s, ["A", "9988.HK", "NONE"], "2024-07-01",
                                          "2025-01-15", "close"))
        # the migrated store keeps working: writes maintain blocks
        s.merge_prices(tidy("A", pd.bdate_range("2025-01-20", "2025-02-10"),
                            np.random.default_rng(4)), source="t")
        assert s.check_blocks() == []
    with open_store(home) as s:  # reopening does not migrate again
        assert s.schema_version == SCHEMA_VERSION == 4 and s.check_blocks() == []


def test_failed_migration_leaves_version_1(tmp_path, monkeypatch):
    import watchlists.store as store_mod

    home = tmp_path / "old"
    make_v1_store(home, v1_frame())

    def boom(conn):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store_mod, "_rebuild_all_blocks", boom)
    with pytest.raises(StoreError, match="disk is full"):
        open_store(home)
    conn = sqlite3.connect(home / STORE_FILENAME)
    try:
        assert conn.execute("SELECT value FROM meta").fetchone()[0] == "1"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "price_blocks" not in names
    finally:
        conn.close()
    monkeypatch.undo()
    with open_store(home) as s:
        assert s.schema_version == SCHEMA_VERSION == 4 and s.check_blocks() == []


def _open_and_read(home: str) -> None:
    with open_store(home) as s:
        assert s.check_blocks() == []


def test_concurrent_openers_migrate_once(tmp_path):
    home = tmp_path / "old"
    make_v1_store(home, v1_frame())
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_open_and_read, args=(str(home),)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    with open_store(home) as s:
        assert s.schema_version == SCHEMA_VERSION == 4 and s.check_blocks() == []

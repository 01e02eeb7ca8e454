"""Batched price writes: ``merge_prices`` counts per symbol, a refresh writes one
provider batch in one call, symbols without prior rows get blocks built from the batch,
``price_table`` takes its one-calendar path, and a version-3 store (one blocks row per
symbol-year) is migrated to per-field blocks in place."""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import pandas as pd
import pytest
from test_store_blocks import FIELDS, assert_same_table, reference, tidy

from watchlists.market import refresh
from watchlists.providers import FetchResult
from watchlists.store import SCHEMA_VERSION, STORE_FILENAME, open_store


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "h") as s:
        yield s


def test_merge_prices_counts_per_symbol_in_one_call(store):
    rng = np.random.default_rng(11)
    old = tidy("OLD", pd.bdate_range("2024-12-02", "2025-01-31"), rng)
    store.merge_prices(old, source="t")
    fix = old.iloc[-10:].copy()
    fix.loc[fix.index[:3], "close"] += 1.0  # 3 late corrections, 7 identical re-sent rows
    new = tidy("NEW", pd.bdate_range("2024-12-20", "2025-01-10"), rng)
    dup = new.iloc[[0]].assign(close=-1.0)  # a repeated (symbol, date): the last one wins
    more = tidy("OLD", pd.bdate_range("2025-02-03", "2025-02-07"), rng)
    merged = store.merge_prices(pd.concat([new, fix, dup, more]), source="u")
    assert merged == (len(new) + len(more), 3)
    assert merged.by_symbol == {"NEW": (len(new), 0), "OLD": (len(more), 3)}
    assert store.check_blocks() == []
    got = store.read_prices("NEW")
    assert got["close"].iloc[0] == -1.0 and len(got) == len(new)
    assert_same_table(store.price_table(["OLD", "NEW"]),
                      reference(store, ["OLD", "NEW"], None, None, "close"))
    again = store.merge_prices(pd.concat([new, dup]), source="u")
    assert again == (0, 0) and again.by_symbol == {"NEW": (0, 0)}


def test_merge_prices_rejects_rows_without_a_date(store):
    frame = tidy("A", pd.bdate_range("2025-01-02", "2025-01-03"), np.random.default_rng(0))
    frame["date"] = [pd.Timestamp("2025-01-02"), pd.NaT]
    with pytest.raises(ValueError, match="without a date"):
        store.merge_prices(frame, source="t")
    assert store.read_prices().empty


class _Provider:
    name = "fake"
    offline = False

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def fetch_prices(self, symbols, start, end):
        part = self.frame[self.frame["symbol"].isin(symbols)
                          & (self.frame["date"] >= pd.Timestamp(start))
                          & (self.frame["date"] < pd.Timestamp(end))]
        return FetchResult(frame=part.reset_index(drop=True),
                           status=dict.fromkeys(symbols, "ok"), provider=self.name,
                           fetched_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))

    def fetch_targets(self, symbol):  # pragma: no cover
        raise NotImplementedError


def test_refresh_writes_each_provider_batch_in_one_call(store, monkeypatch):
    rng = np.random.default_rng(5)
    symbols = [f"S{i:02d}" for i in range(60)]  # two provider batches (50 + 10)
    frame = pd.concat([tidy(s, pd.bdate_range("2024-11-01", "2025-02-28"), rng)
                       for s in symbols], ignore_index=True)
    calls = []
    real = store.merge_prices

    def spy(part, **kwargs):
        if len(part):
            calls.append(sorted(set(part["symbol"])))
        return real(part, **kwargs)

    monkeypatch.setattr(store, "merge_prices", spy)
    now = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
    result = refresh(symbols, store=store, provider=_Provider(frame), now=now,
                     history_years=1)
    assert [len(c) for c in calls] == [50, 10]
    table = result.table.set_index("symbol")
    per = frame.groupby("symbol").size()
    assert (table["rows_added"] == per.reindex(table.index)).all()
    assert (table["rows_updated"] == 0).all()
    assert (table["last_date"] == pd.Timestamp("2025-02-28")).all()
    assert store.check_blocks() == []
    # a second refresh re-sends the revision window: a corrected close is counted per symbol
    frame.loc[(frame["symbol"] == "S03") & (frame["date"] == "2025-02-27"), "close"] += 1
    calls.clear()
    again = refresh(symbols, store=store, provider=_Provider(frame), now=now,
                    history_years=1).table.set_index("symbol")
    assert [len(c) for c in calls] == [50, 10]
    assert again.loc["S03", "rows_updated"] == 1
    assert again["rows_updated"].sum() == 1 and again["rows_added"].sum() == 0
    assert store.check_blocks() == []
    assert_same_table(store.price_table(symbols[:5]),
                      reference(store, symbols[:5], None, None, "close"))


def test_price_table_one_calendar_path(store):
    rng = np.random.default_rng(2)
    dates = pd.bdate_range("2022-12-15", "2025-01-15")
    for sym in ("C", "A", "B"):
        store.merge_prices(tidy(sym, dates, rng, nan_share=0.1), source="t")
    for asked, start, end, field in [
        (["C", "A", "B"], None, None, "close"),  # every symbol: the blobs are the array
        (["B", "NONE", "A"], "2023-06-01", "2024-12-31", "volume"),  # one missing
        (["A"], "2024-01-01", "2024-01-01", "open"),  # a holiday: no rows
    ]:
        got = store.price_table(asked, start=start, end=end, field=field)
        assert_same_table(got, reference(store, asked, start, end, field))
    got = store.price_table(["A", "B"])
    got.iloc[0, 0] = 1.0  # the frame is writable (not a view of read-only bytes)


V3_BLOCKS = """
CREATE TABLE price_blocks (
    symbol TEXT NOT NULL, year INTEGER NOT NULL, dates BLOB NOT NULL, data BLOB NOT NULL,
    n INTEGER NOT NULL, PRIMARY KEY (symbol, year)
) WITHOUT ROWID
"""


def test_version_3_store_is_migrated_to_per_field_blocks(tmp_path):
    home = tmp_path / "v3"
    rng = np.random.default_rng(9)
    frame = pd.concat([tidy("A", pd.bdate_range("2023-11-01", "2025-02-01"), rng, 0.1),
                       tidy("B", pd.date_range("2024-06-01", "2025-01-05"), rng)])
    with open_store(home) as s:
        s.merge_prices(frame, source="v3")
    conn = sqlite3.connect(home / STORE_FILENAME)  # turn it into a version-3 store
    conn.execute("DROP TABLE price_blocks")
    conn.execute(V3_BLOCKS)
    conn.execute("INSERT INTO price_blocks VALUES ('A', 2024, x'00', x'00', 1)")
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with open_store(home) as s:
        assert s.schema_version == SCHEMA_VERSION == 4
        columns = [r[1] for r in s.conn.execute("PRAGMA table_info(price_blocks)")]
        assert columns == ["field", "symbol", "year", "n", "dates", "data"]
        assert s.conn.execute("SELECT count(*) FROM price_blocks").fetchone()[0] == 5 * 6
        assert s.check_blocks() == []
        for field in FIELDS:
            assert_same_table(s.price_table(["B", "A"], field=field),
                              reference(s, ["B", "A"], None, None, field))

"""Store faults: missing, read-only, corrupt, disk full, concurrent writers, killed writer."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "watchlists"))
from fake_yfinance import FakeProvider

from watchlists.errors import StoreError
from watchlists.market import refresh
from watchlists.store import STORE_FILENAME, open_store

NOW = dt.datetime(2025, 12, 5, 22, tzinfo=dt.UTC)


def rows(symbol, n, start="2025-01-01"):
    dates = pd.bdate_range(start, periods=n)
    return pd.DataFrame({"symbol": symbol, "date": dates, "open": 1.0, "high": 1.0,
                         "low": 1.0, "close": range(n), "adj_close": 1.0, "volume": 1.0})


def test_missing_file_is_created(tmp_path):
    home = tmp_path / "a" / "b"
    with open_store(home) as s:
        assert (home / STORE_FILENAME).exists() and s.read_prices().empty


def test_home_is_a_file(tmp_path):
    home = tmp_path / "file"
    home.write_text("x")
    with pytest.raises(StoreError, match="is a file, not a directory"):
        open_store(home)
    with pytest.raises(StoreError, match="cannot create the watchlists home"):
        open_store(home / "sub")
    assert home.read_text() == "x"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores directory permissions; covered by test_home_is_a_file")
def test_read_only_directory(tmp_path):
    home = tmp_path / "ro"
    home.mkdir()
    home.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="read-only"):
            open_store(home)
    finally:
        home.chmod(0o700)


def test_corrupt_file_is_left_untouched(tmp_path):
    home = tmp_path / "h"
    home.mkdir()
    path = home / STORE_FILENAME
    junk = os.urandom(4096)
    path.write_bytes(junk)
    with pytest.raises(StoreError, match=r"is not a watchlists store \(file is not a database\); "
                                         "it was left untouched"):
        open_store(home)
    assert path.read_bytes() == junk
    assert sorted(p.name for p in home.iterdir()) == [STORE_FILENAME]


def test_corrupt_file_with_sqlite_header(tmp_path):
    home = tmp_path / "h"
    home.mkdir()
    path = home / STORE_FILENAME
    junk = b"SQLite format 3\x00" + os.urandom(4080)
    path.write_bytes(junk)
    with pytest.raises(StoreError, match="not a watchlists store"):
        open_store(home)
    assert path.read_bytes() == junk


class _FullDisk:
    """Connection proxy whose executemany fails like a full disk."""

    def __init__(self, conn):
        self._conn = conn

    def executemany(self, *a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_disk_full_rolls_back(tmp_path):
    with open_store(tmp_path / "h") as s:
        s.upsert_prices(rows("A", 5), source="t")
        real = s._conn
        s._conn = _FullDisk(real)
        with pytest.raises(StoreError, match=r"rolled back.*disk is full"):
            s.upsert_prices(rows("B", 5), source="t")
        s._conn = real
        assert not real.in_transaction
        got = s.read_prices()
        assert set(got["symbol"]) == {"A"} and len(got) == 5
        assert s.check_blocks() == []


class _FullDiskOnBlocks:
    """Connection proxy: writes to ``prices`` succeed, the block recomputation then fails
    like a full disk — inside the same transaction."""

    def __init__(self, conn):
        self._conn = conn

    def executemany(self, sql, *a, **k):
        if "price_blocks" in sql:
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.executemany(sql, *a, **k)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_disk_full_during_block_recomputation_rolls_back_prices_and_blocks(tmp_path):
    with open_store(tmp_path / "h") as s:
        s.upsert_prices(rows("A", 300, start="2024-06-03"), source="t")  # spans 2 years
        prices_before = s.read_prices()
        blocks_before = s.conn.execute(
            "SELECT symbol, year, dates, data, n FROM price_blocks ORDER BY symbol, year"
        ).fetchall()
        revision = rows("A", 300, start="2024-06-03").assign(close=lambda f: f["close"] + 0.5)
        real = s._conn
        s._conn = _FullDiskOnBlocks(real)
        try:
            for frame in (revision, rows("B", 5), pd.concat([revision, rows("B", 5)])):
                with pytest.raises(StoreError, match=r"rolled back.*disk is full"):
                    s.merge_prices(frame, source="t")
                assert not real.in_transaction
        finally:
            s._conn = real
        pd.testing.assert_frame_equal(s.read_prices(), prices_before)
        assert s.conn.execute(
            "SELECT symbol, year, dates, data, n FROM price_blocks ORDER BY symbol, year"
        ).fetchall() == blocks_before
        assert s.check_blocks() == []
        assert s.price_table(["A", "B"])["A"].tolist() == list(range(300))
        assert s.merge_prices(revision, source="t") == (0, 300)  # works again afterwards
        assert s.check_blocks() == []


def _writer(home: str, symbol: str) -> None:
    with open_store(home) as s:
        for i in range(20):
            s.upsert_prices(rows(symbol, 50, start=f"20{10 + i}-01-01"), source="t")


def test_two_processes_writing(tmp_path):
    home = str(tmp_path / "h")
    open_store(home).close()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(home, sym)) for sym in ("A", "B")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    with open_store(home) as s:
        assert s.read_prices().groupby("symbol").size().to_dict() == {"A": 1000, "B": 1000}
        assert s.check_blocks() == []


def _slow_refresher(home: str, log: str) -> None:
    with open_store(home) as s:
        for i in range(1000):
            sym = f"S{i:03d}"
            refresh([sym], store=s, provider=FakeProvider(delay=0.02), now=NOW,
                    history_years=1)
            with open(log, "a") as fh:
                fh.write(sym + "\n")
                fh.flush()
                os.fsync(fh.fileno())


def test_killed_mid_refresh_keeps_committed_rows(tmp_path):
    home, log = str(tmp_path / "h"), str(tmp_path / "log")
    open_store(home).close()
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_slow_refresher, args=(home, log))
    child.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if os.path.exists(log) and len(Path(log).read_text().split()) >= 5:
            break
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.join(5)
    assert child.exitcode == -signal.SIGKILL
    logged = Path(log).read_text().split()
    with open_store(home) as s:
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sizes = s.read_prices().groupby("symbol").size()
        assert set(logged) <= set(sizes.index)
        # at most one symbol committed after the last log line; every one is complete
        assert len(sizes) - len(logged) in (0, 1)
        assert sizes.nunique() == 1
        assert s.check_blocks() == []  # prices and blocks committed together

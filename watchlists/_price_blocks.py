"""The ``price_blocks`` read model of the store (internal to :mod:`watchlists.store`).

One row per (symbol, calendar year) holding the year's sessions as raw little-endian
arrays: ``dates`` int32 days since 1970-01-01 and ``data`` float64 of shape (n, 6) for
open, high, low, close, adj_close, volume (NaN for NULL). Blocks are always recomputed
from ``prices`` rows; this module encodes, decodes, compares and assembles them. Plain
functions on a ``sqlite3.Connection``: they never open or commit a write transaction
(the :class:`~watchlists.store.Store` methods do), and read-only helpers take one
snapshot only when the caller is not already inside a transaction.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from watchlists.errors import StoreError

_PRICE_FIELDS = ("open", "high", "low", "close", "adj_close", "volume")
_N_FIELDS = len(_PRICE_FIELDS)
_DAY_DTYPE = np.dtype("<i4")
_VALUE_DTYPE = np.dtype("<f8")

_BLOCKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS price_blocks (
    symbol TEXT NOT NULL,
    year   INTEGER NOT NULL,
    dates  BLOB NOT NULL,
    data   BLOB NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (symbol, year)
) WITHOUT ROWID
"""

_BLOCK_ROWS_SQL = (
    "SELECT date, open, high, low, close, adj_close, volume FROM prices "
    "WHERE symbol = ? AND date >= ? AND date < ? ORDER BY date"
)
_ALL_DATES = ("", "~")  # brackets every ISO date text


@contextlib.contextmanager
def _one_snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """Read from one snapshot: the caller's transaction, or a read transaction of our own."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        yield
    finally:
        if own:
            conn.execute("COMMIT")


def _day_number(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


def _build_blocks(rows: list[tuple]) -> list[tuple[int, bytes, bytes, int]]:
    """``(year, dates, data, n)`` per calendar year of date-ordered rows of
    ``_BLOCK_ROWS_SQL`` (date, open … volume); NULL → NaN; raw little-endian bytes."""
    if not rows:
        return []
    dates, *columns = zip(*rows)
    days = np.array(dates, dtype="datetime64[D]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    days_i = days.astype(np.int64).astype(_DAY_DTYPE)
    data = np.array(columns, dtype=_VALUE_DTYPE).T  # (n, 6); None -> NaN
    cuts = [0, *(np.flatnonzero(np.diff(years)) + 1).tolist(), len(rows)]
    out = []
    for a, b in itertools.pairwise(cuts):
        out.append((int(years[a]), days_i[a:b].tobytes(),
                    np.ascontiguousarray(data[a:b]).tobytes(), b - a))
    return out


def _affected_years(rows: Sequence[tuple]) -> dict[str, set[int]]:
    """``{symbol: {year, …}}`` touched by price rows ``(symbol, 'YYYY-MM-DD', …)``."""
    affected: dict[str, set[int]] = {}
    for sym, year in {(r[0], r[1][:4]) for r in rows}:
        affected.setdefault(sym, set()).add(int(year))
    return affected


def _refresh_blocks(conn: sqlite3.Connection, affected: Mapping[str, set[int]]) -> int:
    """Recompute the blocks of ``{symbol: {year, …}}`` from ``prices`` (inside the caller's
    transaction); a (symbol, year) left without rows loses its block. Returns blocks written."""
    written: list[tuple] = []
    gone: list[tuple[str, int]] = []
    for sym, years in affected.items():
        ordered = sorted(years)
        runs: list[list[int]] = []
        for year in ordered:  # contiguous runs of years: one range scan each
            if runs and year == runs[-1][-1] + 1:
                runs[-1].append(year)
            else:
                runs.append([year])
        for run in runs:
            rows = conn.execute(_BLOCK_ROWS_SQL,
                                (sym, f"{run[0]:04d}", f"{run[-1] + 1:04d}")).fetchall()
            built = {block[0]: block for block in _build_blocks(rows)}
            for year in run:
                if year in built:
                    written.append((sym, *built[year]))
                else:
                    gone.append((sym, year))
    if gone:
        conn.executemany("DELETE FROM price_blocks WHERE symbol = ? AND year = ?", gone)
    if written:
        conn.executemany(
            "INSERT OR REPLACE INTO price_blocks (symbol, year, dates, data, n) "
            "VALUES (?, ?, ?, ?, ?)", written)
    return len(written)


def _rebuild_all_blocks(conn: sqlite3.Connection) -> int:
    """Replace every block with one recomputed from ``prices`` (caller's transaction)."""
    conn.execute("DELETE FROM price_blocks")
    written = 0
    symbols = [r[0] for r in conn.execute("SELECT DISTINCT symbol FROM prices ORDER BY symbol")]
    for sym in symbols:
        blocks = _build_blocks(conn.execute(_BLOCK_ROWS_SQL, (sym, *_ALL_DATES)).fetchall())
        conn.executemany(
            "INSERT INTO price_blocks (symbol, year, dates, data, n) VALUES (?, ?, ?, ?, ?)",
            [(sym, *block) for block in blocks])
        written += len(blocks)
    return written


def _decode_block(dates: bytes, data: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Check the sizes and view a block's blobs as arrays (no copy)."""
    if (len(dates) != n * _DAY_DTYPE.itemsize
            or len(data) != n * _N_FIELDS * _VALUE_DTYPE.itemsize):
        raise ValueError(f"block sizes do not match n={n}: {len(dates)} + {len(data)} bytes")
    return (np.frombuffer(dates, dtype=_DAY_DTYPE),
            np.frombuffer(data, dtype=_VALUE_DTYPE).reshape(n, _N_FIELDS))


def _read_field(symbol: str, blocks: list[tuple], k: int, lo: int | None,
                hi: int | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Concatenate column ``k`` of a symbol's blocks and cut it to ``[lo, hi]`` (days)."""
    try:
        decoded = [_decode_block(*block) for block in blocks]
    except (ValueError, TypeError) as exc:
        raise StoreError(f"the price_blocks read model of {symbol!r} is damaged ({exc}); "
                         "Store.rebuild_blocks() recomputes it from prices") from exc
    days = np.concatenate([d for d, _ in decoded])
    vals = np.concatenate([v[:, k] for _, v in decoded])
    if lo is not None or hi is not None:
        keep = np.ones(len(days), dtype=bool)
        if lo is not None:
            keep &= days >= lo
        if hi is not None:
            keep &= days <= hi
        days, vals = days[keep], vals[keep]
    return (days, vals) if len(days) else None


def _wide_table(conn: sqlite3.Connection, syms: list[str], k: int, lo_iso: str | None,
                hi_iso: str | None) -> pd.DataFrame:
    """Field ``k`` of ``syms`` between ISO dates ``lo_iso`` and ``hi_iso`` (inclusive, None
    = open) as the wide frame of :meth:`~watchlists.store.Store.price_table`."""
    lo = None if lo_iso is None else _day_number(lo_iso)
    hi = None if hi_iso is None else _day_number(hi_iso)
    # Read from the price_blocks read model: a handful of blobs per symbol instead of
    # one Python tuple per row (which alone cost ~1 s for 500 symbols x 10 years).
    sql = ("SELECT dates, data, n FROM price_blocks "
           "WHERE symbol = ? AND year >= ? AND year <= ? ORDER BY year")
    years = (-(10**6) if lo_iso is None else int(lo_iso[:4]),
             10**6 if hi_iso is None else int(hi_iso[:4]))
    per: list[tuple[np.ndarray, np.ndarray] | None] = []
    with _one_snapshot(conn):  # every symbol read from the same state
        for sym in syms:
            blocks = conn.execute(sql, (sym, *years)).fetchall()
            per.append(_read_field(sym, blocks, k, lo, hi) if blocks else None)
    # symbols that share a calendar share one searchsorted
    calendars: dict[bytes, np.ndarray] = {}
    for item in per:
        if item is not None:
            calendars.setdefault(item[0].tobytes(), item[0])
    all_days = (np.unique(np.concatenate(list(calendars.values()))) if calendars
                else np.empty(0, dtype=_DAY_DTYPE))
    positions = {key: np.searchsorted(all_days, days) for key, days in calendars.items()}
    values = np.full((len(syms), len(all_days)), np.nan)
    for j, item in enumerate(per):
        if item is not None:
            values[j, positions[item[0].tobytes()]] = item[1]
    index = pd.DatetimeIndex(
        all_days.astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]"),
        name="date")
    return pd.DataFrame(values.T, index=index, columns=pd.Index(syms, name="symbol"),
                        copy=False)


def _compare_block(stored: tuple, expected: tuple) -> list[str]:
    try:
        s_days, s_vals = _decode_block(*stored)
    except (ValueError, TypeError) as exc:
        return [f"damaged block ({exc})"]
    e_days, e_vals = _decode_block(*expected)
    if len(s_days) != len(e_days):
        return [f"{len(s_days)} sessions in the block, {len(e_days)} rows in prices"]
    problems = []
    if not np.array_equal(s_days, e_days):
        problems.append("dates differ from prices")
    for k, name in enumerate(_PRICE_FIELDS):
        if not np.array_equal(s_vals[:, k], e_vals[:, k], equal_nan=True):
            problems.append(f"{name} differs from prices")
    return problems


def _check_all_blocks(conn: sqlite3.Connection) -> list[str]:
    """One line per mismatch between ``price_blocks`` and ``prices`` (one snapshot)."""
    problems: list[str] = []
    with _one_snapshot(conn):
        symbols = sorted(
            r[0] for r in conn.execute(
                "SELECT DISTINCT symbol FROM prices UNION SELECT DISTINCT symbol "
                "FROM price_blocks"))
        for sym in symbols:
            rows = conn.execute(_BLOCK_ROWS_SQL, (sym, *_ALL_DATES)).fetchall()
            expected = {y: (d, v, n) for y, d, v, n in _build_blocks(rows)}
            stored = {y: (d, v, n) for y, d, v, n in conn.execute(
                "SELECT year, dates, data, n FROM price_blocks WHERE symbol = ?", (sym,))}
            for year in sorted(expected.keys() | stored.keys()):
                where = f"{sym!r} {year}"
                if year not in stored:
                    problems.append(f"{where}: block missing ({expected[year][2]} rows)")
                elif year not in expected:
                    problems.append(f"{where}: block has no rows in prices")
                else:
                    problems.extend(f"{where}: {p}"
                                    for p in _compare_block(stored[year], expected[year]))
    return problems

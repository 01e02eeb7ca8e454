"""The ``prices`` write path and the ``price_blocks`` read model (internal to
:mod:`watchlists.store`).

``price_blocks`` holds one row per (field, symbol, calendar year): ``dates`` int32 days
since 1970-01-01 and ``data`` float64 values of that one field (NaN for NULL), both raw
little-endian arrays of ``n`` sessions. The unique key starts with ``field``, so
:func:`_wide_table` reads one field of any number of symbols in one index range scan and
never touches the bytes of the other five fields. Blocks are always
derived from ``prices`` rows (re-read from ``prices``, or, for a symbol that had no row
before the write, built from the very rows just inserted); this module prepares rows,
writes them, encodes, decodes, compares and assembles blocks. Plain functions on a
``sqlite3.Connection``: they never open or commit a write transaction (the
:class:`~watchlists.store.Store` methods do), and read-only helpers take one snapshot only
when the caller is not already inside a transaction.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from watchlists.errors import StoreError

if TYPE_CHECKING:
    import sqlite3  # annotations only: these helpers are handed open connections

_PRICE_FIELDS = ("open", "high", "low", "close", "adj_close", "volume")
_N_FIELDS = len(_PRICE_FIELDS)
_DAY_DTYPE = np.dtype("<i4")
_VALUE_DTYPE = np.dtype("<f8")

# A rowid table (not WITHOUT ROWID): a year of daily blocks (~3 KB) fits in a leaf page of
# a rowid table, while a WITHOUT ROWID table spills everything past ~1 KB of a row into
# overflow pages (measured: ~25% slower block writes, no faster reads).
_BLOCKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS price_blocks (
    field  TEXT NOT NULL,
    symbol TEXT NOT NULL,
    year   INTEGER NOT NULL,
    n      INTEGER NOT NULL,
    dates  BLOB NOT NULL,
    data   BLOB NOT NULL,
    UNIQUE (field, symbol, year)
)
"""
_BLOCK_COLUMNS = ("field", "symbol", "year", "n", "dates", "data")

_BLOCK_ROWS_SQL = (
    "SELECT date, open, high, low, close, adj_close, volume FROM prices "
    "WHERE symbol = ? AND date >= ? AND date < ? ORDER BY date"
)
_ALL_DATES = ("", "~")  # brackets every ISO date text
_MAX_PARAMS = 900  # under SQLite's historical 999 bound-parameter limit

_PRICE_COLUMNS = "symbol, date, open, high, low, close, adj_close, volume, source, fetched_at"
_ROWS_PER_STATEMENT = 100  # rows per multi-row INSERT: at most 100 x 9 + 1 parameters
_UPSERT_TAIL = """
ON CONFLICT (symbol, date) DO UPDATE SET
    open = excluded.open, high = excluded.high, low = excluded.low,
    close = excluded.close, adj_close = excluded.adj_close,
    volume = excluded.volume, source = excluded.source,
    fetched_at = excluded.fetched_at
WHERE open IS NOT excluded.open OR high IS NOT excluded.high
   OR low IS NOT excluded.low OR close IS NOT excluded.close
   OR adj_close IS NOT excluded.adj_close OR volume IS NOT excluded.volume
"""


@functools.cache
def _insert_sql(rows: int, upsert: bool, shared_source: bool) -> str:
    """``INSERT`` of ``rows`` rows in one statement, with numbered parameters: first the
    values shared by every row (``fetched_at``, and ``source`` when ``shared_source``),
    then per row symbol, date, the six fields (and ``source`` when not shared).

    Cached: built on first use (``rows`` is 1 or ``_ROWS_PER_STATEMENT``), not at import."""
    shared, width = (2, 8) if shared_source else (1, 9)
    tuples = []
    for r in range(rows):
        first = shared + r * width + 1
        own = [f"?{first + c}" for c in range(width)]
        tail = ["?1", "?2"] if shared_source else [own.pop(), "?1"]
        tuples.append("(" + ",".join(own + tail) + ")")
    return (f"INSERT INTO prices ({_PRICE_COLUMNS}) VALUES "  # noqa: S608 - placeholders only
            + ",".join(tuples) + (_UPSERT_TAIL if upsert else ""))


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


def _chunks(items: Sequence, size: int = _MAX_PARAMS) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# -- preparing and writing price rows ---------------------------------------------------


@dataclass
class _PriceBatch:
    """Validated price rows, sorted by (symbol, date), one row per (symbol, date) (the
    last of duplicates wins, as a sequence of upserts would leave it)."""

    symbols: list[str]  # sorted distinct symbols
    bounds: np.ndarray  # rows of symbols[i] are bounds[i]:bounds[i + 1]
    days: np.ndarray  # int64 days since 1970-01-01
    values: np.ndarray  # (n, 6) float64, NaN for NULL
    params: np.ndarray  # (n, 8 or 9) object: symbol, date, six fields (, source) per row
    shared: tuple[str, ...]  # (source, fetched_at) or (fetched_at,): bound once per statement

    def __len__(self) -> int:
        return len(self.days)

    def rows_of(self, i: int) -> slice:
        return slice(int(self.bounds[i]), int(self.bounds[i + 1]))


def _prepare_prices(frame: pd.DataFrame, sources: object, fetched_at: str) -> _PriceBatch:
    """Vectorised conversion of a non-empty tidy price frame (``sources``: one string, or
    an array of one per row) into a :class:`_PriceBatch`; no Python loop per value."""
    stamps = pd.DatetimeIndex(pd.to_datetime(frame["date"]))
    date_codes, uniq = pd.factorize(stamps)
    if (date_codes < 0).any():
        raise ValueError("price frame has rows without a date")
    iso = np.asarray(pd.DatetimeIndex(uniq).strftime("%Y-%m-%d"), dtype=object)
    uniq_days = np.array(iso.tolist(), dtype="datetime64[D]").astype(np.int64)
    sym_codes, sym_uniq = pd.factorize(frame["symbol"].astype(str).to_numpy(), sort=True)
    days = uniq_days[date_codes]
    order = np.lexsort((days, sym_codes))  # stable: duplicates keep their frame order
    sym_codes, days, date_codes = sym_codes[order], days[order], date_codes[order]
    last = np.ones(len(order), dtype=bool)  # keep the last row of each (symbol, day)
    last[:-1] = (sym_codes[1:] != sym_codes[:-1]) | (days[1:] != days[:-1])
    order, sym_codes, days, date_codes = (order[last], sym_codes[last], days[last],
                                          date_codes[last])
    n = len(order)
    values = np.empty((n, _N_FIELDS), dtype=np.float64)
    per_row_source = not isinstance(sources, str)
    params = np.empty((n, 9 if per_row_source else 8), dtype=object)
    sym_names = np.asarray(sym_uniq, dtype=object)
    params[:, 0] = sym_names[sym_codes]
    params[:, 1] = iso[date_codes]
    for k, name in enumerate(_PRICE_FIELDS):
        if name in frame.columns:
            col = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64")[order]
        else:
            col = np.full(n, np.nan)
        col = col + 0.0  # -0.0 -> 0.0, as SQLite stores it
        nan = np.isnan(col)
        values[:, k] = col
        as_objects = col.astype(object)  # Python floats, built in C
        as_objects[nan] = None
        params[:, 2 + k] = as_objects
    if per_row_source:
        params[:, 8] = np.asarray(sources, object)[order]
    starts = np.flatnonzero(np.r_[True, sym_codes[1:] != sym_codes[:-1]])
    return _PriceBatch(symbols=[str(s) for s in sym_names[sym_codes[starts]]],
                       bounds=np.r_[starts, n], days=days, values=values, params=params,
                       shared=(fetched_at,) if per_row_source else (sources, fetched_at))


def _execute_rows(conn: sqlite3.Connection, params: np.ndarray, shared: tuple[str, ...], *,
                  upsert: bool) -> int:
    """Insert (or upsert) the rows of ``params`` with multi-row statements; return the
    rows inserted or changed (identical upserted rows are not counted)."""
    n, width = params.shape
    full = n - n % _ROWS_PER_STATEMENT
    shared_source = len(shared) == 2
    changed = 0
    if full:
        flat = params[:full].reshape(-1, _ROWS_PER_STATEMENT * width)
        heads = np.empty((len(flat), len(shared)), dtype=object)
        heads[:] = shared
        changed += conn.executemany(_insert_sql(_ROWS_PER_STATEMENT, upsert, shared_source),
                                    np.hstack([heads, flat]).tolist()).rowcount
    if n > full:
        heads = np.empty((n - full, len(shared)), dtype=object)
        heads[:] = shared
        changed += conn.executemany(_insert_sql(1, upsert, shared_source),
                                    np.hstack([heads, params[full:]]).tolist()).rowcount
    return changed


def _row_counts(conn: sqlite3.Connection, symbols: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in _chunks(symbols):
        counts.update(conn.execute(
            f"SELECT symbol, count(*) FROM prices WHERE symbol IN ({','.join('?' * len(part))}) "  # noqa: S608 - placeholders only
            "GROUP BY symbol", list(part)))
    return counts


@dataclass
class _BlockPlan:
    """The blocks a write made stale: symbols built from the batch (they had no row
    before it) and ``{symbol: {year, …}}`` to re-read from ``prices``."""

    batch: _PriceBatch | None = None
    fresh: list[int] = field(default_factory=list)  # indexes into batch.symbols
    reread: dict[str, set[int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fresh or self.reread)


def _write_prices(conn: sqlite3.Connection, batch: _PriceBatch
                  ) -> tuple[dict[str, tuple[int, int]], _BlockPlan]:
    """Write ``batch`` into ``prices`` (caller's transaction); return ``{symbol: (added,
    updated)}`` and the blocks to recompute. Symbols without any stored row take plain
    inserts; the others upserts that skip identical rows."""
    before = _row_counts(conn, batch.symbols)
    plan = _BlockPlan(batch=batch)
    by_symbol: dict[str, tuple[int, int]] = {}
    new_rows = []
    for i, sym in enumerate(batch.symbols):
        rows = batch.rows_of(i)
        if before.get(sym, 0) == 0:
            plan.fresh.append(i)
            new_rows.append(batch.params[rows])
            by_symbol[sym] = (rows.stop - rows.start, 0)
    if new_rows:
        _execute_rows(conn, np.concatenate(new_rows), batch.shared, upsert=False)
    changed: dict[str, int] = {}
    for i, sym in enumerate(batch.symbols):
        if sym not in by_symbol:
            rows = batch.rows_of(i)
            changed[sym] = _execute_rows(conn, batch.params[rows], batch.shared, upsert=True)
            if changed[sym]:
                plan.reread[sym] = set(_years(batch.days[rows]).tolist())
    after = _row_counts(conn, list(plan.reread))
    for sym, n in changed.items():
        added = after.get(sym, 0) - before[sym] if n else 0
        by_symbol[sym] = (added, max(n - added, 0))
    return {s: by_symbol[s] for s in batch.symbols}, plan


# -- building, writing and checking blocks ----------------------------------------------


def _years(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _blocks_of(days: np.ndarray, values: np.ndarray
               ) -> list[tuple[int, int, bytes, list[bytes]]]:
    """``(year, n, dates, [data per field])`` per calendar year of date-ordered sessions
    (``days`` int, ``values`` (n, 6) float64 with NaN for NULL); raw little-endian bytes."""
    if not len(days):
        return []
    years = _years(days)
    day32 = days.astype(_DAY_DTYPE)
    columns = np.ascontiguousarray(values.T, dtype=_VALUE_DTYPE)  # (6, n)
    cuts = [0, *(np.flatnonzero(np.diff(years)) + 1).tolist(), len(days)]
    return [(int(years[a]), b - a, day32[a:b].tobytes(), [col[a:b].tobytes() for col in columns])
            for a, b in itertools.pairwise(cuts)]


def _build_blocks(rows: list[tuple]) -> list[tuple[int, int, bytes, list[bytes]]]:
    """The blocks of date-ordered rows of ``_BLOCK_ROWS_SQL`` (date, open … volume)."""
    if not rows:
        return []
    dates, *columns = zip(*rows)
    days = np.array(dates, dtype="datetime64[D]").astype(np.int64)
    values = np.array(columns, dtype=_VALUE_DTYPE).T  # None -> NaN
    return _blocks_of(days, values)


def _block_rows(sym: str, blocks: list[tuple[int, int, bytes, list[bytes]]]) -> list[tuple]:
    """``price_blocks`` rows (field, symbol, year, n, dates, data) of a symbol's blocks."""
    return [(name, sym, year, n, dates, data[k])
            for year, n, dates, data in blocks for k, name in enumerate(_PRICE_FIELDS)]


def _year_runs(years: set[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for year in sorted(years):  # contiguous runs of years: one range scan each
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return runs


def _refresh_blocks(conn: sqlite3.Connection, plan: _BlockPlan) -> int:
    """Recompute the blocks a write made stale (inside the caller's transaction): built
    from the batch for symbols that had no row before it, re-read from ``prices`` for
    the others; a (symbol, year) left without rows loses its block. Returns the
    (symbol, year) blocks written."""
    written: list[tuple] = []
    gone: list[tuple[str, int]] = []
    count = 0
    batch = plan.batch
    for i in plan.fresh:
        assert batch is not None
        rows = batch.rows_of(i)
        blocks = _blocks_of(batch.days[rows], batch.values[rows])
        written.extend(_block_rows(batch.symbols[i], blocks))
        count += len(blocks)
    for sym, years in plan.reread.items():
        for run in _year_runs(years):
            rows = conn.execute(_BLOCK_ROWS_SQL,
                                (sym, f"{run[0]:04d}", f"{run[-1] + 1:04d}")).fetchall()
            built = {block[0]: block for block in _build_blocks(rows)}
            for year in run:
                if year in built:
                    written.extend(_block_rows(sym, [built[year]]))
                    count += 1
                else:
                    gone.append((sym, year))
    if gone:
        conn.executemany("DELETE FROM price_blocks WHERE symbol = ? AND year = ? AND field IN "
                         "('open', 'high', 'low', 'close', 'adj_close', 'volume')", gone)
    if written:
        conn.executemany(
            "INSERT OR REPLACE INTO price_blocks (field, symbol, year, n, dates, data) "
            "VALUES (?, ?, ?, ?, ?, ?)", written)
    return count


def _rebuild_all_blocks(conn: sqlite3.Connection) -> int:
    """Replace every block with one recomputed from ``prices`` (caller's transaction);
    return the (symbol, year) blocks written."""
    conn.execute("DELETE FROM price_blocks")
    written = 0
    symbols = [r[0] for r in conn.execute("SELECT DISTINCT symbol FROM prices ORDER BY symbol")]
    for sym in symbols:
        blocks = _build_blocks(conn.execute(_BLOCK_ROWS_SQL, (sym, *_ALL_DATES)).fetchall())
        conn.executemany(
            "INSERT INTO price_blocks (field, symbol, year, n, dates, data) "
            "VALUES (?, ?, ?, ?, ?, ?)", _block_rows(sym, blocks))
        written += len(blocks)
    return written


def _blocks_layout_is_current(conn: sqlite3.Connection) -> bool:
    """Whether ``price_blocks`` exists with this module's columns."""
    columns = tuple(r[1] for r in conn.execute("PRAGMA table_info(price_blocks)"))
    return columns == _BLOCK_COLUMNS


def _decode_block(n: int, dates: bytes, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Check the sizes and view a block's blobs as arrays (no copy)."""
    if len(dates) != n * _DAY_DTYPE.itemsize or len(data) != n * _VALUE_DTYPE.itemsize:
        raise ValueError(f"block sizes do not match n={n}: {len(dates)} + {len(data)} bytes")
    return np.frombuffer(dates, dtype=_DAY_DTYPE), np.frombuffer(data, dtype=_VALUE_DTYPE)


def _damaged(symbol: object, detail: str) -> StoreError:
    return StoreError(f"the price_blocks read model of {symbol!r} is damaged ({detail}); "
                      "Store.rebuild_blocks() recomputes it from prices")


def _wide_table(conn: sqlite3.Connection, syms: list[str], k: int, lo_iso: str | None,
                hi_iso: str | None) -> pd.DataFrame:
    """Field ``k`` of ``syms`` between ISO dates ``lo_iso`` and ``hi_iso`` (inclusive, None
    = open) as the wide frame of :meth:`~watchlists.store.Store.price_table`.

    One query (per 900 symbols) reads only the asked field's blocks, in key order. When
    every symbol read has every year's block on the same sessions (one calendar), the
    blobs joined in the asked order already are the (symbols x dates) array; otherwise
    the values are scattered onto the union of the dates with a few numpy operations."""
    lo = None if lo_iso is None else _day_number(lo_iso)
    hi = None if hi_iso is None else _day_number(hi_iso)
    years = (-(10**6) if lo_iso is None else int(lo_iso[:4]),
             10**6 if hi_iso is None else int(hi_iso[:4]))
    rows: list[tuple] = []
    with _one_snapshot(conn):  # every symbol read from the same state
        for part in _chunks(sorted(syms)):
            rows += conn.execute(
                "SELECT symbol, year, n, dates, data FROM price_blocks WHERE field = ? "  # noqa: S608 - placeholders only
                f"AND symbol IN ({','.join('?' * len(part))}) AND year >= ? AND year <= ? "
                "ORDER BY symbol, year",  # the key order: no sort
                (_PRICE_FIELDS[k], *part, *years)).fetchall()
    if not rows:
        return _frame(np.empty(0, dtype=np.int64), np.full((len(syms), 0), np.nan), syms)
    names, row_years, ns, dates, data = zip(*rows)
    n_of = np.fromiter(ns, dtype=np.int64, count=len(rows))
    bad = ((np.fromiter(map(len, dates), np.int64, len(rows)) != n_of * _DAY_DTYPE.itemsize)
           | (np.fromiter(map(len, data), np.int64, len(rows)) != n_of * _VALUE_DTYPE.itemsize))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _damaged(names[i], f"block sizes do not match n={ns[i]}: "
                       f"{len(dates[i])} + {len(data[i])} bytes")
    runs: dict[str, tuple[int, int]] = {}  # symbol -> its rows [a, b) (contiguous: key order)
    a = 0
    for name, group in itertools.groupby(names):
        b = a + sum(1 for _ in group)
        runs[name] = (a, b)
        a = b
    calendar = dict(zip(row_years, dates))  # year -> sessions, if all symbols share them
    if (len(rows) == len(runs) * len(calendar)  # every symbol has every year ...
            and all(dates[i] == calendar[row_years[i]] for i in range(len(rows)))):
        days = np.frombuffer(b"".join(calendar[y] for y in sorted(calendar)),
                             dtype=_DAY_DTYPE).astype(np.int64)
        if len(runs) == len(syms):  # one copy: the joined blobs are the array
            joined = bytearray().join(itertools.chain.from_iterable(
                data[slice(*runs[s])] for s in syms))
            values = np.frombuffer(joined, dtype=_VALUE_DTYPE).reshape(len(syms), len(days))
        else:
            values = np.full((len(syms), len(days)), np.nan)
            for j, sym in enumerate(syms):
                if sym in runs:
                    values[j] = np.frombuffer(b"".join(data[slice(*runs[sym])]), _VALUE_DTYPE)
        if lo is not None or hi is not None:
            cut = slice(0 if lo is None else int(np.searchsorted(days, lo)),
                        len(days) if hi is None else int(np.searchsorted(days, hi, "right")))
            days, values = days[cut], values[:, cut]
        return _frame(days, values, syms)
    days = np.frombuffer(b"".join(dates), dtype=_DAY_DTYPE).astype(np.int64)
    vals = np.frombuffer(b"".join(data), dtype=_VALUE_DTYPE)
    col_of = {s: j for j, s in enumerate(syms)}
    cols = np.repeat(np.fromiter((col_of[s] for s in names), np.int64, len(rows)), n_of)
    if lo is not None or hi is not None:
        keep = np.ones(len(days), dtype=bool)
        if lo is not None:
            keep &= days >= lo
        if hi is not None:
            keep &= days <= hi
        days, vals, cols = days[keep], vals[keep], cols[keep]
    if not len(days):
        return _frame(days, np.full((len(syms), 0), np.nan), syms)
    first = int(days.min())  # the calendar: every day present for any symbol, in O(n)
    offset = days - first
    present = np.zeros(int(offset.max()) + 1, dtype=bool)
    present[offset] = True
    all_days = np.flatnonzero(present) + first
    position = np.cumsum(present) - 1
    values = np.full((len(syms), len(all_days)), np.nan)
    values.reshape(-1)[cols * len(all_days) + position[offset]] = vals
    return _frame(all_days, values, syms)


def _frame(days: np.ndarray, values: np.ndarray, syms: list[str]) -> pd.DataFrame:
    """The wide frame over ``values`` (symbols x days; no copy)."""
    index = pd.DatetimeIndex(days.astype("datetime64[D]").astype("datetime64[ns]"),
                             name="date")
    return pd.DataFrame(values.T, index=index, columns=pd.Index(syms, name="symbol"),
                        copy=False)


def _compare_year(stored: dict[str, tuple], expected: tuple) -> list[str]:
    """Problems of one (symbol, year): ``stored`` ``{field: (n, dates, data)}`` against
    the ``expected`` block ``(year, n, dates, [data per field])``."""
    _, n, e_dates, e_data = expected
    e_days = np.frombuffer(e_dates, dtype=_DAY_DTYPE)
    problems: list[str] = []
    date_problems: set[str] = set()
    for k, name in enumerate(_PRICE_FIELDS):
        if name not in stored:
            problems.append(f"{name} block missing")
            continue
        try:
            s_days, s_vals = _decode_block(*stored[name])
        except (ValueError, TypeError) as exc:
            problems.append(f"damaged block ({name}: {exc})")
            continue
        if len(s_days) != n:
            date_problems.add(f"{len(s_days)} sessions in the block, {n} rows in prices")
            continue
        if not np.array_equal(s_days, e_days):
            date_problems.add("dates differ from prices")
        if not np.array_equal(s_vals, np.frombuffer(e_data[k], dtype=_VALUE_DTYPE),
                              equal_nan=True):
            problems.append(f"{name} differs from prices")
    return sorted(date_problems) + problems


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
            expected = {block[0]: block for block in _build_blocks(rows)}
            stored: dict[int, dict[str, tuple]] = {}
            for name, year, n, dates, data in conn.execute(
                    "SELECT field, year, n, dates, data FROM price_blocks WHERE field IN "
                    "('open', 'high', 'low', 'close', 'adj_close', 'volume') AND symbol = ?",
                    (sym,)):
                stored.setdefault(year, {})[name] = (n, dates, data)
            for year in sorted(expected.keys() | stored.keys()):
                where = f"{sym!r} {year}"
                if year not in stored:
                    problems.append(f"{where}: block missing ({expected[year][1]} rows)")
                elif year not in expected:
                    problems.append(f"{where}: block has no rows in prices")
                else:
                    problems.extend(f"{where}: {p}"
                                    for p in _compare_year(stored[year], expected[year]))
    return problems

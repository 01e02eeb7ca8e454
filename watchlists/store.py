"""The SQLite store: prices, analyst data, FX rates, fetch log and report runs.

One file, ``watchlists.sqlite``, under the *home* directory: the ``home=`` argument, else
``$WATCHLISTS_HOME``, else ``platformdirs.user_data_dir("watchlists")``.

Guarantees: WAL journal and a 30 s busy timeout, so several processes can read and write
at once; every write is one ``BEGIN IMMEDIATE`` transaction (all or nothing); values are
always bound parameters (column names come from fixed whitelists); nothing is pickled. A
file that is not a SQLite database, or a store written by a newer version, raises
:class:`~watchlists.errors.StoreError` and is never modified, overwritten or deleted.

Dates are stored as ISO text (``YYYY-MM-DD``), times as ISO-8601 UTC text. ``end``
arguments of read methods are *inclusive*.

Prices live in two tables. ``prices`` (one row per symbol and session) is the source of
truth, read by :meth:`Store.read_prices`. ``price_blocks`` is a derived, compact read model
for :meth:`Store.price_table`: one row per (field, symbol, calendar year) holding the
year's sessions of that one field as raw arrays, so a wide table of one field is one query
that reads no other field's bytes (layout and codec in :mod:`watchlists._price_blocks`).
Every write to ``prices`` recomputes the affected blocks in the same transaction (from
``prices``, or from the rows just written for a symbol that had none), so both tables
always commit or roll back together.
:meth:`Store.check_blocks` verifies them against each other and
:meth:`Store.rebuild_blocks` recomputes them all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from watchlists import _store_company
from watchlists._io import json_safe
from watchlists._price_blocks import (
    _BLOCKS_SCHEMA,
    _PRICE_FIELDS,
    _blocks_layout_is_current,
    _check_all_blocks,
    _one_snapshot,
    _prepare_prices,
    _PriceBatch,
    _rebuild_all_blocks,
    _refresh_blocks,
    _wide_table,
    _write_prices,
)
from watchlists._store_company import COMPANY_SCHEMA, COMPANY_TABLES
from watchlists.errors import StoreError
from watchlists.records import as_date

if TYPE_CHECKING:
    import sqlite3  # imported by the functions that connect or catch its errors

__all__ = ["SCHEMA_VERSION", "STORE_FILENAME", "PriceMerge", "Store", "default_home",
           "open_store"]

SCHEMA_VERSION = 4
"""Version history: 1 — initial schema; 2 — adds the ``price_blocks`` read model; 3 — adds
``profiles``, ``fundamentals`` and ``fundamentals_fetches`` (see
:mod:`watchlists._store_company`); 4 — ``price_blocks`` holds one row per (field, symbol,
year) instead of one per (symbol, year) with all six fields. An older store is migrated in
place, in one transaction, when opened."""
STORE_FILENAME = "watchlists.sqlite"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUSY_TIMEOUT_MS = 30_000

PriceField = Literal["open", "high", "low", "close", "adj_close", "volume"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS prices (
    symbol     TEXT NOT NULL,
    date       TEXT NOT NULL,
    open       REAL,
    high       REAL,
    low        REAL,
    close      REAL,
    adj_close  REAL,
    volume     REAL,
    source     TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (symbol, date)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS analyst_consensus (
    symbol        TEXT NOT NULL,
    fetched_at    TEXT NOT NULL,
    current       REAL,
    high          REAL,
    low           REAL,
    mean          REAL,
    median        REAL,
    analyst_count INTEGER,
    currency      TEXT,
    source        TEXT NOT NULL,
    PRIMARY KEY (symbol, fetched_at, source)
);
CREATE TABLE IF NOT EXISTS analyst_actions (
    symbol         TEXT NOT NULL,
    date           TEXT NOT NULL,
    firm           TEXT NOT NULL,
    to_grade       TEXT,
    from_grade     TEXT,
    action         TEXT NOT NULL,
    current_target REAL,
    prior_target   REAL,
    currency       TEXT,
    source         TEXT NOT NULL,
    fetched_at     TEXT NOT NULL,
    UNIQUE (symbol, date, firm, action)
);
CREATE TABLE IF NOT EXISTS fx_rates (
    pair     TEXT NOT NULL,
    from_ccy TEXT NOT NULL,
    to_ccy   TEXT NOT NULL,
    date     TEXT NOT NULL,
    rate     REAL NOT NULL,
    source   TEXT NOT NULL,
    PRIMARY KEY (pair, date)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fetch_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    provider    TEXT NOT NULL,
    symbols     TEXT NOT NULL,
    start       TEXT,
    "end"       TEXT,
    rows        INTEGER NOT NULL,
    status      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS report_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    watchlist    TEXT NOT NULL,
    asof         TEXT NOT NULL,
    generated_at TEXT NOT NULL,
    payload      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS report_runs_watchlist ON report_runs (watchlist, id);
""" + _BLOCKS_SCHEMA + ";\n" + COMPANY_SCHEMA


_OUR_TABLES = frozenset({"meta", "prices", "analyst_consensus", "analyst_actions", "fx_rates",
                         "fetch_log", "report_runs", "price_blocks", *COMPANY_TABLES})


def default_home() -> Path:
    """``$WATCHLISTS_HOME`` if set, else ``platformdirs.user_data_dir("watchlists")``."""
    env = os.environ.get("WATCHLISTS_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("watchlists"))


def open_store(home: str | os.PathLike[str] | None = None) -> Store:
    """Open (creating if needed) the store under ``home`` (default :func:`default_home`)."""
    return Store(home)


def _iso_date(value: object, name: str) -> str:
    return as_date(name, value).isoformat()


def _iso_time(value: dt.datetime | None) -> str:
    if value is None:
        value = dt.datetime.now(dt.UTC)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _num(value: object) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(out) else out


def _symbols(symbols: str | Iterable[str] | None) -> list[str] | None:
    if symbols is None:
        return None
    if isinstance(symbols, str):
        return [symbols]
    return list(dict.fromkeys(symbols))


def _on_or_before(column: str, asof: object) -> tuple[str, list[str]]:
    """SQL condition "``column`` is on or before the day ``asof``" (any time that day)."""
    if asof is None:
        return "", []
    next_day = pd.Timestamp(_iso_date(asof, "asof")) + pd.Timedelta(days=1)
    return f" AND {column} < ?", [next_day.strftime("%Y-%m-%d")]


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


class PriceMerge(tuple):
    """``(added, updated)`` returned by :meth:`Store.merge_prices` (it compares and
    unpacks as that tuple), plus ``by_symbol``: ``{symbol: (added, updated)}``."""

    by_symbol: dict[str, tuple[int, int]]

    def __new__(cls, added: int, updated: int,
                by_symbol: dict[str, tuple[int, int]]) -> PriceMerge:
        self = super().__new__(cls, (added, updated))
        self.by_symbol = by_symbol
        return self


class Store:
    """A watchlists SQLite store. Use as a context manager or call :meth:`close`."""

    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = Path(home).expanduser() if home is not None else default_home()
        self.path = self.home / STORE_FILENAME
        self._conn: sqlite3.Connection | None = None
        self._prepare_home()
        self._check_header()
        self._conn = self._connect()

    # -- opening -------------------------------------------------------------------

    def _prepare_home(self) -> None:
        if self.home.exists() and not self.home.is_dir():
            raise StoreError(
                f"cannot use {self.home} as the watchlists home: it is a file, not a directory "
                "(set WATCHLISTS_HOME or pass home= to another directory)"
            )
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the watchlists home {self.home}: {exc.strerror or exc} "
                "(set WATCHLISTS_HOME or pass home= to a writable directory)"
            ) from exc
        if not os.access(self.home, os.W_OK | os.X_OK):
            raise StoreError(
                f"the watchlists home {self.home} is read-only; the store needs a writable "
                "directory (set WATCHLISTS_HOME or pass home=)"
            )

    def _not_a_store(self, detail: str) -> StoreError:
        return StoreError(
            f"{self.path} is not a watchlists store ({detail}); it was left untouched. "
            "Move it away or point WATCHLISTS_HOME / home= elsewhere."
        )

    def _check_header(self) -> None:
        if not self.path.exists():
            return
        if self.path.is_dir():
            raise self._not_a_store("it is a directory")
        try:
            with self.path.open("rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise StoreError(f"cannot read the store {self.path}: {exc}") from exc
        if head and head != _SQLITE_MAGIC:
            raise self._not_a_store("file is not a database")

    def _connect(self) -> sqlite3.Connection:
        import sqlite3

        try:
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=True)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_MS)}")
            try:
                version = self._stored_version(conn)
            except StoreError as exc:
                raise self._not_a_store(f"{exc}; newer or foreign") from None
            if version is None:
                self._refuse_foreign(conn)
            if version is not None and version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this version of "
                    f"watchlists understands ({SCHEMA_VERSION}); upgrade watchlists. The file "
                    "was left untouched."
                )
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - e.g. some network filesystems
                conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA mmap_size = 268435456")  # reads of the blocks skip a copy
            conn.execute("PRAGMA foreign_keys = ON")
            if version is None or version < SCHEMA_VERSION:
                self._create_or_migrate(conn)
            return conn
        except StoreError:
            conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            text = str(exc)
            if "not a database" in text or "malformed" in text or "encrypted" in text:
                raise self._not_a_store(text) from exc
            if "readonly" in text or "read-only" in text or "unable to open" in text:
                raise StoreError(
                    f"the store {self.path} cannot be written ({text}); check permissions or "
                    "point WATCHLISTS_HOME / home= to a writable directory"
                ) from exc
            raise StoreError(f"cannot open the store {self.path}: {text}") from exc

    @staticmethod
    def _create_or_migrate(conn: sqlite3.Connection) -> None:
        """Create the schema, or migrate an older one in place — one transaction.

        The version is read again under the write lock, so processes opening the same old
        store at once migrate it exactly once. A store without ``price_blocks`` (version 1)
        or with the older per-(symbol, year) layout (versions 2 and 3) gets the current
        table, rebuilt from ``prices``; a failure rolls everything back (old version kept).
        """
        with _transaction(conn):
            version = Store._stored_version(conn)
            if version is not None and version >= SCHEMA_VERSION:
                return
            rebuild = not _blocks_layout_is_current(conn)
            if rebuild:
                conn.execute("DROP TABLE IF EXISTS price_blocks")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if rebuild:
                _rebuild_all_blocks(conn)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def _refuse_foreign(self, conn: sqlite3.Connection) -> None:
        """A database without our version marker that holds tables we did not create is
        someone else's: refuse it before any pragma or write touches it."""
        tables = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%'")}
        foreign = sorted(tables - _OUR_TABLES)
        if foreign:
            shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
            raise self._not_a_store(f"it is another application's SQLite database, with "
                                    f"tables {shown} and no watchlists schema version")

    @staticmethod
    def _stored_version(conn: sqlite3.Connection) -> int | None:
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if not has_meta:
            return None
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            return None
        try:
            return int(row[0])
        except ValueError:
            raise StoreError(f"unreadable schema version {row[0]!r}") from None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the store {self.path} is closed")
        return self._conn

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @property
    def schema_version(self) -> int:
        version = self._stored_version(self.conn)
        return SCHEMA_VERSION if version is None else version

    def read_snapshot(self) -> contextlib.AbstractContextManager[None]:
        """One read transaction: every read inside sees the same committed state (one WAL
        snapshot), whatever another process commits meanwhile. Nests inside a caller's
        transaction."""
        return _one_snapshot(self.conn)

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any exception)."""
        return _transaction(self.conn)

    # -- prices --------------------------------------------------------------------

    def merge_prices(
        self, frame: pd.DataFrame, *, source: str | None, fetched_at: dt.datetime | None = None
    ) -> PriceMerge:
        """Upsert tidy price rows in one transaction; return ``(added, updated)``.

        ``source`` names where the rows came from; ``None`` takes each row's own
        ``source`` column (a user file mixing feeds is still one transaction).
        ``updated`` counts existing rows whose values changed (a late correction);
        re-sent identical rows are not rewritten and not counted. Rows repeating a
        (symbol, date) count once, the last one wins. The result is a :class:`PriceMerge`
        (a tuple) whose ``by_symbol`` holds the same counts per symbol.
        """
        batch = self._price_rows(frame, source, _iso_time(fetched_at))
        if batch is None:
            return PriceMerge(0, 0, {})
        with self.transaction() as conn:
            by_symbol, plan = _write_prices(conn, batch)
            if plan:  # identical re-sent rows change nothing, so no block can be stale
                _refresh_blocks(conn, plan)
        added = sum(a for a, _ in by_symbol.values())
        updated = sum(u for _, u in by_symbol.values())
        return PriceMerge(added, updated, by_symbol)

    def upsert_prices(
        self, frame: pd.DataFrame, *, source: str, fetched_at: dt.datetime | None = None
    ) -> int:
        """Upsert tidy price rows (one transaction); return the rows inserted or changed."""
        added, updated = self.merge_prices(frame, source=source, fetched_at=fetched_at)
        return added + updated

    @staticmethod
    def _price_rows(frame: pd.DataFrame, source: str | None, fetched_at: str
                    ) -> _PriceBatch | None:
        """Validate a tidy price frame and prepare its rows (vectorised); None if empty."""
        sources: object
        if source is None:
            if "source" not in frame.columns:
                raise ValueError("source=None needs a 'source' column in the price frame")
            sources = frame["source"].astype(str).to_numpy(dtype=object)
            if (sources == "").any():
                raise ValueError("every row's source must be a non-empty string")
        elif not isinstance(source, str) or not source:
            raise ValueError(f"source must be a non-empty string, got {source!r}")
        else:
            sources = source
        missing = [c for c in ("symbol", "date", "close") if c not in frame.columns]
        if missing:
            raise ValueError(f"price frame lacks columns {missing}")
        if frame.empty:
            return None
        return _prepare_prices(frame, sources, fetched_at)

    def read_prices(
        self,
        symbols: str | Iterable[str] | None = None,
        *,
        start: object = None,
        end: object = None,
    ) -> pd.DataFrame:
        """Tidy rows (symbol, date, open … volume, source, fetched_at); ``end`` inclusive."""
        where, params = self._where(symbols, start, end)
        sql = (
            "SELECT symbol, date, open, high, low, close, adj_close, volume, source, fetched_at "  # noqa: S608 - only placeholders and whitelisted names
            f"FROM prices{where} ORDER BY symbol, date"
        )
        rows = self.conn.execute(sql, params).fetchall()
        frame = pd.DataFrame(rows, columns=[
            "symbol", "date", "open", "high", "low", "close", "adj_close", "volume",
            "source", "fetched_at",
        ])
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d").astype("datetime64[ns]")
        for c in _PRICE_FIELDS:
            frame[c] = pd.to_numeric(frame[c]).astype("float64")
        return frame

    @staticmethod
    def _where(symbols: str | Iterable[str] | None, start: object, end: object,
               date_col: str = "date", sym_col: str = "symbol") -> tuple[str, list]:
        clauses: list[str] = []
        params: list = []
        syms = _symbols(symbols)
        if syms is not None:
            clauses.append(f"{sym_col} IN ({_placeholders(len(syms))})")
            params.extend(syms)
        if start is not None:
            clauses.append(f"{date_col} >= ?")
            params.append(_iso_date(start, "start"))
        if end is not None:
            clauses.append(f"{date_col} <= ?")
            params.append(_iso_date(end, "end"))
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def price_table(
        self,
        symbols: Sequence[str],
        *,
        start: object = None,
        end: object = None,
        field: PriceField = "close",
    ) -> pd.DataFrame:
        """Wide prices: DatetimeIndex ``date`` × ``symbols`` columns (in the order asked).

        Read in one snapshot; dates present for any symbol form the index, gaps are NaN; a
        symbol with no rows is an all-NaN column. ``end`` is inclusive.
        """
        if field not in _PRICE_FIELDS:
            raise ValueError(f"field must be one of {_PRICE_FIELDS}, got {field!r}")
        k = _PRICE_FIELDS.index(field)
        syms = _symbols(symbols) or []
        lo_iso = None if start is None else _iso_date(start, "start")
        hi_iso = None if end is None else _iso_date(end, "end")
        return _wide_table(self.conn, syms, k, lo_iso, hi_iso)

    # -- the price_blocks read model -------------------------------------------------

    def check_blocks(self) -> list[str]:
        """Compare ``price_blocks`` with ``prices``; return one line per mismatch (``[]``
        when the read model is consistent). Reads one snapshot; scans every row."""
        return _check_all_blocks(self.conn)

    def rebuild_blocks(self) -> int:
        """Recompute every ``price_blocks`` row from ``prices`` (one transaction); return the
        number of (symbol, year) blocks written (six field rows each). Only needed to
        repair a store edited by other tools."""
        with self.transaction() as conn:
            return _rebuild_all_blocks(conn)

    def last_dates(self, symbols: Iterable[str]) -> dict[str, pd.Timestamp | None]:
        """Last stored session date per symbol (None when the symbol has no rows)."""
        syms = _symbols(symbols) or []
        out: dict[str, pd.Timestamp | None] = dict.fromkeys(syms)
        if not syms:
            return out
        rows = self.conn.execute(
            f"SELECT symbol, max(date) FROM prices WHERE symbol IN ({_placeholders(len(syms))}) "  # noqa: S608 - only placeholders and whitelisted names
            "GROUP BY symbol",
            syms,
        ).fetchall()
        for sym, last in rows:
            out[sym] = pd.Timestamp(last)
        return out

    # -- analyst data --------------------------------------------------------------

    def upsert_analyst(self, data: object) -> int:
        """Store an :class:`~watchlists.providers.AnalystData` (consensus + actions).

        Returns the number of rows written. A fetch without consensus writes no consensus
        row; actions are upserted on (symbol, date, firm, action).
        """
        symbol = data.symbol  # type: ignore[attr-defined]
        fetched = _iso_time(data.fetched_at)  # type: ignore[attr-defined]
        source = getattr(data, "provider", "unknown")
        currency = data.currency  # type: ignore[attr-defined]
        consensus = dict(data.consensus)  # type: ignore[attr-defined]
        actions = data.actions  # type: ignore[attr-defined]
        written = 0
        with self.transaction() as conn:
            if any(v is not None for v in consensus.values()):
                conn.execute(
                    "INSERT OR REPLACE INTO analyst_consensus (symbol, fetched_at, current, high, "
                    "low, mean, median, analyst_count, currency, source) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (symbol, fetched, *(_num(consensus.get(k)) for k in
                                        ("current", "high", "low", "mean", "median")),
                     data.analyst_count, currency, source),  # type: ignore[attr-defined]
                )
                written += 1
            if len(actions):
                dates = pd.to_datetime(actions["date"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
                rows = [
                    (symbol, d, str(f), _text(t), _text(fr), str(a), _num(ct), _num(pt),
                     currency, source, fetched)
                    for d, f, t, fr, a, ct, pt in zip(
                        dates, actions["firm"], actions["to_grade"], actions["from_grade"],
                        actions["action"], actions["current_target"], actions["prior_target"])
                ]
                cur = conn.executemany(
                    "INSERT INTO analyst_actions (symbol, date, firm, to_grade, from_grade, action,"
                    " current_target, prior_target, currency, source, fetched_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (symbol, date, firm, action) DO UPDATE SET "
                    "to_grade = excluded.to_grade, from_grade = excluded.from_grade, "
                    "current_target = excluded.current_target, "
                    "prior_target = excluded.prior_target, currency = excluded.currency, "
                    "source = excluded.source, fetched_at = excluded.fetched_at",
                    rows,
                )
                written += cur.rowcount
        return written

    def read_consensus(self, symbols: Iterable[str], *, asof: object = None) -> pd.DataFrame:
        """Latest consensus per symbol fetched on or before ``asof`` (a date, inclusive)."""
        syms = _symbols(symbols) or []
        cols = ["symbol", "fetched_at", "current", "high", "low", "mean", "median",
                "analyst_count", "currency", "source"]
        if not syms:
            return pd.DataFrame(columns=cols)
        cond, params = _on_or_before("fetched_at", asof)
        params = [*syms, *params]
        sql = (
            f"SELECT {', '.join(cols)} FROM ("  # noqa: S608 - only placeholders and whitelisted names
            f"  SELECT {', '.join(cols)}, row_number() OVER ("
            "    PARTITION BY symbol ORDER BY fetched_at DESC) AS rn"
            f"  FROM analyst_consensus WHERE symbol IN ({_placeholders(len(syms))}){cond}"
            ") WHERE rn = 1 ORDER BY symbol"
        )
        frame = pd.DataFrame(self.conn.execute(sql, params).fetchall(), columns=cols)
        frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True, format="ISO8601")
        return frame

    def read_actions(self, symbols: Iterable[str], *, asof: object = None) -> pd.DataFrame:
        """Rating actions dated on or before ``asof`` (inclusive), oldest first."""
        syms = _symbols(symbols) or []
        cols = ["symbol", "date", "firm", "to_grade", "from_grade", "action", "current_target",
                "prior_target", "currency", "source", "fetched_at"]
        cond, params = _on_or_before("date", asof)
        params = [*syms, *params]
        sql = (f"SELECT {', '.join(cols)} FROM analyst_actions "  # noqa: S608 - only placeholders and whitelisted names
               f"WHERE symbol IN ({_placeholders(len(syms))}){cond} ORDER BY symbol, date, firm")
        frame = pd.DataFrame(self.conn.execute(sql, params).fetchall() if syms else [],
                             columns=cols)
        frame["date"] = pd.to_datetime(frame["date"], format="ISO8601").astype("datetime64[ns]")
        return frame

    # -- profiles and fundamentals -------------------------------------------------

    def upsert_profile(self, data: object) -> int:
        """Store a :class:`~watchlists.providers.ProfileData` fetch (only when ``ok``)."""
        with self.transaction() as conn:
            return _store_company.upsert_profile(conn, data, _iso_time(data.fetched_at))  # type: ignore[attr-defined]

    def read_profiles(self, symbols: Iterable[str], *, asof: object = None) -> pd.DataFrame:
        """The latest stored profile per symbol (case-insensitive), fetched on or before
        ``asof`` when given; columns :data:`~watchlists._store_company.PROFILE_COLUMNS`."""
        syms = _symbols(symbols) or []
        nxt = None
        if asof is not None:
            nxt = (pd.Timestamp(_iso_date(asof, "asof")) + pd.Timedelta(days=1)).strftime(
                "%Y-%m-%d")
        return _store_company.read_profiles(self.conn, syms, nxt)

    def upsert_fundamentals(self, symbol: str, frame: pd.DataFrame, *, source: str,
                            fetched_at: dt.datetime, status: str = "ok") -> int:
        """Store statement figures (versioned by ``known_from``) and record the fetch, in
        one transaction; return the versions added (see :mod:`watchlists._store_company`)."""
        fetched = _iso_time(fetched_at)
        with self.transaction() as conn:
            added = _store_company.upsert_fundamentals(conn, symbol, frame, source=source,
                                                       fetched_at=fetched)
            _store_company.record_fundamentals_fetch(conn, symbol, fetched, status)
        return added

    def read_fundamentals(self, symbols: Iterable[str], *, asof: object = None
                          ) -> pd.DataFrame:
        """Statement figures known on ``asof`` (``known_from <= asof``; all when None): per
        (symbol, metric, freq, period_end) the latest version then known."""
        syms = _symbols(symbols) or []
        day = None if asof is None else _iso_date(asof, "asof")
        return _store_company.read_fundamentals(self.conn, syms, day)

    def fundamentals_fetches(self, symbols: Iterable[str]
                             ) -> dict[str, tuple[pd.Timestamp, str, pd.Timestamp | None, bool]]:
        """``symbol -> (fetched_at, status, latest period end, has quarterly figures)`` of
        the last statement fetch."""
        return _store_company.fundamentals_fetches(self.conn, _symbols(symbols) or [])

    # -- fx ------------------------------------------------------------------------

    def upsert_fx(self, frame: pd.DataFrame, *, source: str | None = None) -> int:
        """Upsert rates: columns from_ccy, to_ccy, date, rate (units of ``to`` per ``from``)
        and optionally source. Returns rows written."""
        missing = [c for c in ("from_ccy", "to_ccy", "date", "rate") if c not in frame.columns]
        if missing:
            raise ValueError(f"fx frame lacks columns {missing}")
        if frame.empty:
            return 0
        if source is None and "source" not in frame.columns:
            raise ValueError("upsert_fx needs source= or a 'source' column")
        srcs = frame["source"].astype(str) if source is None else pd.Series(source, frame.index)
        dates = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d")
        rows = []
        for f, t, d, r, s in zip(frame["from_ccy"], frame["to_ccy"], dates, frame["rate"], srcs):
            rate = _num(r)
            if rate is None or rate <= 0:
                continue
            f, t = str(f).upper(), str(t).upper()
            rows.append((f + t, f, t, d, rate, s))
        with self.transaction() as conn:
            cur = conn.executemany(
                "INSERT INTO fx_rates (pair, from_ccy, to_ccy, date, rate, source) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pair, date) DO UPDATE SET "
                "rate = excluded.rate, source = excluded.source",
                rows,
            )
        return cur.rowcount

    def read_fx(self, pairs: str | Iterable[str] | None = None, *, start: object = None,
                end: object = None) -> pd.DataFrame:
        """Rates (pair, from_ccy, to_ccy, date, rate, source); pairs like ``'USDCNY'``."""
        where, params = self._where(
            None if pairs is None else [p.upper() for p in (_symbols(pairs) or [])],
            start, end, sym_col="pair",
        )
        rows = self.conn.execute(
            f"SELECT pair, from_ccy, to_ccy, date, rate, source FROM fx_rates{where} "  # noqa: S608 - only placeholders and whitelisted names
            "ORDER BY pair, date", params,
        ).fetchall()
        frame = pd.DataFrame(rows, columns=["pair", "from_ccy", "to_ccy", "date", "rate",
                                            "source"])
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d").astype("datetime64[ns]")
        frame["rate"] = frame["rate"].astype("float64")
        return frame

    def last_fx_rate(
        self, from_ccy: str, to_ccy: str, on: object
    ) -> tuple[float, pd.Timestamp] | None:
        """The last stored direct rate ``from→to`` dated on or before ``on``, with its date."""
        hit = self.last_fx_quote(from_ccy, to_ccy, on)
        return None if hit is None else hit[:2]

    def last_fx_quote(
        self, from_ccy: str, to_ccy: str, on: object
    ) -> tuple[float, pd.Timestamp, str] | None:
        """:meth:`last_fx_rate` with the rate's source (the provider or user feed)."""
        row = self.conn.execute(
            "SELECT rate, date, source FROM fx_rates WHERE pair = ? AND date <= ? "
            "ORDER BY date DESC LIMIT 1",
            (from_ccy.upper() + to_ccy.upper(), _iso_date(on, "on")),
        ).fetchone()
        return None if row is None else (float(row[0]), pd.Timestamp(row[1]), str(row[2]))

    # -- logs and runs -------------------------------------------------------------

    def log_fetch(
        self,
        *,
        provider: str,
        symbols: Sequence[str],
        start: object,
        end: object,
        rows: int,
        status: Mapping[str, str],
        started_at: dt.datetime,
        finished_at: dt.datetime | None = None,
    ) -> int:
        """Append one provider call to ``fetch_log``; return its id."""
        with self.transaction() as conn:
            cur = conn.execute(
                'INSERT INTO fetch_log (started_at, finished_at, provider, symbols, start, "end",'
                " rows, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (_iso_time(started_at), _iso_time(finished_at), provider,
                 json.dumps(list(symbols)),
                 None if start is None else _iso_date(start, "start"),
                 None if end is None else _iso_date(end, "end"),
                 int(rows), json.dumps(dict(status), sort_keys=True)),
            )
        return int(cur.lastrowid)

    def read_fetch_log(self, *, limit: int = 100) -> pd.DataFrame:
        """The latest ``limit`` entries of ``fetch_log``, newest first (JSON decoded)."""
        rows = self.conn.execute(
            'SELECT id, started_at, finished_at, provider, symbols, start, "end", rows, status '
            "FROM fetch_log ORDER BY id DESC LIMIT ?", (int(limit),),
        ).fetchall()
        frame = pd.DataFrame(rows, columns=["id", "started_at", "finished_at", "provider",
                                            "symbols", "start", "end", "rows", "status"])
        frame["symbols"] = [json.loads(s) for s in frame["symbols"]]
        frame["status"] = [json.loads(s) for s in frame["status"]]
        return frame

    def record_run(self, watchlist: str, asof: object, generated_at: dt.datetime,
                   payload: Mapping) -> int:
        """Store one report run (payload as JSON text; NaN → null); return its id."""
        text = json.dumps(json_safe(payload), sort_keys=True, allow_nan=False, default=str)
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO report_runs (watchlist, asof, generated_at, payload) "
                "VALUES (?, ?, ?, ?)",
                (watchlist, _iso_date(asof, "asof"), _iso_time(generated_at), text),
            )
        return int(cur.lastrowid)

    def last_run(self, watchlist: str, *, before: object = None) -> dict | None:
        """The latest run of ``watchlist`` as of a date strictly earlier than ``before``.

        Point in time: a run made for a later (or the same) ``asof`` is never returned,
        whenever it was made; among runs of the latest earlier ``asof``, the last recorded
        wins. ``before=None`` returns the latest run of any date. Returns ``{"id",
        "watchlist", "asof" (date), "generated_at" (UTC datetime), "payload" (dict)}``,
        or None.
        """
        sql = ("SELECT id, watchlist, asof, generated_at, payload FROM report_runs "
               "WHERE watchlist = ?")
        params: list = [watchlist]
        if before is not None:
            sql += " AND asof < ?"
            params.append(_iso_date(before, "before"))
        row = self.conn.execute(sql + " ORDER BY asof DESC, id DESC LIMIT 1",
                                params).fetchone()
        if row is None:
            return None
        return {
            "id": row[0],
            "watchlist": row[1],
            "asof": dt.date.fromisoformat(row[2]),
            "generated_at": dt.datetime.fromisoformat(row[3]),
            "payload": json.loads(row[4]),
        }


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    import sqlite3

    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StoreError(f"cannot start a write transaction: {exc}") from exc
    try:
        yield conn
    except sqlite3.Error as exc:
        _rollback(conn)
        raise StoreError(f"a write to the store failed and was rolled back: {exc}") from exc
    except BaseException:
        _rollback(conn)
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback(conn)
        raise StoreError(f"could not commit to the store: {exc}") from exc


def _rollback(conn: sqlite3.Connection) -> None:
    import sqlite3

    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")

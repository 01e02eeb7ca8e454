"""Store tables for what a provider says about a company: profiles and fundamentals.

Three tables, created by schema version 3 (:mod:`watchlists.store`):

``profiles``
    One row per (symbol, fetch, source): name, quote type, exchange, trading currency
    (ISO, major unit), the currency Yahoo quoted in, the statements' currency, country,
    sector, industry, shares outstanding (per traded unit of *that* listing) and the past
    earnings dates known at the fetch. Every fetch is kept, so a later read can ask what
    was known on a date.
``fundamentals``
    Statement figures, *versioned*: one row per (symbol, metric, freq, period_end,
    known_from). ``known_from`` is the day the figure was public (see
    :mod:`watchlists.fundamentals`). A refetch that returns the same value writes
    nothing; a different value (a restatement) is a new version known from the day it
    was seen, so a snapshot as of an earlier day still sees the figure it had then.
``fundamentals_fetches``
    The last statement fetch per symbol (time, status, latest period end), which decides
    when the statements are due again.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import sqlite3

COMPANY_SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    symbol             TEXT NOT NULL,
    fetched_at         TEXT NOT NULL,
    source             TEXT NOT NULL,
    name               TEXT,
    quote_type         TEXT,
    exchange           TEXT,
    exchange_name      TEXT,
    currency           TEXT,
    quote_currency     TEXT,
    financial_currency TEXT,
    country            TEXT,
    sector             TEXT,
    industry           TEXT,
    shares_outstanding REAL,
    earnings_dates     TEXT NOT NULL,
    PRIMARY KEY (symbol, fetched_at, source)
);
CREATE TABLE IF NOT EXISTS fundamentals (
    symbol           TEXT NOT NULL,
    metric           TEXT NOT NULL,
    freq             TEXT NOT NULL,
    period_end       TEXT NOT NULL,
    known_from       TEXT NOT NULL,
    value            REAL NOT NULL,
    currency         TEXT,
    known_from_basis TEXT NOT NULL,
    source           TEXT NOT NULL,
    fetched_at       TEXT NOT NULL,
    PRIMARY KEY (symbol, metric, freq, period_end, known_from)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fundamentals_fetches (
    symbol            TEXT PRIMARY KEY,
    fetched_at        TEXT NOT NULL,
    status            TEXT NOT NULL,
    latest_period_end TEXT,
    has_quarterly     INTEGER NOT NULL
) WITHOUT ROWID;
"""

COMPANY_TABLES = frozenset({"profiles", "fundamentals", "fundamentals_fetches"})

PROFILE_FIELDS: tuple[str, ...] = (
    "name", "quote_type", "exchange", "exchange_name", "currency", "quote_currency",
    "financial_currency", "country", "sector", "industry", "shares_outstanding",
)
PROFILE_COLUMNS: tuple[str, ...] = ("symbol", *PROFILE_FIELDS, "earnings_dates", "source",
                                    "fetched_at")
"""Columns of :meth:`Store.read_profiles` (``earnings_dates``: a tuple of dates)."""

FUNDAMENTAL_COLUMNS: tuple[str, ...] = ("symbol", "metric", "freq", "period_end", "value",
                                        "currency", "known_from", "known_from_basis",
                                        "source", "fetched_at")
"""Columns of :meth:`Store.read_fundamentals`."""

_SAME = 1e-9  # relative difference under which a refetched figure is the same figure


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


def _opt_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def _opt_num(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def upsert_profile(conn: sqlite3.Connection, data: object, fetched_at: str) -> int:
    """Insert one :class:`~watchlists.providers.ProfileData` (status ``ok`` only)."""
    if getattr(data, "status", "ok") != "ok":
        return 0
    dates = sorted({pd.Timestamp(d).date().isoformat()
                    for d in (getattr(data, "earnings_dates", ()) or ())})
    values = [getattr(data, f, None) for f in PROFILE_FIELDS]
    values = [_opt_num(v) if f == "shares_outstanding" else _opt_text(v)
              for f, v in zip(PROFILE_FIELDS, values, strict=True)]
    cur = conn.execute(
        f"INSERT OR REPLACE INTO profiles (symbol, fetched_at, source, {', '.join(PROFILE_FIELDS)},"  # noqa: S608 - whitelisted names
        f" earnings_dates) VALUES ({_placeholders(len(PROFILE_FIELDS) + 4)})",
        (str(data.symbol), fetched_at, str(getattr(data, "provider", "unknown")),  # type: ignore[attr-defined]
         *values, json.dumps(dates)),
    )
    return cur.rowcount


def read_profiles(conn: sqlite3.Connection, symbols: list[str], asof_next_day: str | None
                  ) -> pd.DataFrame:
    """The latest profile per symbol fetched before ``asof_next_day`` (all when None)."""
    cols = list(PROFILE_COLUMNS)
    if not symbols:
        return _profile_frame([], cols)
    cond, params = "", [s.upper() for s in symbols]
    if asof_next_day is not None:
        cond = " AND fetched_at < ?"
        params.append(asof_next_day)
    sql = (f"SELECT {', '.join(cols)} FROM ("  # noqa: S608 - only placeholders and whitelisted names
           f"  SELECT {', '.join(cols)}, row_number() OVER (PARTITION BY upper(symbol) "
           "    ORDER BY fetched_at DESC, source) AS rn"
           f"  FROM profiles WHERE upper(symbol) IN ({_placeholders(len(symbols))}){cond}"
           ") WHERE rn = 1 ORDER BY symbol")
    rows = conn.execute(sql, params).fetchall()
    return _profile_frame(rows, cols)


def _profile_frame(rows: list, cols: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=cols)
    frame["earnings_dates"] = [tuple(dt.date.fromisoformat(d) for d in json.loads(x))
                               for x in frame["earnings_dates"]]
    frame["shares_outstanding"] = pd.to_numeric(frame["shares_outstanding"]).astype("float64")
    frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True, format="ISO8601")
    return frame


def _latest_versions(conn: sqlite3.Connection, symbol: str) -> dict[tuple, float]:
    rows = conn.execute(
        "SELECT metric, freq, period_end, value FROM ("
        "  SELECT metric, freq, period_end, value, row_number() OVER ("
        "    PARTITION BY metric, freq, period_end ORDER BY known_from DESC) AS rn"
        "  FROM fundamentals WHERE symbol = ?) WHERE rn = 1", (symbol,)).fetchall()
    return {(m, f, p): float(v) for m, f, p, v in rows}


def upsert_fundamentals(conn: sqlite3.Connection, symbol: str, frame: pd.DataFrame, *,
                        source: str, fetched_at: str) -> int:
    """Write statement figures with their ``known_from``; return the versions added.

    ``frame`` has ``metric, freq, period_end, value, currency, known_from,
    known_from_basis``. A figure equal to its latest stored version is skipped; a
    changed one is a new version known from the fetch day (never earlier: nobody could
    have known the restated figure before it was published and seen).
    """
    if frame.empty:
        return 0
    latest = _latest_versions(conn, symbol)
    fetched_day = fetched_at[:10]
    rows = []
    for r in frame.itertuples(index=False):
        period = pd.Timestamp(r.period_end).date().isoformat()
        key = (str(r.metric), str(r.freq), period)
        value = float(r.value)
        known, basis = pd.Timestamp(r.known_from).date().isoformat(), str(r.known_from_basis)
        if key in latest:
            old = latest[key]
            if abs(value - old) <= _SAME * max(abs(value), abs(old), 1.0):
                continue
            known = max(known, fetched_day)
            basis = f"restated: value changed from {old:g}, seen on {fetched_day}"
        rows.append((symbol, *key, known, value, _opt_text(r.currency), basis, source,
                     fetched_at))
    cur = conn.executemany(
        "INSERT OR REPLACE INTO fundamentals (symbol, metric, freq, period_end, known_from, "
        "value, currency, known_from_basis, source, fetched_at) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return cur.rowcount if rows else 0


def record_fundamentals_fetch(conn: sqlite3.Connection, symbol: str, fetched_at: str,
                              status: str) -> None:
    """Remember the statement fetch (and the latest stored period) of ``symbol``."""
    latest, quarterly = conn.execute(
        "SELECT max(period_end), max(freq = 'quarterly') FROM fundamentals WHERE symbol = ?",
        (symbol,)).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO fundamentals_fetches (symbol, fetched_at, status, "
        "latest_period_end, has_quarterly) VALUES (?, ?, ?, ?, ?)",
        (symbol, fetched_at, status, latest, int(bool(quarterly))))


def fundamentals_fetches(conn: sqlite3.Connection, symbols: list[str]
                         ) -> dict[str, tuple[pd.Timestamp, str, pd.Timestamp | None, bool]]:
    """``symbol -> (fetched_at, status, latest period end, has quarterly figures)``."""
    if not symbols:
        return {}
    rows = conn.execute(
        "SELECT symbol, fetched_at, status, latest_period_end, has_quarterly FROM "  # noqa: S608 - only placeholders
        f"fundamentals_fetches WHERE symbol IN ({_placeholders(len(symbols))})",
        symbols).fetchall()
    return {s: (pd.Timestamp(f), st, None if p is None else pd.Timestamp(p), bool(q))
            for s, f, st, p, q in rows}


def read_fundamentals(conn: sqlite3.Connection, symbols: list[str], asof: str | None
                      ) -> pd.DataFrame:
    """Per (symbol, metric, freq, period_end), the latest version known on ``asof``."""
    cols = list(FUNDAMENTAL_COLUMNS)
    rows: list = []
    if symbols:
        cond, params = "", list(symbols)
        if asof is not None:
            cond = " AND known_from <= ?"
            params.append(asof)
        sql = (f"SELECT {', '.join(cols)} FROM ("  # noqa: S608 - only placeholders and whitelisted names
               f"  SELECT {', '.join(cols)}, row_number() OVER (PARTITION BY symbol, metric, "
               "    freq, period_end ORDER BY known_from DESC) AS rn"
               f"  FROM fundamentals WHERE symbol IN ({_placeholders(len(symbols))}){cond}"
               ") WHERE rn = 1 ORDER BY symbol, metric, freq, period_end")
        rows = conn.execute(sql, params).fetchall()
    frame = pd.DataFrame(rows, columns=cols)
    for c in ("period_end", "known_from"):
        frame[c] = pd.to_datetime(frame[c], format="%Y-%m-%d").astype("datetime64[ns]")
    frame["value"] = pd.to_numeric(frame["value"]).astype("float64")
    frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True, format="ISO8601")
    return frame


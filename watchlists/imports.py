"""Import a user's own price or FX feed (a CSV file) into the SQLite store.

``watchlists import prices FILE.csv`` and ``watchlists import fx FILE.csv`` call
:func:`import_prices` and :func:`import_fx`; the format is described for users in
``docs/import.md``.

Rules (the same for both kinds):

* The file is UTF-8 (a BOM is allowed), comma-separated, a regular file of at most
  :data:`~watchlists._profile_loading.MAX_USER_FILE_BYTES`; the first row is the header.
  Columns may come in any order (names are matched case-insensitively, surrounding spaces
  ignored); the required ones must be there and an unknown column is an error naming the
  valid ones.
* Every row is checked, and **all** problems of the file are reported at once in one
  :class:`UserDataImportError` (``row N, field: 'value' why``; ``row N`` counts the
  header as row 1). When any row is bad, nothing is written.
* A valid file is written in **one** store transaction: all of it or none of it.
* ``source`` names the feed on every row; it is what the store records as the rows'
  provider, so ``latest_prices`` (and the report's ``price_source`` and footer) show it.
  The names the package itself uses (:data:`RESERVED_SOURCES`, e.g. ``yahoo``,
  ``bundled``) are refused: the report counts figures by source, so a user's feed must
  never pass for one of ours.

Symbols follow :func:`~watchlists.records.check_symbol` (and must be upper case, as Yahoo
writes them), currencies :func:`~watchlists.records.check_currency`, text
:func:`~watchlists.records.check_text`, dates are strict ``YYYY-MM-DD`` and never after
the day of ``now`` (UTC).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from watchlists.errors import DataFileError
from watchlists.providers import PRICE_COLUMNS
from watchlists.records import _show, check_currency, check_symbol, check_text, parse_date
from watchlists.store import Store

__all__ = [
    "IMPORT_FX_COLUMNS",
    "IMPORT_PRICE_COLUMNS",
    "IMPORT_PRICE_REQUIRED",
    "MAX_LISTED_PROBLEMS",
    "MAX_SOURCE_CHARS",
    "RESERVED_SOURCES",
    "ImportResult",
    "UserDataImportError",
    "import_fx",
    "import_prices",
]

IMPORT_PRICE_REQUIRED: tuple[str, ...] = ("symbol", "date", "close", "source")
"""Columns every price file must have."""
IMPORT_PRICE_COLUMNS: tuple[str, ...] = (
    *IMPORT_PRICE_REQUIRED, "open", "high", "low", "adj_close", "volume", "currency",
)
"""Every column a price file may have: :data:`IMPORT_PRICE_REQUIRED`, then the optional
ones (an empty optional cell is a missing value; ``adj_close`` then defaults to
``close``)."""
IMPORT_FX_COLUMNS: tuple[str, ...] = ("date", "from_ccy", "to_ccy", "rate", "source")
"""Columns of an FX file, all required: ``rate`` is ``to_ccy`` units per one
``from_ccy`` (the store's convention, :mod:`watchlists.fx`)."""

RESERVED_SOURCES: frozenset[str] = frozenset(
    {"yahoo", "bundled", "user", "unavailable", "unlisted", "store"}
)
"""Source names the package itself writes or reports (compared case-insensitively)."""
MAX_SOURCE_CHARS = 64
"""Longest accepted ``source`` name (it is printed in every report footer)."""
MAX_LISTED_PROBLEMS = 50
"""Problems listed in an error message; the rest are counted (all are in ``.problems``)."""

_PRICE_NUMBERS = ("open", "high", "low", "close", "adj_close")


class UserDataImportError(DataFileError):
    """A price or FX file cannot be imported; nothing was written.

    ``problems`` lists every problem found (``'row 7, close: '-3' must be a positive
    number'``); the message names the file and lists the first
    :data:`MAX_LISTED_PROBLEMS`.
    """

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(_message(self.path, self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problems))


def _message(path: str, problems: tuple[str, ...]) -> str:
    if len(problems) == 1:
        return f"{path}: {problems[0]}; nothing was imported"
    shown = [f"  {p}" for p in problems[:MAX_LISTED_PROBLEMS]]
    if len(problems) > MAX_LISTED_PROBLEMS:
        shown.append(f"  ... and {len(problems) - MAX_LISTED_PROBLEMS} more")
    return (f"{path}: {len(problems)} problems, nothing was imported:\n" + "\n".join(shown))


@dataclass(frozen=True)
class ImportResult:
    """What one import did.

    ``rows_read``: data rows in the file; ``rows_added``: new rows in the store;
    ``rows_updated``: existing rows whose values changed (a re-import of the same file
    adds and updates nothing); ``symbols``: the price symbols, or the FX pairs as stored
    (``'USDCNY'``); ``first_date``/``last_date``: the span of the file; ``sources``: the
    feed names the rows were recorded under; ``notes``: anything the import decided for
    the user (e.g. ``adj_close`` set to ``close``).
    """

    kind: Literal["prices", "fx"]
    path: str
    rows_read: int
    rows_added: int
    rows_updated: int
    symbols: tuple[str, ...]
    first_date: dt.date | None
    last_date: dt.date | None
    sources: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def rows_unchanged(self) -> int:
        return self.rows_read - self.rows_added - self.rows_updated

    def summary(self) -> str:
        """One line for the CLI, e.g. ``imported prices from f.csv: 3 rows read, ...``."""
        what = "symbol" if self.kind == "prices" else "pair"
        names = ", ".join(self.symbols[:10]) + (" ..." if len(self.symbols) > 10 else "")
        span = (f", {self.first_date} .. {self.last_date}" if self.first_date is not None
                else "")
        text = (f"imported {self.kind} from {self.path}: {self.rows_read} rows read, "
                f"{self.rows_added} added, {self.rows_updated} updated, "
                f"{self.rows_unchanged} unchanged; {len(self.symbols)} {what}(s) ({names})"
                f"{span}; source {', '.join(repr(s) for s in self.sources)}")
        return text + "".join(f"; {n}" for n in self.notes)


# ------------------------------------------------------------------ reading the file
def _read_rows(
    path: str | os.PathLike[str], columns: tuple[str, ...], required: tuple[str, ...]
) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """The file's name and its data rows ``[(row_number, {column: stripped text})]``.

    Raises :class:`UserDataImportError` for a file that cannot be read as UTF-8 CSV, a
    bad header or a row with the wrong number of fields (all such rows at once).
    """
    fname = str(Path(path))
    try:
        from watchlists._profile_loading import _read_user

        text, fname = _read_user(path)
    except DataFileError as exc:
        cause = exc.__cause__
        if isinstance(cause, UnicodeDecodeError):
            raise UserDataImportError(fname, [
                f"is not UTF-8 text (byte {cause.object[cause.start:cause.start + 1]!r} at "
                f"offset {cause.start}); save the file as UTF-8 CSV"]) from exc
        detail = str(exc).removeprefix(f"{fname}: ")
        raise UserDataImportError(fname, [detail]) from exc
    if "\x00" in text:
        raise UserDataImportError(fname, ["contains NUL bytes: it is not a CSV text file"])
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    try:
        for n, rec in enumerate(reader, start=1):
            records.append((n, rec))
    except csv.Error as exc:
        raise UserDataImportError(
            fname, [f"row {len(records) + 1}: not readable as CSV ({exc})"]) from exc
    while records and not any(c.strip() for c in records[0][1]):
        records.pop(0)  # blank lines before the header
    if not records:
        raise UserDataImportError(
            fname, [f"is empty: expected a header row with {', '.join(required)}"])
    header_n, raw_header = records[0]
    header = [h.strip().lower() for h in raw_header]
    problems = _header_problems(header_n, raw_header, header, columns, required)
    if problems:
        raise UserDataImportError(fname, problems)
    rows: list[tuple[int, dict[str, str]]] = []
    for n, rec in records[1:]:
        if not rec or (len(rec) == 1 and not rec[0].strip()):
            continue  # a blank line
        if len(rec) != len(header):
            problems.append(f"row {n}: has {len(rec)} fields, the header has {len(header)}")
            continue
        rows.append((n, {h: v.strip() for h, v in zip(header, rec, strict=True)}))
    if problems:
        raise UserDataImportError(fname, problems)
    if not rows and not problems:
        raise UserDataImportError(fname, ["has a header but no data rows; nothing to import"])
    return fname, rows


def _header_problems(n: int, raw: list[str], header: list[str], columns: tuple[str, ...],
                     required: tuple[str, ...]) -> list[str]:
    where = f"row {n} (header)"
    valid = ", ".join(columns)
    if len(header) == 1 and any(sep in raw[0] for sep in ("\t", ";", "|")):
        return [f"{where}: {_show(raw[0])} is one column; the file must be comma-separated "
                f"with the columns {valid}"]
    problems = []
    unknown = [r for r, h in zip(raw, header, strict=True) if h not in columns]
    if unknown:
        shown = ", ".join(_show(u) for u in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        problems.append(f"{where}: unknown column(s) {shown}; valid columns are {valid}")
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(f"{where}: missing required column(s) {', '.join(missing)} "
                        f"(required: {', '.join(required)})")
    repeated = sorted(h for h, k in Counter(header).items() if k > 1 and h in columns)
    if repeated:
        problems.append(f"{where}: column(s) {', '.join(repeated)} appear more than once")
    return problems


# ------------------------------------------------------------------ checking a row
class _Row:
    """Collects the problems of one row; each check returns the value or ``None``."""

    def __init__(self, n: int, cells: Mapping[str, str], problems: list[str]) -> None:
        self.n, self.cells, self.problems = n, cells, problems
        self.start = len(problems)

    @property
    def ok(self) -> bool:
        return len(self.problems) == self.start

    def bad(self, column: str, value: object, why: str) -> None:
        self.problems.append(f"row {self.n}, {column}: {_show(value)} {why}")

    def missing(self, column: str) -> None:
        self.problems.append(f"row {self.n}, {column}: is empty; every row needs a {column}")

    def rule(self, column: str, check: Callable[[str, str], str]) -> str | None:
        """Apply one of the package's rules (``check(field, value)`` raising ValueError)."""
        text = self.cells.get(column, "")
        if not text:
            self.missing(column)
            return None
        try:
            return check(column, text)
        except ValueError as exc:
            msg = str(exc)
            self.problems.append(f"row {self.n}, {column}: {msg.removeprefix(column + ' ')}")
            return None

    def date(self, column: str, today: dt.date) -> dt.date | None:
        day = self.rule(column, parse_date)  # type: ignore[arg-type]
        if day is not None and day > today:  # type: ignore[operator]
            self.bad(column, self.cells[column],
                     f"is after today ({today}, UTC): nothing can be dated in the future")
            return None
        return day  # type: ignore[return-value]

    def number(self, column: str, *, required: bool, positive: bool = True) -> float | None:
        """A finite number (> 0, or >= 0 when not ``positive``); ``None`` if bad or empty
        (an empty required cell is a problem)."""
        text = self.cells.get(column, "")
        if not text:
            if required:
                self.missing(column)
            return None
        try:
            value = float(text)
        except ValueError:
            self.bad(column, text, "is not a number")
            return None
        if not math.isfinite(value):
            self.bad(column, text, "must be a finite number")
        elif positive and value <= 0:
            self.bad(column, text, "must be a positive number")
        elif value < 0:
            self.bad(column, text, "must be a number >= 0")
        else:
            return value
        return None

    def source(self) -> str | None:
        name = self.rule("source", check_text)
        if name is None:
            return None
        if len(name) > MAX_SOURCE_CHARS:
            self.bad("source", name, f"is longer than {MAX_SOURCE_CHARS} characters")
        elif name.casefold() in RESERVED_SOURCES:
            self.bad("source", name,
                     f"is reserved ({', '.join(sorted(RESERVED_SOURCES))} name the package's "
                     "own data); name your feed, e.g. 'my-broker-eod'")
        else:
            return name
        return None


def _utc_day(now: dt.datetime | None) -> tuple[dt.datetime, dt.date]:
    if now is None:
        now = dt.datetime.now(dt.UTC)
    if not isinstance(now, dt.datetime):
        raise TypeError(f"now must be a datetime, got {type(now).__name__}: {now!r}")
    now = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    return now, now.date()


def _symbol(row: _Row) -> str | None:
    sym = row.rule("symbol", check_symbol)
    if sym is None:
        return None
    if sym != sym.upper():
        row.bad("symbol", sym, f"must be in upper case, as Yahoo writes it ({sym.upper()!r})")
        return None
    if sym.endswith("=X"):
        row.bad("symbol", sym, "is an FX pair: import FX rates with `watchlists import fx` "
                "(columns date, from_ccy, to_ccy, rate, source)")
        return None
    return sym


def _listing_currency(symbol: str, cache: dict[str, str | None]) -> str | None:
    """The trading currency of a known listing (bundled or user data), else ``None``."""
    if symbol not in cache:
        from watchlists import profiles

        try:
            cache[symbol] = profiles.listing(symbol)[1].currency
        except KeyError:
            cache[symbol] = None
    return cache[symbol]


# ------------------------------------------------------------------ prices
def import_prices(
    path: str | os.PathLike[str], *, store: Store, now: dt.datetime | None = None
) -> ImportResult:
    """Import a price CSV (:data:`IMPORT_PRICE_COLUMNS`) into ``store``: all rows or none.

    Each row's ``source`` becomes the provider the store records for it (a file with
    several sources is written group by group, still in one transaction); ``fetched_at``
    is ``now`` (default: the clock). Existing rows of the same symbol and date are
    replaced when their values differ. Raises :class:`UserDataImportError` listing every
    problem of the file; nothing is written then.
    """
    now_utc, today = _utc_day(now)
    fname, rows = _read_rows(path, IMPORT_PRICE_COLUMNS, IMPORT_PRICE_REQUIRED)
    problems: list[str] = []
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, dt.date], int] = {}
    currency_of: dict[str, tuple[str, int]] = {}  # symbol -> (currency, first row)
    listings: dict[str, str | None] = {}
    defaulted = 0
    for n, cells in rows:
        row = _Row(n, cells, problems)
        sym = _symbol(row)
        day = row.date("date", today)
        values = {c: row.number(c, required=c == "close") for c in _PRICE_NUMBERS}
        volume = row.number("volume", required=False, positive=False)
        high, low = values["high"], values["low"]
        if high is not None and low is not None and high < low:
            row.bad("high", cells["high"], f"is below low {_show(cells['low'])}")
        source = row.source()
        currency = None
        if cells.get("currency"):
            currency = row.rule("currency", check_currency)
        if currency is not None and sym is not None:
            trading = _listing_currency(sym, listings)
            first = currency_of.setdefault(sym, (currency, n))
            if trading is not None and currency != trading:
                row.bad("currency", currency, f"does not match listing {sym} trading currency "
                        f"{trading!r}; convert the prices or fix the symbol")
            elif first[0] != currency:
                row.bad("currency", currency,
                        f"differs from {first[0]!r} given for {sym} in row {first[1]}")
        if sym is not None and day is not None:
            earlier = seen.setdefault((sym, day), n)
            if earlier != n:
                row.bad("date", cells["date"], f"duplicates row {earlier} (same symbol "
                        f"{sym} and date)")
        if not row.ok:
            continue
        if values["adj_close"] is None:
            values["adj_close"] = values["close"]
            defaulted += 1
        numbers = {c: math.nan if v is None else v for c, v in values.items()}
        records.append({"symbol": sym, "date": day, **numbers,
                        "volume": math.nan if volume is None else volume, "source": source})
    # A symbol with no listing of ours may have a profile a refresh stored: its trading
    # currency binds the file too. One without either gets its currency from the file.
    bare = [sym for sym in currency_of if listings.get(sym) is None]
    stored = {str(r.symbol).upper(): r.currency for r in store.read_profiles(bare).itertuples()}
    for sym in bare:
        currency, n = currency_of[sym]
        known = stored.get(sym)
        if isinstance(known, str) and known != currency:
            problems.append(f"row {n}, currency: {currency!r} does not match {sym}'s trading "
                            f"currency {known!r} in its stored profile; convert the prices or "
                            "fix the symbol")
    if problems:
        raise UserDataImportError(fname, problems)

    frame = pd.DataFrame(records)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    sources = tuple(dict.fromkeys(frame["source"]))
    # One transaction for the whole file, each row under its own source.
    added, updated = store.merge_prices(frame[[*PRICE_COLUMNS, "source"]], source=None,
                                        fetched_at=now_utc)
    new_profiles = [sym for sym in bare if sym not in stored]
    for sym in new_profiles:
        from watchlists.providers import ProfileData

        feed = str(frame.loc[frame["symbol"] == sym, "source"].iloc[0])
        store.upsert_profile(ProfileData(symbol=sym, status="ok", fetched_at=now_utc,
                                         provider=feed, currency=currency_of[sym][0]))
    notes = []
    if new_profiles:
        notes.append(f"trading currency recorded for {', '.join(new_profiles)} (no profile "
                     "yet; a refresh online adds Yahoo's)")
    if defaulted:
        notes.append(f"adj_close was not given for {defaulted} row(s) and was set to close "
                     "(no split or dividend adjustment)")
    return ImportResult(
        kind="prices", path=fname, rows_read=len(rows), rows_added=added,
        rows_updated=updated, symbols=tuple(sorted(set(frame["symbol"]))),
        first_date=frame["date"].min().date(), last_date=frame["date"].max().date(),
        sources=sources, notes=tuple(notes),
    )


# ------------------------------------------------------------------ fx
def import_fx(
    path: str | os.PathLike[str], *, store: Store, now: dt.datetime | None = None
) -> ImportResult:
    """Import an FX CSV (:data:`IMPORT_FX_COLUMNS`) into ``store``: all rows or none.

    A row gives ``rate`` units of ``to_ccy`` per one ``from_ccy`` on ``date``; it is
    stored as the pair ``from_ccy + to_ccy`` (``'USDCNY'``, Yahoo's ``CNY=X``) with the
    row's ``source``, replacing a stored rate of the same pair and date. Raises
    :class:`UserDataImportError` listing every problem of the file; nothing is written.
    """
    _, today = _utc_day(now)
    fname, rows = _read_rows(path, IMPORT_FX_COLUMNS, IMPORT_FX_COLUMNS)
    problems: list[str] = []
    records: list[dict[str, Any]] = []
    seen: dict[tuple[dt.date, str], int] = {}
    for n, cells in rows:
        row = _Row(n, cells, problems)
        day = row.date("date", today)
        f = row.rule("from_ccy", check_currency)
        t = row.rule("to_ccy", check_currency)
        if f is not None and f == t:
            row.bad("to_ccy", t, "must differ from from_ccy (a rate needs two currencies)")
        rate = row.number("rate", required=True)
        source = row.source()
        if day is not None and f is not None and t is not None and f != t:
            earlier = seen.setdefault((day, f + t), n)
            if earlier != n:
                row.bad("date", cells["date"],
                        f"duplicates row {earlier} (same pair {f}->{t} and date)")
        if row.ok:
            records.append({"pair": f"{f}{t}", "from_ccy": f, "to_ccy": t, "date": day,
                            "rate": rate, "source": source})
    if problems:
        raise UserDataImportError(fname, problems)

    frame = pd.DataFrame(records)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    pairs = sorted(set(frame["pair"]))
    before = store.read_fx(pairs)
    stored = {(p, d): (r, s) for p, d, r, s in
              zip(before["pair"], before["date"], before["rate"], before["source"])}
    added = updated = 0
    for p, d, r, s in zip(frame["pair"], frame["date"], frame["rate"], frame["source"]):
        old = stored.get((p, d))
        if old is None:
            added += 1
        elif old != (r, s):
            updated += 1
    store.upsert_fx(frame[["from_ccy", "to_ccy", "date", "rate", "source"]])
    return ImportResult(
        kind="fx", path=fname, rows_read=len(rows), rows_added=added, rows_updated=updated,
        symbols=tuple(pairs), first_date=frame["date"].min().date(),
        last_date=frame["date"].max().date(), sources=tuple(dict.fromkeys(frame["source"])),
    )


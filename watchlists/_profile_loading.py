"""Parsing and validation of the reference-data files (internal to :mod:`watchlists.profiles`).

Holds the column layouts, the CSV/TOML parsers turning ``companies.toml``,
``targets.csv``, ``facts.csv`` and ``reference_quotes.csv`` text into records (and
the bundled ``fx_reference.csv`` into :class:`~watchlists.records.FxRate`), the
company index (:class:`_Universe`) and the per-kind validation rules shared by the
bundled and user files. Nothing here caches or decides where user data lives;
see :mod:`watchlists._user_data` for that. In error messages, ``row N`` counts the
header as row 1.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from watchlists.errors import DataFileError
from watchlists.records import (
    AnalystTarget,
    Company,
    Fact,
    FxRate,
    Listing,
    ReferenceQuote,
    parse_date,
    toml_shape_problem,
)

COMPANY_COLUMNS = (
    "company",
    "name",
    "local_name",
    "country",
    "role",
    "symbol",
    "exchange",
    "board",
    "currency",
    "primary",
    "shares_per_unit",
)
TARGET_COLUMNS = (
    "company",
    "symbol",
    "broker",
    "rating",
    "kind",
    "target",
    "min_upside",
    "reference",
    "currency",
    "published",
    "previous_target",
    "source_url",
    "date_unknown",
    "confidence",
    "note",
)
FACT_COLUMNS = (
    "company",
    "metric",
    "value",
    "unit",
    "currency",
    "period",
    "asof",
    "source_url",
    "confidence",
    "note",
)
QUOTE_COLUMNS = ("symbol", "date", "kind", "value", "currency", "source_url", "confidence", "note")
FX_COLUMNS = ("date", "from_ccy", "to_ccy", "rate", "source_url", "note")

_PathLike = str | PathLike[str]
R = TypeVar("R")


# ------------------------------------------------------------------ parsing
# Converters of one CSV cell, already stripped: ``(column, text) -> value``. A column
# without one keeps its text.
_Convert = Callable[[str, str], Any]


def _opt(field: str, text: str) -> str | None:
    return text or None


def _float(field: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{field} {text!r} is not a number") from None


def _opt_float(field: str, text: str) -> float | None:
    return _float(field, text) if text else None


def _bool(field: str, text: str) -> bool:
    value = text.lower()
    if value in {"true", "yes", "1"}:
        return True
    if value in {"false", "no", "0", ""}:
        return False
    raise ValueError(f"{field} {text!r} is not true or false")


def _opt_date(field: str, text: str) -> date | None:
    return parse_date(field, text) if text else None


_TARGET_CONVERT: Mapping[str, _Convert] = MappingProxyType({
    "rating": _opt, "target": _opt_float, "min_upside": _opt_float, "reference": _opt,
    "published": _opt_date, "date_unknown": _bool, "previous_target": _opt_float,
})  # fmt: skip
_FACT_CONVERT: Mapping[str, _Convert] = MappingProxyType(
    {"value": _float, "currency": _opt, "asof": parse_date}
)
_QUOTE_CONVERT: Mapping[str, _Convert] = MappingProxyType({"date": parse_date, "value": _float})
_FX_CONVERT: Mapping[str, _Convert] = MappingProxyType({"date": parse_date, "rate": _float})


def _row_id(row: Mapping[str, str], *keys: str) -> str:
    return "/".join((row.get(k) or "?").strip() for k in keys)


def _read_csv(
    text: str,
    fname: str,
    columns: tuple[str, ...],
    parse: Callable[[Mapping[str, str]], R],
    id_keys: tuple[str, ...],
) -> list[tuple[int, str, R]]:
    """Parse CSV text into records: ``[(row_number, record_id, record), ...]``; every bad
    row of the file is reported in one :class:`DataFileError`."""
    out, problems = _read_rows(text, fname, columns, parse, id_keys)
    raise_all(fname, [p for _, p in problems])
    return out


def _read_rows(
    text: str,
    fname: str,
    columns: tuple[str, ...],
    parse: Callable[[Mapping[str, str]], R],
    id_keys: tuple[str, ...],
) -> tuple[list[tuple[int, str, R]], list[tuple[int, str]]]:
    """The records that parse, and ``(row_number, problem)`` for the rows that do not
    (a bad header raises at once: no row can be read then)."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    missing = [c for c in columns if c not in header]
    extra = [c for c in header if c not in columns]
    if missing or extra:
        raise DataFileError(
            f"{fname} row 1 (header): columns must be {', '.join(columns)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unknown {extra}" if extra else "")
        )
    out: list[tuple[int, str, R]] = []
    problems: list[tuple[int, str]] = []
    for n, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            problems.append((n, f"{fname} row {n}: expected {len(columns)} fields"))
            continue
        rid = _row_id(row, *id_keys)
        try:
            out.append((n, rid, parse(row)))
        except ValueError as exc:
            problems.append((n, f"{fname} row {n} ({rid}): {exc}"))
    return out, problems


MAX_LISTED_PROBLEMS = 50
"""A data file with more problems than this lists the first ones and counts the rest."""


def raise_all(fname: str, problems: list[str]) -> None:
    """One :class:`DataFileError` for every problem of a file, so a user fixes them in
    one pass; its ``problems`` attribute holds them all. Nothing when there are none."""
    if not problems:
        return
    if len(problems) == 1:
        message = problems[0]
    else:
        shown = problems[:MAX_LISTED_PROBLEMS]
        more = len(problems) - len(shown)
        message = (f"{fname}: {len(problems)} problems (fix them all, then reload):\n"
                   + "\n".join(f"  {p}" for p in shown)
                   + (f"\n  ... and {more} more" if more else ""))
    error = DataFileError(message)
    error.problems = tuple(problems)  # type: ignore[attr-defined]
    raise error


# ------------------------------------------------------------------ companies
_LISTING_FIELDS = frozenset(
    {"symbol", "exchange", "board", "currency", "primary", "shares_per_unit", "isin", "source_url"}
)
_LISTING_REQUIRED = ("symbol", "currency")
_COMPANY_FIELDS = frozenset(
    {"slug", "name", "legal_name", "local_name", "country", "role", "aliases", "description",
     "source_url", "listing"}
)  # fmt: skip
_COMPANY_REQUIRED = ("slug", "name", "country")


def _check_fields(raw: Mapping[str, Any], known: frozenset[str], required: tuple[str, ...]) -> None:
    """Raise ``ValueError`` for a TOML table with an unknown or a missing field."""
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown field(s) {unknown}")
    for req in required:
        if req not in raw:
            raise ValueError(f"field {req!r} is missing")


def _listing_from_toml(raw: Mapping[str, Any], *, only: bool) -> Listing:
    """One ``[[companies.listing]]`` table. ``exchange`` defaults to the symbol's suffix
    (:func:`watchlists.exchanges.for_symbol`), ``board`` to ``'main'`` and ``primary`` to
    true for a company's only listing."""
    from watchlists.exchanges import for_symbol

    _check_fields(raw, _LISTING_FIELDS, _LISTING_REQUIRED)
    spu = raw.get("shares_per_unit", 1.0)
    exchange = raw.get("exchange")
    if exchange is None:
        found = for_symbol(raw["symbol"]) if isinstance(raw["symbol"], str) else None
        if found is None:
            raise ValueError(f"field 'exchange' is missing and the suffix of "
                             f"{raw['symbol']!r} names no exchange we know")
        exchange = found.code
    if "primary" not in raw and not only:
        raise ValueError("field 'primary' is missing (a company with several listings must "
                         "say which one is primary)")
    return Listing(
        symbol=raw["symbol"],
        exchange=exchange,
        board=raw.get("board", "main"),
        currency=raw["currency"],
        primary=raw.get("primary", True),
        shares_per_unit=float(spu) if isinstance(spu, int) and not isinstance(spu, bool) else spu,
        isin=raw.get("isin"),
        source_url=raw.get("source_url"),
    )


def _company_from_toml(raw: Mapping[str, Any]) -> Company:
    _check_fields(raw, _COMPANY_FIELDS, _COMPANY_REQUIRED)
    listings = []
    raw_listings = raw.get("listing", [])
    for lst in raw_listings:
        sym = lst.get("symbol", "?") if isinstance(lst, Mapping) else "?"
        try:
            listings.append(_listing_from_toml(lst, only=len(raw_listings) == 1))
        except ValueError as exc:
            raise ValueError(f"listing {sym}: {exc}") from exc
    return Company(
        slug=raw["slug"],
        name=raw["name"],
        legal_name=raw.get("legal_name", raw["name"]),
        local_name=raw.get("local_name", ""),
        country=raw["country"],
        role=raw.get("role"),
        listings=tuple(listings),
        description=raw.get("description", ""),
        aliases=tuple(raw.get("aliases", ())),
        source_url=raw.get("source_url"),
    )


def _parse_companies(text: str, fname: str, *, allow_empty: bool = False) -> tuple[Company, ...]:
    problem = toml_shape_problem(text)
    if problem is not None:
        raise DataFileError(f"{fname}: {problem}")
    import tomllib  # here, not at module level: ``import watchlists`` need not load it

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(f"{fname}: invalid TOML: {exc}") from exc
    if allow_empty and "company" not in doc:
        return ()  # e.g. a user file whose companies are all commented out
    raws = doc.get("company")
    if not isinstance(raws, list) or not raws or not all(isinstance(r, dict) for r in raws):
        raise DataFileError(f"{fname}: expected one or more [[company]] tables")
    out: list[Company] = []
    slugs: dict[str, int] = {}
    symbols: dict[str, str] = {}
    keys: dict[str, str] = {}
    problems: list[str] = []
    for i, raw in enumerate(raws, start=1):
        slug = str(raw.get("slug", "?"))
        where = f"{fname} company {i} ({slug})"
        try:
            comp = _company_from_toml(raw)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if comp.slug in slugs:
            problems.append(f"{where}: slug {comp.slug!r} duplicates company {slugs[comp.slug]}")
            continue
        slugs[comp.slug] = i
        clash = False
        for sym in comp.symbols:
            if sym in symbols:
                problems.append(
                    f"{where}: listing symbol {sym!r} is already a listing of {symbols[sym]!r}")
                clash = True
            symbols.setdefault(sym, comp.slug)
        for key in sorted(_keys_of(comp)):
            other = keys.setdefault(_fold(key), comp.slug)
            if other != comp.slug:
                problems.append(f"{where}: name or alias {key!r} also names {other!r}")
                clash = True
        if not clash:
            out.append(comp)
    raise_all(fname, problems)
    return tuple(out)


def _fold(key: str) -> str:
    """The form in which two names or aliases are compared for collisions: NFKC
    (fullwidth ``Ｃ`` is ``C``), casefolded, combining marks dropped (dotted ``İ`` and
    ``I`` alike), so a homoglyph cannot pose as another company."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", key).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", text).casefold()


def _keys_of(comp: Company) -> set[str]:
    keys = {comp.slug, comp.name, comp.legal_name, *comp.aliases, *comp.symbols}
    if comp.local_name:
        keys.add(comp.local_name)
    return keys


# ------------------------------------------------------------------ cross-checks
@dataclass(frozen=True)
class _Universe:
    companies: tuple[Company, ...]
    by_slug: Mapping[str, Company]
    by_key: Mapping[str, str]  # casefolded key -> slug
    by_symbol: Mapping[str, tuple[Company, Listing]]
    n_bundled: int  # companies[:n_bundled] are bundled, the rest come from user data

    @classmethod
    def build(cls, comps: tuple[Company, ...], n_bundled: int | None = None) -> _Universe:
        by_key = {k.casefold(): c.slug for c in comps for k in _keys_of(c)}
        by_symbol = {x.symbol: (c, x) for c in comps for x in c.listings}
        return cls(
            comps,
            MappingProxyType({c.slug: c for c in comps}),
            MappingProxyType(by_key),
            MappingProxyType(by_symbol),
            len(comps) if n_bundled is None else n_bundled,
        )


def _suggest(key: str, options: Iterable[str], to: Mapping[str, str] | None = None) -> str:
    """Up to three closest ``options`` to ``key``, mapped through ``to`` and de-duplicated."""
    import difflib  # error paths only

    lookup = {o.casefold(): o for o in options}
    close = difflib.get_close_matches(key.casefold(), list(lookup), n=6, cutoff=0.6)
    names = [to[c] if to is not None else lookup[c] for c in close]
    return ", ".join(list(dict.fromkeys(names))[:3])


def _known_company(u: _Universe, slug: str) -> Company:
    comp = u.by_slug.get(slug)
    if comp is None:
        hint = _suggest(slug, u.by_slug)
        raise ValueError(
            f"company {slug!r} is not a known company slug"
            + (f"; did you mean: {hint}?" if hint else "")
        )
    return comp


def _check_company_symbol(u: _Universe, company_slug: str, symbol: str) -> Listing:
    comp = _known_company(u, company_slug)
    for lst in comp.listings:
        if lst.symbol == symbol:
            return lst
    raise ValueError(
        f"symbol {symbol!r} is not a listing of {company_slug!r} "
        f"(listings: {', '.join(comp.symbols) or 'none, unlisted'})"
    )


def _check_trading_currency(currency: str, lst: Listing) -> None:
    """A price in ``currency`` must be in the trading currency of listing ``lst``."""
    if currency != lst.currency:
        raise ValueError(
            f"currency {currency!r} does not match listing {lst.symbol} "
            f"trading currency {lst.currency!r}"
        )


_Seen = dict[tuple[Any, ...], int]  # duplicate key -> row number


@dataclass(frozen=True)
class _Prior:
    """The bundled records' duplicate keys, to reject user rows that repeat them."""

    fname: str
    rows: Mapping[tuple[Any, ...], int]


def _check_duplicate(
    key: tuple[Any, ...], n: int, seen: _Seen, prior: _Prior | None, same: str = ""
) -> None:
    """Raise if ``key`` repeats an earlier row of this file or a bundled record."""
    if key in seen:
        raise ValueError(f"duplicates row {seen[key]}{same}")
    if prior is not None and key in prior.rows:
        raise ValueError(
            f"duplicates row {prior.rows[key]} of the bundled {prior.fname}{same}; "
            "user data can add records but not repeat or replace bundled ones"
        )
    seen[key] = n


def _check_target(u: _Universe, t: AnalystTarget) -> None:
    _check_trading_currency(t.currency, _check_company_symbol(u, t.company, t.symbol))


def _check_fact(u: _Universe, f: Fact) -> None:
    _known_company(u, f.company)


def _check_quote(u: _Universe, q: ReferenceQuote) -> None:
    hit = u.by_symbol.get(q.symbol)
    if hit is None:
        hint = _suggest(q.symbol, u.by_symbol)
        raise ValueError(
            f"symbol {q.symbol!r} is not a listing of any known company"
            + (f"; did you mean: {hint}?" if hint else "")
        )
    _check_trading_currency(q.currency, hit[1])


@dataclass(frozen=True)
class _Kind:
    """How one CSV kind is read and validated (same rules for bundled and user files)."""

    fname: str
    record: type  # AnalystTarget, Fact or ReferenceQuote: one field per column
    columns: tuple[str, ...]
    convert: Mapping[str, _Convert]  # column -> converter of its stripped text
    id_keys: tuple[str, ...]  # the columns naming a row in error messages
    check: Callable[[_Universe, Any], None]  # cross-checks against the companies
    key: Callable[[Any], tuple[Any, ...]]  # what two records may not share
    same: str = ""  # that key in words, for the duplicate message

    def parse(self, row: Mapping[str, str]) -> Any:
        """The record of one CSV row (``ValueError`` naming the field if it is invalid)."""
        values = {}
        for column in self.columns:
            text = row[column].strip()
            convert = self.convert.get(column)
            values[column] = text if convert is None else convert(column, text)
        return self.record(**values)

    def load(
        self, u: _Universe, text: str, fname: str, prior: _Prior | None = None
    ) -> tuple[tuple[Any, ...], _Seen]:
        """The validated records of CSV ``text`` and their duplicate keys (row numbers)."""
        rows, problems = _read_rows(text, fname, self.columns, self.parse, self.id_keys)
        seen: _Seen = {}
        for n, rid, rec in rows:
            try:
                self.check(u, rec)
                _check_duplicate(self.key(rec), n, seen, prior, self.same)
            except ValueError as exc:
                problems.append((n, f"{fname} row {n} ({rid}): {exc}"))
        raise_all(fname, [p for _, p in sorted(problems, key=lambda x: x[0])])
        return tuple(rec for _, _, rec in rows), seen


_KINDS: Mapping[str, _Kind] = MappingProxyType(
    {
        "targets": _Kind(
            "targets.csv", AnalystTarget, TARGET_COLUMNS, _TARGET_CONVERT, ("company", "broker"),
            _check_target,
            attrgetter("company", "symbol", "broker", "kind", "target", "min_upside",
                       "published"),
        ),
        "facts": _Kind(
            "facts.csv", Fact, FACT_COLUMNS, _FACT_CONVERT, ("company", "metric", "period"),
            _check_fact, attrgetter("company", "metric", "period", "asof"),
            " (same metric, period and asof)",
        ),
        "quotes": _Kind(
            "reference_quotes.csv", ReferenceQuote, QUOTE_COLUMNS, _QUOTE_CONVERT,
            ("symbol", "kind", "date"), _check_quote, attrgetter("symbol", "kind", "date"),
            " (same symbol, kind and date)",
        ),
    }
)  # fmt: skip


def _parse_fx_row(row: Mapping[str, str]) -> FxRate:
    values = {}
    for column in FX_COLUMNS:
        text = row[column].strip()
        convert = _FX_CONVERT.get(column)
        values[column] = text if convert is None else convert(column, text)
    return FxRate(**values)


def _parse_fx_reference(text: str, fname: str) -> tuple[FxRate, ...]:
    """The validated :class:`FxRate` records of ``fx_reference.csv`` text.

    Same rules as the other CSV kinds: the exact header, one record per row (``row N``
    counts the header as row 1), and no two rows for the same pair and date.
    """
    rows = _read_csv(text, fname, FX_COLUMNS, _parse_fx_row, ("from_ccy", "to_ccy", "date"))
    seen: _Seen = {}
    for n, rid, rec in rows:
        try:
            _check_duplicate((rec.date, rec.from_ccy, rec.to_ccy), n, seen, None,
                             " (same pair and date)")
        except ValueError as exc:
            raise DataFileError(f"{fname} row {n} ({rid}): {exc}") from exc
    return tuple(rec for _, _, rec in rows)


MAX_USER_FILE_BYTES = 16 << 20
"""Largest accepted user data file (16 MiB)."""


def _read_user(path: _PathLike) -> tuple[str, str]:
    """The text of a user data file: only a regular file is read (a FIFO, device or
    socket is refused without blocking), at most :data:`MAX_USER_FILE_BYTES`."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO cannot block
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise DataFileError(
                f"{p}: cannot read: not a regular file (a FIFO, device or folder)"
            )
        with os.fdopen(fd, "rb") as handle:
            if st.st_size > MAX_USER_FILE_BYTES:
                raise DataFileError(
                    f"{p}: file too large ({st.st_size} bytes; at most {MAX_USER_FILE_BYTES})"
                )
            data = handle.read(MAX_USER_FILE_BYTES + 1)
        if len(data) > MAX_USER_FILE_BYTES:
            raise DataFileError(f"{p}: file too large (more than {MAX_USER_FILE_BYTES} bytes)")
        return data.decode("utf-8-sig"), str(p)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{p}: cannot read: {exc}") from exc

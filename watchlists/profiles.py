"""Company profiles and sourced reference data: loading, validation and queries.

The bundled data lives in ``watchlists/data`` (``companies.toml``, ``targets.csv``,
``facts.csv``, ``reference_quotes.csv``) and is loaded once, validated, and kept as
immutable tuples. Every DataFrame returned here is a fresh copy.

Conventions:

* ``company`` arguments accept any key :func:`company` accepts (slug, name, legal
  or local name, alias or symbol; case-insensitive).
* Money is in base units of ``currency`` (CNY, HKD, USD, ...), share counts in
  ordinary shares, percentages in percent; see :mod:`watchlists.records`.
* Dates in DataFrames are ``datetime64`` columns; an unknown ``published`` date is
  ``NaT`` with ``date_unknown=True``. Record-level functions return ``datetime.date``.
* ``asof`` is a ``datetime.date`` (or anything :func:`pandas.Timestamp` accepts);
  "known on or before asof" compares with :attr:`Fact.asof`.
* In error messages, ``row N`` counts the header as row 1 (the spreadsheet row).
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import pandas as pd

from watchlists.errors import DataFileError
from watchlists.records import (
    AnalystTarget,
    Company,
    Fact,
    Listing,
    ReferenceQuote,
    parse_date,
    period_bounds,
)

__all__ = [
    "companies",
    "company",
    "company_records",
    "fact_records",
    "facts",
    "latest_fact",
    "listing",
    "load_facts",
    "load_reference_quotes",
    "load_targets",
    "quote_records",
    "reference_quotes",
    "target_records",
    "targets",
    "ttm_revenue",
]

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

_PathLike = str | PathLike[str]
R = TypeVar("R")


# ------------------------------------------------------------------ parsing
def _opt(text: str) -> str | None:
    text = text.strip()
    return text or None


def _float(field: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{field} {text!r} is not a number") from None


def _opt_float(field: str, text: str) -> float | None:
    return None if not text.strip() else _float(field, text.strip())


def _bool(field: str, text: str) -> bool:
    value = text.strip().lower()
    if value in {"true", "yes", "1"}:
        return True
    if value in {"false", "no", "0", ""}:
        return False
    raise ValueError(f"{field} {text!r} is not true or false")


def _opt_date(field: str, text: str) -> date | None:
    return None if not text.strip() else parse_date(field, text.strip())


def _parse_target(row: Mapping[str, str]) -> AnalystTarget:
    return AnalystTarget(
        company=row["company"].strip(),
        symbol=row["symbol"].strip(),
        broker=row["broker"].strip(),
        rating=_opt(row["rating"]),
        kind=row["kind"].strip(),  # type: ignore[arg-type]
        target=_opt_float("target", row["target"]),
        min_upside=_opt_float("min_upside", row["min_upside"]),
        reference=_opt(row["reference"]),  # type: ignore[arg-type]
        currency=row["currency"].strip(),
        published=_opt_date("published", row["published"]),
        date_unknown=_bool("date_unknown", row["date_unknown"]),
        previous_target=_opt_float("previous_target", row["previous_target"]),
        source_url=row["source_url"].strip(),
        confidence=row["confidence"].strip(),  # type: ignore[arg-type]
        note=row["note"].strip(),
    )


def _parse_fact(row: Mapping[str, str]) -> Fact:
    return Fact(
        company=row["company"].strip(),
        metric=row["metric"].strip(),
        value=_float("value", row["value"].strip()),
        unit=row["unit"].strip(),
        currency=_opt(row["currency"]),
        period=row["period"].strip(),
        asof=parse_date("asof", row["asof"].strip()),
        source_url=row["source_url"].strip(),
        confidence=row["confidence"].strip(),  # type: ignore[arg-type]
        note=row["note"].strip(),
    )


def _parse_quote(row: Mapping[str, str]) -> ReferenceQuote:
    return ReferenceQuote(
        symbol=row["symbol"].strip(),
        date=parse_date("date", row["date"].strip()),
        kind=row["kind"].strip(),
        value=_float("value", row["value"].strip()),
        currency=row["currency"].strip(),
        source_url=row["source_url"].strip(),
        confidence=row["confidence"].strip(),  # type: ignore[arg-type]
        note=row["note"].strip(),
    )


def _row_id(row: Mapping[str, str], *keys: str) -> str:
    return "/".join((row.get(k) or "?").strip() for k in keys)


def _read_csv(
    text: str,
    fname: str,
    columns: tuple[str, ...],
    parse: Callable[[Mapping[str, str]], R],
    id_keys: tuple[str, ...],
) -> list[tuple[int, str, R]]:
    """Parse CSV text into records: ``[(row_number, record_id, record), ...]``."""
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
    for n, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            raise DataFileError(f"{fname} row {n}: expected {len(columns)} fields")
        rid = _row_id(row, *id_keys)
        try:
            out.append((n, rid, parse(row)))
        except ValueError as exc:
            raise DataFileError(f"{fname} row {n} ({rid}): {exc}") from exc
    return out


# ------------------------------------------------------------------ companies
def _listing_from_toml(raw: Mapping[str, Any]) -> Listing:
    known = {
        "symbol",
        "exchange",
        "board",
        "currency",
        "primary",
        "shares_per_unit",
        "isin",
        "source_url",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"listing has unknown field(s) {unknown}")
    for req in ("symbol", "exchange", "board", "currency", "primary"):
        if req not in raw:
            raise ValueError(f"listing field {req!r} is missing")
    spu = raw.get("shares_per_unit", 1.0)
    return Listing(
        symbol=raw["symbol"],
        exchange=raw["exchange"],
        board=raw["board"],
        currency=raw["currency"],
        primary=raw["primary"],
        shares_per_unit=float(spu) if isinstance(spu, int) and not isinstance(spu, bool) else spu,
        isin=raw.get("isin"),
        source_url=raw.get("source_url"),
    )


def _company_from_toml(raw: Mapping[str, Any]) -> Company:
    known = {
        "slug",
        "name",
        "legal_name",
        "local_name",
        "country",
        "role",
        "aliases",
        "description",
        "source_url",
        "listing",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown field(s) {unknown}")
    for req in ("slug", "name", "legal_name", "country", "role"):
        if req not in raw:
            raise ValueError(f"field {req!r} is missing")
    listings = []
    for lst in raw.get("listing", []):
        sym = lst.get("symbol", "?") if isinstance(lst, Mapping) else "?"
        try:
            listings.append(_listing_from_toml(lst))
        except ValueError as exc:
            raise ValueError(f"listing {sym}: {exc}") from exc
    return Company(
        slug=raw["slug"],
        name=raw["name"],
        legal_name=raw["legal_name"],
        local_name=raw.get("local_name", ""),
        country=raw["country"],
        role=raw["role"],
        listings=tuple(listings),
        description=raw.get("description", ""),
        aliases=tuple(raw.get("aliases", ())),
        source_url=raw.get("source_url"),
    )


def _parse_companies(text: str, fname: str) -> tuple[Company, ...]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(f"{fname}: invalid TOML: {exc}") from exc
    raws = doc.get("company")
    if not isinstance(raws, list) or not raws:
        raise DataFileError(f"{fname}: expected one or more [[company]] tables")
    out: list[Company] = []
    slugs: dict[str, int] = {}
    symbols: dict[str, str] = {}
    keys: dict[str, str] = {}
    for i, raw in enumerate(raws, start=1):
        slug = str(raw.get("slug", "?"))
        where = f"{fname} company {i} ({slug})"
        try:
            comp = _company_from_toml(raw)
        except ValueError as exc:
            raise DataFileError(f"{where}: {exc}") from exc
        if comp.slug in slugs:
            raise DataFileError(
                f"{where}: slug {comp.slug!r} duplicates company {slugs[comp.slug]}"
            )
        slugs[comp.slug] = i
        for sym in comp.symbols:
            if sym in symbols:
                raise DataFileError(
                    f"{where}: listing symbol {sym!r} is already a listing of {symbols[sym]!r}"
                )
            symbols[sym] = comp.slug
        for key in _keys_of(comp):
            other = keys.setdefault(key.casefold(), comp.slug)
            if other != comp.slug:
                raise DataFileError(f"{where}: name or alias {key!r} also names {other!r}")
        out.append(comp)
    return tuple(out)


def _keys_of(comp: Company) -> set[str]:
    keys = {comp.slug, comp.name, comp.legal_name, *comp.aliases, *comp.symbols}
    if comp.local_name:
        keys.add(comp.local_name)
    return keys


def _load_companies(path: _PathLike) -> tuple[Company, ...]:
    """Load and validate a ``companies.toml`` file (internal; used by tests)."""
    p = Path(path)
    return _parse_companies(p.read_text(encoding="utf-8"), str(p))


# ------------------------------------------------------------------ cross-checks
@dataclass(frozen=True)
class _Universe:
    companies: tuple[Company, ...]
    by_slug: Mapping[str, Company]
    by_key: Mapping[str, str]  # casefolded key -> slug
    by_symbol: Mapping[str, tuple[Company, Listing]]

    @classmethod
    def build(cls, comps: tuple[Company, ...]) -> _Universe:
        by_key = {k.casefold(): c.slug for c in comps for k in _keys_of(c)}
        by_symbol = {x.symbol: (c, x) for c in comps for x in c.listings}
        return cls(
            comps,
            MappingProxyType({c.slug: c for c in comps}),
            MappingProxyType(by_key),
            MappingProxyType(by_symbol),
        )


def _suggest(key: str, options: Iterable[str], to: Mapping[str, str] | None = None) -> str:
    """Up to three closest ``options`` to ``key``, mapped through ``to`` and de-duplicated."""
    lookup = {o.casefold(): o for o in options}
    close = difflib.get_close_matches(key.casefold(), list(lookup), n=6, cutoff=0.6)
    names = [to[c] if to is not None else lookup[c] for c in close]
    return ", ".join(list(dict.fromkeys(names))[:3])


def _check_company_symbol(u: _Universe, company_slug: str, symbol: str) -> Listing:
    comp = u.by_slug.get(company_slug)
    if comp is None:
        hint = _suggest(company_slug, u.by_slug)
        raise ValueError(
            f"company {company_slug!r} is not a known company slug"
            + (f"; did you mean: {hint}?" if hint else "")
        )
    for lst in comp.listings:
        if lst.symbol == symbol:
            return lst
    raise ValueError(
        f"symbol {symbol!r} is not a listing of {company_slug!r} "
        f"(listings: {', '.join(comp.symbols) or 'none, unlisted'})"
    )


def _validate_targets(u: _Universe, fname: str, rows: list[tuple[int, str, AnalystTarget]]):
    seen: dict[tuple[Any, ...], int] = {}
    for n, rid, t in rows:
        try:
            lst = _check_company_symbol(u, t.company, t.symbol)
            if t.currency != lst.currency:
                raise ValueError(
                    f"currency {t.currency!r} does not match listing {lst.symbol} "
                    f"trading currency {lst.currency!r}"
                )
            key = (t.company, t.symbol, t.broker, t.kind, t.target, t.min_upside, t.published)
            if key in seen:
                raise ValueError(f"duplicates row {seen[key]}")
            seen[key] = n
        except ValueError as exc:
            raise DataFileError(f"{fname} row {n} ({rid}): {exc}") from exc
    return tuple(t for _, _, t in rows)


def _validate_facts(u: _Universe, fname: str, rows: list[tuple[int, str, Fact]]):
    seen: dict[tuple[Any, ...], int] = {}
    for n, rid, f in rows:
        try:
            if f.company not in u.by_slug:
                hint = _suggest(f.company, u.by_slug)
                raise ValueError(
                    f"company {f.company!r} is not a known company slug"
                    + (f"; did you mean: {hint}?" if hint else "")
                )
            key = (f.company, f.metric, f.period, f.asof)
            if key in seen:
                raise ValueError(f"duplicates row {seen[key]} (same metric, period and asof)")
            seen[key] = n
        except ValueError as exc:
            raise DataFileError(f"{fname} row {n} ({rid}): {exc}") from exc
    return tuple(f for _, _, f in rows)


def _validate_quotes(u: _Universe, fname: str, rows: list[tuple[int, str, ReferenceQuote]]):
    seen: dict[tuple[Any, ...], int] = {}
    for n, rid, q in rows:
        try:
            hit = u.by_symbol.get(q.symbol)
            if hit is None:
                hint = _suggest(q.symbol, u.by_symbol)
                raise ValueError(
                    f"symbol {q.symbol!r} is not a listing of any known company"
                    + (f"; did you mean: {hint}?" if hint else "")
                )
            lst = hit[1]
            if q.currency != lst.currency:
                raise ValueError(
                    f"currency {q.currency!r} does not match listing {lst.symbol} "
                    f"trading currency {lst.currency!r}"
                )
            key = (q.symbol, q.kind, q.date)
            if key in seen:
                raise ValueError(f"duplicates row {seen[key]} (same symbol, kind and date)")
            seen[key] = n
        except ValueError as exc:
            raise DataFileError(f"{fname} row {n} ({rid}): {exc}") from exc
    return tuple(q for _, _, q in rows)


_TARGET_ID = ("company", "broker")
_FACT_ID = ("company", "metric", "period")
_QUOTE_ID = ("symbol", "kind", "date")


@dataclass(frozen=True)
class _Bundle:
    universe: _Universe
    targets: tuple[AnalystTarget, ...]
    facts: tuple[Fact, ...]
    quotes: tuple[ReferenceQuote, ...]


def _data_text(name: str) -> str:
    return resources.files("watchlists").joinpath("data", name).read_text(encoding="utf-8")


@functools.cache
def _bundle() -> _Bundle:
    u = _Universe.build(_parse_companies(_data_text("companies.toml"), "companies.toml"))
    targets = _validate_targets(
        u,
        "targets.csv",
        _read_csv(
            _data_text("targets.csv"), "targets.csv", TARGET_COLUMNS, _parse_target, _TARGET_ID
        ),
    )
    facts = _validate_facts(
        u,
        "facts.csv",
        _read_csv(_data_text("facts.csv"), "facts.csv", FACT_COLUMNS, _parse_fact, _FACT_ID),
    )
    quotes = _validate_quotes(
        u,
        "reference_quotes.csv",
        _read_csv(
            _data_text("reference_quotes.csv"),
            "reference_quotes.csv",
            QUOTE_COLUMNS,
            _parse_quote,
            _QUOTE_ID,
        ),
    )
    return _Bundle(u, targets, facts, quotes)


def _read_user(path: _PathLike) -> tuple[str, str]:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig"), str(p)
    except OSError as exc:
        raise DataFileError(f"{p}: cannot read: {exc}") from exc


# ------------------------------------------------------------------ user files
def load_targets(path: _PathLike) -> tuple[AnalystTarget, ...]:
    """Load a user CSV of analyst targets (same columns as the bundled ``targets.csv``).

    Validated like the bundled data and against the bundled companies; a bad
    record raises :class:`DataFileError` naming ``path``, the row and the field.
    """
    text, fname = _read_user(path)
    rows = _read_csv(text, fname, TARGET_COLUMNS, _parse_target, _TARGET_ID)
    return _validate_targets(_bundle().universe, fname, rows)


def load_facts(path: _PathLike) -> tuple[Fact, ...]:
    """Load a user CSV of facts (same columns as the bundled ``facts.csv``)."""
    text, fname = _read_user(path)
    rows = _read_csv(text, fname, FACT_COLUMNS, _parse_fact, _FACT_ID)
    return _validate_facts(_bundle().universe, fname, rows)


def load_reference_quotes(path: _PathLike) -> tuple[ReferenceQuote, ...]:
    """Load a user CSV of reference quotes (same columns as ``reference_quotes.csv``)."""
    text, fname = _read_user(path)
    rows = _read_csv(text, fname, QUOTE_COLUMNS, _parse_quote, _QUOTE_ID)
    return _validate_quotes(_bundle().universe, fname, rows)


# ------------------------------------------------------------------ lookups
def company(key: str) -> Company:
    """The company named by ``key``: slug, name, legal or local name, alias or symbol.

    Case-insensitive. An unknown key raises ``KeyError`` with the closest matches,
    e.g. ``unknown company 'cambricn'; did you mean: cambricon?``.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, got {type(key).__name__}")
    u = _bundle().universe
    slug = u.by_key.get(key.strip().casefold())
    if slug is None:
        hint = _suggest(key.strip(), _all_keys(u), u.by_key)
        raise KeyError(f"unknown company {key!r}" + (f"; did you mean: {hint}?" if hint else ""))
    return u.by_slug[slug]


_company = company  # the functions below take a parameter named ``company``


def _all_keys(u: _Universe) -> list[str]:
    return sorted({k for c in u.companies for k in _keys_of(c)})


def company_records() -> tuple[Company, ...]:
    """Every bundled company, in file order."""
    return _bundle().universe.companies


def listing(symbol: str) -> tuple[Company, Listing]:
    """The company and listing of a Yahoo ``symbol`` (case-insensitive).

    Unknown symbols raise ``KeyError`` with the closest matches.
    """
    if not isinstance(symbol, str):
        raise TypeError(f"symbol must be a str, got {type(symbol).__name__}")
    u = _bundle().universe
    hit = u.by_symbol.get(symbol.strip().upper())
    if hit is None:
        hint = _suggest(symbol.strip(), u.by_symbol)
        raise KeyError(f"unknown symbol {symbol!r}" + (f"; did you mean: {hint}?" if hint else ""))
    return hit


def target_records(company: str | None = None) -> tuple[AnalystTarget, ...]:
    """Bundled analyst targets, optionally of one company (any :func:`company` key)."""
    recs = _bundle().targets
    if company is None:
        return recs
    slug = _company(company).slug
    return tuple(t for t in recs if t.company == slug)


def fact_records(company: str | None = None, metric: str | None = None) -> tuple[Fact, ...]:
    """Bundled facts, optionally filtered by company (any key) and metric."""
    recs = _bundle().facts
    if company is not None:
        slug = _company(company).slug
        recs = tuple(f for f in recs if f.company == slug)
    if metric is not None:
        recs = tuple(f for f in recs if f.metric == metric)
    return recs


def quote_records(symbol: str | None = None) -> tuple[ReferenceQuote, ...]:
    """Bundled reference quotes, optionally of one listing ``symbol``."""
    recs = _bundle().quotes
    if symbol is None:
        return recs
    sym = listing(symbol)[1].symbol
    return tuple(q for q in recs if q.symbol == sym)


# ------------------------------------------------------------------ DataFrames
def _dates(values: list[date | None]) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object), errors="raise")


def companies() -> pd.DataFrame:
    """One row per listing (an unlisted company gets one row with ``symbol`` NA).

    Columns: ``company`` (slug), ``name``, ``local_name``, ``country``, ``role``,
    ``symbol``, ``exchange``, ``board``, ``currency`` (trading currency),
    ``primary`` (bool), ``shares_per_unit`` (ordinary shares per traded unit).
    """
    rows = []
    for c in company_records():
        base = {
            "company": c.slug,
            "name": c.name,
            "local_name": c.local_name,
            "country": c.country,
            "role": c.role,
        }
        if not c.listings:
            rows.append(
                {
                    **base,
                    "symbol": None,
                    "exchange": None,
                    "board": None,
                    "currency": None,
                    "primary": False,
                    "shares_per_unit": float("nan"),
                }
            )
        for x in c.listings:
            rows.append(
                {
                    **base,
                    "symbol": x.symbol,
                    "exchange": x.exchange,
                    "board": x.board,
                    "currency": x.currency,
                    "primary": x.primary,
                    "shares_per_unit": float(x.shares_per_unit),
                }
            )
    df = pd.DataFrame(rows, columns=list(COMPANY_COLUMNS))
    return df.astype({"primary": bool, "shares_per_unit": float})


def targets(company: str | None = None) -> pd.DataFrame:
    """Analyst targets as a DataFrame, optionally of one company.

    Columns: ``company, symbol, broker, rating, kind, target, min_upside, reference,
    currency, published, previous_target, source_url, date_unknown, confidence, note``.
    ``kind`` is ``price`` (``target`` set) or ``min_upside`` (``target`` NaN,
    ``min_upside`` a decimal fraction above ``reference`` = ``high``/``close``).
    ``published`` is datetime64, NaT when ``date_unknown``.
    """
    recs = target_records(company)
    df = pd.DataFrame(
        [{c: getattr(t, c) for c in TARGET_COLUMNS} for t in recs], columns=list(TARGET_COLUMNS)
    )
    df["published"] = _dates([t.published for t in recs])
    return df.astype(
        {"target": float, "min_upside": float, "previous_target": float, "date_unknown": bool}
    )


def facts(company: str | None = None, metric: str | None = None) -> pd.DataFrame:
    """Sourced facts as a DataFrame, optionally of one company and/or metric.

    Columns: ``company, metric, value, unit, currency, period, asof, source_url,
    confidence, note``. ``value`` is a float in base units of ``unit`` (``CNY``,
    ``USD``, ``shares``, ``%``, ``x``); ``asof`` is datetime64.
    """
    recs = fact_records(company, metric)
    df = pd.DataFrame(
        [{c: getattr(f, c) for c in FACT_COLUMNS} for f in recs], columns=list(FACT_COLUMNS)
    )
    df["asof"] = _dates([f.asof for f in recs])
    return df.astype({"value": float})


def reference_quotes(symbol: str | None = None) -> pd.DataFrame:
    """Sourced reference prices as a DataFrame, optionally of one listing.

    Columns: ``symbol, date, kind, value, currency, source_url, confidence, note``.
    ``kind`` is one of ``close``, ``open``, ``intraday`` (a price during the
    session, not a close), ``intraday_high``, ``ipo_price``; ``date`` is datetime64.
    """
    recs = quote_records(symbol)
    df = pd.DataFrame(
        [{c: getattr(q, c) for c in QUOTE_COLUMNS} for q in recs], columns=list(QUOTE_COLUMNS)
    )
    df["date"] = _dates([q.date for q in recs])
    return df.astype({"value": float})


# ------------------------------------------------------------------ derived queries
def _asof_date(asof: date | str | pd.Timestamp) -> date:
    try:
        return pd.Timestamp(asof).date()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"asof {asof!r} is not a date") from exc


_CONF_RANK = {"confirmed": 2, "partial": 1}


def _fact_key(f: Fact) -> tuple[date, date, int, int]:
    start, end = period_bounds(f.period)
    # most recent period, then most recently published, then confirmed, then longer span
    return (end, f.asof, _CONF_RANK.get(f.confidence, 0), -start.toordinal())


def latest_fact(
    company: str, metric: str, asof: date | str | pd.Timestamp, *, period: str | None = None
) -> Fact | None:
    """The most recent fact of ``metric`` known on or before ``asof`` (``Fact.asof <= asof``).

    "Most recent" means the latest period end; ties go to the latest ``Fact.asof``
    (a revision or newer guidance), then ``confirmed`` over ``partial``, then the
    longer period. ``period`` restricts to one period. ``None`` when nothing is known.
    """
    day = _asof_date(asof)
    cands = [
        f
        for f in fact_records(company, metric)
        if f.asof <= day and (period is None or f.period == period)
    ]
    return max(cands, key=_fact_key, default=None)


def ttm_revenue(company: str, asof: date | str | pd.Timestamp) -> tuple[float, str, str] | None:
    """Trailing-twelve-month revenue from facts known on or before ``asof``.

    TTM = latest year-to-date period of year Y (``Q1``, ``H1`` or ``9M``) + ``FY(Y-1)``
    − the same period of Y-1, when all three are known (same currency) and Y is
    later than the latest known full year; otherwise the latest ``FY``; otherwise
    ``None``. Returns ``(value, currency, basis)``, e.g. ``basis`` =
    ``"TTM to 9M-2025 (9M-2025 + FY2024 − 9M-2024)"`` or ``"FY2024"``.
    """
    day = _asof_date(asof)
    known: dict[str, Fact] = {}
    for f in fact_records(company, "revenue"):
        if f.asof <= day and (f.period not in known or _fact_key(f) > _fact_key(known[f.period])):
            known[f.period] = f
    fys = sorted((int(p[2:]), f) for p, f in known.items() if p.startswith("FY"))
    latest_fy = fys[-1] if fys else None
    ytd = sorted(
        (
            (int(p[-4:]), {"Q1": 3, "H1": 6, "9M": 9}[p[:2]], p)
            for p in known
            if p[:3] in {"Q1-", "H1-", "9M-"}
        ),
        reverse=True,
    )
    for year, _, p in ytd:
        if latest_fy is not None and year <= latest_fy[0]:
            break
        prior_fy = known.get(f"FY{year - 1}")
        prior_ytd = known.get(f"{p[:2]}-{year - 1}")
        cur = known[p]
        if prior_fy is None or prior_ytd is None:
            continue
        if not cur.currency == prior_fy.currency == prior_ytd.currency:
            continue
        value = cur.value + prior_fy.value - prior_ytd.value
        basis = f"TTM to {p} ({p} + FY{year - 1} − {prior_ytd.period})"
        return value, str(cur.currency), basis
    if latest_fy is not None:
        f = latest_fy[1]
        return f.value, str(f.currency), f.period
    return None

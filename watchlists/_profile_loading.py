"""Parsing and validation of the reference-data files (internal to :mod:`watchlists.profiles`).

Holds the column layouts, the CSV/TOML parsers turning ``companies.toml``,
``targets.csv``, ``facts.csv`` and ``reference_quotes.csv`` text into records, the
company index (:class:`_Universe`) and the per-kind validation rules shared by the
bundled and user files. Nothing here caches or decides where user data lives;
see :mod:`watchlists._user_data` for that. In error messages, ``row N`` counts the
header as row 1.
"""

from __future__ import annotations

import csv
import difflib
import io
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from watchlists.errors import DataFileError
from watchlists.records import (
    AnalystTarget,
    Company,
    Fact,
    Listing,
    ReferenceQuote,
    parse_date,
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


def _parse_companies(text: str, fname: str, *, allow_empty: bool = False) -> tuple[Company, ...]:
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


def _target_key(t: AnalystTarget) -> tuple[Any, ...]:
    return (t.company, t.symbol, t.broker, t.kind, t.target, t.min_upside, t.published)


def _fact_dup_key(f: Fact) -> tuple[Any, ...]:
    return (f.company, f.metric, f.period, f.asof)


def _quote_key(q: ReferenceQuote) -> tuple[Any, ...]:
    return (q.symbol, q.kind, q.date)


def _validate_targets(
    u: _Universe,
    fname: str,
    rows: list[tuple[int, str, AnalystTarget]],
    prior: _Prior | None = None,
) -> tuple[tuple[AnalystTarget, ...], _Seen]:
    seen: _Seen = {}
    for n, rid, t in rows:
        try:
            lst = _check_company_symbol(u, t.company, t.symbol)
            if t.currency != lst.currency:
                raise ValueError(
                    f"currency {t.currency!r} does not match listing {lst.symbol} "
                    f"trading currency {lst.currency!r}"
                )
            _check_duplicate(_target_key(t), n, seen, prior)
        except ValueError as exc:
            raise DataFileError(f"{fname} row {n} ({rid}): {exc}") from exc
    return tuple(t for _, _, t in rows), seen


def _validate_facts(
    u: _Universe, fname: str, rows: list[tuple[int, str, Fact]], prior: _Prior | None = None
) -> tuple[tuple[Fact, ...], _Seen]:
    seen: _Seen = {}
    for n, rid, f in rows:
        try:
            if f.company not in u.by_slug:
                hint = _suggest(f.company, u.by_slug)
                raise ValueError(
                    f"company {f.company!r} is not a known company slug"
                    + (f"; did you mean: {hint}?" if hint else "")
                )
            _check_duplicate(
                _fact_dup_key(f), n, seen, prior, " (same metric, period and asof)"
            )
        except ValueError as exc:
            raise DataFileError(f"{fname} row {n} ({rid}): {exc}") from exc
    return tuple(f for _, _, f in rows), seen


def _validate_quotes(
    u: _Universe,
    fname: str,
    rows: list[tuple[int, str, ReferenceQuote]],
    prior: _Prior | None = None,
) -> tuple[tuple[ReferenceQuote, ...], _Seen]:
    seen: _Seen = {}
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
            _check_duplicate(_quote_key(q), n, seen, prior, " (same symbol, kind and date)")
        except ValueError as exc:
            raise DataFileError(f"{fname} row {n} ({rid}): {exc}") from exc
    return tuple(q for _, _, q in rows), seen


_TARGET_ID = ("company", "broker")
_FACT_ID = ("company", "metric", "period")
_QUOTE_ID = ("symbol", "kind", "date")


@dataclass(frozen=True)
class _Kind:
    """How one CSV kind is read and validated (same rules for bundled and user files)."""

    fname: str
    columns: tuple[str, ...]
    parse: Callable[[Mapping[str, str]], Any]
    id_keys: tuple[str, ...]
    validate: Callable[..., tuple[tuple[Any, ...], _Seen]]


_KINDS: Mapping[str, _Kind] = MappingProxyType(
    {
        "targets": _Kind("targets.csv", TARGET_COLUMNS, _parse_target, _TARGET_ID,
                         _validate_targets),
        "facts": _Kind("facts.csv", FACT_COLUMNS, _parse_fact, _FACT_ID, _validate_facts),
        "quotes": _Kind("reference_quotes.csv", QUOTE_COLUMNS, _parse_quote, _QUOTE_ID,
                        _validate_quotes),
    }
)  # fmt: skip


def _read_user(path: _PathLike) -> tuple[str, str]:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig"), str(p)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{p}: cannot read: {exc}") from exc

"""Company profiles and sourced reference data: loading, validation and queries.

The bundled data lives in ``watchlists/data`` (``companies.toml``, ``targets.csv``,
``facts.csv``, ``reference_quotes.csv``) and is loaded once, validated, and kept as
immutable tuples. Every DataFrame returned here is a fresh copy.

User data (see ``docs/user-data.md``): the same four files, in the same formats, in
:func:`user_data_dir` (``$WATCHLISTS_DATA``, else ``<default_home()>/data``) are
validated like the bundled ones and merged with them. User companies are *added*: a
slug, symbol, name or alias that collides with a bundled company is a
:class:`DataFileError`, as is a user record duplicating a bundled one. The user files
are read and validated together on the first lookup (never at import), and again
whenever the directory or any file's mtime or size changes (each lookup stats at most
four files); a bad user file makes every lookup raise, naming the file, row and field.
The bundled data is cached for the life of the process. DataFrames gain a last
column ``origin`` (``'bundled'`` or ``'user'``) on every row.

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
import os
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
    "user_data_dir",
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


@dataclass(frozen=True)
class _Bundle:
    universe: _Universe
    records: Mapping[str, tuple[Any, ...]]  # kind -> bundled records
    priors: Mapping[str, _Prior]  # kind -> bundled duplicate keys


def _data_text(name: str) -> str:
    return resources.files("watchlists").joinpath("data", name).read_text(encoding="utf-8")


@functools.cache
def _bundle() -> _Bundle:
    """The bundled package data, validated once per process."""
    u = _Universe.build(_parse_companies(_data_text("companies.toml"), "companies.toml"))
    records, priors = {}, {}
    for kind, k in _KINDS.items():
        rows = _read_csv(_data_text(k.fname), k.fname, k.columns, k.parse, k.id_keys)
        records[kind], seen = k.validate(u, k.fname, rows)
        priors[kind] = _Prior(f"watchlists/data/{k.fname}", MappingProxyType(seen))
    return _Bundle(u, MappingProxyType(records), MappingProxyType(priors))


def _read_user(path: _PathLike) -> tuple[str, str]:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig"), str(p)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{p}: cannot read: {exc}") from exc


# ------------------------------------------------------------------ user data directory
def user_data_dir() -> Path:
    """The user data directory merged with the bundled data (absolute; may not exist).

    ``$WATCHLISTS_DATA`` if set, else ``<watchlists.default_home()>/data`` (that is
    ``$WATCHLISTS_HOME/data`` or the platform's user data dir). It may hold any of
    ``companies.toml``, ``targets.csv``, ``facts.csv`` and ``reference_quotes.csv`` in
    the bundled formats; see ``docs/user-data.md``.
    """
    env = os.environ.get("WATCHLISTS_DATA")
    if env:
        return Path(os.path.abspath(Path(env).expanduser()))
    from watchlists.store import default_home

    return Path(os.path.abspath(default_home() / "data"))


_Stat = tuple[int, int] | None  # (mtime_ns, size), or None when the file is absent


def _stat(path: str) -> _Stat:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return (-1, -1)  # there but not stat-able: reading it reports the error
    return (st.st_mtime_ns, st.st_size)


_USER_FILES = ("companies.toml", *(k.fname for k in _KINDS.values()))


def _state() -> tuple[str, tuple[_Stat, ...]]:
    """The current user data dir and the stat of each user file in it (the cache key)."""
    d = str(user_data_dir())
    return d, tuple(_stat(os.path.join(d, n)) for n in _USER_FILES)


def _merged() -> _Bundle:
    """Bundled data plus the current user data dir's, validated together on first use."""
    d, stats = _state()
    if all(st is None for st in stats):
        return _bundle()
    return _user_merged(d, stats)


@functools.lru_cache(maxsize=8)
def _user_merged(d: str, stats: tuple[_Stat, ...]) -> _Bundle:
    """The merged data of user data dir ``d``; ``stats`` only keys the cache."""
    b = _bundle()
    u = b.universe if stats[0] is None else _user_universe(b.universe, Path(d, _USER_FILES[0]))
    records = dict(b.records)
    for (kind, k), st in zip(_KINDS.items(), stats[1:], strict=True):
        if st is not None:
            text, fname = _read_user(Path(d, k.fname))
            rows = _read_csv(text, fname, k.columns, k.parse, k.id_keys)
            records[kind] = b.records[kind] + k.validate(u, fname, rows, b.priors[kind])[0]
    return _Bundle(u, MappingProxyType(records), b.priors)


def _user_universe(b: _Universe, path: Path) -> _Universe:
    """Bundled + user companies; any collision with a bundled company is an error."""
    text, fname = _read_user(path)
    user = _parse_companies(text, fname, allow_empty=True)
    rule = "user data can add companies but not replace bundled ones"
    for i, comp in enumerate(user, start=1):
        where = f"{fname} company {i} ({comp.slug})"
        if comp.slug in b.by_slug:
            raise DataFileError(
                f"{where}: slug {comp.slug!r} is a bundled company; {rule} (choose another slug)"
            )
        for sym in comp.symbols:
            if sym in b.by_symbol:
                raise DataFileError(
                    f"{where}: listing symbol {sym!r} is already a listing of bundled "
                    f"company {b.by_symbol[sym][0].slug!r}; {rule}"
                )
        for key in sorted(_keys_of(comp)):
            other = b.by_key.get(key.casefold())
            if other is not None:
                raise DataFileError(
                    f"{where}: name or alias {key!r} also names bundled company {other!r}; {rule}"
                )
    return _Universe.build(b.companies + user, n_bundled=len(b.companies))


def _universe() -> _Universe:
    return _merged().universe


def _pick(kind: str, keep: Callable[[Any], bool]) -> tuple[list[Any], list[str] | None]:
    """Records of ``kind`` passing ``keep``, and their origins (``None``: no user records)."""
    recs, n = _merged().records[kind], len(_bundle().records[kind])
    picked = [(r, "user" if i >= n else "bundled") for i, r in enumerate(recs) if keep(r)]
    origins = [o for _, o in picked] if n < len(recs) else None
    return [r for r, _ in picked], origins


def _with_origin(df: pd.DataFrame, origins: list[str] | None) -> pd.DataFrame:
    """Append the ``origin`` column: ``'bundled'`` or ``'user'`` for each row."""
    values = origins if origins is not None else ["bundled"] * len(df)
    df["origin"] = pd.Series(values, index=df.index, dtype=object)
    return df


# ------------------------------------------------------------------ user files
def load_targets(path: _PathLike) -> tuple[AnalystTarget, ...]:
    """Load a user CSV of analyst targets (same columns as the bundled ``targets.csv``).

    Validated like the bundled data and against the bundled and user companies
    (:func:`user_data_dir`); a bad record raises :class:`DataFileError` naming
    ``path``, the row and the field.
    """
    text, fname = _read_user(path)
    rows = _read_csv(text, fname, TARGET_COLUMNS, _parse_target, _TARGET_ID)
    return _validate_targets(_universe(), fname, rows)[0]


def load_facts(path: _PathLike) -> tuple[Fact, ...]:
    """Load a user CSV of facts (same columns as the bundled ``facts.csv``)."""
    text, fname = _read_user(path)
    rows = _read_csv(text, fname, FACT_COLUMNS, _parse_fact, _FACT_ID)
    return _validate_facts(_universe(), fname, rows)[0]


def load_reference_quotes(path: _PathLike) -> tuple[ReferenceQuote, ...]:
    """Load a user CSV of reference quotes (same columns as ``reference_quotes.csv``)."""
    text, fname = _read_user(path)
    rows = _read_csv(text, fname, QUOTE_COLUMNS, _parse_quote, _QUOTE_ID)
    return _validate_quotes(_universe(), fname, rows)[0]


# ------------------------------------------------------------------ lookups
def company(key: str) -> Company:
    """The company named by ``key``: slug, name, legal or local name, alias or symbol.

    Bundled and user companies alike. Case-insensitive. An unknown key raises
    ``KeyError`` with the closest matches, e.g.
    ``unknown company 'cambricn'; did you mean: cambricon?``.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, got {type(key).__name__}")
    u = _universe()
    slug = u.by_key.get(key.strip().casefold())
    if slug is None:
        hint = _suggest(key.strip(), _all_keys(u), u.by_key)
        raise KeyError(f"unknown company {key!r}" + (f"; did you mean: {hint}?" if hint else ""))
    return u.by_slug[slug]


_company = company  # the functions below take a parameter named ``company``


def _all_keys(u: _Universe) -> list[str]:
    return sorted({k for c in u.companies for k in _keys_of(c)})


def company_records() -> tuple[Company, ...]:
    """Every company, bundled ones in file order, then the user's."""
    return _universe().companies


def listing(symbol: str) -> tuple[Company, Listing]:
    """The company and listing of a Yahoo ``symbol`` (case-insensitive).

    Unknown symbols raise ``KeyError`` with the closest matches.
    """
    if not isinstance(symbol, str):
        raise TypeError(f"symbol must be a str, got {type(symbol).__name__}")
    u = _universe()
    hit = u.by_symbol.get(symbol.strip().upper())
    if hit is None:
        hint = _suggest(symbol.strip(), u.by_symbol)
        raise KeyError(f"unknown symbol {symbol!r}" + (f"; did you mean: {hint}?" if hint else ""))
    return hit


def _target_pick(company: str | None) -> tuple[list[AnalystTarget], list[str] | None]:
    slug = None if company is None else _company(company).slug
    return _pick("targets", lambda t: slug is None or t.company == slug)


def _fact_pick(company: str | None, metric: str | None) -> tuple[list[Fact], list[str] | None]:
    slug = None if company is None else _company(company).slug
    return _pick(
        "facts",
        lambda f: (slug is None or f.company == slug) and (metric is None or f.metric == metric),
    )


def _quote_pick(symbol: str | None) -> tuple[list[ReferenceQuote], list[str] | None]:
    sym = None if symbol is None else listing(symbol)[1].symbol
    return _pick("quotes", lambda q: sym is None or q.symbol == sym)


def target_records(company: str | None = None) -> tuple[AnalystTarget, ...]:
    """Analyst targets (bundled, then user), optionally of one company (any key)."""
    return tuple(_target_pick(company)[0])


def fact_records(company: str | None = None, metric: str | None = None) -> tuple[Fact, ...]:
    """Facts (bundled, then user), optionally filtered by company (any key) and metric."""
    return tuple(_fact_pick(company, metric)[0])


def quote_records(symbol: str | None = None) -> tuple[ReferenceQuote, ...]:
    """Reference quotes (bundled, then user), optionally of one listing ``symbol``."""
    return tuple(_quote_pick(symbol)[0])


# ------------------------------------------------------------------ DataFrames
def _dates(values: list[date | None]) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object), errors="raise")


def companies() -> pd.DataFrame:
    """One row per listing (an unlisted company gets one row with ``symbol`` NA).

    Columns: ``company`` (slug), ``name``, ``local_name``, ``country``, ``role``,
    ``symbol``, ``exchange``, ``board``, ``currency`` (trading currency),
    ``primary`` (bool), ``shares_per_unit`` (ordinary shares per traded unit), and,
    when user companies are present, ``origin`` (``'bundled'`` or ``'user'``).
    """
    u = _universe()
    rows, origins = [], []
    for i, c in enumerate(u.companies):
        origin = "user" if i >= u.n_bundled else "bundled"
        origins += [origin] * max(1, len(c.listings))
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
    df = df.astype({"primary": bool, "shares_per_unit": float})
    return _with_origin(df, origins if u.n_bundled < len(u.companies) else None)


def targets(company: str | None = None) -> pd.DataFrame:
    """Analyst targets as a DataFrame, optionally of one company.

    Columns: ``company, symbol, broker, rating, kind, target, min_upside, reference,
    currency, published, previous_target, source_url, date_unknown, confidence, note``.
    ``kind`` is ``price`` (``target`` set) or ``min_upside`` (``target`` NaN,
    ``min_upside`` a decimal fraction above ``reference`` = ``high``/``close``).
    ``published`` is datetime64, NaT when ``date_unknown``. The last column ``origin``
    says ``'bundled'`` or ``'user'`` (from :func:`user_data_dir`).
    """
    recs, origins = _target_pick(company)
    df = pd.DataFrame(
        [{c: getattr(t, c) for c in TARGET_COLUMNS} for t in recs], columns=list(TARGET_COLUMNS)
    )
    df["published"] = _dates([t.published for t in recs])
    df = df.astype(
        {"target": float, "min_upside": float, "previous_target": float, "date_unknown": bool}
    )
    return _with_origin(df, origins)


def facts(company: str | None = None, metric: str | None = None) -> pd.DataFrame:
    """Sourced facts as a DataFrame, optionally of one company and/or metric.

    Columns: ``company, metric, value, unit, currency, period, asof, source_url,
    confidence, note``. ``value`` is a float in base units of ``unit`` (``CNY``,
    ``USD``, ``shares``, ``%``, ``x``); ``asof`` is datetime64. The last column ``origin``
    says ``'bundled'`` or ``'user'``.
    """
    recs, origins = _fact_pick(company, metric)
    df = pd.DataFrame(
        [{c: getattr(f, c) for c in FACT_COLUMNS} for f in recs], columns=list(FACT_COLUMNS)
    )
    df["asof"] = _dates([f.asof for f in recs])
    return _with_origin(df.astype({"value": float}), origins)


def reference_quotes(symbol: str | None = None) -> pd.DataFrame:
    """Sourced reference prices as a DataFrame, optionally of one listing.

    Columns: ``symbol, date, kind, value, currency, source_url, confidence, note``.
    ``kind`` is one of ``close``, ``open``, ``intraday`` (a price during the
    session, not a close), ``intraday_high``, ``ipo_price``; ``date`` is datetime64.
    The last column ``origin`` says ``'bundled'`` or ``'user'``.
    """
    recs, origins = _quote_pick(symbol)
    df = pd.DataFrame(
        [{c: getattr(q, c) for c in QUOTE_COLUMNS} for q in recs], columns=list(QUOTE_COLUMNS)
    )
    df["date"] = _dates([q.date for q in recs])
    return _with_origin(df.astype({"value": float}), origins)


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

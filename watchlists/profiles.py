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

import functools
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from watchlists.records import (
    AnalystTarget,
    Company,
    Fact,
    Listing,
    ReferenceQuote,
    as_date,
    period_bounds,
)

if TYPE_CHECKING:
    from watchlists._profile_loading import _PathLike, _Universe
    from watchlists._user_data import _Bundle, _Stat

# :mod:`watchlists._profile_loading` and :mod:`watchlists._user_data` (the parsers, and
# ``importlib.resources``, ``tomllib``) load on the first data lookup, not with
# ``import watchlists``.

__all__ = [
    "companies",
    "company",
    "company_records",
    "ecb_reference_rates",
    "fact_records",
    "facts",
    "latest_fact",
    "listing",
    "load_facts",
    "load_reference_quotes",
    "load_targets",
    "quote_records",
    "reference_fx",
    "reference_quotes",
    "target_records",
    "targets",
    "ttm_revenue",
    "ttm_revenue_detail",
    "user_data_dir",
]


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


def _state() -> tuple[str, tuple[_Stat, ...]]:
    """The current user data dir and the stat of each user file in it (the cache key)."""
    from watchlists._user_data import _USER_FILES, _stat

    d = str(user_data_dir())
    return d, tuple(_stat(os.path.join(d, n)) for n in _USER_FILES)


def _merged() -> _Bundle:
    """Bundled data plus the current user data dir's, validated together on first use."""
    from watchlists._user_data import _bundle, _user_merged

    d, stats = _state()
    if all(st is None for st in stats):
        return _bundle()
    return _user_merged(d, stats)


def _universe() -> _Universe:
    return _merged().universe


def _pick(kind: str, keep: Callable[[Any], bool]) -> tuple[list[Any], list[str] | None]:
    """Records of ``kind`` passing ``keep``, and their origins (``None``: no user records)."""
    from watchlists._user_data import _bundle

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
def _load_user(kind: str, path: _PathLike) -> tuple[Any, ...]:
    """Records of ``kind`` in the user CSV ``path``, validated against all companies."""
    from watchlists._profile_loading import _KINDS, _read_user

    text, fname = _read_user(path)
    return _KINDS[kind].load(_universe(), text, fname)[0]


def load_targets(path: _PathLike) -> tuple[AnalystTarget, ...]:
    """Load a user CSV of analyst targets (same columns as the bundled ``targets.csv``).

    Validated like the bundled data and against the bundled and user companies
    (:func:`user_data_dir`); a bad record raises :class:`DataFileError` naming
    ``path``, the row and the field.
    """
    return _load_user("targets", path)


def load_facts(path: _PathLike) -> tuple[Fact, ...]:
    """Load a user CSV of facts (same columns as the bundled ``facts.csv``)."""
    return _load_user("facts", path)


def load_reference_quotes(path: _PathLike) -> tuple[ReferenceQuote, ...]:
    """Load a user CSV of reference quotes (same columns as ``reference_quotes.csv``)."""
    return _load_user("quotes", path)


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
        from watchlists._profile_loading import _suggest

        hint = _suggest(key.strip(), _all_keys(u), u.by_key)
        raise KeyError(f"unknown company {key!r}" + (f"; did you mean: {hint}?" if hint else ""))
    return u.by_slug[slug]


_company = company  # the functions below take a parameter named ``company``


def _all_keys(u: _Universe) -> list[str]:
    from watchlists._profile_loading import _keys_of

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
        from watchlists._profile_loading import _suggest

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
    from watchlists._profile_loading import COMPANY_COLUMNS

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
    from watchlists._profile_loading import TARGET_COLUMNS

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
    from watchlists._profile_loading import FACT_COLUMNS

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
    from watchlists._profile_loading import QUOTE_COLUMNS

    recs, origins = _quote_pick(symbol)
    df = pd.DataFrame(
        [{c: getattr(q, c) for c in QUOTE_COLUMNS} for q in recs], columns=list(QUOTE_COLUMNS)
    )
    df["date"] = _dates([q.date for q in recs])
    return _with_origin(df.astype({"value": float}), origins)


# ------------------------------------------------------------------ FX reference rates
def reference_fx(from_ccy: str | None = None, to_ccy: str | None = None) -> pd.DataFrame:
    """Bundled central-bank reference FX rates (``watchlists/data/fx_reference.csv``).

    Columns: ``date`` (datetime64), ``from_ccy``, ``to_ccy``, ``rate`` (units of
    ``to_ccy`` per one ``from_ccy``), ``source_url``, ``note`` and ``origin`` (always
    ``'bundled'``: a user data folder holds no FX file). The bundled rates are the
    ECB's euro reference rates, stored as EUR→X on the dates listed in the file (not a
    daily series); a cross such as USD→CNY is EUR→CNY / EUR→USD of the same date and
    is not stored. Optionally filtered by ``from_ccy`` and/or ``to_ccy`` (ISO codes,
    any case); rows are in file order (by date, then pair). As with prices, use the
    last rate on or before the day you need, never a later one.
    """
    from watchlists._profile_loading import FX_COLUMNS, _parse_fx_reference
    from watchlists._user_data import _data_text
    from watchlists.records import check_currency

    def _wanted(name: str, value: str | None) -> str | None:
        if value is None:
            return None
        return check_currency(name, value.upper() if isinstance(value, str) else value)

    f, t = _wanted("from_ccy", from_ccy), _wanted("to_ccy", to_ccy)
    recs = [
        r
        for r in _parse_fx_reference(_data_text("fx_reference.csv"), "fx_reference.csv")
        if (f is None or r.from_ccy == f) and (t is None or r.to_ccy == t)
    ]
    df = pd.DataFrame(
        [{c: getattr(r, c) for c in FX_COLUMNS} for r in recs], columns=list(FX_COLUMNS)
    )
    df["date"] = _dates([r.date for r in recs])
    return _with_origin(df.astype({"rate": float}), None)


def ecb_reference_rates() -> pd.DataFrame:
    """The ECB's euro reference rates bundled in ``watchlists/data/ecb_eurofxref.csv``.

    A wide frame: index ``date`` (each ECB business day from 2015-01-02 to the file's
    last day), one column per currency (units per one EUR; NaN where the ECB published
    none that day). The values are the ECB's own, copied unchanged; the file's source
    is in ``frame.attrs["source_url"]``. Use the last row on or before the day you need,
    and say its date (the file ends when it was bundled: later days have no rate here).
    """
    return _ecb_wide().copy()


@functools.lru_cache(maxsize=1)
def _ecb_wide() -> pd.DataFrame:
    import io

    from watchlists._user_data import _data_text

    text = _data_text("ecb_eurofxref.csv")
    sources = [line.split(":", 1)[1].strip() for line in text.splitlines()[:5]
               if line.startswith("# source:")]
    frame = pd.read_csv(io.StringIO(text), comment="#", index_col="date")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index, format="%Y-%m-%d"),
                                   name="date").as_unit("ns")
    frame = frame.astype("float64")
    frame.attrs["source_url"] = sources[0] if sources else ""
    return frame


# ------------------------------------------------------------------ derived queries
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
    day = as_date("asof", asof)
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
    later than the latest known full year; or a reported ``TTM-<date>`` fact; or the
    latest ``FY`` — whichever ends latest (ties in that order); otherwise ``None``.
    Returns ``(value, currency, basis)``, e.g. ``basis`` =
    ``"TTM to 9M-2025 (9M-2025 + FY2024 − 9M-2024)"`` or ``"FY2024"``; the period's end
    date is in :func:`ttm_revenue_detail`.
    """
    found = ttm_revenue_detail(company, asof)
    return None if found is None else found[:3]


def ttm_revenue_detail(
    company: str, asof: date | str | pd.Timestamp
) -> tuple[float, str, str, date] | None:
    """:func:`ttm_revenue` with the end date of its period: ``(value, currency, basis,
    period_end)``."""
    day = as_date("asof", asof)
    known: dict[str, Fact] = {}
    for f in fact_records(company, "revenue"):
        if f.asof <= day and (f.period not in known or _fact_key(f) > _fact_key(known[f.period])):
            known[f.period] = f
    # Candidates: (period end, value, currency, basis); the most recent period end wins,
    # ties go to the earlier candidate (a derived TTM, then an explicit TTM, then an FY).
    candidates: list[tuple[date, float, str, str]] = []
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
        candidates.append((period_bounds(p)[1], value, str(cur.currency), basis))
        break
    ttms = [f for p, f in known.items() if p.startswith("TTM-")]
    if ttms:
        f = max(ttms, key=_fact_key)
        candidates.append((period_bounds(f.period)[1], f.value, str(f.currency), f.period))
    if latest_fy is not None:
        f = latest_fy[1]
        candidates.append((period_bounds(f.period)[1], f.value, str(f.currency), f.period))
    if not candidates:
        return None
    best = max(candidates, key=lambda c: c[0])  # max keeps the first of equal ends
    return best[1], best[2], best[3], best[0]

"""Cross-listing premiums of companies with more than one listing, from the store.

The maths is :mod:`valuation.cross_listing`; this module finds the pairs in the
company profiles, reads their closes and FX rates from the :class:`~watchlists.store.Store`
(never a provider, nothing dated after ``asof``) and formats the results.

Pairs: for each company with two or more listings, every **secondary** listing is
line A and the **primary** listing line B, so the premium is of the secondary line over
the primary one: BABA (NYSE ADS, 8 shares) over 9988.HK, and 688981.SS (A share) over
0981.HK (H share), the "A/H premium". Premiums are per underlying ordinary share
(``Listing.shares_per_unit``) in line A's currency.

FX (B's currency → A's, units of A's currency per B's): one basis for the whole history,
chosen with the rules of :mod:`watchlists.fx` as they stand at ``asof``: the direct pair
(``'HKDUSD'``) if the store has any rate of it on or before ``asof``, else the inverse
pair (``1 / USDHKD``), else a cross via USD (each leg direct or inverse, on the dates
both legs have a rate). Each session uses the last rate dated on or before it, at most
``max_fx_age_days`` calendar days old (:func:`valuation.cross_listing.aligned_sessions`).
Unlike :func:`watchlists.fx.fx_quote` the history does not fall back to the bundled ECB
reference rates: with no stored rate there is no premium and a warning says which pair
to refresh.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from valuation.cross_listing import aligned_sessions, premium_history
from watchlists.records import Company, Listing, as_date

__all__ = [
    "SNAPSHOT_COLUMNS",
    "CrossListing",
    "ListingPair",
    "PremiumPoint",
    "cross_listing_premium",
    "listing_pairs",
    "premium_chart",
    "snapshot_columns",
    "to_html",
    "to_markdown",
]

_PIVOT = "USD"

#: Columns added to a snapshot table by :func:`snapshot_columns`.
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "cross_listing_premium", "cross_listing_zscore", "cross_listing_vs",
)


class ListingPair(NamedTuple):
    """Two listings of one company: the premium is of ``a`` over ``b``."""

    company: Company
    a: Listing
    b: Listing


@dataclass(frozen=True)
class PremiumPoint:
    """The last common session on or before ``asof`` (``date`` None when there is none)."""

    date: pd.Timestamp | None
    premium: float
    zscore: float
    mean: float
    std: float
    price_a: float
    price_b: float
    fx: float
    fx_date: pd.Timestamp | None


@dataclass(frozen=True, eq=False)
class CrossListing:
    """Premium of line ``a`` over line ``b`` of ``company`` as of ``asof``.

    ``history`` is :func:`valuation.cross_listing.premium_history` (common sessions up
    to ``asof``: ``price_a, price_b, fx, fx_date, premium, mean, std, zscore``);
    ``sessions`` is :func:`valuation.cross_listing.aligned_sessions` (every session of
    either line with its ``status``, so the dropped ones are listed). ``fx_pair`` is the
    rate used, ``from + to`` = B's currency + A's (units of A's currency per B's), and
    ``fx_basis`` how it was obtained from the store; ``fx_source`` the stored sources.
    """

    company: str
    name: str
    a: Listing
    b: Listing
    asof: dt.date
    window: int
    fx_pair: str
    fx_basis: str
    fx_source: str
    history: pd.DataFrame = field(repr=False)
    sessions: pd.DataFrame = field(repr=False)
    latest: PremiumPoint = field(repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def currency_a(self) -> str:
        return self.a.currency

    @property
    def currency_b(self) -> str:
        return self.b.currency

    @property
    def units_a(self) -> float:
        return float(self.a.shares_per_unit)

    @property
    def units_b(self) -> float:
        return float(self.b.shares_per_unit)

    @property
    def dropped(self) -> dict[str, int]:
        """Sessions of either line not used, counted by status."""
        s = self.sessions["status"]
        return {k: int(v) for k, v in s[s != "ok"].value_counts().sort_index().items()}

    def _repr_html_(self) -> str:
        return to_html([self], charts=False)


# ------------------------------------------------------------------ pairs
def _as_company(value: Company | str) -> Company:
    from watchlists.profiles import company

    if isinstance(value, Company):
        return value
    if isinstance(value, str):
        return company(value)
    raise TypeError(f"company must be a Company or a company key (str), got {value!r}")


def _pairs_of(c: Company) -> list[ListingPair]:
    primary = c.primary_listing
    if primary is None:
        return []
    return [ListingPair(c, x, primary) for x in c.listings if not x.primary]


def listing_pairs(companies: Iterable[Company | str] | None = None) -> list[ListingPair]:
    """Pairs ``(company, a, b)`` of every company with two or more listings.

    ``a`` is each secondary listing and ``b`` the primary one, in profile order.
    ``companies``: Company records or keys (slug, name, symbol, ...); ``None`` for every
    bundled and user company. Companies with fewer than two listings give no pair.
    """
    from watchlists.profiles import company_records

    if isinstance(companies, str | Company):
        companies = [companies]
    recs = company_records() if companies is None else [_as_company(x) for x in companies]
    seen: set[str] = set()
    out: list[ListingPair] = []
    for c in recs:
        if c.slug not in seen:
            seen.add(c.slug)
            out.extend(_pairs_of(c))
    return out


def _resolve(company_or_pair: Any) -> ListingPair:
    """A pair from a ListingPair, a (Company, Listing, Listing) tuple, a pair of symbols
    ``('0981.HK', '688981.SS')`` (any order), a Company or a key (its first pair; a
    secondary listing's symbol gives that listing's pair)."""
    from watchlists.profiles import listing

    x = company_or_pair
    if isinstance(x, ListingPair):
        return x
    if isinstance(x, tuple) and len(x) == 3 and isinstance(x[0], Company):
        return ListingPair(*x)
    if isinstance(x, tuple) and len(x) == 2 and all(isinstance(s, str) for s in x):
        (ca, la), (cb, lb) = listing(x[0]), listing(x[1])
        if ca.slug != cb.slug:
            raise ValueError(
                f"company_or_pair {x!r}: {la.symbol} is {ca.slug} but {lb.symbol} is {cb.slug}"
            )
        if la.symbol == lb.symbol:
            raise ValueError(f"company_or_pair {x!r} names the same listing twice")
        return ListingPair(ca, la, lb)
    if isinstance(x, str):
        c = _as_company(x)
        sym = x.strip().upper()
        for p in _pairs_of(c):
            if p.a.symbol == sym:
                return p
    elif isinstance(x, Company):
        c = x
    else:
        raise TypeError(
            "company_or_pair must be a company key, a Company, a ListingPair or two symbols, "
            f"got {x!r}"
        )
    pairs = _pairs_of(c)
    if not pairs:
        raise ValueError(
            f"company_or_pair {c.slug!r} has {len(c.listings)} listing(s): a cross-listing "
            "premium needs two"
        )
    return pairs[0]


# ------------------------------------------------------------------ FX from the store
def _leg(frame: pd.DataFrame, f: str, t: str) -> tuple[pd.Series, str, set[str]] | None:
    """Rates f→t on their own dates: the direct pair, else the inverse; None if neither."""
    direct = frame[frame["pair"] == f + t]
    if len(direct):
        s = pd.Series(direct["rate"].to_numpy(), index=pd.DatetimeIndex(direct["date"]))
        return s, f"{f}{t}", set(direct["source"])
    inverse = frame[frame["pair"] == t + f]
    if len(inverse):
        s = pd.Series(1.0 / inverse["rate"].to_numpy(), index=pd.DatetimeIndex(inverse["date"]))
        return s, f"inverse of {t}{f}", set(inverse["source"])
    return None


def _fx_series(store: Any, f: str, t: str, asof: dt.date) -> tuple[pd.Series, str, str]:
    """``(rates f→t on their own dates up to asof, basis, sources)``; empty if none."""
    empty = pd.Series(dtype=float, index=pd.DatetimeIndex([]))
    pairs = sorted({f + t, t + f, f + _PIVOT, _PIVOT + f, _PIVOT + t, t + _PIVOT} - {
        _PIVOT + _PIVOT})
    frame = store.read_fx(pairs, end=asof)
    hit = _leg(frame, f, t)
    if hit is not None:
        s, basis, sources = hit
    elif _PIVOT in (f, t):
        return empty, "none", ""
    else:
        one, two = _leg(frame, f, _PIVOT), _leg(frame, _PIVOT, t)
        if one is None or two is None:
            return empty, "none", ""
        both = pd.concat([one[0], two[0]], axis=1, join="inner")
        s = both.iloc[:, 0] * both.iloc[:, 1]
        basis = f"cross via {_PIVOT}: {one[1]} × {two[1]}"
        sources = one[2] | two[2]
    return s.sort_index(), basis, ", ".join(sorted(sources))


# ------------------------------------------------------------------ the premium
def _nan_point() -> PremiumPoint:
    nan = math.nan
    return PremiumPoint(None, nan, nan, nan, nan, nan, nan, nan, None)


_STATUS_TEXT = {
    "a not traded": "{a} did not trade",
    "b not traded": "{b} did not trade",
    "no fx on or before the date": "no {pair} rate on or before the day",
    "fx too old": "last {pair} rate more than {age} days old",
}


def cross_listing_premium(
    company_or_pair: Any,
    *,
    asof: object,
    store: Any,
    window: int = 250,
    min_periods: int | None = None,
    max_fx_age_days: int = 5,
) -> CrossListing:
    """Premium of one listing over another as of ``asof``, read from ``store`` only.

    ``company_or_pair``: a company key (slug, name, symbol: its first pair, or the pair
    of the secondary listing named), a :class:`Company`, a :class:`ListingPair` or two
    symbols ``(a, b)`` of one company in the orientation wanted. Closes up to ``asof``
    (inclusive) from ``store.price_table``, FX B→A from ``store.read_fx`` (see the module
    docstring); ``window``, ``min_periods`` and ``max_fx_age_days`` as in
    :func:`valuation.cross_listing.premium_history`. Nothing dated after ``asof`` is read.
    """
    pair = _resolve(company_or_pair)
    day = as_date("asof", asof)
    c, a, b = pair
    closes = store.price_table([a.symbol, b.symbol], end=day)
    ca, cb = closes[a.symbol], closes[b.symbol]
    fx_pair = b.currency + a.currency
    if a.currency == b.currency:
        fx = pd.Series(1.0, index=closes.index, dtype=float)
        basis, sources = "same currency", ""
    else:
        fx, basis, sources = _fx_series(store, b.currency, a.currency, day)
    hist = premium_history(ca, cb, fx, units_a=float(a.shares_per_unit),
                           units_b=float(b.shares_per_unit), window=window,
                           min_periods=min_periods, max_fx_age_days=max_fx_age_days)
    sessions = aligned_sessions(ca, cb, fx, max_fx_age_days=max_fx_age_days)
    warnings: list[str] = []
    where = f"{a.symbol} over {b.symbol}"
    if basis == "none":
        from watchlists.fx import fx_symbol

        warnings.append(
            f"{where}: no stored {b.currency}→{a.currency} rate on or before {day} (tried "
            f"{b.currency}{a.currency}, {a.currency}{b.currency} and a cross via {_PIVOT}); "
            f"run `watchlists refresh` online or add the pair "
            f"{fx_symbol(b.currency, a.currency)}"
        )
    if len(hist):
        last = hist.iloc[-1]
        latest = PremiumPoint(
            pd.Timestamp(hist.index[-1]), float(last["premium"]), float(last["zscore"]),
            float(last["mean"]), float(last["std"]), float(last["price_a"]),
            float(last["price_b"]), float(last["fx"]), pd.Timestamp(last["fx_date"]),
        )
        gap = (pd.Timestamp(day) - latest.date).days
        if gap > max_fx_age_days:
            warnings.append(
                f"{where}: last common session is {latest.date.date()}, {gap} days before "
                f"asof {day}; run `watchlists refresh` online"
            )
        if math.isnan(latest.zscore):
            need = window if min_periods is None else min_periods
            warnings.append(
                f"{where}: z-score needs {need} common sessions, have {len(hist)}"
                if len(hist) < need else f"{where}: z-score undefined (premium constant "
                "over the window)"
            )
    else:
        latest = _nan_point()
        if basis != "none":
            warnings.append(f"{where}: no common session on or before {day}")
    counts = {k: v for k, v in sessions["status"].value_counts().items() if k != "ok"}
    if counts:
        names = {"a": a.symbol, "b": b.symbol, "pair": fx_pair, "age": max_fx_age_days}
        parts = [f"{n} ({_STATUS_TEXT[k].format(**names)})" for k, n in sorted(counts.items())]
        warnings.append(f"{where}: sessions dropped: " + ", ".join(parts))
    return CrossListing(
        company=c.slug, name=c.name, a=a, b=b, asof=day, window=int(window), fx_pair=fx_pair,
        fx_basis=basis, fx_source=sources, history=hist, sessions=sessions, latest=latest,
        warnings=tuple(warnings),
    )


def snapshot_columns(snap_or_table: Any, store: Any, asof: object, *,
                     window: int = 250,
                     known: Sequence[CrossListing] = ()) -> pd.DataFrame:
    """Cross-listing columns for a snapshot table, one row per row of the table.

    ``snap_or_table``: a :class:`~watchlists.snapshots.Snapshot` (its ``.table``) or any
    DataFrame with a ``symbol`` column. Returns a DataFrame on the same index with
    :data:`SNAPSHOT_COLUMNS`: ``cross_listing_premium`` is the premium (decimal) of the
    row's own symbol over ``cross_listing_vs`` (the other line: the primary listing for a
    secondary one, the first secondary listing for a primary one) as of ``asof``;
    ``cross_listing_zscore`` its z-score against its trailing ``window`` common
    sessions. NaN/None for a symbol with one listing, unknown to the profiles, or
    without prices or FX. Merge with ``table.join(cols)``. ``known``: results already
    computed for this ``asof`` and ``window`` (by :func:`cross_listing_premium`), reused
    instead of reading the store again for the same pair.
    """
    from watchlists.profiles import listing

    table = getattr(snap_or_table, "table", snap_or_table)
    if not isinstance(table, pd.DataFrame) or "symbol" not in table.columns:
        raise ValueError(
            "snap_or_table must be a Snapshot or a DataFrame with a 'symbol' column, got "
            f"{type(snap_or_table).__name__}"
        )
    day = as_date("asof", asof)
    prem = np.full(len(table), np.nan)
    z = np.full(len(table), np.nan)
    vs: list[str | None] = [None] * len(table)
    done: dict[tuple[str, str], CrossListing] = {(r.a.symbol, r.b.symbol): r for r in known}
    for i, sym in enumerate(table["symbol"].tolist()):
        if not isinstance(sym, str) or not sym:
            continue
        try:
            c, own = listing(sym)
        except KeyError:
            continue
        if len(c.listings) < 2:
            continue
        others = [x for x in c.listings if x.symbol != own.symbol]
        other = c.primary_listing if not own.primary else others[0]
        assert other is not None
        vs[i] = other.symbol
        key = (own.symbol, other.symbol)
        if key not in done:
            done[key] = cross_listing_premium(ListingPair(c, own, other), asof=day,
                                              store=store, window=window)
        prem[i], z[i] = done[key].latest.premium, done[key].latest.zscore
    out = pd.DataFrame({"cross_listing_premium": prem, "cross_listing_zscore": z},
                       index=table.index)
    out["cross_listing_vs"] = pd.Series(vs, index=table.index, dtype=object)
    return out[list(SNAPSHOT_COLUMNS)]


# ------------------------------------------------------------------ display
def _pct(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x * 100:+.2f} %"


def _num(x: float, spec: str = "+.2f") -> str:
    return "n/a" if x is None or not math.isfinite(x) else format(x, spec)


def _rows(results: Sequence[CrossListing]) -> list[dict[str, str]]:
    rows = []
    for r in results:
        p = r.latest
        fx = ("n/a" if p.date is None else
              f"{r.fx_pair} {p.fx:.6g} of {p.fx_date.date()} ({r.fx_basis}"
              + (f"; {r.fx_source}" if r.fx_source else "") + ")")
        rows.append({
            "Company": r.name,
            "Line": f"{r.a.symbol} ({r.a.currency}, {r.units_a:g} sh/unit)",
            "Over": f"{r.b.symbol} ({r.b.currency}, {r.units_b:g} sh/unit)",
            "Premium": _pct(p.premium),
            f"z ({r.window}d)": _num(p.zscore),
            "Date": "n/a" if p.date is None else str(p.date.date()),
            "FX": fx,
            "Sessions": str(len(r.history)),
        })
    return rows


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(results: Sequence[CrossListing]) -> str:
    """A Markdown section: one table row per pair, then the warnings."""
    out = ["## Cross-listing premiums", ""]
    if not results:
        return "\n".join([*out, "No company with two listings.", ""])
    out += [
        "Premium of the line over the other, per underlying share, in the line's currency, "
        "through the stored FX rate of the same day (or the last one before it); z-score "
        "against its trailing window of common sessions including the day.", "",
    ]
    rows = _rows(results)
    head = list(rows[0])
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join("---" for _ in head) + "|")
    out += ["| " + " | ".join(_md_cell(row[h]) for h in head) + " |" for row in rows]
    warnings = [w for r in results for w in r.warnings]
    if warnings:
        out += ["", "Warnings:", ""] + [f"- {_md_cell(w)}" for w in warnings]
    return "\n".join(out) + "\n"


def premium_chart(result: CrossListing) -> bytes | None:
    """SVG: the premium history with its trailing mean and ±2σ band; None if empty."""
    from watchlists._svg import BASE, Legend, days
    from watchlists.charts import _line_chart

    h = result.history
    if h.empty:
        return None
    x = days(h.index)
    lo, hi = (h["mean"] - 2 * h["std"]) * 100, (h["mean"] + 2 * h["std"]) * 100
    last = result.latest
    title = (f"{result.name}: {result.a.symbol} over {result.b.symbol}, per share in "
             f"{result.a.currency} (to {last.date.date() if last.date else 'n/a'})")
    series = [(x, (h["premium"] * 100).to_numpy(), Legend("premium", "line", "#1f77b4", width=1.4)),
              (x, (h["mean"] * 100).to_numpy(),
               Legend(f"{result.window}-session mean", "line", "#555555", dash="6 3",
                      width=1.0))]
    band = (lo.to_numpy(), hi.to_numpy(),
            Legend("mean ± 2σ", "band", "#1f77b4", opacity=0.15))
    return _line_chart(title, title, x, series, band=band, ref=0.0, ylabel="premium, %",
                       width=750.0, plot_h=220.0, ref_color="#999999", title_size=BASE)


_HTML = """<section class="cross-listings">
<h2>Cross-listing premiums</h2>
{% if not rows %}<p>No company with two listings.</p>{% else %}
<p>Premium of the line over the other, per underlying share, in the line's currency, through
the stored FX rate of the same day (or the last one before it); z-score against its trailing
window of common sessions including the day.</p>
<table>
<thead><tr>{% for h in head %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}
<tr>{% for h in head %}<td>{{ row[h] }}</td>{% endfor %}</tr>{% endfor %}
</tbody>
</table>{% endif %}
{% for fig in figures %}<figure>
<img src="{{ fig.src }}" alt="{{ fig.alt }}">
<figcaption>{{ fig.alt }}</figcaption>
</figure>
{% endfor %}{% if warnings %}<ul class="warnings">{% for w in warnings %}
<li>{{ w }}</li>{% endfor %}
</ul>{% endif %}
</section>
"""


def to_html(results: Sequence[CrossListing], *, charts: bool = True) -> str:
    """An HTML fragment (escaped by jinja2's autoescape): the table, one chart per pair
    (an SVG data URI ``<img>``; no script, link or iframe) and the warnings."""
    import jinja2

    from watchlists.charts import data_uri

    rows = _rows(results)
    figures = []
    for r in results if charts else ():
        svg = premium_chart(r)
        if svg is not None:
            figures.append({
                "src": data_uri(svg),
                "alt": f"{r.name}: premium of {r.a.symbol} over {r.b.symbol} with its "
                       f"{r.window}-session mean ± 2σ",
            })
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_HTML).render(
        rows=rows, head=list(rows[0]) if rows else [], figures=figures,
        warnings=[w for r in results for w in r.warnings],
    )

"""Two spheres: two watchlists' equal-weight baskets compared in one currency.

:func:`two_spheres` reads the store (never fetches) as of ``asof`` and builds, for two
watchlists (by default ``china-ai-compute`` against ``western-ai-compute``):

* each member's daily closes converted into one ``currency`` (``b``'s base currency by
  default) with the stored FX rate of the same date: the last stored rate on or before
  that day, never a later one (direct pair, inverse pair, or a cross via USD);
* each member's simple returns on its own trading days (so the return after a holiday
  spans the holiday), and an equal-weight basket rebalanced daily
  (:func:`valuation.spheres.basket_returns`: members without a return that day are
  left out and the others reweighted);
* both baskets compounded onto their common dates (a day only one sphere trades rolls
  into its next common date, so no return is lost), then relative performance,
  rolling correlation, rolling OLS beta of ``a`` on ``b``, a Chow test at
  ``break_date`` and a CUSUM test (:mod:`valuation.spheres`).

A member without a listing currency, stored closes or a stored FX rate is left out with
a warning naming it; ``coverage`` lists which symbols were used.  Nothing dated after
``asof`` is read.  :func:`to_markdown`, :func:`to_html` and :func:`summary_rows` only
format a :class:`Spheres`.

Timing: Asian sessions close before New York opens, so a same-day pairing compares
Asia's day ``t`` with New York's day ``t``, part of which happens after Asia closed;
``lag=1`` pairs ``a`` on day ``t`` with ``b`` on the previous common date.  See
``docs/spheres.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from valuation.risk import simple_returns
from valuation.spheres import (
    BreakTest,
    basket_returns,
    chow_test,
    cusum_test,
    relative_performance,
    rolling_correlation,
    rolling_regression,
)

from ._display import MISSING, date_text, num, pct, text
from ._display import md_escape as _md
from ._display import md_table as _md_table
from .definitions import Watchlist, load_watchlist
from .errors import DataQualityError
from .market import price_history
from .records import as_date, check_currency
from .snapshots import _utc, parse_asof

__all__ = ["COVERAGE_COLUMNS", "Spheres", "spheres_chart", "summary_rows", "to_html",
           "to_markdown", "two_spheres"]

_PIVOT = "USD"
#: An FX rate older than this (calendar days) before a close is named in a warning.
_FX_MAX_AGE_DAYS = 7

COVERAGE_COLUMNS: tuple[str, ...] = ("sphere", "symbol", "currency", "fx", "used",
                                     "first_date", "last_date", "returns", "note")
"""Columns of :attr:`Spheres.coverage`, one row per watchlist member."""


@dataclass(frozen=True)
class Spheres:
    """Two baskets compared as of ``asof`` (see :func:`two_spheres`).

    ``returns`` has columns ``a`` and ``b``: the baskets' daily returns in ``currency``
    on their common dates; ``relative`` is ``a``'s growth over ``b``'s since the first
    of them; ``correlation`` and ``regression`` (``beta``, ``alpha`` annualised,
    ``rsquared``) are rolling over ``window`` observations, ``a`` regressed on ``b``
    lagged ``lag`` dates; ``chow`` (when ``break_date`` was given) and ``cusum`` are the
    break tests (``None`` when there was too little data, with a warning);
    ``coverage`` has one row per member (:data:`COVERAGE_COLUMNS`).
    """

    a: str
    b: str
    currency: str
    asof: dt.date
    window: int
    lag: int
    returns: pd.DataFrame
    relative: pd.Series
    correlation: pd.Series
    regression: pd.DataFrame
    chow: BreakTest | None
    cusum: BreakTest | None
    coverage: pd.DataFrame
    warnings: tuple[str, ...]
    break_date: dt.date | None = None

    @property
    def tests(self) -> tuple[BreakTest, ...]:
        """The break tests that were run (Chow first)."""
        return tuple(t for t in (self.chow, self.cusum) if t is not None)

    def _repr_html_(self) -> str:
        return to_html(self, chart=False)


# --------------------------------------------------------------------------- FX


def _stored_series(store: Any, f: str, t: str, end: pd.Timestamp) -> pd.Series | None:
    """Stored ``f→t`` rates up to ``end`` (direct pair, else the inverse pair)."""
    for pair, invert in ((f + t, False), (t + f, True)):
        frame = store.read_fx([pair], end=end)
        frame = frame[frame["rate"] > 0]
        if not frame.empty:
            rates = frame.set_index("date")["rate"].astype(float)
            return 1.0 / rates if invert else rates
    return None


def _fx_rates(store: Any, f: str, t: str, end: pd.Timestamp) -> tuple[pd.Series | None, str]:
    """Daily ``f→t`` rates dated by their own session (``None`` if the store has none)
    and a description of where they come from."""
    direct = _stored_series(store, f, t, end)
    if direct is not None:
        return direct, f"{f}/{t}"
    if _PIVOT not in (f, t):
        a, b = _stored_series(store, f, _PIVOT, end), _stored_series(store, _PIVOT, t, end)
        if a is not None and b is not None:
            # A cross on a date uses each leg's last rate on or before it.
            days = a.index.union(b.index)
            cross = a.reindex(days, method="ffill") * b.reindex(days, method="ffill")
            return cross.dropna(), f"{f}/{t} via {_PIVOT}"
    return None, ""


def _listing_currency(symbol: str, stored: dict[str, str]) -> str | None:
    from . import profiles

    try:
        _company, listing = profiles.listing(symbol)
    except (KeyError, LookupError, ValueError):
        return stored.get(symbol.upper())
    return getattr(listing, "currency", None) or stored.get(symbol.upper())


# --------------------------------------------------------------------------- assembly


def _member_returns(wl: Watchlist, day: dt.date, currency: str, store: Any, years: float,
                    warnings: list[str], rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Each listed member's daily returns in ``currency`` (dates × symbols)."""
    end = pd.Timestamp(day)
    symbols = list(wl.symbols)
    closes = price_history(symbols, day, store=store, years=years) if symbols else None
    profiles = store.read_profiles(symbols, asof=day) if symbols else pd.DataFrame()
    stored_ccy = {str(r.symbol).upper(): r.currency for r in profiles.itertuples()
                  if isinstance(getattr(r, "currency", None), str)}
    fx_cache: dict[str, tuple[pd.Series | None, str]] = {}
    out: dict[str, pd.Series] = {}
    for member in wl.members:
        row: dict[str, Any] = {"sphere": wl.name, "symbol": member.symbol, "currency": None,
                               "fx": None, "used": False, "first_date": pd.NaT,
                               "last_date": pd.NaT, "returns": 0, "note": ""}
        rows.append(row)
        sym = member.symbol
        if sym is None:
            row["note"] = f"unlisted ({member.company}): not priced"
            continue
        ccy = _listing_currency(sym, stored_ccy)
        row["currency"] = ccy
        who = f"{sym} ({wl.name})"
        series = closes[sym].dropna() if closes is not None and sym in closes else pd.Series()
        series = series[series > 0]
        if series.empty:
            row["note"] = "no stored closes"
            warnings.append(f"{who}: no stored close in the {years:g} years to {day}; left "
                            "out (run `watchlists refresh` online)")
            continue
        if ccy is None:
            row["note"] = "no listing currency"
            warnings.append(f"{who}: no listing currency (no bundled listing or stored "
                            "profile); left out")
            continue
        if ccy == currency:
            row["fx"] = "same currency"
            converted = series
        else:
            if ccy not in fx_cache:
                fx_cache[ccy] = _fx_rates(store, ccy, currency, end)
            rates, basis = fx_cache[ccy]
            if rates is None:
                row["note"] = f"no stored FX rate {ccy}/{currency}"
                warnings.append(f"{who}: no stored FX rate from {ccy} to {currency} on or "
                                f"before {day}; left out (refresh the pair online or add "
                                "it to the store)")
                continue
            row["fx"] = basis
            # The last rate on or before each close's date, never a later one.
            used = rates.reindex(series.index, method="ffill")
            rate_day = pd.Series(rates.index, index=rates.index).reindex(series.index,
                                                                         method="ffill")
            converted = (series * used).dropna()
            lost = len(series) - len(converted)
            if lost:
                warnings.append(f"{who}: {lost} closes before the first stored {basis} "
                                f"rate ({date_text(rates.index[0])}) are not used")
            age = (series.index - pd.DatetimeIndex(rate_day)).days
            old = int(np.nansum(age > _FX_MAX_AGE_DAYS))
            if old:
                warnings.append(f"{who}: {old} closes converted with a {basis} rate more "
                                f"than {_FX_MAX_AGE_DAYS} days older (up to "
                                f"{int(np.nanmax(age))} days)")
        if len(converted) < 2:
            row["note"] = "fewer than two usable closes"
            warnings.append(f"{who}: fewer than two closes in {currency}; left out")
            continue
        r = simple_returns(converted)
        out[sym] = r
        row.update(used=True, first_date=converted.index[0], last_date=converted.index[-1],
                   returns=int(r.notna().sum()))
    if not out:
        return pd.DataFrame()
    return pd.concat(out, axis=1).sort_index()


def _on_common_dates(ra: pd.Series, rb: pd.Series) -> pd.DataFrame:
    """Both baskets' returns between consecutive common dates (compounded in between).

    A return on a date only one sphere traded rolls into that sphere's next common
    date, so the growth of each basket over the period is kept whole.
    """
    ra, rb = ra.dropna(), rb.dropna()
    common = ra.index.intersection(rb.index).sort_values()
    out = {}
    for name, r in (("a", ra), ("b", rb)):
        growth = (1.0 + r).cumprod()
        out[name] = growth.loc[common].pct_change()
    return pd.DataFrame(out, index=common).iloc[1:]


def _break_day(value: Any, asof: dt.date) -> dt.date | None:
    if value is None:
        return None
    day = as_date("break_date", value)
    if day > asof:
        raise ValueError(f"break_date {day} is after asof {asof}: nothing after asof is read")
    return day


def two_spheres(
    a: str | os.PathLike[str] | Watchlist = "china-ai-compute",
    b: str | os.PathLike[str] | Watchlist = "western-ai-compute",
    *,
    asof: dt.date | str | None = None,
    break_date: dt.date | str | None = None,
    years: float = 2,
    store: Any = None,
    now: dt.datetime | None = None,
    window: int = 60,
    currency: str | None = None,
    lag: int = 0,
) -> Spheres:
    """Compare two watchlists' equal-weight baskets as of ``asof``, reading only.

    Parameters
    ----------
    a, b : str, path or Watchlist
        The two watchlists (bundled name, file path or a loaded :class:`Watchlist`);
        ``a`` is regressed on ``b``.
    asof : date or ISO string, optional
        The last date used (default: today at ``now``); nothing after it is read.
    break_date : date or ISO string, optional
        The first day of a suspected new regime (an export-control announcement, say),
        tested by a Chow test; on or before ``asof``.
    years : float
        History before ``asof`` to read (default 2).
    store : Store, optional
        The SQLite store (default: :func:`watchlists.store.open_store`).
    now : datetime, optional
        The current time, for ``asof=None`` and the future-date check.
    window : int
        Observations per rolling window (default 60, about three months).
    currency : str, optional
        The common currency (default: ``b``'s base currency).
    lag : int
        Pair ``a`` on a date with ``b`` ``lag`` common dates earlier (0 or 1 usually).

    Raises
    ------
    ValueError
        Bad arguments (an unknown currency, a break date outside the data, too few
        observations on a side of it), naming the argument and the value.
    DataQualityError
        A sphere with no usable member, or fewer common dates than ``window``.
    """
    from .store import open_store

    now_utc = _utc(now)
    day = parse_asof(asof, now_utc)
    wl_a = a if isinstance(a, Watchlist) else load_watchlist(a)
    wl_b = b if isinstance(b, Watchlist) else load_watchlist(b)
    if wl_a.name == wl_b.name:
        raise ValueError(f"a and b must be two different watchlists, got {wl_a.name!r} twice")
    ccy = check_currency("currency", currency.upper() if isinstance(currency, str)
                         else currency) if currency is not None else wl_b.base_currency
    brk = _break_day(break_date, day)
    if isinstance(years, bool) or not isinstance(years, int | float) or not years > 0:
        raise ValueError(f"years must be > 0, got {years!r}")
    if isinstance(window, bool) or not isinstance(window, int) or window < 3:
        raise ValueError(f"window must be an integer of at least 3, got {window!r}")
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
        raise ValueError(f"lag must be an integer >= 0, got {lag!r}")
    own_store = store is None
    if own_store:
        store = open_store()
    warnings: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        with store.read_snapshot():
            ret_a = _member_returns(wl_a, day, ccy, store, years, warnings, rows)
            ret_b = _member_returns(wl_b, day, ccy, store, years, warnings, rows)
    finally:
        if own_store:
            store.close()
    for wl, frame in ((wl_a, ret_a), (wl_b, ret_b)):
        if frame.empty:
            raise DataQualityError(
                f"no member of {wl.name} has stored closes convertible to {ccy} on or before "
                f"{day}; run `watchlists refresh` online (prices and FX)")
    returns = _on_common_dates(basket_returns(ret_a), basket_returns(ret_b))
    n = len(returns)
    if n < window:
        raise DataQualityError(
            f"{wl_a.name} and {wl_b.name} share {n} trading dates to {day}, fewer than the "
            f"window of {window}; lower the window or read more years")
    relative = relative_performance(returns["a"], returns["b"])
    correlation = rolling_correlation(returns["a"], returns["b"], window, lag=lag)
    regression = rolling_regression(returns["a"], returns["b"], window, lag=lag)
    chow = None
    if brk is not None:
        chow = chow_test(returns["a"], returns["b"], pd.Timestamp(brk), lag=lag)
    try:
        cusum = cusum_test(returns["a"], returns["b"], lag=lag)
    except ValueError as exc:
        cusum = None
        warnings.append(f"CUSUM test not run: {exc}")
    coverage = pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))
    for col in ("first_date", "last_date"):
        coverage[col] = pd.to_datetime(coverage[col]).astype("datetime64[ns]")
    return Spheres(a=wl_a.name, b=wl_b.name, currency=ccy, asof=day, window=window, lag=lag,
                   returns=returns, relative=relative, correlation=correlation,
                   regression=regression, chow=chow, cusum=cusum, coverage=coverage,
                   warnings=tuple(warnings), break_date=brk)


# --------------------------------------------------------------------------- display


def _full_sample(s: Spheres) -> tuple[float, float]:
    """Correlation and OLS beta of ``a`` on ``b`` (lagged) over the whole sample."""
    pair = pd.DataFrame({"y": s.returns["a"], "x": s.returns["b"].shift(s.lag)}).dropna()
    if len(pair) < 3 or np.ptp(pair["x"].to_numpy()) == 0:
        return math.nan, math.nan
    corr = float(pair["y"].corr(pair["x"]))
    beta = float(np.polyfit(pair["x"].to_numpy(), pair["y"].to_numpy(), 1)[0])
    return corr, beta


def _last(series: pd.Series) -> tuple[float, Any]:
    valid = series.dropna()
    return (math.nan, None) if valid.empty else (float(valid.iloc[-1]), valid.index[-1])


def _members_used(s: Spheres, sphere: str) -> str:
    cov = s.coverage[(s.coverage["sphere"] == sphere) & s.coverage["symbol"].notna()]
    used = cov[cov["used"]]["symbol"].tolist()
    return f"{len(used)} of {len(cov)}: " + (", ".join(used) if used else MISSING)


def summary_rows(s: Spheres) -> list[tuple[str, str]]:
    """``(figure, value)`` rows summarising ``s``: for a CLI table or a report."""
    r = s.returns
    growth = (1.0 + r).prod() - 1.0
    corr, beta = _full_sample(s)
    last_corr, corr_day = _last(s.correlation)
    last_beta, beta_day = _last(s.regression["beta"])
    last_rel, _ = _last(s.relative)
    lag = "same day" if s.lag == 0 else f"{s.b} lagged {s.lag} trading day(s)"
    rows = [
        ("Spheres", f"{s.a} (a) vs {s.b} (b)"),
        ("Currency", s.currency),
        ("Period", f"{date_text(r.index[0])} to {date_text(r.index[-1])}, {len(r)} common "
                   "trading dates" if len(r) else MISSING),
        ("Pairing", lag),
        (f"Members used ({s.a})", _members_used(s, s.a)),
        (f"Members used ({s.b})", _members_used(s, s.b)),
        (f"Basket return ({s.a})", pct(float(growth["a"]))),
        (f"Basket return ({s.b})", pct(float(growth["b"]))),
        ("Relative performance (a over b)", pct(last_rel)),
        ("Correlation, whole period", num(corr)),
        ("Beta of a on b, whole period", num(beta)),
        (f"Rolling correlation ({s.window} obs.), latest",
         f"{num(last_corr)} on {date_text(corr_day)}" if corr_day is not None else MISSING),
        (f"Rolling beta ({s.window} obs.), latest",
         f"{num(last_beta)} on {date_text(beta_day)}" if beta_day is not None else MISSING),
    ]
    for t in s.tests:
        rows.append((f"{'Chow' if t.name == 'chow' else 'CUSUM'} test", t.verdict))
    return rows


def _test_rows(s: Spheres) -> list[list[str]]:
    return [[("Chow (known date)" if t.name == "chow" else "CUSUM (unknown date)"),
             date_text(t.break_date) if t.break_date is not None else MISSING,
             f"{t.statistic:.3f}", f"{t.pvalue:.4f}", str(t.n_before),
             str(t.n_after) if t.name == "chow" else MISSING, t.verdict] for t in s.tests]


def _coverage_rows(s: Spheres) -> list[list[str]]:
    return [[text(r.sphere), text(r.symbol), text(r.currency), text(r.fx),
             "yes" if r.used else "no", str(r.returns), text(r.note, "")]
            for r in s.coverage.itertuples()]


_TEST_HEADERS = ("Test", "Break date", "Statistic", "p-value", "n before", "n after",
                 "Verdict")
_COVERAGE_HEADERS = ("Sphere", "Symbol", "Currency", "FX", "Used", "Returns", "Note")






def to_markdown(s: Spheres) -> str:
    """A '## The two spheres' Markdown section: summary, break tests, coverage, warnings."""
    lines = ["## The two spheres", "",
             _md(f"Equal-weight baskets of {s.a} and {s.b}, rebalanced daily, daily simple "
                 f"returns in {s.currency} on the dates both trade, as of {s.asof}. "
                 f"Rolling figures use {s.window} observations."), ""]
    lines += [*_md_table(("Figure", "Value"), summary_rows(s)), ""]
    if s.tests:
        lines += ["### Structural-break tests", ""]
        lines += [*_md_table(_TEST_HEADERS, _test_rows(s)), ""]
    lines += ["### Coverage", "", *_md_table(_COVERAGE_HEADERS, _coverage_rows(s)), ""]
    if s.warnings:
        lines += ["### Warnings", ""] + [f"- {_md(w)}" for w in s.warnings] + [""]
    return "\n".join(lines)


def spheres_chart(s: Spheres) -> bytes | None:
    """SVG: relative performance (top) and rolling beta and correlation (bottom), on
    one date axis, with the break date when one is tested."""
    if s.relative.dropna().empty:
        return None
    from ._svg import (
        BASE,
        Chart,
        Legend,
        Panel,
        data_range,
        date_ticks,
        days,
        numeric_ticks,
        y_tick_room,
    )

    width, plot_h = 800.0, 190.0
    rel = 100 * s.relative.to_numpy(dtype=float)
    beta_ = s.regression["beta"].to_numpy(dtype=float)
    corr = s.correlation.to_numpy(dtype=float)
    xr = data_range(days(s.relative.index), days(s.regression.index),
                    days(s.correlation.index), margin=0.02)
    top_y = data_range(rel, include=[0.0])
    bottom_y = data_range(beta_, corr, include=[0.0])
    ticks = (numeric_ticks(*top_y, 5), numeric_ticks(*bottom_y, 5))
    left = max(y_tick_room(t) for t in ticks) + 34
    entries = [Legend("beta of a on b", "line", "#c05000"),
               Legend("correlation", "line", "#2a7f3f")]
    if s.break_date is not None:
        entries.append(Legend(f"break date {s.break_date}", "line", "#7a1f9e", dash="6 3"))
    alt = f"Relative performance of {s.a} over {s.b}, and rolling beta and correlation"
    chart = Chart(width, 0, alt=alt)
    titles = (f"{s.a} over {s.b}: relative performance, % ({s.currency}, to {s.asof})",
              f"Rolling {s.window}-observation beta and correlation")
    panels = []
    for k, (yr, title) in enumerate(zip((top_y, bottom_y), titles)):
        top = 34 + k * (plot_h + 70)
        chart.text(left, top - 10, title, size=BASE, weight="600", room=width - left - 16)
        panels.append(Panel(chart, left, top, width - left - 20, plot_h, x=xr, y=yr))
    up, down = panels
    up.line(days(s.relative.index), rel, "#1f5fa8", width=1.4)
    down.line(days(s.regression.index), beta_, "#c05000", width=1.3)
    down.line(days(s.correlation.index), corr, "#2a7f3f", width=1.3)
    for panel, yticks, ylabel in zip(panels, ticks, ("%", None)):
        panel.hline(0.0, "#888888", width=0.8)
        if s.break_date is not None:
            panel.vline(float(days([pd.Timestamp(s.break_date)])[0]), "#7a1f9e", dash="6 3")
        panel.axes(xticks=date_ticks(*xr), yticks=yticks, ylabel=ylabel)
    chart.height = chart.legend(entries, 2 * (plot_h + 70) + 10) + 14  # a margin below
    return chart.svg()


_HTML = """\
<section class="spheres">
<h2>The two spheres</h2>
<p>Equal-weight baskets of {{ a }} and {{ b }}, rebalanced daily, daily simple returns in
{{ currency }} on the dates both trade, as of {{ asof }}. Rolling figures use {{ window }}
observations.</p>
<table class="spheres-summary"><thead><tr><th>Figure</th><th>Value</th></tr></thead><tbody>
{% for f, v in summary %}<tr><td>{{ f }}</td><td>{{ v }}</td></tr>
{% endfor %}</tbody></table>
{% if tests %}<h3>Structural-break tests</h3>
<table class="tests"><thead><tr>{% for h in test_headers %}<th>{{ h }}</th>{% endfor %}</tr>
</thead><tbody>
{% for row in tests %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>{% endif %}
{% if chart %}<img alt="{{ chart_alt }}" src="{{ chart }}">
{% endif %}<h3>Coverage</h3>
<table class="coverage"><thead><tr>{% for h in coverage_headers %}<th>{{ h }}</th>
{% endfor %}</tr></thead><tbody>
{% for row in coverage %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% if warnings %}<h3>Warnings</h3><ul>{% for w in warnings %}<li>{{ w }}</li>{% endfor %}
</ul>{% endif %}
</section>
"""


def to_html(s: Spheres, *, chart: bool = True) -> str:
    """An HTML fragment (``<section>``): summary and test tables, the chart as an SVG
    data URI (with ``chart``), coverage and warnings; all text from data is escaped."""
    import jinja2

    from .charts import data_uri

    svg = spheres_chart(s) if chart else None
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_HTML).render(
        a=s.a, b=s.b, currency=s.currency, asof=s.asof.isoformat(), window=s.window,
        summary=summary_rows(s), tests=_test_rows(s), test_headers=_TEST_HEADERS,
        coverage=_coverage_rows(s), coverage_headers=_COVERAGE_HEADERS,
        warnings=list(s.warnings),
        chart=data_uri(svg),
        chart_alt=f"Relative performance of {s.a} over {s.b}, and rolling beta and correlation",
    )

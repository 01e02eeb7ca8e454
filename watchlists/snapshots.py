"""The watchlist snapshot: one dated, sourced row per member.

``snapshot(watchlist, asof)`` only *reads*: prices, price history and provider analyst
data from the store, and the sourced reference data (bundled and user). It never
builds a provider, fetches or writes; refresh first (:func:`watchlists.refresh_all`,
or ``watchlists report --refresh``) to bring the store up to date. It then calls
:mod:`valuation` once over all members (returns, volatility and beta over the whole
price table; DCF and reverse DCF vectorised). Nothing dated after ``asof`` is used,
and the table depends only on what was known at ``asof``: the same store and data
give the same table whatever was run before. Missing inputs give NaN and a reason in
``warnings``; they never raise.

Conventions: prices, targets and values per share are in the listing's trading
currency (``currency``); revenue is in the reporting currency (``revenue_currency``)
and is converted with the stored FX rate on or before ``asof`` when the two differ.
Returns are simple, decimal (0.10 = +10 %).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import calendars, profiles
from ._display import fmt_num
from ._snapshot_targets import (
    CHANGE_COLUMNS,
    TARGET_COLUMNS,
    changes,
    consensus_row,
    member_targets,
    target_label,
)
from .definitions import Member, Watchlist, load_watchlist
from .records import as_date

__all__ = ["CHANGE_COLUMNS", "TABLE_COLUMNS", "TARGET_COLUMNS", "WARNING_COLUMNS", "Snapshot",
           "snapshot"]

TABLE_COLUMNS: tuple[str, ...] = (
    "company", "name", "symbol", "currency", "price", "price_date", "price_source", "stale",
    "calendar", "status",
    "ret_1d", "ret_1m", "ret_3m", "ret_ytd", "ret_1y", "volatility", "sharpe", "max_drawdown",
    "high_52w", "high_52w_date",
    "high_52w_basis", "drawdown_from_high", "beta",
    "cross_listing_premium", "cross_listing_zscore", "cross_listing_vs",
    "consensus_count", "consensus_mean", "consensus_median", "consensus_high", "consensus_low",
    "consensus_source", "consensus_upside", "consensus_upside_from_high",
    "named_targets", "min_target_bound", "min_target_bound_upside", "min_target_bound_note",
    "dcf_value", "dcf_upside", "implied_growth", "implied_growth_status",
    "revenue", "revenue_currency", "revenue_basis", "revenue_source", "revenue_fx", "shares",
    "shares_basis", "shares_source", "operating_margin", "operating_margin_source", "net_cash",
    "net_cash_source", "assumptions", "note", "warnings",
)
"""Columns of :attr:`Snapshot.table`, in order (see :func:`snapshot` for their meaning)."""

WARNING_COLUMNS: tuple[str, ...] = ("company", "symbol", "message")
"""Columns of :attr:`Snapshot.warnings`: the member (None for the whole watchlist) and
what was missing, stale or guessed."""

REFERENCE_COLUMNS: tuple[str, ...] = ("symbol", "date", "kind", "value", "currency", "source",
                                      "source_url")
"""Columns of :attr:`Snapshot.reference_points`: the sourced reference quotes known at
``asof`` for the members (``source`` is ``bundled`` or ``user``)."""

RETURN_WINDOWS: dict[str, str] = {
    "ret_1d": "1d", "ret_1m": "1m", "ret_3m": "3m", "ret_ytd": "ytd", "ret_1y": "1y",
}
_MIN_RETURNS_FOR_RISK = 20
_RISK_COLUMNS = (*RETURN_WINDOWS, "volatility", "sharpe", "max_drawdown", "beta")
HIGH_MIN_COVERAGE = 0.8
"""A 52-week high from stored history needs prices on at least this share of the
exchange's sessions in the window; otherwise the high is unknown (see :func:`snapshot`)."""


@dataclass(frozen=True)
class Snapshot:
    """A watchlist as of a date (see :func:`snapshot`).

    Attributes
    ----------
    watchlist : Watchlist
    asof : datetime.date
        Point in time: nothing dated later was used.
    generated_at : datetime.datetime
        When the snapshot was computed (UTC).
    table : pandas.DataFrame
        One row per member, columns :data:`TABLE_COLUMNS`.
    targets : pandas.DataFrame
        Named-broker targets known at ``asof``, columns :data:`TARGET_COLUMNS`.
    history : pandas.DataFrame
        Daily closes (dates × symbols, benchmark included) for the year to ``asof``.
    reference_points : pandas.DataFrame
        Sourced reference quotes known at ``asof`` for the members, columns
        :data:`REFERENCE_COLUMNS` (what the charts draw when there is no history).
    changes : pandas.DataFrame
        Differences from the latest stored run of this watchlist with an earlier
        ``asof``, columns :data:`CHANGE_COLUMNS`; empty on the first run.
    warnings : pandas.DataFrame
        Everything that was missing, stale or guessed, one row each, columns
        :data:`WARNING_COLUMNS`.
    sources : tuple of str
        Where the figures came from, counted by their real source, for the footer.
    offline : bool
        True unless a refresh made online just before was passed in (``refresh=``):
        the figures are as stored or sourced, each with its own date.
    """

    watchlist: Watchlist
    asof: dt.date
    generated_at: dt.datetime
    table: pd.DataFrame = field(repr=False)
    targets: pd.DataFrame = field(repr=False)
    history: pd.DataFrame = field(repr=False)
    reference_points: pd.DataFrame = field(repr=False)
    changes: pd.DataFrame = field(repr=False)
    warnings: pd.DataFrame = field(repr=False)
    sources: tuple[str, ...] = ()
    offline: bool = True
    cross_listings: tuple[Any, ...] = field(default=(), repr=False)
    track_record: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when every listed member has a fresh price and no member failed."""
        status = self.table["status"]
        return bool(status.isin(["ok", "unlisted"]).all())

    def run_record(self) -> dict[str, Any]:
        """What a report run stores (the snapshot's own table and current target views),
        so a later run can list what changed."""
        from ._snapshot_targets import run_record

        return run_record(self.table, self.targets)

    def _repr_html_(self) -> str:
        from ._display import html_fragment

        return html_fragment(self)


# --------------------------------------------------------------------------- helpers


def _utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    return now if now.tzinfo else now.replace(tzinfo=dt.UTC)


def parse_asof(asof: object, now: dt.datetime, field: str = "asof") -> dt.date:
    """Validate ``asof`` (date, ISO string or None = today) against ``now``.

    Raises ``ValueError`` naming ``field`` and the value for an unparsable date, a date
    in the future, or a date before 2000-01-01 (before any data this library holds).
    """
    today = now.astimezone(dt.UTC).date()
    if asof is None:
        return today
    if isinstance(asof, str):
        text = asof.strip()
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError(f"{field} {asof!r} is in ISO format but is not a date on the "
                                 "calendar") from None
            raise ValueError(f"{field} {asof!r} is not a date in ISO format (YYYY-MM-DD)"
                             ) from None
    else:
        day = as_date(field, asof)
    # The latest date anywhere on Earth (UTC+14) may already be tomorrow in UTC: a date is
    # in the future only when no exchange's clock has reached it yet.
    latest = (now.astimezone(dt.UTC) + dt.timedelta(hours=14)).date()
    if day > latest:
        raise ValueError(f"{field} {day.isoformat()} is in the future (today is "
                         f"{today.isoformat()} in UTC)")
    if day < dt.date(2000, 1, 1):
        raise ValueError(f"{field} {day.isoformat()} is before any data (2000-01-01)")
    return day


def _window_start(asof: pd.Timestamp, window: str) -> pd.Timestamp | None:
    return {
        "1m": asof - pd.DateOffset(months=1),
        "3m": asof - pd.DateOffset(months=3),
        "1y": asof - pd.DateOffset(years=1),
        "ytd": pd.Timestamp(year=asof.year, month=1, day=1) - pd.Timedelta(days=1),
    }.get(window)


def _gap_returns(closes: pd.DataFrame) -> pd.DataFrame:
    """Simple returns from each symbol's previous *available* close (an exchange's own
    holidays are not gaps); NaN where there is no close."""
    return closes / closes.ffill().shift(1) - 1.0


def _risk_table(closes: pd.DataFrame, symbols: list[str], bench: str | None,
                asof: pd.Timestamp) -> pd.DataFrame:
    """Window returns, volatility, Sharpe ratio, maximum drawdown and beta of every symbol
    at once (one row per symbol).

    Window returns end at the last close on or before ``asof``; the start is the last
    close on or before the window's start date (for YTD, the last close of the previous
    year); NaN when history does not reach back that far or has fewer than two closes.
    Volatility, Sharpe (annualised, risk-free rate 0), maximum drawdown and beta use the
    daily closes and returns of the year to ``asof`` (more than
    :data:`_MIN_RETURNS_FOR_RISK` closes needed); beta is against ``bench``.
    """
    from valuation import annualized_volatility, beta, max_drawdown, sharpe_ratio

    out = pd.DataFrame(np.nan, index=pd.Index(symbols, dtype=object),
                       columns=[*_RISK_COLUMNS, "closes"])
    c = closes.reindex(columns=symbols).astype(float)
    c = c[c.index <= asof]
    if c.empty:
        out["closes"] = 0
        return out
    counts = c.notna().sum()
    out["closes"] = counts
    last = c.ffill().iloc[-1]
    enough = counts >= 2
    out["ret_1d"] = _gap_returns(c).ffill().iloc[-1].where(enough)
    for col, window in RETURN_WINDOWS.items():
        if window == "1d":
            continue
        before = c[c.index <= _window_start(asof, window)]
        if len(before):
            out[col] = (last / before.ffill().iloc[-1] - 1.0).where(enough)
    year = c[c.index > asof - pd.DateOffset(years=1)]
    risky = [s for s in symbols if year[s].notna().sum() > _MIN_RETURNS_FOR_RISK]
    if risky:
        rets = _gap_returns(year[risky]).iloc[1:]
        out.loc[risky, "volatility"] = annualized_volatility(rets)
        out.loc[risky, "sharpe"] = sharpe_ratio(rets, risk_free=0.0)
        out.loc[risky, "max_drawdown"] = max_drawdown(year[risky])
        if bench and bench in closes.columns and closes[bench].notna().sum() > 1:
            b = closes[bench][closes.index <= asof].dropna()
            b_rets = b / b.shift(1) - 1.0
            try:
                out.loc[risky, "beta"] = beta(rets, b_rets.iloc[1:])["beta"]
            except ValueError:  # no common dates: beta unknown
                pass
    return out


class _Highs:
    """The stored part of every listed symbol's 52-week high, computed once over the
    whole price table: per symbol the number of days with a stored high or close in the
    window, the highest of them and its first date (see :func:`_high_52w`)."""

    def __init__(self, highs: pd.DataFrame, closes: pd.DataFrame, symbols: list[str],
                 asof: pd.Timestamp) -> None:
        self.start = start = asof - pd.DateOffset(weeks=52)
        parts = []
        for frame in (highs, closes):
            if frame.shape[1] and len(frame):
                parts.append(frame[(frame.index > start) & (frame.index <= asof)])
        index = parts[0].index if parts else pd.DatetimeIndex([])
        for part in parts[1:]:
            index = index.union(part.index)
        cols = list(dict.fromkeys(symbols))
        best = np.full((len(index), len(cols)), np.nan)
        for part in parts:
            values = part.reindex(index=index, columns=cols).to_numpy(dtype=float)
            best = np.fmax(best, values)  # the max of a high and a close; NaN only if both
        self.index = index
        self.values = best
        self.column = {c: k for k, c in enumerate(cols)}
        has = ~np.isnan(best)
        self.has = has
        self.covered = has.sum(axis=0)
        self.top = np.full(len(cols), np.nan)
        self.top_at = np.full(len(cols), -1)
        some = self.covered > 0
        if some.any():
            filled = np.where(has[:, some], best[:, some], -np.inf)
            self.top_at[some] = filled.argmax(axis=0)  # the first date of the highest
            self.top[some] = best[:, some][self.top_at[some], np.arange(int(some.sum()))]
        self._sessions: dict[Any, tuple[int, np.ndarray]] = {}

    def sessions(self, sym: str, asof: pd.Timestamp) -> tuple[int, np.ndarray]:
        """Sessions of ``sym``'s exchange in the window, and which stored days are among
        them (cached per calendar rule)."""
        key = calendars._rule(sym)  # a frozen dataclass: the sessions depend only on it
        if key not in self._sessions:
            days = calendars.sessions_between(sym, self.start + pd.Timedelta(days=1), asof)
            self._sessions[key] = (len(days), np.asarray(self.index.isin(days)))
        return self._sessions[key]

    def covered_sessions(self, sym: str, asof: pd.Timestamp) -> tuple[int, int]:
        """``(stored days that are sessions, sessions)`` of ``sym`` in the window: a bar on
        a day the exchange was closed does not count towards the coverage."""
        n, is_session = self.sessions(sym, asof)
        return int(self.has[is_session, self.column[sym]].sum()), n


def _high_52w(sym: str, stored: _Highs, quotes: pd.DataFrame, asof: pd.Timestamp
              ) -> tuple[float, pd.Timestamp | None, str]:
    """The 52-week high to ``asof``: ``(value, date, basis)``; NaN when unknown.

    From stored daily highs (or closes where a high is missing) when they cover at least
    :data:`HIGH_MIN_COVERAGE` of the exchange's sessions in the window. Otherwise a
    sourced reference quote of kind ``intraday_high`` in the window may serve, when it is
    the only high known and no known price in the window is above it; else unknown,
    and ``basis`` says why.
    """
    k = stored.column[sym]
    covered, sessions = stored.covered_sessions(sym, asof)
    if sessions and covered / sessions >= HIGH_MIN_COVERAGE:
        return float(stored.top[k]), pd.Timestamp(stored.index[stored.top_at[k]]), \
            f"stored history ({covered} of {sessions} sessions)"
    coverage = f"{covered} of {sessions} sessions stored"
    if len(quotes):
        q = quotes[(quotes["date"] > stored.start) & (quotes["date"] <= asof)]
        ih = q[q["kind"] == "intraday_high"]
        if len(ih):
            best = ih.loc[ih["value"].idxmax()]
            level = float(best["value"])
            above = (covered and stored.top[k] > level) or bool((q["value"] > level).any())
            if not above:
                return (level, pd.Timestamp(best["date"]),
                        f"{best['source']} reference intraday high of {best['date'].date()} "
                        f"(the only high known; {coverage})")
    return float("nan"), None, (f"unknown ({coverage}, under {HIGH_MIN_COVERAGE:.0%}; no "
                                "reference intraday high)")


def _by_symbol(frame: pd.DataFrame | None) -> dict[Any, pd.DataFrame]:
    """``frame`` split by its ``symbol`` column once (each part keeps its rows' order
    and labels, exactly as ``frame[frame["symbol"] == sym]`` would)."""
    if frame is None or not len(frame) or "symbol" not in frame.columns:
        return {}
    return dict(iter(frame.groupby("symbol", sort=False, dropna=True)))


def _first_quote_after(
    quotes: pd.DataFrame, asof: pd.Timestamp
) -> tuple[pd.Timestamp, str, float] | None:
    """The first of a symbol's reference ``quotes`` if all of them postdate ``asof``
    and one is its IPO price.

    Used only to explain a missing price (e.g. a company that listed after ``asof``);
    the quote itself is never used as a price.
    """
    if quotes.empty or (quotes["date"] <= asof).any() or not (quotes["kind"] == "ipo_price").any():
        return None
    first = quotes.sort_values("date").iloc[0]
    return pd.Timestamp(first["date"]), str(first["kind"]), float(first["value"])


def _assumption_summary(member: Member) -> str:
    a = member.assumptions
    parts = []
    for key in ("revenue_growth", "discount_rate", "terminal_growth", "target_margin",
                "sales_to_capital"):
        value = getattr(a, key)
        src = a.source_of(key)
        parts.append(f"{key}={value if value is not None else 'unknown'} ({src})")
    return ", ".join(parts)


def _fx_quote(store: Any, from_ccy: str, to_ccy: str, on: dt.date) -> Any:
    """The FX quote (rate, its own date and source) on or before ``on``, or None."""
    from .errors import DataQualityError
    from .fx import fx_quote

    try:
        return fx_quote(from_ccy, to_ccy, on, store=store)
    except (DataQualityError, ValueError):
        return None


# --------------------------------------------------------------------------- DCF inputs


@dataclass
class _DCFInput:
    index: int
    label: str
    revenue: float
    shares: float
    price_local: float  # price per ordinary share, in the revenue currency
    to_listing: float  # listing-currency units per revenue-currency unit per traded unit
    member: Member
    operating_margin: float | None = None
    net_cash: float | None = None


def _dcf_inputs(
    member: Member, asof: dt.date, price: float, currency: str | None, store: Any,
    row: dict[str, Any], warn: Any, index: int, fundamentals: pd.DataFrame,
    profile: dict | None,
) -> _DCFInput | None:
    from . import _snapshot_fundamentals as sf

    fig, provider = sf.provider_figures(fundamentals)  # this member's rows only
    rev = sf.revenue(member, asof, fig, provider)
    if rev is None:
        warn(f"no revenue known at {asof} (sourced facts or statements): no DCF or implied "
             "growth" + ("; run `watchlists refresh` online to fetch statements"
                         if member.bare else ""))
        return None
    rev_ccy = rev.currency
    row.update(revenue=rev.value, revenue_currency=rev_ccy, revenue_basis=rev.basis,
               revenue_source=rev.source)
    listing = None
    if member.symbol and member.company is not None:
        _, listing = profiles.listing(member.symbol)
    found = sf.shares(member, asof, fig, provider, profile,
                      None if listing is None else listing.shares_per_unit)
    if found is None:
        warn(f"shares outstanding unknown at {asof}: no value per share")
        return None
    chosen, per_unit = found
    row.update(shares=chosen.value, shares_basis=chosen.basis, shares_source=chosen.source)
    margin, margin_source = sf.margin(member, fig, provider, rev)
    cash, cash_source = sf.net_cash(member, fig, provider, rev_ccy)
    row.update(operating_margin=np.nan if margin is None else margin,
               operating_margin_source=margin_source,
               net_cash=np.nan if cash is None else cash, net_cash_source=cash_source)
    if not (math.isfinite(price) and currency and rev_ccy):
        return None
    quote = _fx_quote(store, rev_ccy, currency, asof)
    if quote is None:
        warn(f"revenue is in {rev_ccy}, the price in {currency}, and no {rev_ccy}/{currency} "
             f"rate is known on or before {asof} (store or bundled ECB rates): no DCF value "
             "(run `watchlists refresh` online to fetch FX)")
        return None
    fx = quote.rate
    if rev_ccy != currency:
        row["revenue_fx"] = quote.basis
        age = (pd.Timestamp(asof) - quote.date).days
        if age > 7:
            warn(f"revenue converted at {quote.basis}, {age} days before the as-of date")
    return _DCFInput(index=index, label=str(member.symbol), revenue=rev.value,
                     shares=chosen.value, price_local=price / per_unit / fx,
                     to_listing=fx * per_unit, member=member, operating_margin=margin,
                     net_cash=cash)


def _series(inputs: list[_DCFInput], fn: Any) -> pd.Series:
    return pd.Series([fn(i) for i in inputs], index=[i.label for i in inputs], dtype=float)


def _value_members(inputs: list[_DCFInput], rows: list[dict[str, Any]], warn: Any) -> None:
    """Vectorised DCF and reverse DCF over every member with complete inputs.

    Inputs are Series labelled by symbol, so the models' warnings come back labelled
    (``warning_table``) and are attached to the member they concern.
    """
    if not inputs:
        return
    from valuation import dcf, fade_path, implied_growth

    by_label = {i.label: i for i in inputs}

    def attach(result: Any) -> None:
        for w in result.warning_table.itertuples():
            inp = by_label.get(str(w.company))
            warn(w.message, inputs=inp)

    for i in inputs:
        a = i.member.assumptions
        if i.operating_margin is None:
            warn(f"operating margin unknown; the target margin {a.target_margin:.0%} is used "
                 "from year one", inputs=i)
        if i.net_cash is None:
            warn("net cash unknown; taken as 0", inputs=i)
        if a.revenue_growth is None:
            warn("revenue_growth not set in the watchlist: no DCF value (the implied growth "
                 "is still shown)", inputs=i)
    # Years and margin_years are integers shared by a call: group members by them.
    groups: dict[tuple[int, int, int], list[_DCFInput]] = {}
    for i in inputs:
        a = i.member.assumptions
        groups.setdefault((a.high_years, a.fade_years, a.margin_years), []).append(i)
    for (high, fade, my), group in groups.items():
        kw = dict(
            operating_margin=_series(group, lambda i: i.operating_margin
                                     if i.operating_margin is not None
                                     else i.member.assumptions.target_margin),
            target_margin=_series(group, lambda i: i.member.assumptions.target_margin),
            tax_rate=_series(group, lambda i: i.member.assumptions.tax_rate),
            sales_to_capital=_series(group, lambda i: i.member.assumptions.sales_to_capital),
            discount_rate=_series(group, lambda i: i.member.assumptions.discount_rate),
            terminal_growth=_series(group, lambda i: i.member.assumptions.terminal_growth),
            terminal_roic=_series(group,
                                  lambda i: i.member.assumptions.effective_terminal_roic),
            net_cash=_series(group, lambda i: i.net_cash or 0.0),
            shares=_series(group, lambda i: i.shares),
        )
        revenue = _series(group, lambda i: i.revenue)
        price_local = _series(group, lambda i: i.price_local)
        ig = implied_growth(price_local, revenue, high_years=high, fade_years=fade,
                            margin_years=my, **kw)
        attach(ig)
        growth, status = pd.Series(ig.growth), pd.Series(ig.status)
        for i in group:
            rows[i.index]["implied_growth"] = float(growth[i.label])
            rows[i.index]["implied_growth_status"] = str(status[i.label])
        known = [i for i in group if i.member.assumptions.revenue_growth is not None]
        if not known:
            continue
        labels = [i.label for i in known]
        start = _series(known, lambda i: i.member.assumptions.revenue_growth)
        path = fade_path(start, kw["terminal_growth"][labels], high, fade)
        res = dcf(revenue[labels], path, margin_years=my, price=price_local[labels],
                  **{key: value[labels] for key, value in kw.items()})
        attach(res)
        vps = pd.Series(res.value_per_share)
        for i in known:
            row = rows[i.index]
            row["dcf_value"] = float(vps[i.label] * i.to_listing)
            row["dcf_upside"] = row["dcf_value"] / row["price"] - 1.0


# --------------------------------------------------------------------------- snapshot


@dataclass(frozen=True)
class _Inputs:
    """Everything a snapshot reads, read before any computation."""

    prices: pd.DataFrame
    closes: pd.DataFrame
    highs: pd.DataFrame
    provider_consensus: pd.DataFrame
    actions: pd.DataFrame
    previous: dict[str, Any] | None
    read_warnings: tuple[str, ...]
    profiles: dict[str, dict[str, Any]]  # symbol -> latest stored provider profile
    fundamentals: pd.DataFrame  # statement figures known at asof


def _read_inputs(wl: Watchlist, day: dt.date, store: Any, now: dt.datetime) -> _Inputs:
    from .market import PRICE_COLUMNS, latest_prices, price_history

    asof_ts = pd.Timestamp(day)
    symbols = list(wl.price_symbols)
    notes: list[str] = []
    if symbols:
        prices = latest_prices(symbols, day, store=store, now=now)
        closes = price_history(symbols, day, store=store, years=2)
        highs = price_history(symbols, day, store=store, years=1, field="high")
    else:
        prices = pd.DataFrame(columns=list(PRICE_COLUMNS))
        closes = highs = pd.DataFrame()
    try:
        provider_consensus = store.read_consensus(list(wl.symbols), asof=asof_ts)
        actions = store.read_actions(list(wl.symbols), asof=asof_ts)
    except Exception as exc:  # noqa: BLE001 - an old or partial store must not sink the report
        notes.append(f"stored analyst data unreadable ({exc}); named sourced targets only")
        provider_consensus, actions = pd.DataFrame(), pd.DataFrame()
    try:
        previous = store.last_run(wl.name, before=day)
    except Exception as exc:  # noqa: BLE001 - no history of runs is not a failure
        notes.append(f"previous runs unreadable ({exc}): no changes listed")
        previous = None
    stored = store.read_profiles(symbols)
    by_symbol = {str(r["symbol"]).upper(): r for r in stored.to_dict("records")}
    fundamentals = store.read_fundamentals(list(wl.symbols), asof=asof_ts)
    return _Inputs(prices.set_index("symbol"), closes, highs, provider_consensus, actions,
                   previous, tuple(notes), by_symbol, fundamentals)


def snapshot(
    watchlist: Watchlist | str | os.PathLike[str],
    asof: dt.date | str | None = None,
    *,
    store: Any = None,
    now: dt.datetime | None = None,
    refresh: Any = None,
) -> Snapshot:
    """Value every member of ``watchlist`` as of ``asof``, reading only.

    Parameters
    ----------
    watchlist : Watchlist, str or path
        A loaded watchlist, a bundled name (``"china-ai-compute"``) or a TOML path.
    asof : date or ISO string, optional
        Point in time (default: today, UTC). Prices, targets and facts dated after it
        are not used. A future date or one before 2000 raises ``ValueError``.
    store : Store, optional
        The SQLite store (default: :func:`watchlists.store.open_store` of the default
        home, closed again on return). Only read.
    now : datetime, optional
        The current time (default: the clock); staleness is judged against the earlier
        of it and the end of ``asof`` on each exchange.
    refresh : RefreshReport, optional
        The result of a refresh made just before (:func:`watchlists.refresh_all`); it
        only labels the snapshot: ``offline`` is False when it was made online.

    Returns
    -------
    Snapshot
        ``.table`` has one row per member with the columns of :data:`TABLE_COLUMNS`:

        - ``company`` (slug), ``name``, ``symbol`` (None when unlisted), ``currency``
          (trading currency);
        - ``price``, ``price_date``, ``price_source`` (where the price really came
          from: the provider that filled the store, e.g. ``yahoo``, or ``bundled`` /
          ``user`` for a sourced reference close; ``unavailable``, ``unlisted``),
          ``stale`` (older than the last completed session of the exchange at
          ``asof``), ``status`` (``ok``, ``stale``, ``unlisted``, ``unavailable: …`` or
          ``error: …``);
        - ``ret_1d``, ``ret_1m``, ``ret_3m``, ``ret_ytd``, ``ret_1y``: simple returns to
          the last close; ``volatility``: annualised stdev of daily returns over the
          year; ``sharpe``: annualised Sharpe ratio of those returns (risk-free rate 0);
          ``max_drawdown``: the largest peak-to-trough fall of the year's closes (≤ 0);
          ``high_52w`` / ``high_52w_date`` / ``high_52w_basis``: the 52-week high,
          known only when stored history covers at least 80 % of the exchange's
          sessions in the window, or from a reference intraday high when that is the only
          high known (``high_52w_basis`` says which, or why it is unknown);
          ``drawdown_from_high`` = price / high − 1; ``beta`` against the watchlist's
          benchmark (daily returns, one year);
        - ``cross_listing_premium`` (decimal) of the member's line over its company's
          other listing ``cross_listing_vs`` per underlying share, in one currency through
          the stored FX rate of the day, and ``cross_listing_zscore`` against its trailing
          250 common sessions (:mod:`watchlists.cross_listings`; NaN for one listing);
        - ``consensus_*``: count, mean, median, high, low of the latest target per
          broker (a provider's stored consensus when there is one, else the named
          brokers by the one rule of :func:`valuation.consensus`), ``consensus_source``,
          ``consensus_upside`` (mean / price − 1) and ``consensus_upside_from_high``
          (mean / 52-week high − 1);
        - ``named_targets``: each named-broker target with its date and, when not
          current, why; ``min_target_bound``: the lower bound implied by a min-upside
          claim (reference × (1 + min_upside)), ``min_target_bound_upside`` from the
          price, and ``min_target_bound_note`` when a claim's reference is unknown;
        - ``dcf_value`` per traded unit in the trading currency and ``dcf_upside``;
          ``implied_growth`` (reverse DCF: the high-phase revenue growth the price
          implies) and ``implied_growth_status``;
        - ``revenue``, ``revenue_currency``, ``revenue_basis`` (TTM or FY),
          ``revenue_source``, ``revenue_fx`` (the FX rate that converted revenue into the
          trading currency, with its own date and source), ``shares``, ``shares_basis``,
          ``shares_source``
          (``bundled`` or ``user``), ``assumptions`` (each DCF assumption with its
          source: default, watchlist or member);
        - ``note`` (the member's thesis) and ``warnings`` (this member's, joined).

    Examples
    --------
    >>> import watchlists
    >>> snap = watchlists.snapshot("china-ai-compute", "2025-12-04")
    >>> row = snap.table.set_index("company").loc["cambricon"]
    >>> float(row["price"]), row["price_source"]
    (1369.0, 'bundled')
    >>> int(row["consensus_count"]), float(row["consensus_mean"])
    (2, 2052.0)
    """
    from .store import open_store

    now_utc = _utc(now)
    wl = watchlist if isinstance(watchlist, Watchlist) else load_watchlist(watchlist)
    day = parse_asof(asof, now_utc)
    own_store = store is None
    if own_store:
        store = open_store()
    try:
        offline = refresh is None or bool(getattr(refresh, "offline", True))
        # One read transaction for the whole snapshot: the latest price, the histories,
        # the analyst data, the runs and the FX rates all come from one committed state.
        with store.read_snapshot():
            inputs = _read_inputs(wl, day, store, now_utc)
            return _assemble(wl, day, now_utc, store, inputs, offline)
    finally:
        if own_store:
            store.close()


class _Warnings:
    """Collects warnings as rows (company, symbol, message) and per member."""

    def __init__(self) -> None:
        self.rows: list[tuple[str | None, str | None, str]] = []
        self.by_member: dict[int, list[str]] = {}

    def add(self, message: str, *, index: int | None = None, member: Member | None = None
            ) -> None:
        company = member.company if member is not None else None
        symbol = member.symbol if member is not None else None
        self.rows.append((company, symbol, message))
        if index is not None:
            self.by_member.setdefault(index, []).append(message)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(WARNING_COLUMNS), dtype=object)


def _target_columns(row: dict[str, Any], tgt: pd.DataFrame, price: float) -> None:
    """A member's ``named_targets`` and min-upside bound columns from its target rows."""
    records = list(tgt.itertuples())
    row["named_targets"] = "; ".join(target_label(t) for t in records)
    is_bound = tgt["kind"] == "min_upside"
    bounds = tgt.loc[is_bound, "implied_min_target"].dropna()
    if len(bounds):
        row["min_target_bound"] = float(bounds.max())
        if math.isfinite(price):
            row["min_target_bound_upside"] = row["min_target_bound"] / price - 1.0
    elif is_bound.any():
        row["min_target_bound_note"] = "; ".join(
            target_label(t) for t, b in zip(records, is_bound, strict=True) if b)


def _reference_points(wl: Watchlist) -> pd.DataFrame:
    quotes = profiles.reference_quotes()
    quotes = quotes[quotes["symbol"].isin(list(wl.symbols))].rename(columns={"origin": "source"})
    return quotes.reindex(columns=[*REFERENCE_COLUMNS, "confidence", "note"])


def _assemble(wl: Watchlist, day: dt.date, now_utc: dt.datetime, store: Any,
              inputs: _Inputs, offline: bool) -> Snapshot:
    asof_ts = pd.Timestamp(day)
    log = _Warnings()
    for note in inputs.read_warnings:
        log.add(note)
    rows: list[dict[str, Any]] = []
    all_targets: list[pd.DataFrame] = []
    dcf_inputs: list[_DCFInput] = []
    prices, closes, highs = inputs.prices, inputs.closes, inputs.highs
    bench = wl.benchmark
    if bench and not (bench in closes.columns and closes[bench].notna().sum() > 1):
        log.add(f"benchmark {bench}: no price history in the store at {day}: no beta")
    listed = [m.symbol for m in wl.members if m.symbol]
    risk = _risk_table(closes, listed, bench, asof_ts)

    # Sourced data, built into frames once per snapshot rather than once per member, and
    # every per-symbol input split by symbol once (no member × rows filters).
    all_quotes = _reference_points(wl)
    known_quotes = all_quotes[all_quotes["date"] <= asof_ts]
    sourced_targets = profiles.targets()
    quotes_of, no_quotes = _by_symbol(all_quotes), all_quotes.iloc[0:0]
    targets_of, no_targets = _by_symbol(sourced_targets), sourced_targets.iloc[0:0]
    actions_of = _by_symbol(inputs.actions)
    consensus_of = _by_symbol(inputs.provider_consensus)
    no_consensus = inputs.provider_consensus.iloc[0:0]
    fundamentals_of = _by_symbol(inputs.fundamentals)
    no_fundamentals = inputs.fundamentals.iloc[0:0]
    price_of: Any = (dict(zip(prices.index, prices.to_dict("records"), strict=True))
                     if prices.index.is_unique else prices.loc)
    risk_of: Any = (dict(zip(risk.index, risk.to_dict("records"), strict=True))
                    if risk.index.is_unique else risk.loc)
    stored_highs = _Highs(highs, closes, listed, asof_ts)
    basis_of: dict[Any, str] = {}
    for index, member in enumerate(wl.members):
        comp = profiles.company(member.company) if member.company is not None else None
        stored = inputs.profiles.get(str(member.symbol).upper()) if member.symbol else None
        name = comp.name if comp is not None else (
            (stored or {}).get("name") or str(member.symbol))

        def warn(message: str, *, m: Member = member, i: int = index) -> None:
            log.add(message, index=i, member=m)

        row: dict[str, Any] = dict.fromkeys(TABLE_COLUMNS, float("nan"))
        row.update(company=member.company, name=name, symbol=member.symbol, note=member.note,
                   currency=None, price_date=None, price_source="", stale=False, status="",
                   calendar="", consensus_source="", named_targets="",
                   implied_growth_status="", revenue_currency=None, revenue_basis="",
                   revenue_source="", revenue_fx="", shares_basis="", shares_source="",
                   cross_listing_vs=None,
                   operating_margin_source="", net_cash_source="", min_target_bound_note="",
                   high_52w_basis="", assumptions=_assumption_summary(member),
                   high_52w_date=None)
        rows.append(row)
        if member.symbol is None:
            row.update(status="unlisted", price_source="unlisted")
            warn(f"{name}: unlisted, no price")
            continue
        try:
            sym = member.symbol
            quotes = quotes_of.get(sym, no_quotes)
            p = price_of[sym]
            price = float(p["price"])
            rule = calendars._rule(sym)
            if rule not in basis_of:
                basis_of[rule] = calendars.calendar_basis(sym, day)
            row.update(currency=p["currency"], price=price,
                       price_date=None if pd.isna(p["price_date"]) else
                       pd.Timestamp(p["price_date"]).date(),
                       price_source=p["source"], stale=bool(p["stale"]), status=p["status"],
                       calendar=basis_of[rule])
            if p["stale"] and p["note"]:
                warn(str(p["note"]))
            if not math.isfinite(price):
                first = _first_quote_after(quotes, asof_ts)
                if first is not None:
                    row["status"] = (f"unavailable: not trading yet at {day} (first quote "
                                     f"{first[0].date()}: {first[1]} {fmt_num(first[2])})")
                elif member.bare and stored is None:
                    row["status"] = ("no data yet: run `watchlists refresh` (a Yahoo symbol "
                                     "with no profile of ours and nothing stored)")
                warn(row["status"])
            r = risk_of[sym]
            row.update({col: float(r[col]) for col in _RISK_COLUMNS})
            if r["closes"] == 0:
                warn("no price history in the store: returns, volatility and beta unknown")
            high, high_date, basis = _high_52w(sym, stored_highs, quotes, asof_ts)
            row.update(high_52w=high, high_52w_basis=basis,
                       high_52w_date=None if high_date is None else high_date.date())
            if math.isfinite(high) and math.isfinite(price):
                row["drawdown_from_high"] = price / high - 1.0
            tgt, cons, tw = member_targets(member, asof_ts, price, high,
                                           targets_of.get(sym, no_targets),
                                           actions_of.get(sym), row["currency"])
            for w in tw:
                warn(w)
            cols, named, cw = consensus_row(member, cons, consensus_of.get(sym, no_consensus),
                                            price, high, row["currency"])
            for w in cw:
                warn(w)
            row.update(cols)
            if len(tgt):  # (a member without targets has nothing more to fill in)
                if not named:
                    tgt = tgt.assign(in_consensus=False)
                _target_columns(row, tgt, price)
                all_targets.append(tgt)
            inp = _dcf_inputs(member, day, price, row["currency"], store, row, warn, index,
                              fundamentals_of.get(sym, no_fundamentals), stored)
            if inp is not None:
                dcf_inputs.append(inp)
        except Exception as exc:  # noqa: BLE001 - one member never sinks the others
            row["status"] = f"error: {type(exc).__name__}: {exc}"
            warn(row["status"])

    def value_warn(message: str, *, inputs: _DCFInput | None = None) -> None:
        if inputs is None:
            log.add(message)
        else:
            log.add(message, index=inputs.index, member=inputs.member)

    try:
        _value_members(dcf_inputs, rows, value_warn)
    except (ValueError, TypeError) as exc:
        log.add(f"valuation failed: {exc}")
    cross = _cross_listings(wl, day, store, rows, log)
    record = _track_record(wl, day, now_utc, store, log)
    for index, row in enumerate(rows):
        row["warnings"] = "; ".join(log.by_member.get(index, []))

    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for col in ("company", "symbol", "currency", "revenue_currency", "price_date",
                "high_52w_date", "cross_listing_vs"):
        table[col] = table[col].astype(object).where(table[col].notna(), None)
    nonempty = [t for t in all_targets if len(t)]
    targets = (pd.concat(nonempty, ignore_index=True) if nonempty
               else pd.DataFrame(columns=list(TARGET_COLUMNS)))
    thresholds = {m.symbol or m.company: m.assumptions.upside_alert for m in wl.members}
    moved, notes = changes(inputs.previous, table, targets, thresholds)
    for note in notes:
        log.add(note)
    history = closes[closes.index > asof_ts - pd.DateOffset(years=1)] if len(closes) else closes
    return Snapshot(watchlist=wl, asof=day, generated_at=now_utc, table=table, targets=targets,
                    history=history, reference_points=known_quotes.reset_index(drop=True),
                    changes=moved, warnings=log.frame(), sources=_sources(table, targets, offline),
                    offline=offline, cross_listings=cross, track_record=record)


def _cross_listings(wl: Watchlist, day: dt.date, store: Any, rows: list[dict[str, Any]],
                    log: _Warnings) -> tuple[Any, ...]:
    """The premium of each member over its company's other listing (columns
    ``cross_listing_*``) and the pairs' histories for the report
    (:mod:`watchlists.cross_listings`). A failure is a warning, never the snapshot's."""
    from .cross_listings import cross_listing_premium, listing_pairs, snapshot_columns

    slugs = list(dict.fromkeys(m.company for m in wl.members if m.company is not None))
    try:
        pairs = [p for p in listing_pairs(slugs)
                 if {p.a.symbol, p.b.symbol} & set(wl.symbols)] if slugs else []
        if not pairs:
            return ()
        results = tuple(cross_listing_premium(p, asof=day, store=store) for p in pairs)
        cols = snapshot_columns(pd.DataFrame({"symbol": [r["symbol"] for r in rows]}), store,
                                day, known=results)
        for row, (premium, zscore, vs) in zip(rows, cols.itertuples(index=False), strict=True):
            row.update(cross_listing_premium=premium, cross_listing_zscore=zscore,
                       cross_listing_vs=vs)
    except Exception as exc:  # noqa: BLE001 - an analytic never sinks the snapshot
        log.add(f"cross-listing premiums not computed: {type(exc).__name__}: {exc}")
        return ()
    index_of = {m.symbol: i for i, m in enumerate(wl.members) if m.symbol}
    for r in results:
        i = index_of.get(r.a.symbol, index_of.get(r.b.symbol))
        for w in r.warnings:
            log.add(f"cross-listing {r.a.symbol} over {r.b.symbol}: {w}", index=i,
                    member=None if i is None else wl.members[i])
    return results


def _track_record(wl: Watchlist, day: dt.date, now: dt.datetime, store: Any,
                  log: _Warnings) -> Any:
    """How the members' dated analyst targets fared (:mod:`watchlists.track_records`)."""
    from .track_records import track_record

    try:
        return track_record(wl, asof=day, store=store, now=now)
    except Exception as exc:  # noqa: BLE001 - an analytic never sinks the snapshot
        log.add(f"analyst target track record not computed: {type(exc).__name__}: {exc}")
        return None


def _count_by(values: pd.Series) -> str:
    counts = values.value_counts(sort=False)
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))


def _sources(table: pd.DataFrame, targets: pd.DataFrame, offline: bool) -> tuple[str, ...]:
    """The report footer: every figure counted by the source it really came from."""
    out = []
    listed = table[table["symbol"].notna()]
    for source, sel in listed.groupby("price_source", sort=True):
        if source == "unavailable":
            continue
        dates = pd.to_datetime(sel["price_date"])
        where = ("reference quotes (sourced, each with its URL)" if source in ("bundled", "user")
                 else "via the SQLite store")
        origin = {"bundled": "bundled data", "user": "user data"}.get(str(source), str(source))
        out.append(f"prices: {origin} {where} for {len(sel)} member(s), dated "
                   f"{dates.min().date()} to {dates.max().date()}")
    missing = listed[listed["price_source"] == "unavailable"]
    if len(missing):
        out.append(f"prices: unavailable for {', '.join(missing['symbol'])}")
    if len(targets):
        out.append(f"targets: {_count_by(targets['source'])} (each with its source and date)")
    facts = pd.concat([table["revenue_source"], table["shares_source"]])
    facts = facts[facts.astype(bool)]
    if len(facts):
        out.append(f"facts (revenue, shares): {_count_by(facts)} (each with its source URL "
                   "and date)")
    fx = table["revenue_fx"][table["revenue_fx"].astype(bool)]
    if len(fx):
        origins = fx.str.extract(r"\(([^()]*)\)$", expand=False).fillna("unknown")
        out.append(f"FX for revenue: {_count_by(origins)} (each with its rate's own date)")
    consensus = table["consensus_source"][table["consensus_source"].astype(bool)]
    if len(consensus):
        out.append(f"consensus: {_count_by(consensus)}")
    out.append("DCF assumptions: the watchlist file (our assumptions, not data)")
    if offline:
        out.append("OFFLINE: nothing was fetched for this snapshot; figures are as stored or "
                   "sourced, each with its own date")
    return tuple(out)

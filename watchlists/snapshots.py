"""The watchlist snapshot: one dated, sourced row per member.

``snapshot(watchlist, asof)`` reads prices from the store (refreshing from Yahoo
when online), falls back to the bundled reference quotes, gathers analyst targets
(bundled named brokers plus Yahoo's consensus when stored), takes DCF inputs from
the bundled facts and the watchlist's assumptions, and calls :mod:`valuation` once
for all members (vectorised DCF and reverse DCF). Nothing dated after ``asof`` is
used. Missing inputs give NaN and a reason in ``warnings``; they never raise.

Conventions: prices, targets and values per share are in the listing's trading
currency (``currency``); revenue is in the reporting currency
(``revenue_currency``) and is converted with the stored FX rate on or before
``asof`` when the two differ. Returns are simple, decimal (0.10 = +10 %).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import profiles
from ._snapshot_targets import (
    TARGET_COLUMNS,
    _changes,
    _consensus_row,
    _fmt_num,
    _member_targets,
    _named_summary,
)
from .definitions import Member, Watchlist, load_watchlist

__all__ = ["TABLE_COLUMNS", "TARGET_COLUMNS", "Snapshot", "snapshot"]

TABLE_COLUMNS: tuple[str, ...] = (
    "company", "name", "symbol", "currency", "price", "price_date", "price_source", "stale",
    "status",
    "ret_1d", "ret_1m", "ret_3m", "ret_ytd", "ret_1y", "volatility", "high_52w", "high_52w_date",
    "drawdown_from_high", "beta",
    "consensus_count", "consensus_mean", "consensus_median", "consensus_high", "consensus_low",
    "consensus_source", "consensus_upside", "consensus_upside_from_high",
    "named_targets", "min_target_bound", "min_target_bound_upside",
    "dcf_value", "dcf_upside", "implied_growth", "implied_growth_status",
    "revenue", "revenue_currency", "revenue_basis", "shares", "shares_basis", "assumptions",
    "note", "warnings",
)
"""Columns of :attr:`Snapshot.table`, in order (see :func:`snapshot` for their meaning)."""


RETURN_WINDOWS: dict[str, str] = {
    "ret_1d": "1d", "ret_1m": "1m", "ret_3m": "3m", "ret_ytd": "ytd", "ret_1y": "1y",
}
_MIN_RETURNS_FOR_RISK = 20


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
    changes : tuple of dict
        Differences from the last stored run of this watchlist (``kind``, ``company``,
        ``symbol``, ``detail``); empty on the first run.
    warnings : tuple of str
        Everything that was missing, stale or guessed, one line each.
    sources : tuple of str
        Where the figures came from, for the report footer.
    offline : bool
        True when no provider was asked (``--offline``, or the network was down).
    """

    watchlist: Watchlist
    asof: dt.date
    generated_at: dt.datetime
    table: pd.DataFrame = field(repr=False)
    targets: pd.DataFrame = field(repr=False)
    history: pd.DataFrame = field(repr=False)
    changes: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    offline: bool = True

    @property
    def ok(self) -> bool:
        """True when every listed member has a fresh price and no member failed."""
        status = self.table["status"]
        return bool(status.isin(["ok", "unlisted"]).all())

    def _repr_html_(self) -> str:
        from .reporting import render_html_fragment

        return render_html_fragment(self)


# --------------------------------------------------------------------------- helpers


def _utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    return now if now.tzinfo else now.replace(tzinfo=dt.UTC)


def parse_asof(asof: object, now: dt.datetime) -> dt.date:
    """Validate ``asof`` (date, ISO string or None = today) against ``now``.

    Raises ``ValueError`` naming the value for an unparsable date, a date in the
    future, or a date before 2000-01-01 (before any data this library holds).
    """
    today = now.astimezone(dt.UTC).date()
    if asof is None:
        return today
    if isinstance(asof, dt.datetime):
        day = asof.date()
    elif isinstance(asof, dt.date):
        day = asof
    elif isinstance(asof, str):
        try:
            day = dt.date.fromisoformat(asof.strip())
        except ValueError:
            raise ValueError(f"asof {asof!r} is not a date in ISO format (YYYY-MM-DD)") from None
    elif isinstance(asof, pd.Timestamp):
        day = asof.date()
    else:
        raise TypeError(f"asof must be a date or an ISO date string, got {type(asof).__name__}")
    # Allow one day of slack: an exchange east of UTC is already on the next day.
    if day > today + dt.timedelta(days=1):
        raise ValueError(f"asof {day.isoformat()} is in the future (today is {today.isoformat()})")
    if day < dt.date(2000, 1, 1):
        raise ValueError(f"asof {day.isoformat()} is before any data (2000-01-01)")
    return day


def _window_start(asof: pd.Timestamp, window: str) -> pd.Timestamp | None:
    return {
        "1m": asof - pd.DateOffset(months=1),
        "3m": asof - pd.DateOffset(months=3),
        "1y": asof - pd.DateOffset(years=1),
        "ytd": pd.Timestamp(year=asof.year, month=1, day=1) - pd.Timedelta(days=1),
    }.get(window)


def _returns(closes: pd.Series, asof: pd.Timestamp) -> dict[str, float]:
    """Window returns ending at the last close on or before ``asof``.

    The start is the last close on or before the window's start date (for YTD, the
    last close of the previous year); NaN when history does not reach back that far.
    """
    s = closes.dropna()
    s = s[s.index <= asof]
    out = dict.fromkeys(RETURN_WINDOWS, float("nan"))
    if len(s) < 2:
        return out
    last = float(s.iloc[-1])
    out["ret_1d"] = last / float(s.iloc[-2]) - 1.0
    for col, window in RETURN_WINDOWS.items():
        if window == "1d":
            continue
        start = _window_start(asof, window)
        before = s[s.index <= start]
        if len(before):
            out[col] = last / float(before.iloc[-1]) - 1.0
    return out


def _high_52w(
    highs: pd.Series | None, quotes: pd.DataFrame, asof: pd.Timestamp
) -> tuple[float, pd.Timestamp | None, str]:
    """Highest high of the 52 weeks to ``asof`` from stored history and the symbol's
    reference ``quotes``."""
    start = asof - pd.DateOffset(weeks=52)
    best: tuple[float, pd.Timestamp | None, str] = (float("nan"), None, "")
    if highs is not None:
        h = highs.dropna()
        h = h[(h.index > start) & (h.index <= asof)]
        if len(h):
            best = (float(h.max()), pd.Timestamp(h.idxmax()), "store")
    if len(quotes):
        q = quotes[quotes["kind"].isin(["intraday_high", "close", "open", "intraday"])]
        q = q[(q["date"] > start) & (q["date"] <= asof)]
        if len(q):
            top = q.loc[q["value"].idxmax()]
            if not best[0] >= float(top["value"]):
                best = (float(top["value"]), pd.Timestamp(top["date"]), "reference")
    return best


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


def _fx_factor(store: Any, from_ccy: str, to_ccy: str, on: dt.date) -> float | None:
    """Units of ``to_ccy`` per unit of ``from_ccy`` on or before ``on``, or None."""
    if from_ccy == to_ccy:
        return 1.0
    from .errors import DataQualityError
    from .fx import fx_rate

    try:
        return fx_rate(from_ccy, to_ccy, on, store=store)
    except (DataQualityError, ValueError):
        return None


# --------------------------------------------------------------------------- DCF inputs


@dataclass
class _DCFInput:
    index: int
    revenue: float
    revenue_currency: str
    shares: float
    price_local: float  # price per ordinary share, in the revenue currency
    to_listing: float  # listing-currency units per revenue-currency unit per traded unit
    member: Member


def _dcf_inputs(
    member: Member, asof: dt.date, price: float, currency: str | None, store: Any,
    row: dict[str, Any], warnings: list[str], index: int,
) -> _DCFInput | None:
    who = member.symbol or member.company
    ttm = profiles.ttm_revenue(member.company, asof)
    if ttm is None:
        warnings.append(f"{who}: no revenue fact known at {asof} (FY or trailing twelve "
                        "months): no DCF or implied growth")
        return None
    revenue, rev_ccy, basis = ttm
    row.update(revenue=revenue, revenue_currency=rev_ccy, revenue_basis=basis)
    shares_fact = profiles.latest_fact(member.company, "shares_outstanding", asof)
    if shares_fact is None:
        warnings.append(f"{who}: shares outstanding unknown at {asof}: no value per share")
        return None
    row.update(shares=shares_fact.value,
               shares_basis=f"{shares_fact.period} ({shares_fact.confidence})")
    if not (math.isfinite(price) and currency):
        return None
    _, listing = profiles.listing(member.symbol) if member.symbol else (None, None)
    per_unit = listing.shares_per_unit if listing is not None else 1.0
    fx = _fx_factor(store, rev_ccy, currency, asof)
    if fx is None:
        warnings.append(f"{who}: revenue is in {rev_ccy}, the price in {currency}, and no "
                        f"{rev_ccy}/{currency} rate is stored on or before {asof}: no DCF "
                        "value (run `watchlists refresh` online to fetch FX)")
        return None
    return _DCFInput(index=index, revenue=revenue, revenue_currency=rev_ccy,
                     shares=shares_fact.value, price_local=price / per_unit / fx,
                     to_listing=fx * per_unit, member=member)


def _value_members(inputs: list[_DCFInput], rows: list[dict[str, Any]],
                   warnings: list[str]) -> None:
    """Vectorised DCF and reverse DCF over every member with complete inputs."""
    if not inputs:
        return
    from valuation import dcf, fade_path, implied_growth

    def arr(fn: Any) -> np.ndarray:
        return np.array([fn(i) for i in inputs], dtype=float)

    a = [i.member.assumptions for i in inputs]
    op = arr(lambda i: i.member.assumptions.operating_margin
             if i.member.assumptions.operating_margin is not None
             else i.member.assumptions.target_margin)
    for i in inputs:
        if i.member.assumptions.operating_margin is None:
            warnings.append(f"{i.member.symbol}: operating margin unknown; the target margin "
                            f"{i.member.assumptions.target_margin:.0%} is used from year one")
        if i.member.assumptions.net_cash is None:
            warnings.append(f"{i.member.symbol}: net cash unknown; taken as 0")
    kw = dict(
        operating_margin=op,
        target_margin=arr(lambda i: i.member.assumptions.target_margin),
        tax_rate=arr(lambda i: i.member.assumptions.tax_rate),
        sales_to_capital=arr(lambda i: i.member.assumptions.sales_to_capital),
        discount_rate=arr(lambda i: i.member.assumptions.discount_rate),
        terminal_growth=arr(lambda i: i.member.assumptions.terminal_growth),
        terminal_roic=arr(lambda i: i.member.assumptions.effective_terminal_roic),
        net_cash=arr(lambda i: i.member.assumptions.net_cash or 0.0),
        shares=arr(lambda i: i.shares),
    )
    revenue = arr(lambda i: i.revenue)
    # Years and margin_years are integers shared by a call: group members by them.
    groups: dict[tuple[int, int, int], list[int]] = {}
    for k, x in enumerate(a):
        groups.setdefault((x.high_years, x.fade_years, x.margin_years), []).append(k)
    for (high, fade, my), ks in groups.items():
        sel = np.array(ks)
        sub = {key: value[sel] for key, value in kw.items()}
        price_local = arr(lambda i: i.price_local)[sel]
        ig = implied_growth(price_local, revenue[sel], high_years=high, fade_years=fade,
                            margin_years=my, **sub)
        for j, k in enumerate(ks):
            rows[inputs[k].index]["implied_growth"] = float(np.asarray(ig.growth)[j])
            rows[inputs[k].index]["implied_growth_status"] = str(np.asarray(ig.status)[j])
        growth_known = [j for j, k in enumerate(ks) if a[k].revenue_growth is not None]
        for k in ks:
            if a[k].revenue_growth is None:
                warnings.append(f"{inputs[k].member.symbol}: revenue_growth not set in the "
                                "watchlist: no DCF value (the implied growth is still shown)")
        if not growth_known:
            continue
        gsel = np.array(growth_known)
        start = np.array([a[ks[j]].revenue_growth for j in growth_known], dtype=float)
        path = fade_path(start, sub["terminal_growth"][gsel], high, fade)
        res = dcf(revenue[sel][gsel], path, margin_years=my, price=price_local[gsel],
                  **{key: value[gsel] for key, value in sub.items()})
        vps = np.asarray(res.value_per_share, dtype=float)
        for n, j in enumerate(growth_known):
            inp = inputs[ks[j]]
            row = rows[inp.index]
            row["dcf_value"] = float(vps[n] * inp.to_listing)
            row["dcf_upside"] = row["dcf_value"] / row["price"] - 1.0
        for w in res.warnings:
            # the kernel labels companies by position; map back to symbols
            head, _, rest = w.partition(": ")
            try:
                who = inputs[ks[growth_known[int(head)]]].member.symbol
                warnings.append(f"{who}: {rest}")
            except (ValueError, IndexError):
                warnings.append(w)


# --------------------------------------------------------------------------- snapshot


def snapshot(
    watchlist: Watchlist | str | os.PathLike[str],
    asof: dt.date | str | None = None,
    *,
    store: Any = None,
    provider: Any = None,
    offline: bool = False,
    now: dt.datetime | None = None,
) -> Snapshot:
    """Value every member of ``watchlist`` as of ``asof``.

    Parameters
    ----------
    watchlist : Watchlist, str or path
        A loaded watchlist, a bundled name (``"china-ai-compute"``) or a TOML path.
    asof : date or ISO string, optional
        Point in time (default: today, UTC). Prices, targets and facts dated after it
        are not used. A future date or one before 2000 raises ``ValueError``.
    store : Store, optional
        The SQLite store (default: :func:`watchlists.store.open_store` of the default
        home, closed again on return).
    provider : PriceProvider, optional
        Where to refresh prices that are missing or stale (default: Yahoo when
        ``offline`` is false). Only asked when ``asof`` is recent.
    offline : bool
        Never touch the network: use the store and the bundled reference data.
    now : datetime, optional
        The current time (default: the clock); staleness is judged against it.

    Returns
    -------
    Snapshot
        ``.table`` has one row per member with the columns of :data:`TABLE_COLUMNS`:

        - ``company`` (slug), ``name``, ``symbol`` (None when unlisted), ``currency``
          (trading currency);
        - ``price``, ``price_date``, ``price_source`` (``store``, ``yahoo``,
          ``reference`` or ``unavailable``), ``stale`` (older than the last completed
          session of the exchange at ``asof``), ``status`` (``ok``, ``stale``,
          ``unlisted``, ``unavailable: …`` or ``error: …``);
        - ``ret_1d``, ``ret_1m``, ``ret_3m``, ``ret_ytd``, ``ret_1y``: simple returns to
          the last close; ``volatility``: annualised stdev of daily returns over the
          year; ``high_52w`` / ``high_52w_date``: highest high of 52 weeks from the store
          and reference quotes; ``drawdown_from_high`` = price / high − 1; ``beta``
          against the watchlist's benchmark (daily returns, one year);
        - ``consensus_*``: count, mean, median, high, low of the latest target per
          broker (Yahoo's consensus when stored, else the bundled named brokers with a
          known date), ``consensus_source``, ``consensus_upside`` (mean / price − 1) and
          ``consensus_upside_from_high`` (mean / 52-week high − 1);
        - ``named_targets``: each named-broker target with its date; ``min_target_bound``:
          the lower bound implied by a min-upside claim (reference × (1 + min_upside)) and
          ``min_target_bound_upside`` from the price;
        - ``dcf_value`` per traded unit in the trading currency and ``dcf_upside``;
          ``implied_growth`` (reverse DCF: the high-phase revenue growth the price
          implies) and ``implied_growth_status``;
        - ``revenue``, ``revenue_currency``, ``revenue_basis`` (TTM or FY), ``shares``,
          ``shares_basis``, ``assumptions`` (each DCF assumption with its source:
          default, watchlist or member);
        - ``note`` (the member's thesis) and ``warnings`` (this member's, joined).

    Examples
    --------
    >>> import watchlists
    >>> snap = watchlists.snapshot("china-ai-compute", "2025-12-04", offline=True)
    >>> row = snap.table.set_index("company").loc["cambricon"]
    >>> float(row["price"]), row["price_source"]
    (1369.0, 'reference')
    """
    from .market import latest_prices, price_history
    from .store import open_store

    now_utc = _utc(now)
    wl = watchlist if isinstance(watchlist, Watchlist) else load_watchlist(watchlist)
    day = parse_asof(asof, now_utc)
    asof_ts = pd.Timestamp(day)
    own_store = store is None
    if own_store:
        store = open_store()
    try:
        if provider is None and not offline:
            from .yahoo import YahooProvider

            provider = YahooProvider()
        symbols = list(wl.price_symbols)
        prices = latest_prices(symbols, day, store=store, provider=provider, offline=offline,
                               now=now_utc) if symbols else pd.DataFrame(
            columns=["symbol", "price", "price_date", "currency", "source", "stale", "status",
                     "note"])
        went_offline = offline or bool(getattr(provider, "offline", False))
        prices = prices.set_index("symbol") if len(prices) else prices
        closes = price_history(symbols, day, store=store, years=2) if symbols else pd.DataFrame()
        highs = price_history(symbols, day, store=store, years=1, field="high") \
            if symbols else pd.DataFrame()
        try:
            yahoo_consensus = store.read_consensus(list(wl.symbols), asof=asof_ts)
            actions = store.read_actions(list(wl.symbols), asof=asof_ts)
        except Exception:  # noqa: BLE001 - an old or partial store must not sink the report
            yahoo_consensus, actions = pd.DataFrame(), pd.DataFrame()
        return _assemble(wl, day, now_utc, store, prices, closes, highs, yahoo_consensus,
                         actions, went_offline)
    finally:
        if own_store:
            store.close()


def _assemble(wl: Watchlist, day: dt.date, now_utc: dt.datetime, store: Any,
              prices: pd.DataFrame, closes: pd.DataFrame, highs: pd.DataFrame,
              yahoo_consensus: pd.DataFrame, actions: pd.DataFrame,
              offline: bool) -> Snapshot:
    from valuation import annualized_volatility, beta, simple_returns

    asof_ts = pd.Timestamp(day)
    warnings: list[str] = []
    rows: list[dict[str, Any]] = []
    all_targets: list[pd.DataFrame] = []
    dcf_inputs: list[_DCFInput] = []
    bench = wl.benchmark
    bench_returns = None
    if bench and bench in closes.columns and closes[bench].notna().sum() > 1:
        bench_returns = simple_returns(closes[bench].dropna())
    elif bench:
        warnings.append(f"benchmark {bench}: no price history in the store at {day}: no beta")

    # Sourced data, built into frames once per snapshot rather than once per member.
    all_quotes = profiles.reference_quotes()
    sourced_targets = profiles.targets()
    for index, member in enumerate(wl.members):
        comp = profiles.company(member.company)
        member_warnings: list[str] = []
        row: dict[str, Any] = dict.fromkeys(TABLE_COLUMNS, float("nan"))
        row.update(company=member.company, name=comp.name, symbol=member.symbol, note=member.note,
                   currency=None, price_date=None, price_source="", stale=False, status="",
                   consensus_source="", named_targets="", implied_growth_status="",
                   revenue_currency=None, revenue_basis="", shares_basis="",
                   assumptions=_assumption_summary(member), high_52w_date=None)
        rows.append(row)
        if member.symbol is None:
            row.update(status="unlisted", price_source="unlisted")
            member_warnings.append(f"{comp.name}: unlisted, no price")
            row["warnings"] = "; ".join(member_warnings)
            continue
        try:
            sym = member.symbol
            quotes = all_quotes[all_quotes["symbol"] == sym]
            p = prices.loc[sym]
            price = float(p["price"])
            row.update(currency=p["currency"], price=price,
                       price_date=None if pd.isna(p["price_date"]) else
                       pd.Timestamp(p["price_date"]).date(),
                       price_source=p["source"], stale=bool(p["stale"]), status=p["status"])
            if p["stale"] and p["note"]:
                member_warnings.append(f"{sym}: {p['note']}")
            if not math.isfinite(price):
                first = _first_quote_after(quotes, asof_ts)
                if first is not None:
                    row["status"] = (f"unavailable: not trading yet at {day} (first quote "
                                     f"{first[0].date()}: {first[1]} {_fmt_num(first[2])})")
                member_warnings.append(f"{sym}: {row['status']}")
            series = closes[sym] if sym in closes.columns else pd.Series(dtype=float)
            row.update(_returns(series, asof_ts))
            year = series[series.index > asof_ts - pd.DateOffset(years=1)].dropna()
            if len(year) > _MIN_RETURNS_FOR_RISK:
                rets = simple_returns(year)
                row["volatility"] = float(annualized_volatility(rets))
                if bench_returns is not None:
                    b = beta(rets.to_frame(sym), bench_returns)
                    row["beta"] = float(b.loc[sym, "beta"])
            elif len(series.dropna()) == 0:
                member_warnings.append(f"{sym}: no price history in the store: returns, "
                                       "volatility and beta unknown")
            high, high_date, _ = _high_52w(highs[sym] if sym in highs.columns else None,
                                           quotes, asof_ts)
            row["high_52w"] = high
            row["high_52w_date"] = None if high_date is None else high_date.date()
            if math.isfinite(high) and math.isfinite(price):
                row["drawdown_from_high"] = price / high - 1.0
            tgt, tw = _member_targets(member, asof_ts, price, high, sourced_targets, actions,
                                      row["currency"])
            member_warnings.extend(tw)
            all_targets.append(tgt)
            cons, cw = _consensus_row(member, tgt, yahoo_consensus, asof_ts, price, high,
                                      row["currency"])
            member_warnings.extend(cw)
            row.update(cons)
            row["named_targets"] = _named_summary(tgt)
            bounds = tgt[tgt["kind"] == "min_upside"]["implied_min_target"].dropna()
            if len(bounds):
                row["min_target_bound"] = float(bounds.max())
                if math.isfinite(price):
                    row["min_target_bound_upside"] = row["min_target_bound"] / price - 1.0
            inp = _dcf_inputs(member, day, price, row["currency"], store, row, member_warnings,
                              index)
            if inp is not None:
                dcf_inputs.append(inp)
        except Exception as exc:  # noqa: BLE001 - one member never sinks the others
            row["status"] = f"error: {type(exc).__name__}: {exc}"
            member_warnings.append(f"{member.symbol}: {row['status']}")
        row["warnings"] = "; ".join(member_warnings)
        warnings.extend(member_warnings)

    valuation_warnings: list[str] = []
    try:
        _value_members(dcf_inputs, rows, valuation_warnings)
    except (ValueError, TypeError) as exc:
        valuation_warnings.append(f"valuation failed: {exc}")
    for w in valuation_warnings:
        who = w.split(":", 1)[0]
        for row in rows:
            if row["symbol"] == who:
                row["warnings"] = "; ".join(x for x in (row["warnings"], w.split(": ", 1)[-1])
                                            if x)
    warnings.extend(valuation_warnings)

    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for col in ("symbol", "currency", "revenue_currency", "price_date", "high_52w_date"):
        table[col] = table[col].astype(object).where(table[col].notna(), None)
    targets = (pd.concat([t for t in all_targets if len(t)], ignore_index=True)
               if any(len(t) for t in all_targets) else pd.DataFrame(columns=list(TARGET_COLUMNS)))
    previous = None
    try:
        previous = store.last_run(wl.name)
    except Exception:  # noqa: BLE001 - no history of runs is not a failure
        previous = None
    thresholds = {m.symbol or m.company: m.assumptions.upside_alert for m in wl.members}
    changes = _changes(previous, rows, targets, thresholds)
    sources = _sources(table, offline)
    history = closes[closes.index > asof_ts - pd.DateOffset(years=1)] if len(closes) else closes
    return Snapshot(watchlist=wl, asof=day, generated_at=now_utc, table=table, targets=targets,
                    history=history, changes=tuple(changes), warnings=tuple(warnings),
                    sources=sources, offline=offline)


def _sources(table: pd.DataFrame, offline: bool) -> tuple[str, ...]:
    out = []
    listed = table[table["symbol"].notna()]
    for source, label in (("store", "SQLite store (Yahoo history)"), ("yahoo", "Yahoo (refreshed)"),
                          ("reference", "bundled reference quotes")):
        sel = listed[listed["price_source"] == source]
        if len(sel):
            dates = pd.to_datetime(sel["price_date"])
            out.append(f"prices: {label} for {len(sel)} member(s), dated "
                       f"{dates.min().date()} to {dates.max().date()}")
    missing = listed[listed["price_source"] == "unavailable"]
    if len(missing):
        out.append(f"prices: unavailable for {', '.join(missing['symbol'])}")
    out.append("targets and facts: bundled sourced data (each with its source URL and date)")
    out.append("DCF assumptions: the watchlist file (our assumptions, not data)")
    if offline:
        out.append("OFFLINE: no provider was asked; figures are as stored or bundled")
    return tuple(out)

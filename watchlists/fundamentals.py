"""Statement figures from a provider: when they were public, and what a snapshot uses.

Pure functions over the frames of :meth:`watchlists.store.Store.read_fundamentals` (no
I/O, no clock): the refresh job calls :func:`with_known_from` before storing and
:func:`fetch_due` to decide whether to fetch the statements at all; the snapshot calls
:func:`figures` with the rows known at its ``asof``.

**When a figure was public** (``known_from``). A figure for a period ending on ``E`` is
known from the first earnings announcement after ``E`` that the provider reported, when
one falls within the market's statutory deadline plus 30 days; otherwise from ``E`` plus
that deadline (:func:`watchlists.exchanges.reporting_lags`: e.g. 45 days after a quarter
and 90 after a year for a US filer, 60/120 for a foreign private issuer, 90/120 under the
EU Transparency Directive) — a conservative date, so a backtest never uses a figure
before it could have been read. Either way never later than the day it was fetched (it
was evidently public then). ``known_from_basis`` says which rule gave the date.

**What a snapshot uses** (:func:`figures`), from the figures known at ``asof``:

* revenue: the sum of the last four quarters when they are consecutive (80–100 days
  apart) and end after the latest fiscal year; else the latest fiscal year;
* operating margin: operating income over revenue on the *same* periods;
* net cash: cash, cash equivalents and short-term investments minus total debt, at the
  latest balance-sheet date with both (unknown when either is missing: an absent row is
  not a zero);
* shares: the latest ordinary share count.

**When statements are due again** (:func:`fetch_due`): never fetched, the last fetch
failed, a new period can have been published (the latest stored period end plus one
period — three months with quarterly figures, six without — has passed, and the last
fetch is at least :data:`RECHECK_DAYS` old), or the last fetch is older than
:data:`MAX_AGE_DAYS`. A daily refresh therefore does not refetch statements.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["MAX_AGE_DAYS", "RECHECK_DAYS", "Figures", "fetch_due", "figures", "with_known_from"]

EARNINGS_SLACK_DAYS = 30
"""An earnings date this many days past the statutory deadline still counts for a period."""
RECHECK_DAYS = 7
"""Once a new period can exist, statements are fetched again at most this often."""
MAX_AGE_DAYS = 120
"""Statements older than this are fetched again whatever the period arithmetic says."""
_QUARTER_GAP = (80, 100)


def with_known_from(
    frame: pd.DataFrame,
    *,
    earnings_dates: tuple[dt.date, ...] | list[dt.date],
    lags: tuple[int, int, str],
    fetched: dt.date,
) -> pd.DataFrame:
    """Add ``known_from`` and ``known_from_basis`` to statement rows.

    Parameters
    ----------
    frame : DataFrame
        Rows with ``freq`` (``'annual'`` | ``'quarterly'``) and ``period_end``.
    earnings_dates : sequence of date
        Past earnings announcement dates the provider reported.
    lags : (int, int, str)
        Statutory days after a quarter and after a fiscal year, and the rule's name
        (:func:`watchlists.exchanges.reporting_lags`).
    fetched : date
        The fetch day: no figure is known later than that.

    Examples
    --------
    >>> rows = pd.DataFrame({"freq": ["quarterly", "annual"],
    ...                      "period_end": pd.to_datetime(["2025-09-30", "2024-12-31"])})
    >>> out = with_known_from(rows, earnings_dates=[dt.date(2025, 10, 30)],
    ...                       lags=(45, 90, "SEC"), fetched=dt.date(2025, 12, 1))
    >>> [str(d.date()) for d in out["known_from"]]
    ['2025-10-30', '2025-03-31']
    """
    quarterly_lag, annual_lag, rule = lags
    out = frame.copy()
    ends = pd.to_datetime(out["period_end"]).to_numpy(dtype="datetime64[D]")
    lag = np.where(out["freq"].to_numpy() == "quarterly", quarterly_lag, annual_lag)
    deadline = ends + lag.astype("timedelta64[D]")
    announced = np.array(sorted({np.datetime64(pd.Timestamp(d).date(), "D")
                                 for d in earnings_dates}), dtype="datetime64[D]")
    pos = np.searchsorted(announced, ends, side="right")
    first_after = announced[np.minimum(pos, max(len(announced) - 1, 0))] if len(announced) \
        else deadline
    slack = np.timedelta64(EARNINGS_SLACK_DAYS, "D")
    by_earnings = (pos < len(announced)) & (first_after <= deadline + slack)
    known = np.where(by_earnings, first_after, deadline)
    fetched_day = np.datetime64(fetched, "D")
    capped = known > fetched_day
    basis = [f"earnings date {d}" if e else f"period end + {n} days ({rule})"
             for d, e, n in zip(first_after.astype(str), by_earnings, lag, strict=True)]
    basis = [f"fetched on {fetched} (before {b})" if c else b
             for b, c in zip(basis, capped, strict=True)]
    out["known_from"] = np.minimum(known, fetched_day).astype("datetime64[ns]")
    out["known_from_basis"] = basis
    return out


def fetch_due(
    last: tuple[pd.Timestamp, str, pd.Timestamp | None, bool] | None,
    now: dt.datetime,
) -> tuple[bool, str]:
    """Whether a symbol's statements should be fetched at ``now``, and why (one phrase).

    ``last`` is ``(fetched_at, status, latest period end, has quarterly)`` of the last
    fetch (:meth:`watchlists.store.Store.fundamentals_fetches`) or None.
    """
    if last is None:
        return True, "never fetched"
    fetched_at, status, latest, quarterly = last
    now_ts = pd.Timestamp(now)
    now_ts = now_ts.tz_localize("UTC") if now_ts.tzinfo is None else now_ts.tz_convert("UTC")
    fetched_ts = pd.Timestamp(fetched_at)
    if fetched_ts.tzinfo is None:
        fetched_ts = fetched_ts.tz_localize("UTC")
    age = (now_ts - fetched_ts).days
    if status.startswith("error"):
        return True, f"last fetch failed ({status})"
    if age >= MAX_AGE_DAYS:
        return True, f"last fetched {age} days ago"
    if latest is None:
        return (age >= RECHECK_DAYS,
                f"no statements at the last fetch, {age} day(s) ago")
    step = pd.DateOffset(months=3 if quarterly else 6)
    next_end = (pd.Timestamp(latest) + step).tz_localize("UTC")
    if now_ts > next_end and age >= RECHECK_DAYS:
        return True, f"a period ending {next_end.date()} can have been published"
    return False, f"not due: next period ends {next_end.date()}, last fetched {age} day(s) ago"


@dataclass(frozen=True)
class Figures:
    """What a snapshot takes from one symbol's statements known at its ``asof``.

    Money is in ``currency`` (the statements' currency). NaN where unknown; each
    ``*_basis`` says which periods were used, ``*_end`` the period end.
    """

    currency: str | None
    revenue: float = float("nan")
    revenue_end: pd.Timestamp | None = None
    revenue_basis: str = ""
    operating_margin: float = float("nan")
    margin_basis: str = ""
    net_cash: float = float("nan")
    net_cash_end: pd.Timestamp | None = None
    net_cash_basis: str = ""
    shares: float = float("nan")
    shares_end: pd.Timestamp | None = None


def _series(rows: pd.DataFrame, metric: str, freq: str) -> pd.Series:
    sel = rows[(rows["metric"] == metric) & (rows["freq"] == freq)]
    return pd.Series(sel["value"].to_numpy(dtype="float64"),
                     index=pd.DatetimeIndex(sel["period_end"])).sort_index()


def _last_four(q: pd.Series) -> pd.Series | None:
    if len(q) < 4:
        return None
    last = q.iloc[-4:]
    gaps = np.diff(last.index.to_numpy()).astype("timedelta64[D]").astype(int)
    if ((gaps < _QUARTER_GAP[0]) | (gaps > _QUARTER_GAP[1])).any():
        return None
    return last


def _period_label(ends: pd.DatetimeIndex) -> str:
    return f"TTM to {ends[-1].date()} (4 quarters from {ends[0].date()})"


def figures(rows: pd.DataFrame) -> Figures:
    """Revenue, operating margin, net cash and shares from one symbol's known rows.

    ``rows``: :data:`~watchlists._store_company.FUNDAMENTAL_COLUMNS` filtered to what was
    known at ``asof`` (one symbol). See the module docstring for the rules.

    Examples
    --------
    >>> q = pd.to_datetime(["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"])
    >>> rows = pd.DataFrame({
    ...     "metric": ["revenue"] * 4 + ["operating_income"] * 4,
    ...     "freq": "quarterly", "period_end": list(q) * 2,
    ...     "value": [10.0, 20.0, 30.0, 40.0, 1.0, 2.0, 3.0, 4.0], "currency": "USD"})
    >>> f = figures(rows)
    >>> f.revenue, f.operating_margin
    (100.0, 0.1)
    """
    money = rows[rows["metric"] != "ordinary_shares"]
    currencies = sorted({c for c in money["currency"] if isinstance(c, str)})
    currency = currencies[0] if len(currencies) == 1 else None
    out: dict = {"currency": currency}
    if currency is not None:
        out.update(_revenue_and_margin(money))
        out.update(_net_cash(money))
    shares = pd.concat([_series(rows, "ordinary_shares", f) for f in ("quarterly", "annual")])
    shares = shares.dropna()
    if len(shares):
        shares = shares.sort_index()
        out.update(shares=float(shares.iloc[-1]), shares_end=pd.Timestamp(shares.index[-1]))
    return Figures(**out)


def _revenue_and_margin(rows: pd.DataFrame) -> dict:
    q_rev, a_rev = _series(rows, "revenue", "quarterly"), _series(rows, "revenue", "annual")
    q_op, a_op = (_series(rows, "operating_income", "quarterly"),
                  _series(rows, "operating_income", "annual"))  # fmt: skip
    four = _last_four(q_rev)
    annual_end = a_rev.index[-1] if len(a_rev) else None
    if four is not None and (annual_end is None or four.index[-1] > annual_end):
        out = {"revenue": float(four.sum()), "revenue_end": pd.Timestamp(four.index[-1]),
               "revenue_basis": _period_label(four.index)}
        op = q_op.reindex(four.index)
        if op.notna().all() and out["revenue"] > 0:
            out.update(operating_margin=float(op.sum()) / out["revenue"],
                       margin_basis=f"operating income / revenue, {out['revenue_basis']}")
        return out
    if annual_end is None:
        return {}
    out = {"revenue": float(a_rev.iloc[-1]), "revenue_end": pd.Timestamp(annual_end),
           "revenue_basis": f"fiscal year to {annual_end.date()}"}
    if annual_end in a_op.index and out["revenue"] > 0:
        out.update(operating_margin=float(a_op[annual_end]) / out["revenue"],
                   margin_basis=f"operating income / revenue, {out['revenue_basis']}")
    return out


def _net_cash(rows: pd.DataFrame) -> dict:
    best: tuple[pd.Timestamp, float, str] | None = None
    for freq in ("quarterly", "annual"):
        cash = _series(rows, "cash_and_short_term_investments", freq)
        debt = _series(rows, "total_debt", freq)
        both = cash.index.intersection(debt.index)
        if len(both):
            end = both[-1]
            if best is None or end > best[0]:
                best = (end, float(cash[end] - debt[end]), freq)
    if best is None:
        return {}
    end, value, freq = best
    return {"net_cash": value, "net_cash_end": pd.Timestamp(end),
            "net_cash_basis": f"cash and short-term investments − total debt, {freq} "
                              f"balance sheet of {end.date()}"}

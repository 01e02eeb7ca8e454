"""Cross-listing premium: one line of a company over another, per underlying share.

Conventions
-----------
* Two listings of one company, **line A** and **line B**. ``price_a`` is in A's
  trading currency, ``price_b`` in B's. ``units_a``/``units_b`` are the ordinary
  shares one traded unit represents (``shares_per_unit``: 8 for an Alibaba ADS,
  1 for an ordinary share).
* ``fx_b_to_a`` is the rate B→A: **units of A's currency per one unit of B's
  currency** (the package's ``from→to`` convention; for BABA (USD) over 9988.HK
  (HKD) it is USD per HKD, about 0.128).
* The premium of A over B is the price of one underlying share on line A over its
  price on line B, both in A's currency, minus one::

      premium = (price_a / units_a) / (price_b * fx_b_to_a / units_b) - 1

  A is the numerator: ``0.10`` means line A trades 10 % above line B (A/H premium
  of an A-share over its H-share; BABA over 9988.HK). Decimal, not percent.
* :func:`premium` is elementwise and vectorised (scalars, arrays or Series). Series
  are aligned by label and computed only on the labels all of them share (in the
  first Series' order); a NaN element gives NaN there; prices and rates must be
  > 0 and units > 0 and finite (ValueError naming the parameter and the value).
* :func:`premium_history` works on daily closes and an FX series indexed by dates
  (``DatetimeIndex``, strictly increasing). It keeps only **common sessions**: days
  on which both lines have a close (a NaN close or a missing date means the line did
  not trade) and an FX rate is known **on that date or earlier**, at most
  ``max_fx_age_days`` calendar days before it (the last rate on or before the day;
  a rate dated after a price day is never used). :func:`aligned_sessions` lists
  every session of either line with the reason it was kept or dropped.
* The z-score is against a **trailing window of common sessions that includes the
  current day**: ``zscore = (premium - mean) / std`` with ``mean`` and ``std`` over
  the last ``window`` common sessions up to and including that day, ``std`` with
  ``ddof=1``; NaN until ``min_periods`` sessions are available (default: the full
  ``window``) and where ``std`` is 0 (at most ``1e-12 * max(1, |mean|)``, the
  rounding noise of a constant premium).

No I/O, no clock: the caller passes the prices and rates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import (
    broadcast,
    check,
    check_dates,
    check_input,
    check_int,
    finite_or_nan,
    fmt,
)
from valuation._typing import FloatLike

__all__ = ["SESSION_STATUSES", "aligned_sessions", "premium", "premium_history"]

#: Values of the ``status`` column of :func:`aligned_sessions`.
SESSION_STATUSES: tuple[str, ...] = (
    "ok",
    "a not traded",
    "b not traded",
    "no fx on or before the date",
    "fx too old",
)

#: A trailing ``std`` at most this (times ``max(1, |mean|)``) is rounding noise of a
#: constant premium and counts as 0 (z-score NaN).
_STD_TOL = 1e-12

#: Columns of :func:`premium_history`, in order.
HISTORY_COLUMNS: tuple[str, ...] = (
    "price_a", "price_b", "fx", "fx_date", "premium", "mean", "std", "zscore",
)


def _common_labels(named: dict[str, Any]) -> dict[str, Any]:
    """Series inputs restricted to the labels all Series share; other inputs as given.

    Mixing Series with arrays or sequences is refused (an array has no labels to
    align on); single numbers broadcast against anything.
    """
    series = {k: v for k, v in named.items() if isinstance(v, pd.Series)}
    if not series:
        return named
    for k, v in named.items():
        if isinstance(v, pd.DataFrame):
            raise TypeError(f"{k} must be a number, array or Series, got a DataFrame")
        if not isinstance(v, pd.Series) and np.ndim(v) > 0:
            first = next(iter(series))
            raise ValueError(
                f"{k} is {type(v).__name__} of length {len(v)} but {first} is a Series: "
                "give all per-element inputs as Series (aligned by label) or none"
            )
    for k, v in series.items():
        if not v.index.is_unique:
            raise ValueError(
                f"{k} has duplicate labels: {list(v.index[v.index.duplicated()])[:5]}"
            )
    index = next(iter(series.values())).index
    for v in list(series.values())[1:]:
        index = index[index.isin(v.index)]
    if len(index) == 0:
        raise ValueError(f"{', '.join(series)} share no labels: nothing to compare")
    return {k: (v.reindex(index) if isinstance(v, pd.Series) else v) for k, v in named.items()}


def premium(
    price_a: FloatLike,
    price_b: FloatLike,
    fx_b_to_a: FloatLike,
    *,
    units_a: FloatLike = 1.0,
    units_b: FloatLike = 1.0,
) -> Any:
    """Premium of line A over line B per underlying share, in A's currency (decimal).

    ``(price_a / units_a) / (price_b * fx_b_to_a / units_b) - 1``; ``fx_b_to_a`` is
    units of A's currency per one unit of B's. Scalars in → ``np.float64`` out,
    arrays → array, Series → Series on the labels every Series has (in the order
    of the first one), named ``"premium"``. A NaN element gives NaN there.

    >>> float(premium(125.0, 100.0, 0.125, units_a=8.0))  # an ADS of 8 shares
    0.25
    """
    named = _common_labels({
        "price_a": price_a, "price_b": price_b, "fx_b_to_a": fx_b_to_a,
        "units_a": units_a, "units_b": units_b,
    })
    arrays, shape = broadcast(named)
    for name in ("price_a", "price_b", "fx_b_to_a", "units_a", "units_b"):
        check_input(arrays[name], name, shape, gt=0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = arrays["price_a"] / arrays["units_a"]
        b = arrays["price_b"] * arrays["fx_b_to_a"] / arrays["units_b"]
        out = a / b - 1.0
    out, _ = finite_or_nan(out)
    return shape.out(out, name="premium")


def _dated_series(value: Any, name: str) -> pd.Series:
    """A float copy of a Series indexed by strictly increasing dates (> 0 or NaN)."""
    if not isinstance(value, pd.Series):
        raise ValueError(
            f"{name} must be a pandas Series indexed by dates, got {type(value).__name__}"
        )
    if not isinstance(value.index, pd.DatetimeIndex):
        raise ValueError(
            f"{name} must be indexed by dates (a DatetimeIndex), got {type(value.index).__name__}"
        )
    check_dates(value.index, name, increasing=True)
    if not (pd.api.types.is_numeric_dtype(value.dtype) and not pd.api.types.is_bool_dtype(
            value.dtype)):
        raise ValueError(f"{name} must be numeric, got a Series of dtype {value.dtype}")
    out = pd.Series(value.to_numpy(dtype=float, na_value=np.nan, copy=True), index=value.index)
    if len(out):
        check(out.to_numpy(), name, index=out.index, allow_nan=True, gt=0.0)
    return out


def _units(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number of shares per unit, got {value!r}")
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be greater than 0 and finite, got {fmt(v)}")
    return v


def aligned_sessions(
    closes_a: pd.Series,
    closes_b: pd.Series,
    fx: pd.Series,
    *,
    max_fx_age_days: int = 5,
) -> pd.DataFrame:
    """Every session of either line, with its prices, the FX rate used and a status.

    Rows are the union of the dates on which line A or line B has a close (NaN closes
    count as no trade), sorted. Columns: ``price_a``, ``price_b``, ``fx`` (the last
    rate dated on or before the session, NaN if none within ``max_fx_age_days``
    calendar days), ``fx_date`` (its date, NaT if none), ``status`` (one of
    :data:`SESSION_STATUSES`: ``ok`` rows are the common sessions used by
    :func:`premium_history`). A missing close is reported before a missing rate.
    """
    a = _dated_series(closes_a, "closes_a").dropna()
    b = _dated_series(closes_b, "closes_b").dropna()
    rates = _dated_series(fx, "fx").dropna()
    age = check_int(max_fx_age_days, "max_fx_age_days", ge=0)
    dates = a.index.union(b.index).sort_values()
    dates.name = closes_a.index.name or closes_b.index.name or "date"
    out = pd.DataFrame({"price_a": a.reindex(dates), "price_b": b.reindex(dates)}, index=dates)
    if len(rates):
        pos = rates.index.searchsorted(dates, side="right") - 1  # last rate on or before
        found = pos >= 0
        safe = np.maximum(pos, 0)
        fx_dates = pd.Series(rates.index[safe], index=dates).where(found)
        fx_vals = pd.Series(rates.to_numpy()[safe], index=dates).where(found)
    else:
        found = np.zeros(len(dates), dtype=bool)
        fx_dates = pd.Series(pd.NaT, index=dates, dtype="datetime64[ns]")
        fx_vals = pd.Series(np.nan, index=dates)
    too_old = found & ((dates.to_series() - fx_dates) > pd.Timedelta(days=age)).to_numpy()
    out["fx"] = fx_vals.where(~too_old)
    out["fx_date"] = fx_dates.where(~too_old)
    status = np.full(len(dates), "ok", dtype=object)
    status[too_old] = "fx too old"
    status[~found] = "no fx on or before the date"
    status[out["price_b"].isna().to_numpy()] = "b not traded"
    status[out["price_a"].isna().to_numpy()] = "a not traded"
    out["status"] = status
    return out


def premium_history(
    closes_a: pd.Series,
    closes_b: pd.Series,
    fx: pd.Series,
    *,
    units_a: float = 1.0,
    units_b: float = 1.0,
    window: int = 250,
    min_periods: int | None = None,
    max_fx_age_days: int = 5,
) -> pd.DataFrame:
    """Daily premium of line A over line B on common sessions, with its trailing z-score.

    ``closes_a``/``closes_b``: daily closes of each line in its own currency, indexed
    by strictly increasing dates (a NaN close or an absent date = no trade). ``fx``:
    observed B→A rates (units of A's currency per B's) on their own dates.

    Returns one row per common session (see :func:`aligned_sessions` for the rule,
    FX on or before the day, at most ``max_fx_age_days`` old) with the columns
    ``price_a, price_b, fx, fx_date, premium, mean, std, zscore``: ``mean`` and
    ``std`` (``ddof=1``) of the premium over the last ``window`` common sessions up
    to and including the row, ``zscore = (premium - mean) / std``, NaN before
    ``min_periods`` sessions (default ``window``) or when ``std`` is 0 (up to rounding,
    see the module docstring). The index
    keeps the dates (named like ``closes_a``'s index, else ``"date"``); inputs are
    not modified.
    """
    ua, ub = _units(units_a, "units_a"), _units(units_b, "units_b")
    win = check_int(window, "window", ge=2)
    if min_periods is None:
        minp = win
    else:
        minp = check_int(min_periods, "min_periods", ge=2)
        if minp > win:
            raise ValueError(f"min_periods must be at most window ({win}), got {minp}")
    sessions = aligned_sessions(closes_a, closes_b, fx, max_fx_age_days=max_fx_age_days)
    ok = sessions[sessions["status"] == "ok"]
    out = ok[["price_a", "price_b", "fx", "fx_date"]].copy()
    if len(out):
        out["premium"] = premium(
            out["price_a"].to_numpy(), out["price_b"].to_numpy(), out["fx"].to_numpy(),
            units_a=ua, units_b=ub,
        )
    else:
        out["premium"] = pd.Series(dtype=float)
    roll = out["premium"].rolling(win, min_periods=minp)
    out["mean"] = roll.mean()
    out["std"] = roll.std(ddof=1)
    std = out["std"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (out["premium"].to_numpy() - out["mean"].to_numpy()) / std
    noise = _STD_TOL * np.maximum(1.0, np.abs(out["mean"].to_numpy()))
    z[~(std > noise)] = np.nan  # a constant premium: std is 0 up to rounding
    out["zscore"], _ = finite_or_nan(z)
    return out[list(HISTORY_COLUMNS)]

"""Returns, volatility, drawdowns and beta.

Conventions
-----------
* ``prices`` are wide (dates × symbols) DataFrames or one Series; ``returns``
  are decimal simple returns (0.01 = 1 %).
* DataFrame in -> Series indexed by symbol out; Series in -> float out.
* No silent filling: a return needs prices on both of its dates, so a NaN
  price makes the returns into and out of it NaN (the first row, which has no
  previous price, is dropped).  Statistics then use the available (non-NaN)
  observations of each column; :func:`beta` reports the count as ``n``.
* A price path to zero is a fact, not bad input: prices may be 0 (negative
  prices raise) and returns may be -1 (-100 %; below -1 raises).  The return
  into a price of 0 is -1; returns out of a price of 0 are undefined and NaN.
  Log returns need positive prices (the log return to 0 is -inf).
* Dates: functions that compute in row order (returns from prices, drawdowns)
  require a strictly increasing ``DatetimeIndex``/``PeriodIndex`` and raise
  ValueError on unsorted or duplicate dates; statistics that do not depend on
  row order (volatility, beta) accept any order but no duplicate dates.  Other
  indexes are taken in row order as given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import check, check_dates, check_int, to_array
from valuation._typing import FrameLike

__all__ = [
    "annualized_volatility",
    "beta",
    "drawdown_from_high",
    "log_returns",
    "max_drawdown",
    "simple_returns",
]


def _frame(
    data: Any, name: str, *, gt: float | None = None, ge: float | None = None, ordered: bool
) -> FrameLike:
    """Validate a Series/DataFrame of prices or returns; a float copy.

    ``gt``/``ge`` bound the non-NaN values; ``ordered`` requires increasing
    dates (see :func:`valuation._checks.check_dates`).
    """
    if not isinstance(data, pd.Series | pd.DataFrame):
        raise TypeError(f"{name} must be a pandas Series or DataFrame, got {type(data).__name__}")
    if data.empty:
        raise ValueError(f"{name} must not be empty")
    check_dates(data.index, name, increasing=ordered)
    values = data.to_numpy(dtype=float, copy=True)
    if np.isnan(values).all():
        raise ValueError(f"{name} has no non-NaN values")
    check(values, name, allow_nan=True, gt=gt, ge=ge)
    return data.astype(float)


def _number(value: Any, name: str, **bounds: float) -> float:
    """One number (TypeError otherwise), checked against ``bounds`` of :func:`check`."""
    arr, _ = to_array(value, name)
    if arr.ndim:
        raise TypeError(f"{name} must be one number, got an array of shape {arr.shape}")
    return float(check(arr, name, **bounds))


def _scalar_or_series(result: pd.Series, data: FrameLike) -> Any:
    return float(result.iloc[0]) if isinstance(data, pd.Series) else result


def simple_returns(prices: FrameLike) -> FrameLike:
    """Simple returns ``p_t / p_{t-1} - 1``; NaN across gaps, first row dropped.

    Prices must be >= 0 with increasing dates.  A fall to 0 is a return of -1;
    the returns after a price of 0 are undefined and NaN (no division by 0).

    Examples
    --------
    >>> simple_returns(pd.Series([100.0, 110.0, 99.0])).round(4).tolist()
    [0.1, -0.1]
    >>> simple_returns(pd.Series([100.0, 0.0, 0.0])).tolist()
    [-1.0, nan]
    """
    p = _frame(prices, "prices", ge=0, ordered=True)
    previous = p.shift(1)
    return (p / previous.where(previous != 0) - 1.0).iloc[1:]


def log_returns(prices: FrameLike) -> FrameLike:
    """Log returns ``ln(p_t / p_{t-1})``; NaN across gaps, first row dropped.

    Prices must be > 0 (the log return of a fall to 0 is -inf; use
    :func:`simple_returns` for a path to zero) with increasing dates.

    Examples
    --------
    >>> log_returns(pd.Series([100.0, 100.0 * np.e])).round(6).tolist()
    [1.0]
    """
    p = _frame(prices, "prices", gt=0, ordered=True)
    return np.log(p / p.shift(1)).iloc[1:]


def annualized_volatility(
    returns: FrameLike, periods_per_year: float = 252, *, min_periods: int = 2
) -> Any:
    """Annualised volatility: sample std (ddof=1) of the available returns × sqrt(periods_per_year).

    NaN returns are skipped (not filled); columns with fewer than
    ``min_periods`` returns give NaN.  Returns must be >= -1; the row order
    does not matter (duplicate dates raise).

    Examples
    --------
    >>> round(annualized_volatility(pd.Series([0.01, -0.01, 0.01, -0.01]), 252), 4)
    0.1833
    """
    r = _frame(returns, "returns", ge=-1, ordered=False)
    ppy = _number(periods_per_year, "periods_per_year", gt=0)
    mp = check_int(min_periods, "min_periods", ge=2)
    frame = r.to_frame() if isinstance(r, pd.Series) else r
    vol = frame.std(ddof=1, skipna=True) * np.sqrt(ppy)
    vol[frame.count() < mp] = np.nan
    return _scalar_or_series(vol.rename("annualized_volatility"), r)


def _drawdowns(prices: FrameLike) -> pd.DataFrame:
    p = _frame(prices, "prices", ge=0, ordered=True)
    frame = p.to_frame() if isinstance(p, pd.Series) else p
    return frame / frame.cummax(skipna=True) - 1.0


def max_drawdown(prices: FrameLike) -> Any:
    """Largest peak-to-trough fall, ``min_t(p_t / max_{s<=t} p_s - 1)`` (<= 0).

    Prices must be >= 0 with increasing dates; a path to zero has a maximum
    drawdown of -1.0 (-100 %).  Dates before the first positive price have no
    peak yet and do not count.

    Examples
    --------
    >>> round(max_drawdown(pd.Series([100.0, 120.0, 90.0, 130.0])), 4)
    -0.25
    >>> max_drawdown(pd.Series([100.0, 40.0, 0.0, 0.0]))
    -1.0
    """
    dd = _drawdowns(prices).min(skipna=True)
    return _scalar_or_series(dd.rename("max_drawdown"), prices)


def drawdown_from_high(prices: FrameLike) -> Any:
    """Current drawdown: last price / highest price so far - 1 (<= 0).

    Uses the last row; a symbol with a NaN last price gives NaN (no filling).

    Examples
    --------
    >>> round(drawdown_from_high(pd.Series([100.0, 120.0, 90.0])), 4)
    -0.25
    """
    dd = _drawdowns(prices).iloc[-1]
    return _scalar_or_series(dd.rename("drawdown_from_high"), prices)


def _align_returns(
    returns: FrameLike, benchmark_returns: pd.Series, *, ordered: bool = False
) -> tuple[pd.DataFrame, pd.Series]:
    """Align returns and benchmark by date (inner join on labels), once.

    With ``ordered`` both must have increasing dates, and so has the result.
    """
    r = _frame(returns, "returns", ge=-1, ordered=ordered)
    if not isinstance(benchmark_returns, pd.Series):
        raise TypeError(
            f"benchmark_returns must be a pandas Series, got {type(benchmark_returns).__name__}"
        )
    b = _frame(benchmark_returns, "benchmark_returns", ge=-1, ordered=ordered)
    frame = r.to_frame() if isinstance(r, pd.Series) else r
    for obj, nm in ((frame, "returns"), (b, "benchmark_returns")):
        if not obj.index.is_unique:
            raise ValueError(
                f"{nm} has duplicate dates: {list(obj.index[obj.index.duplicated()][:3])}"
            )
    common = frame.index.intersection(b.index)
    if common.empty:
        raise ValueError("returns and benchmark_returns share no dates")
    return frame.loc[common], b.loc[common]


def _pinv(x: np.ndarray) -> np.ndarray:
    """Moore-Penrose pseudo-inverse exactly as statsmodels' ``pinv_extended`` computes it
    (same SVD, cutoff and products)."""
    u, s, vt = np.linalg.svd(x.conjugate(), False)
    cutoff = 1e-15 * np.maximum.reduce(s)
    for i in range(min(vt.shape[1], u.shape[0])):
        s[i] = 1.0 / s[i] if s[i] > cutoff else 0.0
    return np.dot(np.transpose(vt), np.multiply(s[:, np.newaxis], np.transpose(u)))


def beta(
    returns: FrameLike, benchmark_returns: pd.Series, *, periods_per_year: float = 252
) -> pd.DataFrame:
    """OLS beta of each column of ``returns`` on ``benchmark_returns``.

    Solved as statsmodels' ``OLS(y, add_constant(x)).fit()`` does (the same
    pseudo-inverse, so the same bits), with numpy only: no statsmodels import (about
    0.7 s and 100 MB in a report process).

    ``r_i,t = alpha + beta * r_m,t + e_t`` on the dates both have (pairwise
    complete: dates where either is NaN are left out and ``n`` counts the
    rest).  ``alpha`` is annualised as ``alpha * periods_per_year``.  Columns
    with fewer than 3 observations get NaN.  Returns must be >= -1; the row
    order does not matter (inputs are aligned by date label).

    Returns
    -------
    pandas.DataFrame
        Indexed by symbol, columns ``beta``, ``alpha``, ``rsquared``, ``n``.

    Examples
    --------
    >>> m = pd.Series([0.01, -0.02, 0.015, 0.005, -0.01])
    >>> r = pd.DataFrame({"X": 2 * m + 0.001})
    >>> beta(r, m, periods_per_year=252).round(4).loc["X"].tolist()
    [2.0, 0.252, 1.0, 5.0]
    """
    ppy = _number(periods_per_year, "periods_per_year", gt=0)
    frame, b = _align_returns(returns, benchmark_returns)
    rows = {}
    for col in frame.columns:
        y = frame[col]
        ok = y.notna() & b.notna()
        n = int(ok.sum())
        x = b[ok].to_numpy()
        if n < 3 or np.ptp(x) == 0:
            rows[col] = {"beta": np.nan, "alpha": np.nan, "rsquared": np.nan, "n": n}
            continue
        yy = y[ok].to_numpy()
        design = np.column_stack([np.ones(n), x])
        params = np.dot(_pinv(design), yy)
        resid = yy - np.dot(design, params)
        centered = yy - yy.mean()
        rows[col] = {
            "beta": float(params[1]),
            "alpha": float(params[0]) * ppy,
            "rsquared": float(1.0 - np.dot(resid, resid) / np.dot(centered, centered)),
            "n": n,
        }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["beta", "alpha", "rsquared", "n"])
    out["n"] = out["n"].astype(int)
    out.index.name = frame.columns.name
    return out

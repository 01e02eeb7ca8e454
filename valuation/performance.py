"""Risk-adjusted performance: the tearsheet ratios, tail risk, capture and rolling risk.

Sharpe and Sortino ratios, downside deviation, historical value at risk and
expected shortfall, the Calmar ratio, up/down capture against a benchmark, and
rolling volatility and beta.  :mod:`valuation.risk` has the building blocks
(returns, volatility, drawdowns, beta).

Conventions
-----------
* ``returns`` are decimal simple returns per period (0.01 = 1 %) in a wide
  DataFrame (dates × symbols) or one Series.  A return of -1 (-100 %, a price
  path to zero) is allowed; below -1 raises ValueError.
* DataFrame in -> Series indexed by the columns out, Series in -> float out,
  computed for all columns at once; the rolling functions return a frame (or
  Series) of the same shape, indexed by the date that ends each window.
* ``periods_per_year`` is the annualisation factor (252 trading days, 52
  weeks, 12 months; default 252).  Ratios of a mean to a dispersion scale by
  ``sqrt(periods_per_year)`` (i.i.d. returns); growth is annualised
  geometrically, ``(prod(1 + r)) ** (periods_per_year / n) - 1``.
* ``risk_free`` and ``required_return`` are *annual* decimal rates, applied
  per period as ``(1 + rate) ** (1 / periods_per_year) - 1`` (quantstats'
  ``rf``).  For a per-period rate ``p`` pass ``(1 + p) ** periods_per_year - 1``.
* Standard deviations are sample ones (``ddof=1``); the downside deviation
  divides by the number of returns ``n`` (a lower partial moment, not the
  standard deviation of the losing periods).
* NaN returns are skipped, never filled: each column uses its available
  returns and ``n`` counts them (a two-input statistic uses the dates where
  both are present).  Too few returns, or a ratio whose denominator is zero
  (constant returns, no return below the target, no drawdown), give NaN:
  undefined, not infinite.
* Value at risk and expected shortfall are *returns*, not losses: the 95 %
  VaR is the 5 % quantile of the one-period returns, negative when it is a
  loss, and the expected shortfall is at most the VaR.  Both are historical
  (no distribution assumed) and per period (no square-root-of-time scaling).
* Dates: Calmar and the rolling functions compute in row order and need a
  strictly increasing ``DatetimeIndex``/``PeriodIndex`` (ValueError
  otherwise); the other statistics do not depend on the row order and take
  any order.  Duplicate dates always raise.  Two inputs are aligned by date
  label (inner join) before anything is computed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import check_int
from valuation._typing import FrameLike
from valuation.risk import _align_returns, _frame, _number, _scalar_or_series

__all__ = [
    "calmar_ratio",
    "down_capture",
    "downside_deviation",
    "expected_shortfall",
    "rolling_beta",
    "rolling_volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "up_capture",
    "value_at_risk",
]


def _returns(returns: Any, *, ordered: bool) -> tuple[pd.DataFrame, np.ndarray]:
    r = _frame(returns, "returns", ge=-1, ordered=ordered)
    frame = r.to_frame() if isinstance(r, pd.Series) else r
    return frame, frame.to_numpy(dtype=float)


def _out(values: np.ndarray, frame: pd.DataFrame, returns: FrameLike, name: str) -> Any:
    return _scalar_or_series(pd.Series(values, index=frame.columns, name=name), returns)


def _ppy(periods_per_year: Any) -> float:
    return _number(periods_per_year, "periods_per_year", gt=0)


def _per_period(rate: Any, name: str, ppy: float) -> float:
    """An annual rate as a per-period rate, ``(1 + rate) ** (1 / ppy) - 1``."""
    return (1.0 + _number(rate, name, gt=-1)) ** (1.0 / ppy) - 1.0


def _mean_std(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: count, mean and sample std (ddof=1) of the non-NaN values.

    The std of a column whose values are all equal is exactly 0 (the two-pass
    formula would leave a rounding residue of ~1e-18).
    """
    ok = ~np.isnan(x)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, x, 0.0).sum(axis=0) / n
        dev = np.where(ok, x - mean, 0.0)
        std = np.sqrt((dev * dev).sum(axis=0) / (n - 1))
    flat = np.where(ok, x, -np.inf).max(axis=0) == np.where(ok, x, np.inf).min(axis=0)
    return n, mean, np.where(flat, 0.0, std)


def _downside(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column: count and ``sqrt(sum(min(x, 0)**2) / n)`` of the non-NaN values."""
    ok = ~np.isnan(x)
    n = ok.sum(axis=0)
    below = np.where(ok, np.minimum(x, 0.0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return n, np.sqrt((below * below).sum(axis=0) / n)


def sharpe_ratio(
    returns: FrameLike, *, risk_free: float = 0.0, periods_per_year: float = 252
) -> Any:
    """Annualised Sharpe ratio of the returns in excess of the risk-free rate.

    ``SR = mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year)`` with
    ``rf = (1 + risk_free) ** (1 / periods_per_year) - 1`` per period.

    Parameters
    ----------
    returns : pandas.Series or pandas.DataFrame
        Simple returns per period (dates × symbols), each >= -1; NaN skipped.
    risk_free : float, default 0
        Annual risk-free rate (0.04 = 4 %), > -1.
    periods_per_year : float, default 252
        Periods per year of ``returns``, > 0.

    Returns
    -------
    float or pandas.Series
        A float for a Series, a Series indexed by the columns for a DataFrame.
        NaN with fewer than 2 returns or when the returns are all equal.

    Examples
    --------
    >>> r = pd.DataFrame({"A": [0.01, -0.005, 0.02, 0.0], "B": [0.02, -0.01, 0.01, -0.02]})
    >>> sharpe_ratio(r, periods_per_year=12).round(4).to_dict()
    {'A': 1.9528, 'B': 0.0}
    """
    ppy = _ppy(periods_per_year)
    rf = _per_period(risk_free, "risk_free", ppy)
    frame, x = _returns(returns, ordered=False)
    n, mean, std = _mean_std(x - rf)
    with np.errstate(invalid="ignore", divide="ignore"):
        sr = np.where((n >= 2) & (std > 0), mean / std * np.sqrt(ppy), np.nan)
    return _out(sr, frame, returns, "sharpe_ratio")


def downside_deviation(
    returns: FrameLike, *, required_return: float = 0.0, periods_per_year: float = 252
) -> Any:
    """Annualised downside deviation below a required (minimum acceptable) return.

    ``DD = sqrt(sum(min(r - t, 0) ** 2) / n) * sqrt(periods_per_year)`` over
    the ``n`` available returns, with ``t = (1 + required_return) **
    (1 / periods_per_year) - 1`` per period.  Returns above the target count
    as zero shortfall; the divisor is ``n``, not the number of losing periods
    (Sortino and Price, 1994).

    Parameters
    ----------
    returns : pandas.Series or pandas.DataFrame
        Simple returns per period (dates × symbols), each >= -1; NaN skipped.
    required_return : float, default 0
        Annual minimum acceptable return, > -1.
    periods_per_year : float, default 252
        Periods per year of ``returns``, > 0.

    Returns
    -------
    float or pandas.Series
        >= 0; 0 when no return is below the target; NaN without returns.

    Examples
    --------
    >>> round(downside_deviation(pd.Series([0.02, -0.01, 0.03, -0.02]), periods_per_year=12), 4)
    0.0387
    """
    ppy = _ppy(periods_per_year)
    target = _per_period(required_return, "required_return", ppy)
    frame, x = _returns(returns, ordered=False)
    n, dd = _downside(x - target)
    dd = np.where(n >= 1, dd * np.sqrt(ppy), np.nan)
    return _out(dd, frame, returns, "downside_deviation")


def sortino_ratio(
    returns: FrameLike, *, required_return: float = 0.0, periods_per_year: float = 252
) -> Any:
    """Annualised Sortino ratio: mean excess over a target per unit of downside deviation.

    ``S = mean(r - t) / sqrt(sum(min(r - t, 0) ** 2) / n) * sqrt(periods_per_year)``
    with ``t = (1 + required_return) ** (1 / periods_per_year) - 1`` per period;
    the denominator is :func:`downside_deviation` per period.  With
    ``required_return`` set to the risk-free rate this is quantstats'
    ``sortino(returns, rf=...)``; empyrical's ``sortino_ratio`` takes the
    target per period.

    Parameters
    ----------
    returns, required_return, periods_per_year
        As for :func:`downside_deviation`.

    Returns
    -------
    float or pandas.Series
        NaN with fewer than 2 returns or when no return is below the target
        (zero downside deviation).

    Examples
    --------
    >>> round(sortino_ratio(pd.Series([0.02, -0.01, 0.03, -0.02]), periods_per_year=12), 4)
    1.5492
    """
    ppy = _ppy(periods_per_year)
    target = _per_period(required_return, "required_return", ppy)
    frame, x = _returns(returns, ordered=False)
    n, mean, _ = _mean_std(x - target)
    _, dd = _downside(x - target)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where((n >= 2) & (dd > 0), mean / dd * np.sqrt(ppy), np.nan)
    return _out(ratio, frame, returns, "sortino_ratio")


def _tail(
    returns: FrameLike, level: Any
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sorted returns per column, counts, quantile position ``h`` and ``floor(h)``.

    ``h = (n - 1) * (1 - level)`` is the 0-based position of the ``1 - level``
    quantile among the ``n`` sorted returns (numpy's ``"linear"`` method); a
    position within 1e-9 of an integer is that integer, so that ``1 - 0.8``
    (0.19999999999999996 in floating point) does not drop a tail return.
    """
    lvl = _number(level, "level", gt=0, lt=1)
    frame, x = _returns(returns, ordered=False)
    n = (~np.isnan(x)).sum(axis=0)
    ordered = np.sort(x, axis=0)  # NaN last
    h = (n - 1) * (1.0 - lvl)
    nearest = np.round(h)
    h = np.where(np.abs(h - nearest) < 1e-9, nearest, h)
    lo = np.clip(np.floor(h), 0, None).astype(int)
    return frame, ordered, n, h, lo


def _row(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, rows[np.newaxis, :], axis=0)[0]


def value_at_risk(returns: FrameLike, *, level: float = 0.95) -> Any:
    """Historical one-period value at risk: the ``1 - level`` quantile of the returns.

    Linear interpolation between order statistics (numpy's default
    ``"linear"`` quantile, as empyrical's ``value_at_risk(cutoff=1 - level)``):
    with the ``n`` available returns sorted, ``x_(0) <= ... <= x_(n-1)``, and
    ``h = (n - 1) * (1 - level)``,
    ``VaR = x_(floor h) + (h - floor h) * (x_(floor h + 1) - x_(floor h))``.

    Sign: a *return*, negative for a loss (``-0.03`` means that on the worst
    ``1 - level`` of periods the return was -3 % or lower).  Per period, not
    scaled to a horizon.

    Parameters
    ----------
    returns : pandas.Series or pandas.DataFrame
        Simple returns per period (dates × symbols), each >= -1; NaN skipped.
    level : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    float or pandas.Series
        NaN without returns.

    Examples
    --------
    >>> r = pd.Series([-0.05, -0.02, 0.0, 0.01, 0.03])
    >>> round(value_at_risk(r, level=0.9), 4)
    -0.038
    """
    frame, ordered, n, h, lo = _tail(returns, level)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    a, b = _row(ordered, lo), _row(ordered, hi)
    var = np.where(n >= 1, a + (h - lo) * (b - a), np.nan)
    return _out(var, frame, returns, "value_at_risk")


def expected_shortfall(returns: FrameLike, *, level: float = 0.95) -> Any:
    """Historical expected shortfall (CVaR): the mean of the returns in the VaR tail.

    The mean of the ``k = floor((n - 1) * (1 - level)) + 1`` lowest of the
    ``n`` available returns, i.e. of the order statistics at or below the
    position of :func:`value_at_risk`; so ``expected_shortfall <=
    value_at_risk`` (losses: CVaR >= VaR).  Equal to empyrical's
    ``conditional_value_at_risk(cutoff=1 - level)`` and, for returns without
    ties, to quantstats' ``conditional_value_at_risk(method="historical")``.

    Sign: a *return*, negative for a loss; per period.

    Parameters
    ----------
    returns, level
        As for :func:`value_at_risk`.

    Returns
    -------
    float or pandas.Series
        At most :func:`value_at_risk` at the same level; NaN without returns.

    Examples
    --------
    >>> r = pd.DataFrame(
    ...     {"A": [-0.05, -0.02, 0.0, 0.01, 0.03], "B": [0.01, -0.01, 0.0, 0.02, -0.04]}
    ... )
    >>> expected_shortfall(r, level=0.75).round(4).to_dict()
    {'A': -0.035, 'B': -0.025}
    """
    frame, ordered, n, _, lo = _tail(returns, level)
    total = np.cumsum(np.where(np.isnan(ordered), 0.0, ordered), axis=0)
    es = np.where(n >= 1, _row(total, lo) / (lo + 1), np.nan)
    return _out(es, frame, returns, "expected_shortfall")


def calmar_ratio(returns: FrameLike, *, periods_per_year: float = 252) -> Any:
    """Calmar ratio: annualised growth over the magnitude of the maximum drawdown.

    ``Calmar = CAGR / |MDD|`` with ``CAGR = W_n ** (periods_per_year / n) - 1``
    and ``MDD = min_t(W_t / max(1, W_1..W_t) - 1)``, where ``W_t = prod_{s<=t}(1
    + r_s)`` is the wealth of 1 invested before the first return (so a first
    return of -10 % is a drawdown of -10 %) and ``n`` counts the available
    returns (a NaN return is skipped: wealth unchanged, not a period).  Over
    the whole sample (as empyrical, quantstats and PerformanceAnalytics); pass
    the last three years for Young's original definition.  A path to zero
    (a return of -1) has ``MDD = CAGR = -1`` and a Calmar ratio of -1.

    Parameters
    ----------
    returns : pandas.Series or pandas.DataFrame
        Simple returns per period with increasing dates, each >= -1.
    periods_per_year : float, default 252
        Periods per year of ``returns``, > 0.

    Returns
    -------
    float or pandas.Series
        Same sign as the CAGR; NaN without a drawdown (``MDD = 0``).

    Examples
    --------
    >>> round(calmar_ratio(pd.Series([0.1, -0.2, 0.15, 0.05]), periods_per_year=4), 4)
    0.313
    """
    ppy = _ppy(periods_per_year)
    frame, x = _returns(returns, ordered=True)
    ok = ~np.isnan(x)
    n = ok.sum(axis=0)
    wealth = np.cumprod(np.where(ok, 1.0 + x, 1.0), axis=0)
    peak = np.maximum(np.maximum.accumulate(wealth, axis=0), 1.0)
    mdd = (wealth / peak - 1.0).min(axis=0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        cagr = wealth[-1] ** (ppy / n) - 1.0
        calmar = np.where((n >= 1) & (mdd < 0), cagr / -mdd, np.nan)
    return _out(calmar, frame, returns, "calmar_ratio")


def _capture(
    returns: FrameLike, benchmark_returns: pd.Series, periods_per_year: Any, *, up: bool
) -> Any:
    ppy = _ppy(periods_per_year)
    frame, b = _align_returns(returns, benchmark_returns)
    r = frame.to_numpy(dtype=float)
    m = b.to_numpy(dtype=float)[:, np.newaxis]
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(r) & ((m > 0) if up else (m < 0))
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        fund = np.where(ok, 1.0 + r, 1.0).prod(axis=0) ** (ppy / n) - 1.0
        bench = np.where(ok, 1.0 + m, 1.0).prod(axis=0) ** (ppy / n) - 1.0
        ratio = np.where(n >= 1, fund / bench, np.nan)
    return _out(ratio, frame, returns, "up_capture" if up else "down_capture")


def up_capture(
    returns: FrameLike, benchmark_returns: pd.Series, *, periods_per_year: float = 252
) -> Any:
    """Up-market capture: annualised growth on the benchmark's up periods, relative.

    On the dates where the benchmark return is > 0 and both are present
    (``n`` of them), ``(prod(1 + r) ** (ppy / n) - 1) / (prod(1 + b) ** (ppy /
    n) - 1)`` with ``ppy = periods_per_year`` (geometric, as Morningstar and
    empyrical's ``up_capture``).  1.0 = the fund captured all of the
    benchmark's rises; > 1 more than all.

    Parameters
    ----------
    returns : pandas.Series or pandas.DataFrame
        Simple returns per period (dates × symbols), each >= -1; NaN skipped.
    benchmark_returns : pandas.Series
        The benchmark's simple returns, aligned to ``returns`` by date label.
    periods_per_year : float, default 252
        Periods per year of ``returns``, > 0.

    Returns
    -------
    float or pandas.Series
        NaN when the benchmark has no up period with a return.

    Examples
    --------
    >>> b = pd.Series([0.02, -0.01, 0.01, -0.03])
    >>> round(up_capture(2 * b, b, periods_per_year=4), 4)
    2.0436
    """
    return _capture(returns, benchmark_returns, periods_per_year, up=True)


def down_capture(
    returns: FrameLike, benchmark_returns: pd.Series, *, periods_per_year: float = 252
) -> Any:
    """Down-market capture: annualised growth on the benchmark's down periods, relative.

    As :func:`up_capture` on the dates where the benchmark return is < 0
    (dates with a zero benchmark return count for neither).  < 1 = the fund
    fell less than the benchmark; negative = it rose while the benchmark fell.

    Parameters
    ----------
    returns, benchmark_returns, periods_per_year
        As for :func:`up_capture`.

    Returns
    -------
    float or pandas.Series
        NaN when the benchmark has no down period with a return.

    Examples
    --------
    >>> b = pd.Series([0.02, -0.01, 0.01, -0.03])
    >>> round(down_capture(0.5 * b, b, periods_per_year=4), 4)
    0.507
    """
    return _capture(returns, benchmark_returns, periods_per_year, up=False)


def _window(window: Any, min_periods: Any, least: int) -> tuple[int, int]:
    w = check_int(window, "window", ge=least)
    mp = w if min_periods is None else check_int(min_periods, "min_periods", ge=least)
    if mp > w:
        raise ValueError(f"min_periods must be at most window ({w}), got {mp}")
    return w, mp


def rolling_volatility(
    returns: FrameLike,
    window: int,
    *,
    periods_per_year: float = 252,
    min_periods: int | None = None,
) -> FrameLike:
    """Annualised volatility over a rolling window of ``window`` rows.

    At each date, :func:`~valuation.risk.annualized_volatility` of the
    returns in the ``window`` rows ending there: ``std(ddof=1) *
    sqrt(periods_per_year)`` of the available returns, NaN while a window has
    fewer than ``min_periods`` of them (default ``window``: a window with a
    NaN return is NaN).

    Parameters
    ----------
    returns : pandas.Series or pandas.DataFrame
        Simple returns per period with increasing dates, each >= -1.
    window : int
        Rows (periods) per window, >= 2.
    periods_per_year : float, default 252
        Periods per year of ``returns``, > 0.
    min_periods : int, optional
        Fewest available returns in a window for a value, 2..``window``.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Same index, columns and name as ``returns``; the first ``min_periods -
        1`` rows are NaN.

    Examples
    --------
    >>> r = pd.Series([0.01, -0.01, 0.01, -0.01, 0.03])
    >>> rolling_volatility(r, 4, periods_per_year=252).round(4).tolist()
    [nan, nan, nan, 0.1833, 0.304]
    """
    ppy = _ppy(periods_per_year)
    r = _frame(returns, "returns", ge=-1, ordered=True)
    w, mp = _window(window, min_periods, 2)
    return r.rolling(w, min_periods=mp).std(ddof=1) * np.sqrt(ppy)


def rolling_beta(
    returns: FrameLike,
    benchmark_returns: pd.Series,
    window: int,
    *,
    min_periods: int | None = None,
) -> FrameLike:
    """OLS beta on the benchmark over a rolling window of ``window`` rows.

    At each date, ``cov(r, b) / var(b)`` over the ``window`` rows ending there
    (closed form, the slope of :func:`~valuation.risk.beta`), using the dates
    where both returns are present; NaN while a window has fewer than
    ``min_periods`` such pairs (default ``window``) or the benchmark does not
    vary in it.  The inputs are aligned by date label first (inner join), so
    windows count rows of the common dates.

    Parameters
    ----------
    returns : pandas.Series or pandas.DataFrame
        Simple returns per period with increasing dates, each >= -1.
    benchmark_returns : pandas.Series
        The benchmark's simple returns with increasing dates.
    window : int
        Rows (periods) per window, >= 3.
    min_periods : int, optional
        Fewest pairs in a window for a value, 3..``window``.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Indexed by the common dates, with the columns (or name) of ``returns``.

    Examples
    --------
    >>> b = pd.Series([0.01, -0.02, 0.015, 0.005, -0.01])
    >>> rolling_beta(1.5 * b + 0.001, b, 3).round(4).tolist()
    [nan, nan, 1.5, 1.5, 1.5]
    """
    frame, b = _align_returns(returns, benchmark_returns, ordered=True)
    w, mp = _window(window, min_periods, 3)
    r = frame.to_numpy(dtype=float)
    m = b.to_numpy(dtype=float)[:, np.newaxis]
    both = ~np.isnan(r) & ~np.isnan(m)
    positions = pd.RangeIndex(r.shape[1])  # match columns by position, whatever their labels
    x = pd.DataFrame(np.where(both, r, np.nan), index=frame.index, columns=positions)
    y = pd.DataFrame(np.where(both, m, np.nan), index=frame.index, columns=positions)
    cov = x.rolling(w, min_periods=mp).cov(y)
    var = y.rolling(w, min_periods=mp).var()
    out = cov / var.where(var > 0)
    out.columns = frame.columns
    if isinstance(returns, pd.Series):
        return out.iloc[:, 0].rename(returns.name)
    return out

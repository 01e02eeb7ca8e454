"""Two baskets compared: basket returns, relative performance, rolling co-movement, breaks.

Built for "two spheres" questions (does a Chinese AI-compute basket still move with a
Western one, and did that change at an export-control announcement?), but nothing
here knows about watchlists: any two return series will do.

Conventions
-----------
* ``returns`` are decimal simple daily returns (0.01 = 1 %), each >= -1, indexed by
  strictly increasing dates (a ``DatetimeIndex``; other indexes are taken in row
  order).  Duplicate or unsorted dates raise ValueError.
* Two series are aligned by date label, once, by an inner join: only dates present in
  both count.  A date where either is NaN is missing for the pair: it is skipped, never
  filled with 0.
* ``lag`` (keyword-only, default 0) pairs ``y`` on date ``t`` with ``x`` ``lag`` common
  dates earlier: with ``lag=1`` a basket that trades in Asia is paired with the
  previous New York session of the other, whose news it can only price the next day.
* A rolling ``window`` counts observations (rows of the common dates, after the
  lag), not calendar days; a window with a missing pair is NaN, and every result is
  indexed by the date that ends its window.
* The regression is ``y_t = alpha + beta * x_{t-lag} + e_t`` (OLS with a constant):
  ``beta`` is the sensitivity of ``y`` to ``x``, ``alpha`` is annualised as
  ``alpha * periods_per_year``, ``rsquared`` the share of ``y``'s variance explained.
* A break date is the first date of the new regime: the Chow test's "before" segment
  holds the dates strictly before it and "after" the dates on or after it.  A break
  date on a non-trading day starts the new regime on the next common date.
* Inputs are never modified; labels (dates, names) are preserved.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import check_int, to_array
from valuation.risk import _frame, _number

__all__ = [
    "BreakTest",
    "basket_returns",
    "chow_test",
    "cusum_test",
    "relative_performance",
    "rolling_correlation",
    "rolling_regression",
]

#: Regression parameters of the tested relation (a constant and one slope).
_K = 2


@dataclass(frozen=True)
class BreakTest:
    """The result of a structural-break test of ``y = alpha + beta * x``.

    ``name`` is ``'chow'`` or ``'cusum'``; ``statistic`` the test statistic (Chow's F,
    or the CUSUM sup-statistic); ``pvalue`` its p-value; ``break_date`` the tested date
    (the first date of the new regime) or ``None`` for a test without one (CUSUM);
    ``n_before``/``n_after`` the observations before and on/after it (for CUSUM,
    ``n_before`` counts all observations and ``n_after`` is 0); ``verdict`` the
    result in plain words at the significance level ``alpha``.
    """

    name: str
    statistic: float
    pvalue: float
    break_date: Any
    n_before: int
    n_after: int
    verdict: str
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.name not in ("chow", "cusum"):
            raise ValueError(f"name must be 'chow' or 'cusum', got {self.name!r}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha!r}")
        if not (math.isnan(self.pvalue) or 0 <= self.pvalue <= 1):
            raise ValueError(f"pvalue must be between 0 and 1, got {self.pvalue!r}")
        for field in ("n_before", "n_after"):
            if getattr(self, field) < 0:
                raise ValueError(f"{field} must be >= 0, got {getattr(self, field)!r}")

    @property
    def n(self) -> int:
        """Observations used by the test."""
        return self.n_before + self.n_after

    @property
    def rejected(self) -> bool:
        """True when the test rejects "no change" at ``alpha`` (``pvalue < alpha``)."""
        return bool(self.pvalue < self.alpha)


# --------------------------------------------------------------------------- helpers


def _series(value: Any, name: str) -> pd.Series:
    if not isinstance(value, pd.Series):
        raise TypeError(f"{name} must be a pandas Series of returns, got {type(value).__name__}")
    return _frame(value, name, ge=-1, ordered=True)


def _pair(y: Any, x: Any, lag: Any, names: tuple[str, str] = ("y", "x")) -> pd.DataFrame:
    """Validate and align two return Series (inner join), then lag ``x`` by ``lag`` rows.

    Returns a two-column frame (``y``, ``x``) on the common dates; the first ``lag``
    rows have no lagged ``x`` and are dropped.  NaNs are kept (each caller decides).
    """
    ys, xs = _series(y, names[0]), _series(x, names[1])
    lg = check_int(lag, "lag", ge=0)
    common = ys.index.intersection(xs.index, sort=False)
    if common.empty:
        raise ValueError(f"{names[0]} and {names[1]} share no dates")
    common = common.sort_values()
    frame = pd.DataFrame({"y": ys.loc[common], "x": xs.loc[common].shift(lg)},
                         index=common).iloc[lg:]
    if frame.empty:
        raise ValueError(f"lag must be less than the {len(common)} common dates, got {lg}")
    return frame


def _window(window: Any, n: int) -> int:
    w = check_int(window, "window", ge=3)
    if w > n:
        raise ValueError(f"window must be at most the {n} common observations, got {w}")
    return w


def _complete(frame: pd.DataFrame) -> pd.DataFrame:
    """The pairs where both returns are present (the tests' observations)."""
    return frame[frame["y"].notna() & frame["x"].notna()]


def _rss(y: np.ndarray, x: np.ndarray) -> float:
    """Residual sum of squares of OLS ``y ~ 1 + x`` (closed form)."""
    xc = x - x.mean()
    sxx = float(xc @ xc)
    yc = y - y.mean()
    slope = float(xc @ yc) / sxx
    resid = yc - slope * xc
    return float(resid @ resid)


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _level(alpha: Any) -> float:
    return _number(alpha, "alpha", gt=0, lt=1)


def _date_text(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else str(value)
    return str(value)


# --------------------------------------------------------------------------- baskets


def basket_returns(returns: pd.DataFrame, weights: Any = None) -> pd.Series:
    """Returns of a basket rebalanced to ``weights`` every day (equal weight by default).

    On each date the basket return is ``sum_i w_i r_i / sum_i w_i`` over the members
    with a return that date: a member with NaN (not trading, not yet listed) is left
    out and the weights of the others are renormalised, so a holiday on one exchange
    does not count as a 0 % day.  A date with no member return is NaN.  Daily
    rebalancing (not buy-and-hold) keeps the basket's beta the weighted mean of the
    members' betas on every date, which is what the rolling regression assumes.

    Parameters
    ----------
    returns : pandas.DataFrame
        Simple returns, dates × members, each >= -1, increasing dates.
    weights : pandas.Series or sequence, optional
        One non-negative weight per member (a Series matched by column label, any
        order), not all zero; normalised to sum to 1.  Default: equal weights.

    Returns
    -------
    pandas.Series
        Indexed by the dates of ``returns``, named ``'basket'``.

    Examples
    --------
    >>> r = pd.DataFrame({"A": [0.01, 0.02, np.nan], "B": [0.03, np.nan, np.nan]})
    >>> basket_returns(r).round(4).tolist()
    [0.02, 0.02, nan]
    >>> basket_returns(r, weights=pd.Series({"B": 1.0, "A": 3.0})).round(4).tolist()
    [0.015, 0.02, nan]
    """
    if not isinstance(returns, pd.DataFrame):
        raise TypeError(f"returns must be a pandas DataFrame (dates × members), got "
                        f"{type(returns).__name__}")
    r = _frame(returns, "returns", ge=-1, ordered=True)
    if not r.columns.is_unique:
        raise ValueError(f"returns has duplicate members: "
                         f"{list(r.columns[r.columns.duplicated()])[:5]}")
    if weights is None:
        w = np.ones(r.shape[1])
    else:
        if isinstance(weights, pd.Series):
            if set(weights.index) != set(r.columns) or not weights.index.is_unique:
                raise ValueError(f"weights labels {list(weights.index)[:10]} do not match "
                                 f"the members of returns {list(r.columns)[:10]}")
            weights = weights.reindex(r.columns)
        w, _ = to_array(weights, "weights")
        if w.shape != (r.shape[1],):
            raise ValueError(f"weights must have one element per member ({r.shape[1]}), "
                             f"got shape {w.shape}")
        if not np.isfinite(w).all() or (w < 0).any():
            bad = w[~np.isfinite(w) | (w < 0)][0]
            raise ValueError(f"weights must be finite and >= 0, got {bad:g}")
        if w.sum() <= 0:
            raise ValueError("weights must not all be zero")
    values = r.to_numpy(dtype=float)
    present = ~np.isnan(values)
    wsum = (present * w).sum(axis=1)
    total = (np.where(present, values, 0.0) * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(wsum > 0, total / np.where(wsum > 0, wsum, 1.0), np.nan)
    return pd.Series(out, index=r.index, name="basket")


def relative_performance(a: pd.Series, b: pd.Series) -> pd.Series:
    """Cumulative growth of ``a`` relative to ``b``: ``prod(1 + a) / prod(1 + b) - 1``.

    On the common dates (inner join), compounded from the first of them; 0.10 on a
    date means ``a`` has grown 10 % more than ``b`` since the start (a ratio of growth
    indices, not a difference of returns).  A date where either return is missing
    adds nothing to either side (both are skipped) and shows NaN.

    Examples
    --------
    >>> a = pd.Series([0.10, 0.00])
    >>> b = pd.Series([0.00, 0.10])
    >>> relative_performance(a, b).round(4).tolist()
    [0.1, 0.0]
    """
    frame = _pair(a, b, 0, ("a", "b"))
    both = frame["y"].notna() & frame["x"].notna()
    growth = (1.0 + frame.where(both, 0.0)).cumprod()
    out = growth["y"] / growth["x"].where(growth["x"] > 0) - 1.0
    return out.where(both).rename("relative_performance")


# --------------------------------------------------------------------------- rolling


def rolling_correlation(y: pd.Series, x: pd.Series, window: int = 60, *,
                        lag: int = 0) -> pd.Series:
    """Pearson correlation of ``y`` and ``x`` (lagged by ``lag``) over ``window`` rows.

    Indexed by the common dates (after the lag), NaN until a window of ``window``
    complete pairs is available and wherever a pair in the window is missing.

    Examples
    --------
    >>> x = pd.Series([0.01, -0.02, 0.015, 0.005])
    >>> rolling_correlation(-2 * x, x, 3).round(4).tolist()
    [nan, nan, -1.0, -1.0]
    """
    frame = _pair(y, x, lag)
    w = _window(window, len(frame))
    ok = frame.where(frame["y"].notna() & frame["x"].notna())
    out = ok["y"].rolling(w, min_periods=w).corr(ok["x"])
    return out.rename("correlation")


def rolling_regression(y: pd.Series, x: pd.Series, window: int = 60, *, lag: int = 0,
                       periods_per_year: float = 252) -> pd.DataFrame:
    """Rolling OLS ``y_t = alpha + beta * x_{t-lag} + e_t`` (statsmodels ``RollingOLS``).

    Each row is the fit over the ``window`` rows ending on its date (rows of the common
    dates after the lag); a window with a missing pair, or before ``window`` rows,
    is NaN.  (:func:`valuation.rolling_beta` gives the slope alone for many columns.)

    Returns
    -------
    pandas.DataFrame
        Indexed by the common dates, columns ``beta``, ``alpha`` (annualised,
        ``alpha * periods_per_year``) and ``rsquared``.

    Examples
    --------
    >>> x = pd.Series([0.01, -0.02, 0.015, 0.005, -0.01])
    >>> rolling_regression(1.5 * x + 0.001, x, 3).round(4)["beta"].tolist()
    [nan, nan, 1.5, 1.5, 1.5]
    """
    from statsmodels.regression.rolling import RollingOLS

    ppy = _number(periods_per_year, "periods_per_year", gt=0)
    frame = _pair(y, x, lag)
    w = _window(window, len(frame))
    exog = np.column_stack([np.ones(len(frame)), frame["x"].to_numpy(dtype=float)])
    with np.errstate(invalid="ignore", divide="ignore"):
        fit = RollingOLS(frame["y"].to_numpy(dtype=float), exog, window=w,
                         missing="skip").fit(params_only=False, cov_type="nonrobust")
        params = np.asarray(fit.params, dtype=float)
        rsq = np.asarray(fit.rsquared, dtype=float)
    out = pd.DataFrame({"beta": params[:, 1], "alpha": params[:, 0] * ppy, "rsquared": rsq},
                       index=frame.index)
    # One rule with rolling_correlation: a window counts only if all its pairs are there.
    complete = (frame["y"].notna() & frame["x"].notna()).astype(float)
    return out.where(complete.rolling(w, min_periods=w).sum() == w)


# --------------------------------------------------------------------------- breaks


def chow_test(y: pd.Series, x: pd.Series, break_date: Hashable, *, lag: int = 0,
              min_obs: int = 10, alpha: float = 0.05) -> BreakTest:
    """Chow test: did ``y = a + b * x`` change at ``break_date``?

    Fits the relation once over all complete pairs (restricted, RSS_r) and separately
    before and on/after ``break_date`` (RSS_1, RSS_2);
    ``F = ((RSS_r - RSS_1 - RSS_2) / k) / ((RSS_1 + RSS_2) / (n - 2k))`` with ``k = 2``
    parameters, and the p-value from the F(k, n - 2k) distribution (scipy).  The test
    assumes homoskedastic, serially uncorrelated errors with the same variance in both
    segments; a rejection says the intercept, the slope or both changed.

    Parameters
    ----------
    y, x : pandas.Series
        Simple returns with increasing dates (aligned by an inner join of dates; pairs
        with a missing return are left out).
    break_date : date-like or label
        The first date of the new regime, inside the data.
    lag : int
        Pair ``y`` with ``x`` ``lag`` rows earlier (see the module notes).
    min_obs : int
        Fewest observations on each side, at least 3 (default 10).
    alpha : float
        Significance level of the verdict (default 0.05).

    Examples
    --------
    >>> x = pd.Series(np.sin(np.arange(40.0)) / 100, index=pd.bdate_range("2025-01-01", periods=40))
    >>> y = x.where(x.index < "2025-01-29", 3 * x) + np.cos(np.arange(40.0)) / 1000
    >>> chow_test(y, x, "2025-01-29").rejected
    True
    """
    from scipy import stats

    level = _level(alpha)
    m = check_int(min_obs, "min_obs", ge=_K + 1)
    data = _complete(_pair(y, x, lag))
    if data.empty:
        raise ValueError("y and x have no date where both returns are present")
    index = data.index
    if isinstance(index, pd.DatetimeIndex):
        try:
            brk: Any = pd.Timestamp(break_date)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"break_date must be a date, got {break_date!r}") from exc
        if brk.tzinfo is None and index.tz is not None:
            brk = brk.tz_localize(index.tz)
    else:
        brk = break_date
    first, last = index[0], index[-1]
    try:
        inside = bool(first < brk <= last)
    except TypeError as exc:
        raise ValueError(f"break_date {break_date!r} cannot be compared with the dates of "
                         f"y and x ({type(first).__name__})") from exc
    if not inside:
        raise ValueError(
            f"break_date {_date_text(brk)} is outside the data: it must be after the first "
            f"date {_date_text(first)} and on or before the last {_date_text(last)}")
    after = np.asarray(index >= brk)
    n1, n2 = int((~after).sum()), int(after.sum())
    for side, count in (("before", n1), ("on or after", n2)):
        if count < m:
            raise ValueError(
                f"break_date {_date_text(brk)} leaves {count} observations {side} it; "
                f"min_obs is {m} (move the date or pass a smaller min_obs)")
    yv, xv = data["y"].to_numpy(dtype=float), data["x"].to_numpy(dtype=float)
    for side, mask in (("before", ~after), ("on or after", after)):
        if np.ptp(xv[mask]) == 0:
            raise ValueError(f"x does not vary {side} break_date {_date_text(brk)}")
    n = n1 + n2
    rss_r = _rss(yv, xv)
    rss_u = _rss(yv[~after], xv[~after]) + _rss(yv[after], xv[after])
    df2 = n - 2 * _K
    if rss_u <= 0:
        stat = math.inf if rss_r > rss_u else math.nan
    else:
        stat = ((rss_r - rss_u) / _K) / (rss_u / df2)
    pvalue = float(stats.f.sf(stat, _K, df2)) if not math.isnan(stat) else math.nan
    day = _date_text(brk)
    if pvalue < level:
        verdict = (f"the relation changed at {day} (F = {stat:.2f}, {_p_text(pvalue)} < "
                   f"{level:g})")
    else:
        verdict = (f"no evidence of a change at {day} (F = {stat:.2f}, {_p_text(pvalue)} "
                   f">= {level:g})")
    return BreakTest("chow", float(stat), pvalue, brk, n1, n2, verdict, level)


def cusum_test(y: pd.Series, x: pd.Series, *, lag: int = 0, min_obs: int = 20,
               alpha: float = 0.05) -> BreakTest:
    """CUSUM test of the OLS residuals of ``y = a + b * x``: a change at an unknown date?

    statsmodels' ``breaks_cusumolsresid`` (Ploberger and Krämer, 1992): the largest
    scaled cumulative sum of the full-sample OLS residuals, with its asymptotic
    p-value.  It needs no break date, but it mostly detects changes in the *mean* of
    ``y`` given ``x`` (the intercept); a change in the slope alone, with a regressor of
    mean about zero such as daily returns, leaves little trace, so use
    :func:`chow_test` for a slope change at a known date.

    Parameters
    ----------
    y, x : pandas.Series
        Simple returns (aligned as in :func:`chow_test`).
    lag : int
        Pair ``y`` with ``x`` ``lag`` rows earlier.
    min_obs : int
        Fewest complete pairs, at least 3 (default 20).
    alpha : float
        Significance level of the verdict (default 0.05).
    """
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import breaks_cusumolsresid

    level = _level(alpha)
    m = check_int(min_obs, "min_obs", ge=_K + 1)
    data = _complete(_pair(y, x, lag))
    n = len(data)
    if n < m:
        raise ValueError(f"y and x have {n} complete observations; min_obs is {m}")
    xv = data["x"].to_numpy(dtype=float)
    if np.ptp(xv) == 0:
        raise ValueError("x does not vary: the relation cannot be fitted")
    fit = sm.OLS(data["y"].to_numpy(dtype=float), sm.add_constant(xv, has_constant="add")).fit()
    stat, pvalue, _crit = breaks_cusumolsresid(fit.resid, ddof=_K)
    stat, pvalue = float(stat), float(np.clip(pvalue, 0.0, 1.0))
    if pvalue < level:
        verdict = (f"the relation was not stable over the sample (CUSUM = {stat:.2f}, "
                   f"{_p_text(pvalue)} < {level:g})")
    else:
        verdict = (f"no evidence of instability over the sample (CUSUM = {stat:.2f}, "
                   f"{_p_text(pvalue)} >= {level:g})")
    return BreakTest("cusum", stat, pvalue, None, n, 0, verdict, level)

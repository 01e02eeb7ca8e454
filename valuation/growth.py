"""Growth rates: compound annual growth, log-linear trend growth and fade paths.

Conventions
-----------
Rates are decimals (0.25 = 25 % a year).  Years are year ends: growth in year
``t`` takes revenue from the end of year ``t-1`` to the end of year ``t``.

NaN rule (the same in every model of the package): a NaN element of a
per-company array or Series is missing data for that company, which gets NaN
(:func:`cagr` adds the reason ``'missing input: <fields>'``; :func:`fade_path`
gives that company a row of NaN) while the other companies are computed as
before.  A NaN given as one number applies to every company and raises
``ValueError``, as do infinite values and finite values out of range.
:func:`trend_growth` fits one time series, so a NaN in it raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import (
    broadcast,
    check,
    check_input,
    check_int,
    html_table,
    missing_fields,
    missing_reason,
)
from valuation._typing import FloatLike

MAX_YEARS = 200
"""Longest projection in years :func:`fade_path` (and :func:`~valuation.dcf`) accept."""

__all__ = ["GrowthRate", "TrendGrowth", "cagr", "fade_path", "trend_growth"]


@dataclass(frozen=True)
class GrowthRate:
    """Result of :func:`cagr`.

    Attributes
    ----------
    rate : float, ndarray or Series
        Compound annual growth rate; NaN where it is undefined.
    reason : str, ndarray of str or Series of str
        ``""`` where the rate is defined, otherwise why it is NaN.
    """

    rate: Any
    reason: Any

    def __float__(self) -> float:
        if np.ndim(self.rate) != 0:
            raise TypeError("float() needs a scalar cagr; use .rate for arrays")
        return float(self.rate)

    @property
    def table(self) -> pd.DataFrame:
        rate = np.atleast_1d(np.asarray(self.rate, dtype=float))
        reason = np.atleast_1d(np.asarray(self.reason, dtype=object))
        index = self.rate.index if isinstance(self.rate, pd.Series) else None
        return pd.DataFrame({"rate": rate, "reason": reason}, index=index)

    def _repr_html_(self) -> str:
        return html_table("Compound annual growth", self.table)


def cagr(start: FloatLike, end: FloatLike, years: FloatLike) -> GrowthRate:
    """Compound annual growth rate, vectorised.

    ``rate = (end / start) ** (1 / years) - 1``.

    A rate is undefined when ``start <= 0`` (for example a move from a loss to
    a profit) or ``end < 0``; those elements get ``rate = NaN`` and a
    ``reason`` instead of raising, so one bad company does not stop a batch.
    ``end == 0`` gives -100 %; a ratio too large for float64 (a start near zero)
    gives NaN with a reason rather than ``inf``.  A NaN element of a
    per-company input gives NaN with the reason ``'missing input: <fields>'``.
    A NaN given as one number, inf inputs and ``years <= 0`` are caller
    mistakes and raise ``ValueError``.

    Parameters
    ----------
    start, end : float, array or Series
        Values at the start and the end of the period.
    years : float, array or Series
        Length of the period in years (> 0).

    Returns
    -------
    GrowthRate
        ``.rate`` and ``.reason``, each the same kind as the inputs.

    Examples
    --------
    >>> round(float(cagr(100.0, 121.0, 2).rate), 10)
    0.1
    >>> g = cagr([100.0, -5.0], [200.0, 10.0], 1)
    >>> g.rate
    array([ 1., nan])
    >>> list(g.reason)
    ['', 'start <= 0: growth from a non-positive base is undefined']
    >>> list(cagr([100.0, np.nan], 121.0, 2).reason)
    ['', 'missing input: start']
    """
    arrs, shape = broadcast({"start": start, "end": end, "years": years})
    s = check_input(arrs["start"], "start", shape)
    e = check_input(arrs["end"], "end", shape)
    y = check_input(arrs["years"], "years", shape, gt=0)
    reason = np.full(s.shape, "", dtype=object)
    reason[e < 0] = "end < 0: growth to a negative value is undefined"
    reason[s <= 0] = "start <= 0: growth from a non-positive base is undefined"
    missing = missing_fields({k: arrs[k] for k in ("start", "end", "years")}, s.shape)
    has_nan = missing != ""
    reason[has_nan] = [missing_reason(m) for m in missing[has_nan]]
    ok = reason == ""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rate = np.where(
            ok, np.power(np.where(ok, e / np.where(ok, s, 1.0), 1.0), 1.0 / y) - 1.0, np.nan
        )
    overflow = ok & ~np.isfinite(rate)
    reason[overflow] = "end / start overflows float64: growth too large to represent"
    rate = np.where(overflow, np.nan, rate)
    if shape.scalar:
        return GrowthRate(np.float64(rate), str(reason[()]))
    return GrowthRate(shape.out(rate, "cagr"), shape.out(reason, "reason"))


@dataclass(frozen=True)
class TrendGrowth:
    """Result of :func:`trend_growth` (annualised log-linear trend).

    Attributes
    ----------
    rate : float
        Annualised growth ``exp(slope) - 1``.
    conf_int : tuple of float
        ``(low, high)`` confidence interval of ``rate`` (transformed from the slope's).
    rsquared : float
        R² of the log-linear fit.
    nobs : int
        Number of observations.
    """

    rate: float
    conf_int: tuple[float, float]
    rsquared: float
    nobs: int
    alpha: float = 0.05
    _fit: Any = field(default=None, repr=False, compare=False)

    def summary(self) -> Any:
        """statsmodels' regression summary of ``log(value) ~ const + years``."""
        return self._fit.summary()

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "rate": [self.rate],
                "conf_low": [self.conf_int[0]],
                "conf_high": [self.conf_int[1]],
                "rsquared": [self.rsquared],
                "nobs": [self.nobs],
            }
        )

    def _repr_html_(self) -> str:
        return html_table("Trend growth (OLS of log value on years)", self.table)


def trend_growth(
    values: pd.Series, *, periods_per_year: float | None = None, alpha: float = 0.05
) -> TrendGrowth:
    """Annualised trend growth from an OLS fit of ``log(value) ~ const + b * t``.

    ``t`` is time in years: from a DatetimeIndex as days since the first date
    / 365.25, or from an integer index as ``index / periods_per_year``.  The
    rate is ``exp(b) - 1`` and the confidence interval is the slope's interval
    transformed the same way.  Uses statsmodels OLS.

    Parameters
    ----------
    values : pandas.Series
        Positive values indexed by date (DatetimeIndex) or integer period.
    periods_per_year : float, optional
        Required for an integer index (4 for quarters, 1 for years).
    alpha : float
        Significance level of the confidence interval (default 0.05).

    Examples
    --------
    >>> s = pd.Series([100.0, 110.0, 121.0, 133.1], index=[0, 1, 2, 3])
    >>> t = trend_growth(s, periods_per_year=1)
    >>> round(t.rate, 6), t.nobs, round(t.rsquared, 6)
    (0.1, 4, 1.0)
    """
    if not isinstance(values, pd.Series):
        raise TypeError(f"values must be a pandas Series, got {type(values).__name__}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    y = check(values.to_numpy(dtype=float, copy=True), "values", index=values.index, gt=0)
    if y.size < 3:
        raise ValueError(f"values needs at least 3 observations, got {y.size}")
    idx = values.index
    if isinstance(idx, pd.DatetimeIndex):
        if periods_per_year is not None:
            raise ValueError(
                "periods_per_year must be None for a DatetimeIndex (time comes from the dates)"
            )
        if idx.hasnans:
            raise ValueError("values index must not contain NaT")
        t = np.asarray((idx - idx[0]) / pd.Timedelta(days=1), dtype=float) / 365.25
    elif pd.api.types.is_integer_dtype(idx.dtype):
        if periods_per_year is None:
            raise ValueError(
                "periods_per_year is required for an integer index (e.g. 4 for quarters)"
            )
        ppy = float(check(np.asarray(periods_per_year, dtype=float), "periods_per_year", gt=0))
        t = idx.to_numpy(dtype=float) / ppy
    else:
        raise TypeError(f"values index must be a DatetimeIndex or integer, got {idx.dtype}")
    if np.unique(t).size < 2:
        raise ValueError("values index must span at least two distinct times")
    import statsmodels.api as sm

    fit = sm.OLS(np.log(y), sm.add_constant(t, has_constant="add")).fit()
    slope = float(fit.params[1])
    low, high = (float(v) for v in fit.conf_int(alpha=alpha)[1])
    return TrendGrowth(
        rate=float(np.expm1(slope)),
        conf_int=(float(np.expm1(low)), float(np.expm1(high))),
        rsquared=float(fit.rsquared),
        nobs=int(fit.nobs),
        alpha=alpha,
        _fit=fit,
    )


def _fade_weights(high_years: int, fade_years: int) -> np.ndarray:
    """Weight on terminal growth per year: 0 for high years, k/fade_years in the fade."""
    k = np.arange(1, fade_years + 1, dtype=float)
    return np.concatenate([np.zeros(high_years), k / fade_years if fade_years else k])


def fade_path(
    start_growth: FloatLike, terminal_growth: FloatLike, high_years: int, fade_years: int
) -> np.ndarray:
    """Per-year growth path: flat high growth, then a linear fade to terminal growth.

    Year ``t = 1..high_years``: ``start_growth``; year ``high_years + k``
    (``k = 1..fade_years``): ``start_growth + (terminal_growth - start_growth) * k / fade_years``,
    so the last year of the fade equals ``terminal_growth``.

    Parameters
    ----------
    start_growth, terminal_growth : float or array of shape (n,)
        Broadcast against each other (one element per company); a NaN element
        gives that company a row of NaN.
    high_years, fade_years : int
        Number of years; ``high_years + fade_years >= 1``.

    Returns
    -------
    numpy.ndarray
        Shape ``(high_years + fade_years,)`` for scalars, ``(n, high_years + fade_years)``
        for arrays (Series inputs give their values in label order).

    Examples
    --------
    >>> fade_path(0.30, 0.03, 2, 3).round(4).tolist()
    [0.3, 0.3, 0.21, 0.12, 0.03]
    >>> fade_path([0.2, 0.1], 0.0, 1, 1).tolist()
    [[0.2, 0.0], [0.1, 0.0]]
    """
    high = check_int(high_years, "high_years", ge=0)
    fade = check_int(fade_years, "fade_years", ge=0)
    for name, value in (("high_years", high), ("fade_years", fade)):
        if value > MAX_YEARS:
            raise ValueError(f"{name} must be at most {MAX_YEARS}, got {value}")
    if high + fade < 1:
        raise ValueError(f"high_years + fade_years must be at least 1, got {high} + {fade}")
    arrs, shape = broadcast({"start_growth": start_growth, "terminal_growth": terminal_growth})
    g0 = check_input(arrs["start_growth"], "start_growth", shape, gt=-1)
    gt = check_input(arrs["terminal_growth"], "terminal_growth", shape, gt=-1)
    w = _fade_weights(high, fade)
    return g0[..., None] + (gt - g0)[..., None] * w

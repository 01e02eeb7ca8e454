"""Golden values for valuation.performance from independent references.

* empyrical-reloaded and quantstats (the ``test`` extra), called on seeded
  inputs (numpy ``default_rng``) and compared to 1e-10;
* the published test cases of empyrical (its tests/conftest.py inputs and the
  expected values of its tests/test_stats.py), to the digits published;
* R PerformanceAnalytics 2.1.0 on the 24-month portfolio of Bacon (2008),
  *Practical Portfolio Performance Measurement and Attribution*, as recorded
  in quantstats' tests/data/reference_values.json, to 1e-10;
* statsmodels' RollingOLS for the rolling beta.

Where a convention differs the test says which reference formula is used.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import valuation as v

with warnings.catch_warnings():  # the references' own import-time deprecations
    warnings.simplefilter("ignore")
    import empyrical as ep
    import quantstats as qs

TOL = {"rtol": 1e-10, "atol": 1e-12}
PPY = 252
RF = 0.03  # annual
RF_DAY = (1 + RF) ** (1 / PPY) - 1  # empyrical takes the rate per period


def _close(ours, reference):
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(reference, float), **TOL)


def _seeded(nan: bool = False):
    rng = np.random.default_rng(20260101)
    idx = pd.date_range("2021-01-01", periods=750, freq="B")
    market = pd.Series(rng.normal(0.0004, 0.011, len(idx)), index=idx, name="market")
    betas = {"AAA": 0.8, "BBB": 1.4, "CCC": -0.3}
    r = pd.DataFrame(
        {k: b * market + rng.normal(0.0002, 0.015, len(idx)) for k, b in betas.items()},
        index=idx,
    ).rename_axis(columns="symbol")
    if nan:
        for col in r.columns:
            r.loc[r.sample(20, random_state=rng.integers(1 << 31)).index, col] = np.nan
    return r, market


def _per_column(func, r, *args, **kwargs):
    return [func(r[c], *args, **kwargs) for c in r.columns]


# --- seeded inputs ------------------------------------------------------------------


@pytest.mark.parametrize("nan", [False, True], ids=["complete", "with-nan"])
def test_sharpe_sortino_downside_match_empyrical_and_quantstats(nan):
    r, _ = _seeded(nan)
    _close(v.sharpe_ratio(r, risk_free=RF), ep.sharpe_ratio(r, risk_free=RF_DAY))
    _close(v.sharpe_ratio(r, risk_free=RF), qs.stats.sharpe(r, rf=RF, periods=PPY))
    _close(v.sortino_ratio(r, required_return=RF), ep.sortino_ratio(r, required_return=RF_DAY))
    # quantstats' Sortino takes rf and measures the downside of r - rf below 0:
    # the same formula as a required return of rf (full-sample divisor n)
    _close(v.sortino_ratio(r, required_return=RF), qs.stats.sortino(r, rf=RF, periods=PPY))
    _close(v.downside_deviation(r, required_return=RF), ep.downside_risk(r, required_return=RF_DAY))
    _close(v.annualized_volatility(r), qs.stats.volatility(r, periods=PPY))


@pytest.mark.parametrize("nan", [False, True], ids=["complete", "with-nan"])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.975, 0.99])
def test_var_and_expected_shortfall_match_empyrical(level, nan):
    r, _ = _seeded(nan)
    # empyrical's value_at_risk is np.percentile, which NaN would poison: per column without them
    reference = [ep.value_at_risk(r[c].dropna(), cutoff=1 - level) for c in r.columns]
    _close(v.value_at_risk(r, level=level), reference)
    if not nan:
        _close(v.value_at_risk(r, level=level), np.quantile(r, 1 - level, axis=0))
    _close(
        v.expected_shortfall(r, level=level),
        _per_column(ep.conditional_value_at_risk, r, cutoff=1 - level),
    )


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_expected_shortfall_matches_quantstats_historical(level):
    # quantstats' default VaR/CVaR are Gaussian (mean + z * std): a different
    # estimator.  Its historical CVaR, the mean of the returns at or below the
    # empirical quantile, is ours when no return ties with the quantile.
    r, _ = _seeded()
    reference = qs.stats.conditional_value_at_risk(r, confidence=level, method="historical")
    _close(v.expected_shortfall(r, level=level), reference)


def test_calmar_matches_empyrical_and_quantstats():
    r, _ = _seeded()
    _close(v.calmar_ratio(r), _per_column(ep.calmar_ratio, r))
    _close(v.calmar_ratio(r), _per_column(qs.stats.calmar, r, periods=PPY))


def test_calmar_with_nan_skips_them():
    # empyrical treats a NaN return as a period with a 0 return (it counts in n
    # when annualising); ours skips it, so we match empyrical on the returns
    # without the NaNs.
    r, _ = _seeded(nan=True)
    _close(v.calmar_ratio(r), [ep.calmar_ratio(r[c].dropna()) for c in r.columns])


@pytest.mark.parametrize("nan", [False, True], ids=["complete", "with-nan"])
def test_capture_matches_empyrical(nan):
    r, m = _seeded(nan)
    m = m.copy()
    m.iloc[::50] = 0.0  # zero benchmark days count for neither side
    _close(v.up_capture(r, m), _per_column(ep.up_capture, r, m))
    _close(v.down_capture(r, m), _per_column(ep.down_capture, r, m))


def test_rolling_volatility_matches_empyrical_and_quantstats():
    r, _ = _seeded()
    ours = v.rolling_volatility(r, 63)
    # empyrical recomputes each window from scratch and drops the first window - 1 rows
    reference = pd.DataFrame({c: ep.roll_annual_volatility(r[c], window=63) for c in r})
    _close(ours.iloc[62:], reference)
    assert ours.iloc[:62].isna().all().all()
    reference = pd.DataFrame({c: qs.stats.rolling_volatility(r[c], rolling_period=63) for c in r})
    _close(ours, reference)


def test_rolling_beta_matches_empyrical_statsmodels_and_quantstats():
    from statsmodels.api import add_constant
    from statsmodels.regression.rolling import RollingOLS

    r, m = _seeded()
    ours = v.rolling_beta(r, m, 63)
    reference = pd.DataFrame({c: ep.roll_beta(r[c], m, window=63) for c in r})
    _close(ours.iloc[62:], reference)
    ols = {c: RollingOLS(r[c], add_constant(m), window=63).fit().params["market"] for c in r}
    _close(ours, pd.DataFrame(ols))
    greeks = {c: qs.stats.rolling_greeks(r[c], m, periods=63)["beta"] for c in r}
    _close(ours, pd.DataFrame(greeks))


def test_rolling_beta_with_nan_matches_empyrical_on_full_windows():
    # empyrical's beta uses the pairs present in a window, as ours does with
    # min_periods below the window; compare where a window has >= 60 pairs
    r, m = _seeded(nan=True)
    ours = v.rolling_beta(r, m, 63, min_periods=60)
    reference = pd.DataFrame({c: ep.roll_beta(r[c], m, window=63) for c in r})
    pairs = r.notna().rolling(63).sum().iloc[62:] >= 60
    _close(ours.iloc[62:][pairs].stack(), reference[pairs].stack())


# --- empyrical's published cases ----------------------------------------------------


def _daily(values, freq="D"):
    index = pd.date_range("2000-1-30", periods=len(values), freq=freq)
    return pd.Series(np.array(values, dtype=float) / 100, index=index)


MIXED = _daily([np.nan, 1.0, 10.0, -4.0, 2.0, 3.0, 2.0, 1.0, -10.0])
POSITIVE = _daily([1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
NEGATIVE = _daily([0.0, -6.0, -7.0, -1.0, -9.0, -2.0, -6.0, -8.0, -5.0])
ALL_NEGATIVE = _daily([-2.0, -6.0, -7.0, -1.0, -9.0, -2.0, -6.0, -8.0, -5.0])
WEEKLY = _daily([0.0, 1.0, 10.0, -4.0, 2.0, 3.0, 2.0, 1.0, -10.0], "W")
MONTHLY = _daily([0.0, 1.0, 10.0, -4.0, 2.0, 3.0, 2.0, 1.0, -10.0], "ME")
DF_SIMPLE = pd.DataFrame(
    {
        "one": [
            -0.00171614,
            0.01322056,
            0.03063862,
            -0.01422057,
            -0.00489779,
            0.01268925,
            -0.03357711,
            0.01797036,
        ],
        "two": [
            0.01846232,
            0.00793951,
            -0.01448395,
            0.00422537,
            -0.00339611,
            0.03756813,
            0.0151531,
            0.03549769,
        ],
    },
    index=pd.date_range("2000-1-30", periods=8, freq="D"),
)


def _annual(per_period, ppy=PPY):
    """empyrical's per-period targets as our annual rates."""
    return (1 + per_period) ** ppy - 1


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: v.sharpe_ratio(MIXED), 1.7238613961706866),
        (lambda: v.sharpe_ratio(POSITIVE), 52.915026221291804),
        (lambda: v.sharpe_ratio(NEGATIVE), -24.406808633910085),
        (lambda: v.sortino_ratio(MIXED), 2.605531251673693),
        (lambda: v.sortino_ratio(MIXED, required_return=_annual(0.01)), -1.3934779588919977),
        (lambda: v.sortino_ratio(NEGATIVE), -13.532743075043401),
        (lambda: v.sortino_ratio(WEEKLY, periods_per_year=52), 1.1158901056866439),
        (lambda: v.sortino_ratio(MONTHLY, periods_per_year=12), 0.53605626741889756),
        (lambda: v.sortino_ratio(DF_SIMPLE), [3.0639640966566306, 38.090963117002495]),
        (lambda: v.downside_deviation(MIXED), 0.60448325038829653),
        (lambda: v.downside_deviation(MIXED, required_return=_annual(0.1)), 1.7161730681956295),
        (lambda: v.downside_deviation(WEEKLY, periods_per_year=52), 0.25888650451930134),
        (
            lambda: v.downside_deviation(
                MONTHLY, periods_per_year=12, required_return=_annual(0.1, 12)
            ),
            0.37148351242013422,
        ),
        (lambda: v.downside_deviation(DF_SIMPLE), [0.20671788246185202, 0.083495680595704475]),
        # Calmar: weekly/monthly have no NaN; MIXED's leading NaN counts as a
        # period in empyrical (19.1359...) and is skipped here
        (lambda: v.calmar_ratio(WEEKLY, periods_per_year=52), 2.4690830513998208),
        (lambda: v.calmar_ratio(MONTHLY, periods_per_year=12), 0.52242061386048144),
        (lambda: v.down_capture(ALL_NEGATIVE, MIXED), 0.99956025703798634),
        (lambda: v.down_capture(MIXED, MIXED), 1.0),
        (lambda: v.up_capture(MIXED, MIXED), 1.0),
        (lambda: v.value_at_risk(pd.Series([1.0, 2.0]), level=0.7), 1.3),
        (lambda: v.value_at_risk(pd.Series([1.0, 81, 82, 83, 84, 85]), level=0.9), 41.0),
        (lambda: v.value_at_risk(pd.Series([1.0, 81, 82, 83, 84, 85]), level=0.8), 81.0),
        (lambda: v.value_at_risk(pd.Series([1.0, 81, 82, 83, 84, 85]), level=0.7), 81.5),
    ],
)
def test_empyrical_published_cases(call, expected):
    _close(call(), expected)


@pytest.mark.parametrize(
    ("func", "returns", "expected", "decimals"),
    [  # published with fewer (truncated) digits: to those, and to empyrical itself to 1e-10
        (v.down_capture, POSITIVE, -11.27400221, 8),
        (v.up_capture, POSITIVE, 0.0076167762, 10),
        (v.up_capture, ALL_NEGATIVE, -0.0004336328, 10),
    ],
)
def test_empyrical_published_cases_short(func, returns, expected, decimals):
    ours = func(returns, MIXED)
    assert ours == pytest.approx(expected, abs=10.0**-decimals)
    _close(ours, getattr(ep, func.__name__)(returns, MIXED))


def test_empyrical_published_cases_we_define_differently():
    # empyrical: +inf for a constant return's Sharpe and for a Sortino without
    # downside; an undefined ratio is NaN here (a stale price gives zero
    # returns, and "-inf Sharpe" would be a made-up figure).
    assert np.isinf(ep.sharpe_ratio(_daily([1.0] * 9)))
    assert np.isnan(v.sharpe_ratio(_daily([1.0] * 9)))
    assert np.isinf(ep.sortino_ratio(POSITIVE))
    assert np.isnan(v.sortino_ratio(POSITIVE))


# --- R PerformanceAnalytics on Bacon (2008) --------------------------------------------

BACON = pd.Series(
    [
        0.003,
        0.026,
        0.011,
        -0.01,
        0.015,
        0.025,
        0.016,
        0.067,
        -0.014,
        0.04,
        -0.005,
        0.081,
        0.04,
        -0.037,
        -0.061,
        0.017,
        -0.049,
        -0.022,
        0.07,
        0.058,
        -0.065,
        0.024,
        -0.005,
        -0.009,
    ],
    index=pd.date_range("2000-01-03", periods=24, freq="MS"),
)
TINY = pd.Series(
    [
        -0.018720930383,
        -0.014303070725,
        -0.014572173794,
        -0.003467788444,
        -0.025038397377,
        -0.001677869157,
        -0.010129521509,
    ],
    index=pd.date_range("2000-01-03", periods=7, freq="B"),
)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        # StdDev.annualized(R, scale = 12)
        (lambda: v.annualized_volatility(BACON, 12), 0.13700015867969229),
        (lambda: v.annualized_volatility(TINY, 252), 0.13086457754395944),
        # SharpeRatio.annualized(R, 0, scale, geometric = FALSE)
        (lambda: v.sharpe_ratio(BACON, periods_per_year=12), 0.7883202548144859),
        (lambda: v.sharpe_ratio(TINY), -24.183404779195588),
        # mean / sqrt(sum(min(r, 0)^2) / n) * sqrt(scale) (quantstats' "full_ddof0")
        (lambda: v.sortino_ratio(BACON, periods_per_year=12), 1.3592165786838633),
        (lambda: v.sortino_ratio(TINY), -13.565806946540524),
        # CalmarRatio(R, scale)
        (lambda: v.calmar_ratio(BACON, periods_per_year=12), 0.7166390511623746),
        (lambda: v.calmar_ratio(TINY), -11.30038738924165),
        # maxDrawdown(R, geometric = TRUE): the wealth path, its start a peak
        (
            lambda: v.max_drawdown(
                pd.concat([pd.Series([1.0]), (1 + BACON).cumprod()]).reset_index(drop=True)
            ),
            -0.144672955739218,
        ),
    ],
)
def test_performance_analytics_on_bacon(call, expected):
    _close(call(), expected)

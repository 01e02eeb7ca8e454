"""Sharpe, Sortino, downside deviation, VaR/ES, Calmar, capture, rolling risk.

Hand-computed cases, conventions (labels, NaN, -100 %, date order) and
invariants; the golden values from empyrical, quantstats and R
PerformanceAnalytics are in test_performance_reference.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import (
    annualized_volatility,
    calmar_ratio,
    down_capture,
    downside_deviation,
    expected_shortfall,
    rolling_beta,
    rolling_volatility,
    sharpe_ratio,
    sortino_ratio,
    up_capture,
    value_at_risk,
)

DATES = pd.date_range("2025-01-01", periods=6, freq="B")


def _returns():
    return pd.DataFrame(
        {
            "AAA": [0.01, -0.02, 0.03, np.nan, 0.01, -0.01],
            "BBB": [0.02, 0.01, -0.04, 0.02, -0.01, 0.03],
        },
        index=DATES,
    ).rename_axis(columns="symbol")


# --- hand-computed values ----------------------------------------------------------


def test_sharpe_by_hand_with_annual_risk_free():
    r = pd.Series([0.01, 0.03, -0.01, 0.02])  # mean 0.0125, sample std sqrt(0.000875 / 3)
    assert sharpe_ratio(r, periods_per_year=12) == pytest.approx(
        0.0125 / np.sqrt(0.000875 / 3) * np.sqrt(12), rel=1e-12
    )
    # risk_free is annual: 12.68 % a year is 1 % a month, subtracted from each return
    rf = 1.01**12 - 1
    assert sharpe_ratio(r, risk_free=rf, periods_per_year=12) == pytest.approx(
        0.0025 / np.sqrt(0.000875 / 3) * np.sqrt(12), rel=1e-12
    )


def test_sortino_and_downside_deviation_by_hand():
    r = pd.Series([0.02, -0.01, 0.03, -0.02])
    dd_period = np.sqrt((0.01**2 + 0.02**2) / 4)  # divisor n = 4, not the 2 losing months
    assert downside_deviation(r, periods_per_year=12) == pytest.approx(dd_period * np.sqrt(12))
    assert sortino_ratio(r, periods_per_year=12) == pytest.approx(0.005 / dd_period * np.sqrt(12))
    # a 1 % monthly target: shortfalls 0, 0.02, 0, 0.03 below it
    target = 1.01**12 - 1
    dd_target = np.sqrt((0.02**2 + 0.03**2) / 4)
    assert downside_deviation(r, required_return=target, periods_per_year=12) == pytest.approx(
        dd_target * np.sqrt(12)
    )
    assert sortino_ratio(r, required_return=target, periods_per_year=12) == pytest.approx(
        -0.005 / dd_target * np.sqrt(12)
    )


def test_var_and_expected_shortfall_by_hand():
    r = pd.Series([0.03, -0.05, 0.01, -0.02, 0.0])  # sorted: -0.05 -0.02 0 0.01 0.03
    # position (n - 1) * (1 - level): 0.4 at 90 % -> between -0.05 and -0.02
    assert value_at_risk(r, level=0.9) == pytest.approx(-0.05 + 0.4 * 0.03)
    assert expected_shortfall(r, level=0.9) == pytest.approx(-0.05)
    # at 75 % the position is exactly 1: VaR is -0.02, ES the mean of the 2 worst
    assert value_at_risk(r, level=0.75) == pytest.approx(-0.02)
    assert expected_shortfall(r, level=0.75) == pytest.approx(-0.035)
    # 1 - 0.8 is 0.19999999999999996 in floating point; the tail still has 2 of 6
    r6 = pd.Series([-0.06, -0.04, 0.0, 0.01, 0.02, 0.05])
    assert value_at_risk(r6, level=0.8) == pytest.approx(-0.04)
    assert expected_shortfall(r6, level=0.8) == pytest.approx(-0.05)


def test_calmar_by_hand():
    r = pd.Series([0.1, -0.2, 0.15, 0.05], index=pd.date_range("2025-01-01", periods=4))
    wealth = 1.1 * 0.8 * 1.15 * 1.05
    mdd = 0.88 / 1.1 - 1
    assert calmar_ratio(r, periods_per_year=4) == pytest.approx((wealth - 1) / -mdd)
    # the capital before the first return is a peak: a first loss is a drawdown
    first_loss = pd.Series([-0.1, 0.2])
    cagr = (0.9 * 1.2) ** (12 / 2) - 1
    assert calmar_ratio(first_loss, periods_per_year=12) == pytest.approx(cagr / 0.1)


def test_capture_by_hand():
    b = pd.Series([0.02, -0.01, 0.01, -0.03, 0.0])
    r = pd.Series([0.03, -0.02, 0.0, -0.01, 0.05])  # the 0.0 benchmark day counts for neither
    up_fund = (1.03 * 1.0) ** (4 / 2) - 1
    up_bench = (1.02 * 1.01) ** (4 / 2) - 1
    down_fund = (0.98 * 0.99) ** (4 / 2) - 1
    down_bench = (0.99 * 0.97) ** (4 / 2) - 1
    assert up_capture(r, b, periods_per_year=4) == pytest.approx(up_fund / up_bench)
    assert down_capture(r, b, periods_per_year=4) == pytest.approx(down_fund / down_bench)


def test_rolling_volatility_and_beta_by_hand():
    r = pd.Series([0.01, -0.01, 0.02, 0.0, -0.02], index=DATES[:5], name="AAA")
    rv = rolling_volatility(r, 3, periods_per_year=12)
    assert rv.index.equals(r.index) and rv.name == "AAA"
    assert rv.iloc[:2].isna().all()
    assert rv.iloc[2] == pytest.approx(np.std([0.01, -0.01, 0.02], ddof=1) * np.sqrt(12))
    b = pd.Series([0.01, -0.02, 0.015, 0.005, -0.01], index=DATES[:5])
    rb = rolling_beta(r, b, 3)
    window = slice(2, 5)
    slope = np.polyfit(b.iloc[window], r.iloc[window], 1)[0]
    assert rb.iloc[-1] == pytest.approx(slope) and rb.name == "AAA"


# --- shape, labels, NaN --------------------------------------------------------------


SCALAR_FUNCS = {
    "sharpe_ratio": lambda r: sharpe_ratio(r, risk_free=0.02),
    "sortino_ratio": lambda r: sortino_ratio(r, required_return=0.01),
    "downside_deviation": downside_deviation,
    "value_at_risk": lambda r: value_at_risk(r, level=0.8),
    "expected_shortfall": lambda r: expected_shortfall(r, level=0.8),
    "calmar_ratio": calmar_ratio,
}


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCS))
def test_frame_in_series_out_named_by_column(name):
    func = SCALAR_FUNCS[name]
    out = func(_returns())
    assert isinstance(out, pd.Series) and out.name == name
    assert out.index.equals(_returns().columns)
    for col in out.index:  # the one-pass frame result equals the column's own
        single = func(_returns()[col])
        assert isinstance(single, float)
        assert single == pytest.approx(out[col], rel=1e-12)
        # NaN returns are skipped: the same as the column without them
        assert func(_returns()[col].dropna()) == pytest.approx(single, rel=1e-12)


def test_capture_labels_and_pairwise_dates():
    r = _returns()
    b = pd.Series([0.01, -0.01, 0.02, -0.02, np.nan, 0.01], index=DATES)
    up = up_capture(r, b)
    assert list(up.index) == ["AAA", "BBB"] and up.name == "up_capture"
    ok = r["AAA"].notna() & b.notna()
    assert up["AAA"] == pytest.approx(up_capture(r["AAA"][ok], b[ok]))
    assert isinstance(down_capture(r["BBB"], b), float)


def test_rolling_frame_keeps_labels_and_min_periods():
    r = _returns()
    rv = rolling_volatility(r, 3)
    assert rv.index.equals(r.index) and rv.columns.equals(r.columns)
    assert np.isnan(rv.loc[DATES[4], "AAA"])  # its window holds the NaN
    rv2 = rolling_volatility(r, 3, min_periods=2)
    expected = r["AAA"].iloc[2:5].std(ddof=1) * np.sqrt(252)
    assert rv2.loc[DATES[4], "AAA"] == pytest.approx(expected)
    b = pd.Series([0.01, -0.01, 0.02, -0.02, 0.005, 0.01], index=DATES)
    rb = rolling_beta(r, b, 4, min_periods=3)
    assert rb.columns.equals(r.columns) and rb.index.equals(DATES)
    pair = r["AAA"].iloc[2:6].notna()
    slope = np.polyfit(b.iloc[2:6][pair], r["AAA"].iloc[2:6][pair], 1)[0]
    assert rb.loc[DATES[5], "AAA"] == pytest.approx(slope)


def test_rolling_beta_columns_with_duplicate_labels():
    b = pd.Series([0.01, -0.02, 0.015, 0.005, -0.01], index=DATES[:5])
    r = pd.concat([2 * b, -b], axis=1, keys=["X", "X"])
    out = rolling_beta(r, b, 3)
    assert list(out.columns) == ["X", "X"]
    np.testing.assert_allclose(out.iloc[-1], [2.0, -1.0])


def test_undefined_ratios_are_nan_not_inf():
    flat = pd.Series([0.01] * 5)  # empyrical gives inf for a constant Sharpe; we give NaN
    assert np.isnan(sharpe_ratio(flat))
    assert np.isnan(sharpe_ratio(pd.Series([0.0] * 5), risk_free=0.04))  # stale prices
    gains = pd.Series([0.01, 0.02, 0.005])
    assert np.isnan(sortino_ratio(gains))  # no downside
    assert downside_deviation(gains) == 0.0
    assert np.isnan(calmar_ratio(gains))  # no drawdown
    assert np.isnan(sharpe_ratio(pd.Series([0.01, np.nan])))  # one return
    r = _returns().assign(CCC=np.nan)
    r.iloc[0, 2] = 0.01
    assert np.isnan(sharpe_ratio(r)["CCC"]) and np.isfinite(sharpe_ratio(r)["AAA"])
    assert value_at_risk(r, level=0.9)["CCC"] == 0.01  # one return is its own quantile
    b = pd.Series([0.01, 0.02, 0.03, 0.01, 0.02, 0.01], index=DATES)
    assert np.isnan(down_capture(_returns(), b)).all()  # the benchmark never fell
    assert rolling_beta(_returns(), b * 0, 3).isna().all().all()  # benchmark does not vary


# --- -100 % -------------------------------------------------------------------------


def test_a_return_of_minus_one_is_a_fact():
    r = pd.Series([0.1, -1.0, 0.0, 0.0], index=DATES[:4])
    assert calmar_ratio(r) == pytest.approx(-1.0)  # CAGR -1 over a -100 % drawdown
    assert value_at_risk(r, level=0.99) == pytest.approx(-1.0 + 0.03 * 1.0)
    assert expected_shortfall(r, level=0.99) == -1.0
    assert np.isfinite(sharpe_ratio(r)) and np.isfinite(sortino_ratio(r))
    b = pd.Series([-0.5, -0.2, 0.1, 0.1], index=DATES[:4])
    assert down_capture(r, b) == pytest.approx(((1.1 * 0.0) ** 126 - 1) / ((0.5 * 0.8) ** 126 - 1))
    with pytest.raises(ValueError, match=r"returns must be at least -1, got -1\.5"):
        sharpe_ratio(pd.Series([0.1, -1.5]))


# --- dates ---------------------------------------------------------------------------


def test_row_order_dependent_functions_need_increasing_dates():
    r = _returns().iloc[::-1]
    b = pd.Series(0.01, index=DATES)
    for call in (
        lambda: calmar_ratio(r),
        lambda: rolling_volatility(r, 3),
        lambda: rolling_beta(r, b, 3),
    ):
        with pytest.raises(ValueError, match="returns dates must be increasing"):
            call()
    with pytest.raises(ValueError, match="benchmark_returns dates must be increasing"):
        rolling_beta(_returns(), b.iloc[::-1], 3)


def test_order_free_statistics_take_any_order_but_no_duplicates():
    shuffled = _returns().iloc[[3, 0, 5, 1, 4, 2]]
    for name, func in SCALAR_FUNCS.items():
        if name != "calmar_ratio":
            pd.testing.assert_series_equal(func(shuffled), func(_returns()), rtol=1e-12)
    twice = pd.concat([_returns(), _returns().iloc[[2]]])
    for name, func in SCALAR_FUNCS.items():
        with pytest.raises(ValueError, match="returns has duplicate dates"):
            func(twice)
    with pytest.raises(ValueError, match="returns has duplicate dates"):
        up_capture(twice, pd.Series(0.01, index=DATES))


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "exc", "pattern"),
    [
        (lambda: sharpe_ratio([0.1, 0.2]), TypeError, "returns must be a pandas"),
        (lambda: sharpe_ratio(pd.Series([0.1]), risk_free=-1.0), ValueError, "risk_free"),
        (lambda: sharpe_ratio(pd.Series([0.1]), risk_free="4%"), TypeError, "risk_free"),
        (lambda: sharpe_ratio(pd.Series([0.1]), risk_free=[0.1]), TypeError, "risk_free"),
        (
            lambda: sortino_ratio(pd.Series([0.1]), required_return=np.nan),
            ValueError,
            "required_return must not be NaN",
        ),
        (
            lambda: downside_deviation(pd.Series([0.1]), periods_per_year=0),
            ValueError,
            "periods_per_year must be greater than 0, got 0",
        ),
        (
            lambda: value_at_risk(pd.Series([0.1]), level=95),
            ValueError,
            "level must be less than 1, got 95",
        ),
        (lambda: expected_shortfall(pd.Series([0.1]), level=0.0), ValueError, "level"),
        (
            lambda: calmar_ratio(pd.Series([np.nan, np.nan])),
            ValueError,
            "returns has no non-NaN values",
        ),
        (
            lambda: calmar_ratio(pd.Series([0.1, np.inf])),
            ValueError,
            "returns must be finite, got inf",
        ),
        (lambda: up_capture(pd.Series([0.1]), [0.1]), TypeError, "benchmark_returns"),
        (
            lambda: down_capture(pd.Series([0.1], index=[0]), pd.Series([0.1], index=[1])),
            ValueError,
            "share no dates",
        ),
        (
            lambda: rolling_volatility(pd.Series([0.1, 0.2]), 1),
            ValueError,
            "window must be at least 2, got 1",
        ),
        (lambda: rolling_volatility(pd.Series([0.1, 0.2]), 2.0), TypeError, "window"),
        (
            lambda: rolling_volatility(pd.Series([0.1, 0.2]), 3, min_periods=4),
            ValueError,
            r"min_periods must be at most window \(3\), got 4",
        ),
        (
            lambda: rolling_beta(pd.Series([0.1, 0.2]), pd.Series([0.1, 0.2]), 2),
            ValueError,
            "window must be at least 3, got 2",
        ),
    ],
)
def test_errors_name_the_parameter(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        sharpe_ratio(pd.Series([0.1, 0.2]), 0.02)
    with pytest.raises(TypeError):
        value_at_risk(pd.Series([0.1, 0.2]), 0.95)


# --- invariants (hypothesis) ---------------------------------------------------------

# returns on a 0.1 % grid in [-50 %, 50 %]: no subnormal noise that makes a
# variance of nearly equal values meaningless
grid_returns = st.lists(
    st.integers(-500, 500).map(lambda k: k / 1000), min_size=5, max_size=60
).map(lambda xs: pd.Series(xs, index=pd.date_range("2020-01-01", periods=len(xs), freq="B")))
levels = st.floats(0.01, 0.99)


@settings(deadline=None, max_examples=150)
@given(r=grid_returns, level=levels, other=levels)
def test_shortfall_is_beyond_var_and_var_falls_with_level(r, level, other):
    var, es = value_at_risk(r, level=level), expected_shortfall(r, level=level)
    assert r.min() <= es <= var + 1e-15 <= r.max() + 2e-15  # losses: CVaR >= VaR
    lo, hi = sorted((level, other))
    assert value_at_risk(r, level=hi) <= value_at_risk(r, level=lo) + 1e-15


@settings(deadline=None, max_examples=150)
@given(r=grid_returns, window=st.integers(2, 20))
def test_last_rolling_volatility_is_volatility_of_last_window(r, window):
    window = min(window, len(r))
    last = rolling_volatility(r, window).iloc[-1]
    assert last == pytest.approx(annualized_volatility(r.iloc[-window:]), rel=1e-8, abs=1e-12)


@settings(deadline=None, max_examples=150)
@given(r=grid_returns)
def test_calmar_has_the_sign_of_growth(r):
    calmar = calmar_ratio(r)
    growth = float(np.prod(1 + r.to_numpy())) - 1
    wealth = np.cumprod(1 + r.to_numpy())
    if (wealth >= np.maximum.accumulate(np.maximum(wealth, 1.0))).all():
        assert np.isnan(calmar)  # never below a previous high: no drawdown
    else:
        assert np.sign(calmar) == np.sign(growth)


@settings(deadline=None, max_examples=150)
@given(r=grid_returns, scale=st.floats(0.1, 2.0))
def test_ratios_are_scale_invariant_without_risk_free(r, scale):
    # with a risk-free rate (or target) they are not: mean - rf does not scale
    for func in (sharpe_ratio, sortino_ratio):
        a, b = func(r), func(r * scale)
        assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-9)


@settings(deadline=None, max_examples=100)
@given(r=grid_returns, low=st.floats(-0.5, 0.5), step=st.floats(0.0, 0.5))
def test_downside_deviation_grows_with_the_target(r, low, step):
    assert downside_deviation(r, required_return=low) <= downside_deviation(
        r, required_return=low + step
    ) * (1 + 1e-12)


@settings(deadline=None, max_examples=100)
@given(b=grid_returns, k=st.floats(0.1, 1.9), c=st.floats(-0.001, 0.001))
def test_rolling_beta_recovers_an_exact_line(b, k, c):
    rb = rolling_beta(k * b + c, b, 5).dropna()
    np.testing.assert_allclose(rb, k, rtol=1e-6)
    up, down = up_capture(b, b), down_capture(b, b)
    assert np.isnan(up) or up == pytest.approx(1.0)
    assert np.isnan(down) or down == pytest.approx(1.0)

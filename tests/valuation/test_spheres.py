"""valuation.spheres: baskets, relative performance, rolling co-movement, break tests.

Offline, seeded, deterministic. Pinned three ways: hand-computed small cases,
an independent reference (statsmodels' F test on a dummy-interaction regression,
numpy's polyfit/corrcoef) and seeded power/size trials.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.spheres import (
    BreakTest,
    basket_returns,
    chow_test,
    cusum_test,
    relative_performance,
    rolling_correlation,
    rolling_regression,
)

DATES = pd.bdate_range("2024-01-01", periods=400, name="date")


def _pair(n=400, beta=1.5, noise=0.005, seed=0, dates=None):
    rng = np.random.default_rng(seed)
    idx = DATES[:n] if dates is None else dates
    x = pd.Series(rng.normal(0.0, 0.01, n), index=idx, name="west")
    y = pd.Series(beta * x.to_numpy() + rng.normal(0.0, noise, n), index=idx, name="china")
    return y, x


# --------------------------------------------------------------------------- baskets


def test_basket_of_two_by_hand():
    r = pd.DataFrame({"A": [0.01, 0.02, np.nan, -0.04], "B": [0.03, np.nan, np.nan, 0.02]},
                     index=DATES[:4])
    out = basket_returns(r)
    np.testing.assert_allclose(out.to_numpy(), [0.02, 0.02, np.nan, -0.01])
    assert out.index.equals(r.index) and out.name == "basket"
    weighted = basket_returns(r, weights=pd.Series({"B": 1.0, "A": 3.0}))
    np.testing.assert_allclose(weighted.to_numpy(), [0.015, 0.02, np.nan, -0.025])
    np.testing.assert_allclose(basket_returns(r, weights=[3, 1]).to_numpy(),
                               weighted.to_numpy())


@pytest.mark.parametrize(("weights", "match"), [
    ([1.0], "weights must have one element per member"),
    ([1.0, -1.0], "weights must be finite and >= 0, got -1"),
    ([0.0, 0.0], "weights must not all be zero"),
    (pd.Series({"A": 1.0, "C": 1.0}), "weights labels"),
])
def test_basket_bad_weights(weights, match):
    r = pd.DataFrame({"A": [0.01, 0.02], "B": [0.03, 0.01]}, index=DATES[:2])
    with pytest.raises(ValueError, match=match):
        basket_returns(r, weights=weights)


def test_basket_bad_returns():
    with pytest.raises(TypeError, match="returns must be a pandas DataFrame"):
        basket_returns(pd.Series([0.01, 0.02]))
    with pytest.raises(ValueError, match="returns must be at least -1, got -2"):
        basket_returns(pd.DataFrame({"A": [0.01, -2.0]}))
    bad = pd.DataFrame({"A": [0.01, 0.02]}, index=[DATES[1], DATES[0]])
    with pytest.raises(ValueError, match="returns dates must be increasing"):
        basket_returns(bad)


def test_relative_performance_by_hand_and_aligned():
    a = pd.Series([0.10, -0.10, 0.05], index=DATES[:3], name="a")
    b = pd.Series([0.00, 0.10, 0.30], index=DATES[[0, 1, 3]], name="b")
    out = relative_performance(a, b)
    # common dates 0 and 1: 1.1 / 1.0 - 1, then 0.99 / 1.1 - 1
    assert list(out.index) == list(DATES[:2])
    np.testing.assert_allclose(out.to_numpy(), [0.1, 0.99 / 1.1 - 1])
    assert out.name == "relative_performance"


def test_relative_performance_skips_a_missing_pair():
    a = pd.Series([0.10, np.nan, 0.10], index=DATES[:3])
    b = pd.Series([0.00, 0.50, 0.00], index=DATES[:3])
    out = relative_performance(a, b)
    assert np.isnan(out.iloc[1])
    assert out.iloc[2] == pytest.approx(1.21 - 1)  # b's 50 % on the missing date is skipped


# --------------------------------------------------------------------------- rolling


def test_rolling_correlation_against_numpy():
    y, x = _pair(n=30, noise=0.01)
    out = rolling_correlation(y, x, 10)
    assert out.index.equals(y.index) and out.name == "correlation"
    assert out.iloc[:9].isna().all()
    for end in (9, 17, 29):
        expected = np.corrcoef(y.iloc[end - 9:end + 1], x.iloc[end - 9:end + 1])[0, 1]
        assert out.iloc[end] == pytest.approx(expected)


def test_rolling_regression_against_polyfit():
    y, x = _pair(n=30, noise=0.01)
    out = rolling_regression(y, x, 10, periods_per_year=252)
    assert list(out.columns) == ["beta", "alpha", "rsquared"]
    assert out.index.equals(y.index)
    for end in (9, 20, 29):
        ys, xs = y.iloc[end - 9:end + 1], x.iloc[end - 9:end + 1]
        slope, intercept = np.polyfit(xs, ys, 1)
        assert out["beta"].iloc[end] == pytest.approx(slope)
        assert out["alpha"].iloc[end] == pytest.approx(252 * intercept)
        assert out["rsquared"].iloc[end] == pytest.approx(np.corrcoef(xs, ys)[0, 1] ** 2)


def test_a_missing_pair_blanks_its_windows_in_both():
    y, x = _pair(n=30)
    y = y.copy()
    y.iloc[12] = np.nan
    corr = rolling_correlation(y, x, 5)
    beta = rolling_regression(y, x, 5)["beta"]
    for out in (corr, beta):
        assert out.iloc[12:17].isna().all()
        assert out.iloc[[11, 17]].notna().all()


def test_basket_with_beta_one_and_a_half_is_recovered():
    rng = np.random.default_rng(42)
    x = pd.Series(rng.normal(0.0, 0.01, 1000), index=pd.bdate_range("2021-01-01",
                                                                     periods=1000))
    members = pd.DataFrame({f"m{i}": 1.5 * x + rng.normal(0.0, 0.01, 1000) for i in range(4)})
    members.iloc[::7, 0] = np.nan  # a holiday on one exchange: renormalised, not a 0 % day
    basket = basket_returns(members)
    whole = rolling_regression(basket, x, len(x))["beta"].iloc[-1]
    assert whole == pytest.approx(1.5, abs=0.05)
    rolling = rolling_regression(basket, x, 250)["beta"].dropna()
    assert rolling.median() == pytest.approx(1.5, abs=0.05)


def test_lag_pairs_y_with_the_previous_x():
    rng = np.random.default_rng(3)
    x = pd.Series(rng.normal(0.0, 0.01, 50), index=DATES[:50])
    y = 0.8 * x.shift(1)
    corr = rolling_correlation(y, x, 10, lag=1)
    assert corr.index.equals(DATES[1:50])
    np.testing.assert_allclose(corr.dropna().to_numpy(), 1.0)
    beta = rolling_regression(y, x, 10, lag=1)["beta"].dropna()
    np.testing.assert_allclose(beta.to_numpy(), 0.8)
    assert abs(rolling_correlation(y, x, 40).dropna()).max() < 0.6


# --------------------------------------------------------------------------- Chow


def test_chow_by_hand_on_a_tiny_dataset():
    idx = DATES[:8]
    x = pd.Series([1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0], index=idx) / 100
    y = pd.Series([1.0, 2.1, 2.9, 4.0, 2.0, 4.1, 5.9, 8.0], index=idx) / 100
    out = chow_test(y, x, idx[4], min_obs=3)

    def rss(yy, xx):
        design = np.column_stack([np.ones(len(xx)), xx])
        resid = yy - design @ np.linalg.lstsq(design, yy, rcond=None)[0]
        return float(resid @ resid)

    yv, xv = y.to_numpy(), x.to_numpy()
    r, u = rss(yv, xv), rss(yv[:4], xv[:4]) + rss(yv[4:], xv[4:])
    f = ((r - u) / 2) / (u / (8 - 4))
    from scipy import stats

    assert out.statistic == pytest.approx(f)
    assert out.pvalue == pytest.approx(stats.f.sf(f, 2, 4))
    assert (out.n_before, out.n_after, out.n) == (4, 4, 8)
    assert out.break_date == idx[4]


def test_chow_matches_statsmodels_dummy_interaction():
    import statsmodels.api as sm

    y, x = _pair(n=120, noise=0.01, seed=5)
    y = y.copy()
    y.iloc[70:] += 0.5 * x.iloc[70:]
    out = chow_test(y, x, DATES[70])
    d = (np.arange(120) >= 70).astype(float)
    design = np.column_stack([np.ones(120), x, d, d * x])
    fit = sm.OLS(y.to_numpy(), design).fit()
    ref = fit.f_test(np.array([[0, 0, 1, 0], [0, 0, 0, 1]]))
    assert out.statistic == pytest.approx(float(np.squeeze(ref.fvalue)))
    assert out.pvalue == pytest.approx(float(ref.pvalue))


def test_chow_verdicts_in_plain_words():
    y, x = _pair(n=120, noise=0.01, seed=1)
    calm = chow_test(y, x, "2024-03-15")
    assert not calm.rejected
    assert calm.verdict.startswith("no evidence of a change at 2024-03-15 (F = ")
    assert ">= 0.05)" in calm.verdict
    y2 = y.where(y.index < "2024-03-15", 3 * x)
    moved = chow_test(y2, x, "2024-03-15", alpha=0.01)
    assert moved.rejected and moved.alpha == 0.01
    assert moved.verdict.startswith("the relation changed at 2024-03-15 (F = ")
    assert "p < 0.001 < 0.01)" in moved.verdict


def test_chow_break_on_a_weekend_starts_on_the_next_date():
    y, x = _pair(n=60)
    out = chow_test(y, x, "2024-01-20")  # a Saturday
    assert out.n_before == len(DATES[DATES < "2024-01-20"])
    assert out.n_before + out.n_after == 60


def _chow_rejections(n, break_size, trials=200):
    hits = 0
    rng = np.random.default_rng(20261201)
    idx = DATES[:n]
    half = n // 2
    for _ in range(trials):
        x = rng.normal(0.0, 0.01, n)
        beta = np.where(np.arange(n) >= half, 1.0 + break_size, 1.0)
        y = beta * x + rng.normal(0.0, 0.01, n)
        test = chow_test(pd.Series(y, idx), pd.Series(x, idx), idx[half])
        hits += test.rejected
    return hits / trials


def test_chow_power_and_size():
    assert _chow_rejections(120, 1.0) >= 0.90  # planted break: beta 1 -> 2
    assert _chow_rejections(120, 0.0) <= 0.10  # no break


# --------------------------------------------------------------------------- CUSUM


def _cusum_rejections(n, shift, trials=200):
    hits = 0
    rng = np.random.default_rng(7)
    idx = DATES[:n]
    for _ in range(trials):
        x = rng.normal(0.0, 0.01, n)
        level = np.where(np.arange(n) >= n // 2, shift, 0.0)
        y = 0.5 * x + level + rng.normal(0.0, 0.01, n)
        hits += cusum_test(pd.Series(y, idx), pd.Series(x, idx)).rejected
    return hits / trials


def test_cusum_power_and_size():
    assert _cusum_rejections(200, 0.01) >= 0.90  # planted break in the intercept
    assert _cusum_rejections(200, 0.0) <= 0.10


def test_cusum_matches_statsmodels():
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import breaks_cusumolsresid

    y, x = _pair(n=100, noise=0.01, seed=9)
    out = cusum_test(y, x)
    resid = sm.OLS(y.to_numpy(), sm.add_constant(x.to_numpy())).fit().resid
    stat, p, _ = breaks_cusumolsresid(resid, ddof=2)
    assert out.statistic == pytest.approx(stat) and out.pvalue == pytest.approx(p)
    assert out.break_date is None and (out.n_before, out.n_after) == (100, 0)
    assert out.verdict.startswith(("no evidence of instability", "the relation was not"))


# --------------------------------------------------------------------------- contracts


def test_inputs_not_mutated():
    y, x = _pair(n=80)
    y.iloc[3] = np.nan
    frame = pd.DataFrame({"A": y, "B": x})
    copies = (y.copy(), x.copy(), frame.copy())
    basket_returns(frame)
    basket_returns(frame, weights=pd.Series({"B": 1.0, "A": 2.0}))
    relative_performance(y, x)
    rolling_correlation(y, x, 10, lag=1)
    rolling_regression(y, x, 10, lag=1)
    chow_test(y, x, DATES[40])
    cusum_test(y, x)
    pd.testing.assert_series_equal(y, copies[0])
    pd.testing.assert_series_equal(x, copies[1])
    pd.testing.assert_frame_equal(frame, copies[2])


def test_labels_preserved_with_a_period_index():
    idx = pd.period_range("2024-01-01", periods=30, freq="D")
    y, x = _pair(n=30, dates=idx)
    assert rolling_correlation(y, x, 5).index.equals(idx)
    assert rolling_regression(y, x, 5).index.equals(idx)
    assert relative_performance(y, x).index.equals(idx)
    assert basket_returns(pd.DataFrame({"y": y, "x": x})).index.equals(idx)


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda y, x: rolling_correlation(y, x, 2), ValueError, "window must be at least 3, got 2"),
    (lambda y, x: rolling_regression(y, x, 2), ValueError, "window must be at least 3, got 2"),
    (lambda y, x: rolling_regression(y, x, 100), ValueError,
     "window must be at most the 60 common observations, got 100"),
    (lambda y, x: rolling_correlation(y, x, 5.0), TypeError, "window must be an integer"),
    (lambda y, x: rolling_correlation(y, x, 5, lag=-1), ValueError, "lag must be at least 0"),
    (lambda y, x: rolling_correlation(y, x, 5, lag=60), ValueError,
     "lag must be less than the 60 common dates, got 60"),
    (lambda y, x: rolling_regression(y, x, 5, periods_per_year=0), ValueError,
     "periods_per_year must be greater than 0"),
    (lambda y, x: chow_test(y, x, "2023-06-01"), ValueError,
     "break_date 2023-06-01 is outside the data"),
    (lambda y, x: chow_test(y, x, "2024-01-01"), ValueError,
     "break_date 2024-01-01 is outside the data"),
    (lambda y, x: chow_test(y, x, "2030-01-01"), ValueError, "outside the data"),
    (lambda y, x: chow_test(y, x, "2024-01-05"), ValueError,
     "break_date 2024-01-05 leaves 4 observations before it; min_obs is 10"),
    (lambda y, x: chow_test(y, x, DATES[55]), ValueError,
     "leaves 5 observations on or after it; min_obs is 10"),
    (lambda y, x: chow_test(y, x, "not a date"), ValueError, "break_date must be a date"),
    (lambda y, x: chow_test(y, x, DATES[30], min_obs=2), ValueError,
     "min_obs must be at least 3, got 2"),
    (lambda y, x: chow_test(y, x, DATES[30], alpha=1.5), ValueError,
     "alpha must be less than 1, got 1.5"),
    (lambda y, x: cusum_test(y.iloc[:10], x), ValueError,
     "y and x have 10 complete observations; min_obs is 20"),
    (lambda y, x: rolling_correlation(y.to_numpy(), x, 5), TypeError,
     "y must be a pandas Series"),
    (lambda y, x: relative_performance(y, x.to_frame()), TypeError,
     "b must be a pandas Series"),
    (lambda y, x: rolling_correlation(y, x.set_axis(DATES[100:160]), 5), ValueError,
     "y and x share no dates"),
    (lambda y, x: chow_test(y.where(y > 10), x, DATES[30]), ValueError, "y has no non-NaN"),
    (lambda y, x: rolling_correlation(y - 5, x, 5), ValueError, "y must be at least -1"),
])
def test_bad_inputs_are_named(call, exc, match):
    y, x = _pair(n=60)
    with pytest.raises(exc, match=match):
        call(y, x)


def test_break_test_record_validates():
    with pytest.raises(ValueError, match="name must be 'chow' or 'cusum', got 'x'"):
        BreakTest("x", 1.0, 0.5, None, 10, 0, "v")
    with pytest.raises(ValueError, match="pvalue must be between 0 and 1, got 2"):
        BreakTest("chow", 1.0, 2.0, None, 10, 10, "v")
    with pytest.raises(ValueError, match="n_after must be >= 0, got -1"):
        BreakTest("chow", 1.0, 0.5, None, 10, -1, "v")
    t = BreakTest("cusum", 0.4, 0.04, None, 30, 0, "v")
    assert t.rejected and t.n == 30
    with pytest.raises(AttributeError):
        t.pvalue = 0.5  # type: ignore[misc]

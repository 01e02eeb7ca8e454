from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation import GrowthRate, TrendGrowth, cagr, fade_path, trend_growth


@pytest.mark.parametrize(
    ("start", "end", "years", "expected"),
    [
        (100.0, 121.0, 2, 0.10),  # 1.1 ** 2 = 1.21
        (100.0, 100.0, 5, 0.0),
        (50.0, 400.0, 3, 1.0),  # 2 ** 3 = 8
        (100.0, 50.0, 1, -0.5),
        (100.0, 0.0, 4, -1.0),
        (1.0, 2.0, 0.5, 3.0),  # doubling in half a year = x4 a year
    ],
)
def test_cagr_hand_cases(start, end, years, expected):
    g = cagr(start, end, years)
    assert isinstance(g, GrowthRate)
    assert g.rate == pytest.approx(expected)
    assert g.reason == ""
    assert float(g) == pytest.approx(expected)


def test_cagr_non_positive_start_is_nan_with_reason():
    g = cagr(np.array([100.0, 0.0, -5.0, 10.0]), np.array([110.0, 10.0, 10.0, -1.0]), 1)
    assert g.rate[0] == pytest.approx(0.1)
    assert np.isnan(g.rate[1:]).all()
    assert g.reason[0] == "" and "start <= 0" in g.reason[1] and "end < 0" in g.reason[3]


def test_cagr_series_labels():
    s = cagr(pd.Series([1.0, 2.0], index=["x", "y"]), pd.Series([4.0, 1.0], index=["y", "x"]), 1)
    assert s.rate.to_dict() == {"x": 0.0, "y": 1.0}
    assert list(s.table.columns) == ["rate", "reason"]


def test_cagr_errors():
    with pytest.raises(ValueError, match="years"):
        cagr(1.0, 2.0, 0)
    with pytest.raises(ValueError, match="start"):
        cagr(np.nan, 2.0, 1)


def test_trend_growth_datetime_index():
    idx = pd.to_datetime([f"{y}-01-01" for y in range(2016, 2025)])
    years = (idx - idx[0]).days / 365.25
    s = pd.Series(100.0 * 1.2**years, index=idx)
    t = trend_growth(s)
    assert isinstance(t, TrendGrowth)
    assert t.rate == pytest.approx(0.2, abs=1e-10)
    assert t.rsquared == pytest.approx(1.0)
    assert t.nobs == 9
    assert t.conf_int[0] <= t.rate <= t.conf_int[1]
    assert "OLS" in str(t.summary())


def test_trend_growth_noisy_quarterly():
    rng = np.random.default_rng(0)
    q = np.arange(40)
    s = pd.Series(np.exp(np.log(1.1) * q / 4 + rng.normal(0, 0.02, 40)), index=q)
    t = trend_growth(s, periods_per_year=4)
    assert t.conf_int[0] < 0.1 < t.conf_int[1]
    assert 0 < t.rsquared < 1


def test_trend_growth_errors():
    with pytest.raises(ValueError, match="periods_per_year"):
        trend_growth(pd.Series([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="values"):
        trend_growth(pd.Series([1.0, -2.0, 3.0]), periods_per_year=1)
    with pytest.raises(ValueError, match="at least 3"):
        trend_growth(pd.Series([1.0, 2.0]), periods_per_year=1)
    with pytest.raises(TypeError, match="values"):
        trend_growth([1.0, 2.0, 3.0])


def test_fade_path_formula_and_shape():
    p = fade_path(0.30, 0.03, 3, 3)
    np.testing.assert_allclose(p, [0.3, 0.3, 0.3, 0.21, 0.12, 0.03])
    p2 = fade_path(np.array([0.3, 0.1]), 0.03, 2, 4)
    assert p2.shape == (2, 6)
    np.testing.assert_allclose(p2[1], [0.1, 0.1, 0.0825, 0.065, 0.0475, 0.03])
    np.testing.assert_allclose(fade_path(0.2, 0.0, 2, 0), [0.2, 0.2])


def test_fade_path_errors():
    with pytest.raises(ValueError, match="high_years"):
        fade_path(0.1, 0.0, -1, 2)
    with pytest.raises(ValueError, match="high_years \\+ fade_years"):
        fade_path(0.1, 0.0, 0, 0)
    with pytest.raises(ValueError, match="start_growth"):
        fade_path(np.nan, 0.0, 1, 1)


def test_cagr_overflow_is_nan_with_reason():
    # found by hypothesis: a subnormal start made end/start overflow to inf silently
    g = cagr(2.2e-311, 1.0, 2)
    assert np.isnan(g.rate) and "overflow" in g.reason

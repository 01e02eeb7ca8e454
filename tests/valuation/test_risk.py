from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation import (
    annualized_volatility,
    beta,
    drawdown_from_high,
    log_returns,
    max_drawdown,
    simple_returns,
)

DATES = pd.date_range("2025-01-01", periods=6, freq="B")


def _prices():
    return pd.DataFrame(
        {
            "AAA": [100.0, 110.0, 99.0, 120.0, 108.0, 114.0],
            "BBB": [50.0, np.nan, 55.0, 60.0, 45.0, np.nan],
        },
        index=DATES,
    ).rename_axis(columns="symbol")


def test_returns_nan_across_gaps():
    r = simple_returns(_prices())
    assert r.index.equals(DATES[1:])
    assert r["AAA"].iloc[0] == pytest.approx(0.1)
    assert np.isnan(r["BBB"].iloc[0]) and np.isnan(r["BBB"].iloc[1])  # into and out of the gap
    assert r["BBB"].iloc[2] == pytest.approx(60 / 55 - 1)
    lr = log_returns(_prices()["AAA"])
    np.testing.assert_allclose(lr, np.log(_prices()["AAA"]).diff().iloc[1:])


def test_volatility_uses_available_returns():
    r = simple_returns(_prices())
    vol = annualized_volatility(r)
    assert list(vol.index) == ["AAA", "BBB"]
    assert vol["BBB"] == pytest.approx(r["BBB"].dropna().std(ddof=1) * np.sqrt(252))
    assert isinstance(annualized_volatility(r["AAA"], 12), float)
    assert np.isnan(annualized_volatility(r, min_periods=5)["BBB"])


def test_drawdowns():
    p = _prices()
    md = max_drawdown(p)
    assert md["AAA"] == pytest.approx(99 / 110 - 1)
    assert md["BBB"] == pytest.approx(45 / 60 - 1)
    dd = drawdown_from_high(p)
    assert dd["AAA"] == pytest.approx(114 / 120 - 1)
    assert np.isnan(dd["BBB"])  # last price missing: not filled
    assert isinstance(max_drawdown(p["AAA"]), float)


def test_beta_matches_numpy():
    rng = np.random.default_rng(1)
    idx = pd.date_range("2024-01-01", periods=300, freq="B")
    m = pd.Series(rng.normal(0, 0.01, 300), index=idx)
    r = pd.DataFrame(
        {
            "X": 1.5 * m + 0.0002 + rng.normal(0, 0.005, 300),
            "Y": -0.5 * m + rng.normal(0, 0.01, 300),
        },
        index=idx,
    )
    r.iloc[5, 1] = np.nan
    out = beta(r.iloc[::-1], m)  # aligned by date label
    slope, intercept = np.polyfit(m, r["X"], 1)
    assert out.loc["X", "beta"] == pytest.approx(slope)
    assert out.loc["X", "alpha"] == pytest.approx(intercept * 252)
    assert out.loc["Y", "n"] == 299 and out.loc["X", "n"] == 300
    assert list(out.columns) == ["beta", "alpha", "rsquared", "n"]
    assert 0 <= out.loc["X", "rsquared"] <= 1


def test_risk_errors():
    with pytest.raises(ValueError, match="prices"):
        simple_returns(pd.Series([1.0, -1.0]))
    with pytest.raises(TypeError, match="prices"):
        max_drawdown([1.0, 2.0])
    with pytest.raises(ValueError, match="share no dates"):
        beta(pd.Series([0.1, 0.2], index=[0, 1]), pd.Series([0.1, 0.2], index=[5, 6]))
    with pytest.raises(ValueError, match="periods_per_year"):
        annualized_volatility(pd.Series([0.1, 0.2, 0.3]), periods_per_year=0)

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation import MultipleResult, PeerRegression, ev_to_sales, pe_ratio, peer_regression, peg


def test_pe_ratio():
    r = pe_ratio(np.array([100.0, 50.0, 20.0]), np.array([5.0, 0.0, -1.0]))
    assert isinstance(r, MultipleResult)
    assert r.value[0] == 20.0 and np.isnan(r.value[1:]).all()
    assert r.reason[0] == "" and "eps <= 0" in r.reason[2]
    assert float(pe_ratio(30.0, 2.0)) == 15.0


def test_ev_to_sales_cambricon_style():
    assert float(ev_to_sales(8.9e11, 1e10)) == pytest.approx(89.0)
    assert "revenue" in ev_to_sales(1.0, 0.0).reason


def test_peg():
    p = peg(
        pd.Series([30.0, 20.0, -5.0], index=list("abc")),
        pd.Series([15.0, -2.0, 10.0], index=list("abc")),
    )
    assert p.value["a"] == pytest.approx(2.0)
    assert np.isnan(p.value["b"]) and "growth_pct" in p.reason["b"]
    assert "pe <= 0" in p.reason["c"]
    assert list(p.table.columns) == ["peg", "reason"]


def _peers():
    g = pd.Series([0.05, 0.10, 0.20, 0.30, 0.40], index=list("ABCDE"))
    m = pd.Series([12.0, 15.5, 22.0, 29.0, 35.5], index=list("EDCBA"))[::-1]
    return m, g


@pytest.mark.filterwarnings("ignore:omni_normtest")
def test_peer_regression_matches_numpy_polyfit():
    m, g = _peers()
    reg = peer_regression(m, g)
    assert isinstance(reg, PeerRegression)
    slope, intercept = np.polyfit(g.to_numpy(), m.to_numpy(), 1)
    assert reg.params["growth"] == pytest.approx(slope)
    assert reg.params["const"] == pytest.approx(intercept)
    assert reg.nobs == 5 and 0.9 < reg.rsquared <= 1
    assert list(reg.table.columns) == ["multiple", "growth", "fitted", "residual"]
    np.testing.assert_allclose(reg.table["fitted"] + reg.table["residual"], reg.table["multiple"])
    eps = pd.Series({"A": 2.0, "C": 1.0})
    np.testing.assert_allclose(
        reg.implied_price(eps), reg.table.loc[["A", "C"], "fitted"] * [2.0, 1.0]
    )
    assert reg.implied_price(2.0, growth=0.25) == pytest.approx(2.0 * (intercept + slope * 0.25))
    assert "OLS" in str(reg.summary())
    assert "coef" in reg.coefficients.columns


def test_peer_regression_log():
    m, g = _peers()
    reg = peer_regression(m, g, log=True)
    slope, intercept = np.polyfit(g.to_numpy(), np.log(m.to_numpy()), 1)
    assert reg.params["growth"] == pytest.approx(slope)
    assert reg.predict(0.1) == pytest.approx(np.exp(intercept + slope * 0.1))


def test_peer_regression_errors():
    m, g = _peers()
    with pytest.raises(ValueError, match="at least 3"):
        peer_regression(m.iloc[:2], g.iloc[:2])
    with pytest.raises(ValueError, match="labels"):
        peer_regression(m, g.rename({"A": "Z"}))
    with pytest.raises(ValueError, match="multiple"):
        peer_regression(m.where(m > 20), g)
    with pytest.raises(TypeError, match="multiple"):
        peer_regression(m.to_numpy(), g)

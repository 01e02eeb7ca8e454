from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from valuation import ImpliedGrowth, dcf, fade_path, implied_growth

KW = dict(
    operating_margin=0.1,
    target_margin=0.3,
    tax_rate=0.2,
    sales_to_capital=1.5,
    discount_rate=0.1,
    terminal_growth=0.03,
    shares=10.0,
    net_cash=50.0,
)


def _price(g, revenue=100.0, high=5, fade=5, **kw):
    kw = {**KW, **kw}
    return dcf(revenue, fade_path(g, kw["terminal_growth"], high, fade), **kw).value_per_share


def test_roundtrip_scalar():
    res = implied_growth(_price(0.4), 100.0, high_years=5, fade_years=5, **KW)
    assert isinstance(res, ImpliedGrowth)
    assert res.growth == pytest.approx(0.4, abs=1e-10)
    assert res.status == "ok"
    assert "Implied growth" in res._repr_html_()


def test_vectorised_series_and_statuses():
    prices = pd.Series(
        {
            "A": float(_price(0.2)),
            "B": float(_price(-0.45)) * 0.5,
            "C": 1e9,
            "D": float(_price(2.5)),
        }
    )
    res = implied_growth(prices, 100.0, high_years=5, fade_years=5, **KW)
    assert list(res.growth.index) == ["A", "B", "C", "D"]
    assert res.growth["A"] == pytest.approx(0.2, abs=1e-10)
    assert res.growth["D"] == pytest.approx(2.5, abs=1e-10)
    assert res.status["B"] == "price below value at lowest growth"
    assert res.status["C"] == "needs growth above bracket"
    assert np.isnan(res.growth[["B", "C"]]).all()
    assert res.ok.tolist() == [True, False, False, True]


def test_value_falls_with_growth_still_solved():
    kw = {**KW, "target_margin": 0.1, "operating_margin": 0.1, "sales_to_capital": 0.8}
    # return on new capital 0.1 * 0.8 * 0.8 = 0.064 < 0.1: value falls as growth rises
    assert _price(0.1, **kw) < _price(0.0, **kw)
    res = implied_growth(_price(0.25, **kw), 100.0, high_years=5, fade_years=5, **kw)
    assert res.growth == pytest.approx(0.25, abs=1e-10)
    assert res.status == "ok: value falls as growth rises"
    high_price = implied_growth(
        float(_price(-0.5, **kw)) * 2, 100.0, high_years=5, fade_years=5, **kw
    )
    assert high_price.status == "growth destroys value" and np.isnan(high_price.growth)


def test_custom_bracket_and_errors():
    res = implied_growth(_price(0.4), 100.0, high_years=5, fade_years=5, bracket=(0.0, 0.3), **KW)
    assert res.status == "needs growth above bracket"
    with pytest.raises(ValueError, match="bracket"):
        implied_growth(10.0, 100.0, high_years=5, fade_years=5, bracket=(-1.5, 1.0), **KW)
    with pytest.raises(ValueError, match="price"):
        implied_growth(-1.0, 100.0, high_years=5, fade_years=5, **KW)
    with pytest.raises(ValueError, match="discount_rate"):
        implied_growth(10.0, 100.0, high_years=5, fade_years=5, **{**KW, "terminal_growth": 0.2})


def test_matches_scalar_brentq():
    from scipy.optimize import brentq

    price = 37.0
    root = brentq(lambda g: float(_price(g)) - price, -0.5, 3.0, xtol=1e-14)
    assert implied_growth(price, 100.0, high_years=5, fade_years=5, **KW).growth == pytest.approx(
        root, abs=1e-9
    )


@settings(deadline=None, max_examples=60)
@given(
    g=st.floats(-0.45, 2.5),
    m0=st.floats(-0.2, 0.3),
    m1=st.floats(0.02, 0.45),
    s2c=st.floats(0.3, 5.0),
    r=st.floats(0.06, 0.14),
    high=st.integers(1, 8),
    fade=st.integers(0, 6),
)
def test_property_roundtrip(g, m0, m1, s2c, r, high, fade):
    kw = dict(
        operating_margin=m0,
        target_margin=m1,
        tax_rate=0.2,
        sales_to_capital=s2c,
        discount_rate=r,
        terminal_growth=0.02,
        shares=3.0,
        net_cash=0.0,
    )
    price = float(_price(g, high=high, fade=fade, **kw))
    assume(price > 1e-6)
    # skip nearly flat value-in-growth cases where g is not identifiable
    bump = float(_price(g + 1e-4, high=high, fade=fade, **kw))
    assume(abs(bump - price) > 1e-9 * max(1.0, abs(price)))
    res = implied_growth(price, 100.0, high_years=high, fade_years=fade, **kw)
    if res.status.startswith("ok") and not res.warnings:
        assert res.growth == pytest.approx(g, abs=1e-6)
    else:
        # a root may exist at a lower growth when value is non-monotone: it must reprice
        assert res.status.startswith("ok")
        check = float(_price(float(res.growth), high=high, fade=fade, **kw))
        assert check == pytest.approx(price, rel=1e-8, abs=1e-8)


def test_hump_between_grid_points_is_found():
    # value peaks near g = 0.1, between the grid points -0.0625 and 0.375, where it is
    # below the price: the golden-section step must still find the crossing
    kw = dict(
        operating_margin=0.25,
        target_margin=0.05078125,
        tax_rate=0.2,
        sales_to_capital=1.75,
        discount_rate=0.109375,
        terminal_growth=0.02,
        shares=3.0,
        net_cash=0.0,
    )
    price = float(_price(0.0, high=3, fade=2, **kw))
    res = implied_growth(price, 100.0, high_years=3, fade_years=2, **kw)
    assert res.status == "ok"
    assert res.growth == pytest.approx(0.0, abs=1e-9)
    assert res.warnings  # a second crossing above the hump
    too_high = implied_growth(price * 1.05, 100.0, high_years=3, fade_years=2, **kw)
    assert np.isnan(too_high.growth)

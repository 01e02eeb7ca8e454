from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import DCFResult, dcf, fade_path, gordon_value

KW = dict(
    operating_margin=0.15,
    target_margin=0.25,
    margin_years=3,
    tax_rate=0.21,
    sales_to_capital=1.8,
    discount_rate=0.09,
    terminal_growth=0.025,
)


def test_gordon_textbook():
    # Brealey, Myers & Allen, Principles of Corporate Finance: DIV1 = 1.68, r = 12 %, g = 8 % -> 42
    assert gordon_value(1.68, 0.12, 0.08) == pytest.approx(42.0)
    np.testing.assert_allclose(gordon_value(np.array([1.0, 2.0]), 0.10, 0.05), [20.0, 40.0])


def test_gordon_r_le_g_names_both():
    with pytest.raises(ValueError, match=r"discount_rate 0.05 must exceed growth 0.06"):
        gordon_value(1.0, 0.05, 0.06)


def test_hand_computed_two_year_dcf():
    # revenue 100, growth 10 % then 5 %, margin 20 % -> 30 % over 2 years, tax 25 %,
    # sales_to_capital 2, r = 10 %, terminal g = 2 %, terminal ROIC 12 %, net cash 10, 5 shares.
    # year 1: revenue 110, margin 25 %, NOPAT 110*0.25*0.75 = 20.625, reinvest 10/2 = 5, FCFF 15.625
    # year 2: revenue 115.5, margin 30 %, NOPAT 115.5*0.3*0.75 = 25.9875, reinvest 5.5/2 = 2.75,
    #         FCFF 23.2375
    # FCFF_3 = 115.5*1.02*0.3*0.75*(1 - 0.02/0.12) = 22.0893750; TV = 22.089375/0.08 = 276.1171875
    # EV = 15.625/1.1 + (23.2375 + 276.1171875)/1.21 = 14.2045454 + 247.3179235 = 261.5224690
    res = dcf(
        100.0,
        [0.10, 0.05],
        operating_margin=0.2,
        target_margin=0.3,
        margin_years=2,
        tax_rate=0.25,
        sales_to_capital=2.0,
        discount_rate=0.10,
        terminal_growth=0.02,
        terminal_roic=0.12,
        net_cash=10.0,
        shares=5.0,
    )
    assert isinstance(res, DCFResult)
    np.testing.assert_allclose(res.table["fcff"], [15.625, 23.2375])
    ev = 15.625 / 1.1 + (23.2375 + 276.1171875) / 1.21
    assert res.enterprise_value == pytest.approx(ev)
    assert res.equity_value == pytest.approx(ev + 10)
    assert res.value_per_share == pytest.approx((ev + 10) / 5)
    assert res.terminal_share == pytest.approx(276.1171875 / 1.21 / ev)
    assert isinstance(res.value_per_share, np.float64)


def test_explicit_pv_matches_numpy_financial():
    growth = fade_path(0.3, 0.025, 5, 5)
    res = dcf(250.0, growth, **KW)
    fcff = res.table["fcff"].to_numpy()
    # npv discounts the first value at t=0, so prepend a zero for year-end flows
    expected = npf.npv(0.09, np.concatenate([[0.0], fcff]))
    assert res.table["pv"].sum() == pytest.approx(expected, rel=1e-12)
    tv_pv = float(res.pv_terminal)
    assert res.enterprise_value == pytest.approx(expected + tv_pv, rel=1e-12)


def test_constant_growth_no_reinvestment_equals_gordon():
    g, r, m, tax = 0.03, 0.08, 0.2, 0.25
    res = dcf(
        100.0,
        np.full(7, g),
        operating_margin=m,
        tax_rate=tax,
        sales_to_capital=math.inf,
        discount_rate=r,
        terminal_growth=g,
        terminal_roic=math.inf,
    )
    fcff1 = 100.0 * (1 + g) * m * (1 - tax)
    assert res.enterprise_value == pytest.approx(fcff1 / (r - g), rel=1e-12)
    assert res.enterprise_value == pytest.approx(gordon_value(fcff1, r, g), rel=1e-12)


def test_vectorised_equals_scalar_and_labels():
    rev = pd.Series([100.0, 250.0, 40.0], index=["X", "Y", "Z"])
    margins = pd.Series([0.1, 0.2, -0.05], index=["Z", "Y", "X"])  # aligned by label
    growth = fade_path(np.array([0.2, 0.1, 0.5]), 0.02, 3, 2)
    res = dcf(
        rev,
        growth,
        operating_margin=margins,
        tax_rate=0.2,
        sales_to_capital=2.0,
        discount_rate=0.1,
        terminal_growth=0.02,
        shares=2.0,
    )
    assert isinstance(res.value_per_share, pd.Series)
    assert list(res.value_per_share.index) == ["X", "Y", "Z"]
    one = dcf(
        40.0,
        growth[2],
        operating_margin=0.1,
        tax_rate=0.2,
        sales_to_capital=2.0,
        discount_rate=0.1,
        terminal_growth=0.02,
        shares=2.0,
    )
    assert res.value_per_share["Z"] == pytest.approx(one.value_per_share)
    assert list(res.table.columns) == [
        "company",
        "year",
        "revenue",
        "growth",
        "margin",
        "ebit_after_tax",
        "reinvestment",
        "fcff",
        "discount_factor",
        "pv",
    ]
    assert res.table["company"].tolist()[:5] == ["X"] * 5
    assert "Discounted" in res._repr_html_()


def test_growth_dataframe_aligned_by_label():
    g = pd.DataFrame([[0.1, 0.1], [0.3, 0.3]], index=["B", "A"])
    rev = pd.Series([100.0, 100.0], index=["A", "B"])
    res = dcf(
        rev,
        g,
        operating_margin=0.2,
        tax_rate=0.2,
        sales_to_capital=2.0,
        discount_rate=0.1,
        terminal_growth=0.02,
    )
    assert res.value_per_share["A"] > res.value_per_share["B"]


def test_guard_rail_warnings():
    res = dcf(
        np.array([100.0, 100.0]),
        fade_path(0.1, 0.04, 2, 2),
        operating_margin=0.2,
        tax_rate=0.2,
        sales_to_capital=3.0,
        discount_rate=0.06,
        terminal_growth=0.04,
        terminal_roic=math.inf,
        net_cash=np.array([0.0, -1e6]),
        price=np.array([1.0, 1.0]),
    )
    text = " | ".join(res.warnings)
    assert "0: terminal value is" in text
    assert "1: negative equity" in text
    assert "0: value per share" in text and "10x" in text


def test_r_le_terminal_growth_raises():
    with pytest.raises(ValueError, match=r"discount_rate 0.05 must exceed terminal_growth 0.06"):
        dcf(
            100.0,
            [0.1],
            operating_margin=0.2,
            tax_rate=0.2,
            sales_to_capital=2.0,
            discount_rate=0.05,
            terminal_growth=0.06,
        )


BASE = dict(tax_rate=0.2, terminal_growth=0.02, margin_years=3)


@settings(deadline=None, max_examples=40)
@given(
    g=st.floats(-0.2, 1.0),
    m=st.floats(0.05, 0.4),
    s2c=st.floats(0.3, 4.0),
    r=st.floats(0.05, 0.15),
    dr=st.floats(0.001, 0.05),
    dm=st.floats(0.001, 0.1),
)
def test_monotonicity_properties(g, m, s2c, r, dr, dm):
    path = fade_path(g, 0.02, 4, 3)

    def value(rate=r, margin=m, path=path):
        return float(
            dcf(
                100.0,
                path,
                operating_margin=margin,
                sales_to_capital=s2c,
                discount_rate=rate,
                **BASE,
            ).value_per_share
        )

    v = value()
    assert value(margin=m + dm) > v
    if v > 0:
        assert value(rate=r + dr) < v
    if m * 0.8 * s2c > r + 0.01:  # return on new capital clears the discount rate
        assert value(path=fade_path(g + 0.05, 0.02, 4, 3)) > v

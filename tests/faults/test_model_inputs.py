"""Fault table: bad model inputs raise errors naming the field and the value.

Plus a property test: random model inputs give either a documented error
(ValueError/TypeError naming a parameter) or finite output / NaN with a status
or reason -- never a silent NaN or inf.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import valuation as v

DCF = dict(
    operating_margin=0.2,
    tax_rate=0.2,
    sales_to_capital=2.0,
    discount_rate=0.1,
    terminal_growth=0.02,
)
IG = dict(high_years=3, fade_years=2, **DCF)
SIM = dict(
    shares=1.0,
    growth=(0.1, 0.05),
    margin=(0.2, 0.02),
    discount_rate=(0.09, 0.01),
    operating_margin=0.1,
    tax_rate=0.2,
    sales_to_capital=2.0,
    terminal_growth=0.02,
    high_years=2,
    fade_years=2,
    paths=20,
    seed=0,
)
TARGETS = pd.DataFrame(
    {
        "broker": ["x", "y"],
        "target": [10.0, 12.0],
        "currency": ["USD", "HKD"],
        "published": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    }
)

# (id, callable, expected exception, regex naming the field and the value)
FAULTS = [
    (
        "upside nan price",
        lambda: v.upside(np.nan, 10.0),
        ValueError,
        r"price must not be NaN, got nan",
    ),
    (
        "upside zero price",
        lambda: v.upside(0.0, 10.0),
        ValueError,
        r"price must be greater than 0, got 0",
    ),
    ("upside negative price", lambda: v.upside(-5.0, 10.0), ValueError, r"price .* got -5"),
    (
        "upside inf target",
        lambda: v.upside(5.0, np.inf),
        ValueError,
        r"target must be finite, got inf",
    ),
    (
        "upside label mismatch",
        lambda: v.upside(pd.Series([1.0], index=["A"]), pd.Series([1.0], index=["B"])),
        ValueError,
        r"labels of price and target do not match",
    ),
    (
        "upside shapes",
        lambda: v.upside([1.0, 2.0], [1.0, 2.0, 3.0]),
        ValueError,
        r"price \(2,\), target \(3,\)",
    ),
    ("upside empty", lambda: v.upside(np.array([]), 1.0), ValueError, r"price must not be empty"),
    ("upside string", lambda: v.upside("10", 1.0), TypeError, r"price must be numeric"),
    ("consensus currencies", lambda: v.consensus(TARGETS), ValueError, r"HKD and USD"),
    ("cagr inf end", lambda: v.cagr(1.0, np.inf, 1), ValueError, r"end must be finite, got inf"),
    (
        "cagr zero years",
        lambda: v.cagr(1.0, 2.0, 0.0),
        ValueError,
        r"years must be greater than 0, got 0",
    ),
    (
        "fade negative years",
        lambda: v.fade_path(0.1, 0.0, -2, 1),
        ValueError,
        r"high_years .* got -2",
    ),
    (
        "dcf nan revenue",
        lambda: v.dcf(np.nan, [0.1], **DCF),
        ValueError,
        r"revenue must not be NaN",
    ),
    ("dcf negative revenue", lambda: v.dcf(-1.0, [0.1], **DCF), ValueError, r"revenue .* got -1"),
    (
        "dcf negative shares",
        lambda: v.dcf(1.0, [0.1], **{**DCF, "shares": -3.0}),
        ValueError,
        r"shares must be greater than 0, got -3",
    ),
    (
        "dcf zero shares",
        lambda: v.dcf(1.0, [0.1], **{**DCF, "shares": 0.0}),
        ValueError,
        r"shares .* got 0",
    ),
    (
        "dcf r <= g",
        lambda: v.dcf(1.0, [0.1], **{**DCF, "discount_rate": 0.05, "terminal_growth": 0.06}),
        ValueError,
        r"discount_rate 0.05 must exceed terminal_growth 0.06",
    ),
    (
        "dcf r == g",
        lambda: v.dcf(1.0, [0.1], **{**DCF, "discount_rate": 0.05, "terminal_growth": 0.05}),
        ValueError,
        r"discount_rate 0.05 must exceed terminal_growth 0.05",
    ),
    (
        "dcf inf discount",
        lambda: v.dcf(1.0, [0.1], **{**DCF, "discount_rate": np.inf}),
        ValueError,
        r"discount_rate must be finite, got inf",
    ),
    (
        "dcf tax 1",
        lambda: v.dcf(1.0, [0.1], **{**DCF, "tax_rate": 1.0}),
        ValueError,
        r"tax_rate .* got 1",
    ),
    (
        "dcf growth -1",
        lambda: v.dcf(1.0, [-1.0], **DCF),
        ValueError,
        r"growth must be greater than -1, got -1",
    ),
    (
        "dcf empty growth",
        lambda: v.dcf(1.0, [], **DCF),
        ValueError,
        r"growth must have at least one year",
    ),
    (
        "dcf growth rows vs companies",
        lambda: v.dcf([1.0, 2.0, 3.0], np.full((2, 4), 0.1), **DCF),
        ValueError,
        r"revenue \(3,\), growth \(2,\)",
    ),
    (
        "dcf growth series",
        lambda: v.dcf(1.0, pd.Series([0.1, 0.1]), **DCF),
        TypeError,
        r"growth must be",
    ),
    (
        "dcf margin years",
        lambda: v.dcf(1.0, [0.1], margin_years=0, **DCF),
        ValueError,
        r"margin_years .* got 0",
    ),
    (
        "dcf bad label",
        lambda: v.dcf(
            pd.Series([1.0], index=["A"]), [0.1], **{**DCF, "shares": pd.Series([1.0], index=["B"])}
        ),
        ValueError,
        r"labels of revenue and shares",
    ),
    (
        "dcf price nan",
        lambda: v.dcf(1.0, [0.1], price=np.nan, **DCF),
        ValueError,
        r"price must not be NaN",
    ),
    (
        "gordon r<=g",
        lambda: v.gordon_value(1.0, 0.05, 0.06),
        ValueError,
        r"discount_rate 0.05 must exceed growth 0.06",
    ),
    (
        "gordon nan cf",
        lambda: v.gordon_value(np.nan, 0.1, 0.0),
        ValueError,
        r"cash_flow_next must not be NaN",
    ),
    (
        "implied nan price",
        lambda: v.implied_growth(np.nan, 10.0, **IG),
        ValueError,
        r"price must not be NaN",
    ),
    (
        "implied zero price",
        lambda: v.implied_growth(0.0, 10.0, **IG),
        ValueError,
        r"price .* got 0",
    ),
    (
        "implied bad bracket",
        lambda: v.implied_growth(1.0, 10.0, bracket=(0.5, 0.1), **IG),
        ValueError,
        r"bracket .* got \(0.5, 0.1\)",
    ),
    (
        "implied lengths",
        lambda: v.implied_growth([1.0, 2.0], [10.0, 11.0, 12.0], **IG),
        ValueError,
        r"price \(2,\), revenue \(3,\)",
    ),
    ("pe nan eps", lambda: v.pe_ratio(10.0, np.nan), ValueError, r"eps must not be NaN"),
    ("pe negative price", lambda: v.pe_ratio(-10.0, 1.0), ValueError, r"price .* got -10"),
    ("peg inf", lambda: v.peg(10.0, np.inf), ValueError, r"growth_pct must be finite, got inf"),
    (
        "peer too few",
        lambda: v.peer_regression(pd.Series([1.0, 2.0]), pd.Series([0.1, 0.2])),
        ValueError,
        r"at least 3 peers, got 2",
    ),
    (
        "sim negative shares",
        lambda: v.simulate_value(10.0, price=1.0, **{**SIM, "shares": -1.0}),
        ValueError,
        r"shares .* got -1",
    ),
    (
        "sim zero price",
        lambda: v.simulate_value(10.0, price=0.0, **SIM),
        ValueError,
        r"price .* got 0",
    ),
    (
        "hit nan vol",
        lambda: v.target_hit_probability(1.0, 2.0, np.nan, 1.0),
        ValueError,
        r"volatility must not be NaN",
    ),
    (
        "hit negative horizon",
        lambda: v.target_hit_probability(1.0, 2.0, 0.2, -1.0),
        ValueError,
        r"horizon_years .* got -1",
    ),
    (
        "returns negative price",
        lambda: v.simple_returns(pd.Series([1.0, -2.0])),
        ValueError,
        r"prices .* got -2",
    ),
    (
        "returns inf",
        lambda: v.log_returns(pd.Series([1.0, np.inf])),
        ValueError,
        r"prices must be finite, got inf",
    ),
    (
        "returns empty",
        lambda: v.max_drawdown(pd.Series([], dtype=float)),
        ValueError,
        r"prices must not be empty",
    ),
]


@pytest.mark.parametrize(("case", "call", "exc", "pattern"), FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_raises_naming_field_and_value(case, call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


finite_or_bad = st.one_of(
    st.floats(-1e3, 1e3), st.just(math.nan), st.just(math.inf), st.just(-math.inf), st.just(0.0)
)


@settings(deadline=None, max_examples=150)
@given(
    price=finite_or_bad,
    revenue=finite_or_bad,
    margin=finite_or_bad,
    r=finite_or_bad,
    g=finite_or_bad,
    shares=finite_or_bad,
    growth=finite_or_bad,
)
def test_random_inputs_error_or_status(price, revenue, margin, r, g, shares, growth):
    kw = dict(
        operating_margin=margin / 1e3,
        tax_rate=0.2,
        sales_to_capital=2.0,
        discount_rate=r / 1e3,
        terminal_growth=g / 1e4,
        shares=shares,
    )
    try:
        u = v.upside(price, revenue)
    except (ValueError, TypeError) as exc:
        assert any(name in str(exc) for name in ("price", "target"))
    else:
        assert np.isfinite(u) or (np.isnan(u) and np.isnan(revenue))
    try:
        res = v.dcf(revenue, [growth / 1e3] * 3, **kw)
    except (ValueError, TypeError) as exc:
        assert any(name in str(exc) for name in ("revenue", "growth", *kw))
    else:
        assert np.isfinite([res.enterprise_value, res.value_per_share]).all()
    try:
        ig = v.implied_growth(price, revenue, high_years=2, fade_years=2, **kw)
    except (ValueError, TypeError) as exc:
        assert any(name in str(exc) for name in ("price", "revenue", *kw))
    else:
        if ig.status.startswith("ok"):
            assert np.isfinite(ig.growth)
        else:
            assert np.isnan(ig.growth) and ig.status
    try:
        c = v.cagr(revenue, price, 2)
    except (ValueError, TypeError) as exc:
        assert any(name in str(exc) for name in ("start", "end"))
    else:
        assert np.isfinite(c.rate) or c.reason

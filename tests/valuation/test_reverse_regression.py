"""The vectorised reverse DCF against a straightforward per-company brentq.

``implied_growth`` solves every company at once (a grid, then safeguarded
Newton); these tests pin its answers to ``scipy.optimize.brentq`` run company
by company on the public ``dcf`` where the problem is well posed (value
strictly monotone in growth over the bracket, with a crossing), and check that
a company's numbers never depend on the companies solved with it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from valuation import dcf, fade_path, implied_growth

BRACKET = (-0.5, 3.0)
FINE = np.linspace(*BRACKET, 141)


def _value(g, high, fade, revenue=100.0, **kw):
    return dcf(revenue, fade_path(g, kw["terminal_growth"], high, fade), **kw).value_per_share


def _well_posed(values, price):
    """Strictly monotone on a fine grid, with the price strictly inside the range."""
    step = np.diff(values)
    monotone = (step > 0).all() or (step < 0).all()
    return monotone and min(values[0], values[-1]) < price < max(values[0], values[-1])


def _brentq_root(price, high, fade, **kw):
    return brentq(lambda g: float(_value(g, high, fade, **kw)) - price, *BRACKET, xtol=1e-14)


def _sample(n, seed):
    rng = np.random.default_rng(seed)
    return {
        "operating_margin": rng.uniform(-0.2, 0.35, n),
        "target_margin": rng.uniform(0.02, 0.45, n),
        "tax_rate": rng.uniform(0.0, 0.35, n),
        "sales_to_capital": rng.uniform(0.3, 5.0, n),
        "discount_rate": rng.uniform(0.06, 0.14, n),
        "terminal_growth": rng.uniform(0.0, 0.04, n),
        "net_cash": rng.normal(0.0, 30.0, n),
        "shares": rng.uniform(1.0, 20.0, n),
    }, rng.uniform(-0.4, 2.5, n)


@pytest.mark.parametrize(("high", "fade", "seed"), [(5, 5, 1), (3, 0, 2), (8, 4, 3), (1, 6, 4)])
def test_matches_per_company_brentq_on_a_seeded_sample(high, fade, seed):
    n = 60
    kw, g = _sample(n, seed)
    price = np.asarray(
        dcf(100.0, fade_path(g, kw["terminal_growth"], high, fade), **kw).value_per_share
    )
    price = np.where(price > 0, price, 1.0)  # a price must be positive
    res = implied_growth(price, 100.0, high_years=high, fade_years=fade, **kw)
    checked = 0
    for i in range(n):
        one = {k: float(v[i]) for k, v in kw.items()}
        values = np.asarray(_value(FINE, high, fade, **one), dtype=float)
        if not (price[i] > 0 and _well_posed(values, price[i])):
            continue
        root = _brentq_root(price[i], high, fade, **one)
        assert res.growth[i] == pytest.approx(root, abs=1e-10), i
        rising = values[-1] > values[0]
        assert res.status[i] == ("ok" if rising else "ok: value falls as growth rises")
        checked += 1
    assert checked >= n // 3


@settings(deadline=None, max_examples=40)
@given(
    g=st.floats(-0.45, 2.8),
    m0=st.floats(-0.3, 0.4),
    m1=st.floats(0.0, 0.5),
    tax=st.floats(0.0, 0.4),
    s2c=st.floats(0.2, 6.0),
    r=st.floats(0.05, 0.15),
    tg=st.floats(-0.01, 0.04),
    high=st.integers(1, 10),
    fade=st.integers(0, 8),
)
def test_property_matches_brentq(g, m0, m1, tax, s2c, r, tg, high, fade):
    kw = dict(
        operating_margin=m0,
        target_margin=m1,
        tax_rate=tax,
        sales_to_capital=s2c,
        discount_rate=r,
        terminal_growth=tg,
        shares=2.0,
        net_cash=5.0,
    )
    price = float(_value(g, high, fade, **kw))
    assume(price > 1e-6)
    values = np.asarray(_value(FINE, high, fade, **kw), dtype=float)
    assume(_well_posed(values, price))
    # the slope at the root is not tiny: the root is identifiable to 1e-10
    slope = (float(_value(g + 1e-6, high, fade, **kw)) - price) / 1e-6
    assume(abs(slope) > 1e-3 * max(1.0, abs(price)))
    res = implied_growth(price, 100.0, high_years=high, fade_years=fade, **kw)
    assert res.status.startswith("ok")
    assert res.growth == pytest.approx(_brentq_root(price, high, fade, **kw), abs=1e-10)


def _mixed_universe(n, seed, shared_tg):
    kw, g = _sample(n, seed)
    if shared_tg:
        kw["terminal_growth"] = np.full(n, 0.025)
    price = np.asarray(
        dcf(100.0, fade_path(g, kw["terminal_growth"], 5, 3), **kw).value_per_share
    )
    rng = np.random.default_rng(seed + 100)
    price = np.abs(price) * rng.choice([1.0, 0.3, 4.0], n, p=[0.8, 0.1, 0.1]) + 0.01
    kw["operating_margin"][3] = np.nan  # a missing input in the mix
    return price, kw


@pytest.mark.parametrize("shared_tg", [True, False])
def test_a_company_never_depends_on_the_others(shared_tg):
    n = 120
    price, kw = _mixed_universe(n, 9, shared_tg)
    whole = implied_growth(price, 100.0, high_years=5, fade_years=3, **kw)
    assert len(set(whole.status)) >= 3  # roots, bracket failures and a missing input
    parts = [slice(0, 1), slice(1, 8), slice(8, 70), slice(70, n)]
    for sl in parts:
        part = implied_growth(
            price[sl], 100.0, high_years=5, fade_years=3, **{k: v[sl] for k, v in kw.items()}
        )
        np.testing.assert_array_equal(part.growth, whole.growth[sl])
        np.testing.assert_array_equal(part.status, whole.status[sl])
        pd.testing.assert_frame_equal(
            part.table.reset_index(drop=True),
            whole.table.iloc[sl].reset_index(drop=True),
            check_exact=True,
        )
    for i in (0, 17, 99):  # one company alone, given as plain numbers
        one = implied_growth(
            float(price[i]),
            100.0,
            high_years=5,
            fade_years=3,
            **{k: float(v[i]) for k, v in kw.items()},
        )
        assert one.status == whole.status[i]
        np.testing.assert_array_equal(one.growth, whole.growth[i])


def test_shared_and_per_company_terminal_growth_agree_exactly():
    # the grid takes a shortcut when every company has the same terminal growth; it must
    # give the same numbers as the general path
    price, kw = _mixed_universe(50, 5, shared_tg=True)
    shared = implied_growth(price, 100.0, high_years=5, fade_years=3, **kw)
    tg = kw["terminal_growth"].copy()
    kw["terminal_growth"] = np.append(tg, 0.01)
    extra = implied_growth(
        np.append(price, 10.0),
        100.0,
        high_years=5,
        fade_years=3,
        **{k: (np.append(v, v[0]) if k != "terminal_growth" else v) for k, v in kw.items()},
    )
    np.testing.assert_array_equal(extra.growth[:-1], shared.growth)
    np.testing.assert_array_equal(extra.status[:-1], shared.status)

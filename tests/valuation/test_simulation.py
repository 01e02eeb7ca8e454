from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from valuation import SimulationResult, dcf, fade_path, simulate_value, target_hit_probability

KW = dict(
    growth=(0.15, 0.05),
    margin=(0.25, 0.03),
    discount_rate=(0.09, 0.01),
    operating_margin=0.15,
    tax_rate=0.2,
    sales_to_capital=2.0,
    terminal_growth=0.02,
    high_years=5,
    fade_years=5,
)


def test_simulation_shapes_and_labels():
    rev = pd.Series([100.0, 300.0, 50.0], index=["A", "B", "C"])
    res = simulate_value(rev, price=20.0, shares=10.0, paths=2000, seed=3, **KW)
    assert isinstance(res, SimulationResult)
    assert list(res.percentiles.index) == ["A", "B", "C"]
    assert list(res.percentiles.columns) == [5, 25, 50, 75, 95]
    assert (np.diff(res.percentiles.to_numpy(), axis=1) >= 0).all()
    assert list(res.prob_above_price.index) == ["A", "B", "C"]
    assert res.prob_above_price["B"] >= res.prob_above_price["C"]


def test_chunk_size_does_not_change_results():
    rev = np.array([100.0, 200.0, 300.0, 400.0, 500.0])
    a = simulate_value(rev, price=30.0, shares=10.0, paths=1000, seed=42, chunk_size=1, **KW)
    b = simulate_value(rev, price=30.0, shares=10.0, paths=1000, seed=42, chunk_size=10**7, **KW)
    c = simulate_value(rev, price=30.0, shares=10.0, paths=1000, seed=42, chunk_size=2500, **KW)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.table, c.table)
    d = simulate_value(
        rev, price=30.0, shares=10.0, paths=1000, seed=np.random.default_rng(42), **KW
    )
    assert d.table.shape == a.table.shape


def test_zero_sd_equals_dcf():
    kw = {**KW, "growth": (0.15, 0.0), "margin": (0.25, 0.0), "discount_rate": (0.09, 0.0)}
    res = simulate_value(100.0, price=20.0, shares=10.0, paths=50, seed=0, **kw)
    v = dcf(
        100.0,
        fade_path(0.15, 0.02, 5, 5),
        operating_margin=0.15,
        target_margin=0.25,
        tax_rate=0.2,
        sales_to_capital=2.0,
        discount_rate=0.09,
        terminal_growth=0.02,
        shares=10.0,
    ).value_per_share
    np.testing.assert_allclose(res.percentiles.to_numpy(), v, rtol=1e-12)
    assert res.prob_above_price == (1.0 if v > 20 else 0.0)


def test_discount_rate_clip_warns():
    kw = {**KW, "discount_rate": (0.03, 0.02)}
    res = simulate_value(100.0, price=20.0, shares=10.0, paths=500, seed=0, **kw)
    assert res.warnings and "clipped" in res.warnings[0]
    assert np.isfinite(res.percentiles.to_numpy()).all()


def test_simulation_errors():
    with pytest.raises(ValueError, match="growth_sd"):
        simulate_value(100.0, price=20.0, shares=10.0, **{**KW, "growth": (0.1, -0.1)})
    with pytest.raises(TypeError, match="margin"):
        simulate_value(100.0, price=20.0, shares=10.0, **{**KW, "margin": 0.2})
    with pytest.raises(ValueError, match="shares"):
        simulate_value(100.0, price=20.0, shares=-1.0, **KW)
    with pytest.raises(ValueError, match="paths"):
        simulate_value(100.0, price=20.0, shares=1.0, paths=0, **KW)


def test_target_hit_closed_form():
    # up target: 2 * (1 - Phi(ln(K/S) / (sigma sqrt T)))
    p = target_hit_probability(100.0, 130.0, 0.4, 0.5)
    assert p == pytest.approx(2 * (1 - norm.cdf(np.log(1.3) / (0.4 * np.sqrt(0.5)))))
    # down target is symmetric in log space
    assert target_hit_probability(100.0, 100 / 1.3, 0.4, 0.5) == pytest.approx(p)
    assert target_hit_probability(100.0, 100.0, 0.4, 0.5) == 1.0
    assert target_hit_probability(100.0, 120.0, 0.0, 1.0) == 0.0
    np.testing.assert_allclose(
        target_hit_probability(100.0, np.array([100.0, 1e9]), 0.3, 1.0), [1.0, 0.0], atol=1e-12
    )


def test_target_hit_against_simulation():
    rng = np.random.default_rng(2024)
    sigma, horizon, steps, n = 0.35, 1.0, 1000, 20_000
    barrier = np.log(1.25)
    dt = horizon / steps
    hit = np.zeros(n, dtype=bool)
    level = np.zeros(n)
    for _ in range(steps):  # driftless log price on a fine grid, monitored at each step
        level += sigma * np.sqrt(dt) * rng.standard_normal(n)
        hit |= level >= barrier
    simulated = hit.mean()
    exact = target_hit_probability(100.0, 125.0, sigma, horizon)
    # discrete monitoring misses crossings between steps
    # (bias ~ 0.5826 sigma sqrt(dt) on the barrier, Broadie-Glasserman-Kou)
    shifted = target_hit_probability(
        100.0, 125.0 * np.exp(0.5826 * sigma * np.sqrt(dt)), sigma, horizon
    )
    se = np.sqrt(exact * (1 - exact) / n)
    assert simulated <= exact + 3 * se
    assert simulated == pytest.approx(shifted, abs=4 * se)
    assert simulated == pytest.approx(exact, abs=0.03)


def test_target_hit_errors():
    with pytest.raises(ValueError, match="volatility"):
        target_hit_probability(100.0, 120.0, -0.1, 1.0)
    with pytest.raises(ValueError, match="price"):
        target_hit_probability(np.nan, 120.0, 0.1, 1.0)

from __future__ import annotations

import copy

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


# --- regression: the vectorised kernel against the original implementation --------------------


def _reference_simulate_value(
    revenue, *, price, shares, growth, margin, discount_rate, operating_margin, tax_rate,
    sales_to_capital, terminal_growth, terminal_roic=None, net_cash=0.0, margin_years=5,
    high_years, fade_years, paths, seed, chunk_size=250_000, min_spread=0.01,
):  # fmt: skip
    """OLD implementation of ``simulate_value`` (before the per-path kernel), kept as an
    independent reference.

    The chunk loop is copied from the original function: per-company streams stacked with
    ``np.stack``, ``fade_path`` and the ``(paths, years)`` kernel
    ``valuation.intrinsic._value_per_share``.  Input validation and result assembly are
    left out (unchanged code); inputs are plain numbers or 1-d arrays.  Returns the
    table columns p5..p95, mean, prob_above_price and the clipped-draw counts.
    """
    from valuation.intrinsic import _value_per_share
    from valuation.simulation import GROWTH_FLOOR, MARGIN_CAP, PERCENTILES, _generators

    n = np.size(revenue)

    def vec(x):
        return np.broadcast_to(np.atleast_1d(np.asarray(x, dtype=float)), (n,))

    p = {
        "revenue": vec(revenue), "price": vec(price), "shares": vec(shares),
        "operating_margin": vec(operating_margin), "tax_rate": vec(tax_rate),
        "sales_to_capital": vec(sales_to_capital), "terminal_growth": vec(terminal_growth),
        "net_cash": vec(net_cash),
    }  # fmt: skip
    has_roic = terminal_roic is not None
    if has_roic:
        p["terminal_roic"] = vec(terminal_roic)
    a = {
        "growth_mean": vec(growth[0]), "growth_sd": vec(growth[1]),
        "margin_mean": vec(margin[0]), "margin_sd": vec(margin[1]),
        "discount_rate_mean": vec(discount_rate[0]), "discount_rate_sd": vec(discount_rate[1]),
    }  # fmt: skip
    n_paths, high, fade, my, spread = paths, high_years, fade_years, margin_years, min_spread
    gens = _generators(seed, n)
    per_chunk = max(1, chunk_size // n_paths)
    q = np.empty((n, len(PERCENTILES)))
    prob = np.empty(n)
    mean = np.empty(n)
    floor_hits = np.zeros(n, dtype=np.int64)
    for start in range(0, n, per_chunk):
        sl = slice(start, min(n, start + per_chunk))
        z = np.stack(
            [gens[i].standard_normal((3, n_paths)) for i in range(sl.start, sl.stop)], axis=1
        )
        col = (slice(None), None)
        g = np.maximum(a["growth_mean"][sl][col] + a["growth_sd"][sl][col] * z[0], GROWTH_FLOOR)
        m = np.minimum(a["margin_mean"][sl][col] + a["margin_sd"][sl][col] * z[1], MARGIN_CAP)
        r_raw = a["discount_rate_mean"][sl][col] + a["discount_rate_sd"][sl][col] * z[2]
        r_floor = p["terminal_growth"][sl][col] + spread
        floor_hits[sl] = (r_raw < r_floor).sum(axis=1)
        r = np.maximum(r_raw, r_floor)
        k = r.shape

        def rep(key, _sl=sl, _k=k):
            return np.broadcast_to(p[key][_sl][:, None], _k).ravel()

        tg = rep("terminal_growth")
        vps = _value_per_share(
            rep("revenue"),
            fade_path(g.ravel(), tg, high, fade),
            operating_margin=rep("operating_margin"),
            target_margin=m.ravel(),
            margin_years=my,
            tax_rate=rep("tax_rate"),
            sales_to_capital=rep("sales_to_capital"),
            discount_rate=r.ravel(),
            terminal_growth=tg,
            terminal_roic=rep("terminal_roic") if has_roic else r.ravel(),
            net_cash=rep("net_cash"),
            shares=rep("shares"),
        ).reshape(k)
        q[sl] = np.percentile(vps, PERCENTILES, axis=1).T
        prob[sl] = (vps > p["price"][sl][:, None]).mean(axis=1)
        mean[sl] = vps.mean(axis=1)
    return q, mean, prob, floor_hits


REF_CASES = {
    "base": dict(KW, revenue=[100.0, 300.0, 50.0], price=20.0, shares=10.0, paths=3000, seed=3),
    "roic_inf_reinvestment_long_ramp": dict(
        KW,
        revenue=[100.0, 300.0, 50.0, 80.0],
        price=[20.0, 40.0, 5.0, 9.0],
        shares=10.0,
        terminal_roic=[0.15, np.inf, 0.05, 0.2],
        sales_to_capital=[2.0, np.inf, 0.5, 1.0],
        margin_years=12,
        net_cash=[-50.0, 0.0, 20.0, 3.0],
        paths=2000,
        seed=5,
    ),
    "no_high_years": dict(
        KW, revenue=[100.0, 200.0], price=20.0, shares=10.0, high_years=0, fade_years=3,
        paths=1500, seed=7,
    ),
    "no_fade_short_ramp": dict(
        KW, revenue=[100.0, 200.0], price=20.0, shares=10.0, high_years=4, fade_years=0,
        margin_years=2, paths=1500, seed=8,
    ),
    "one_year_generator_seed": dict(
        KW, revenue=100.0, price=20.0, shares=10.0, high_years=1, fade_years=0, paths=999,
        seed=np.random.default_rng(9),
    ),
    "heavy_clipping": dict(
        KW,
        revenue=[100.0, 300.0, 50.0, 80.0],
        price=20.0,
        shares=10.0,
        growth=([0.1, -0.95, 2.0, 0.3], [0.05, 0.3, 1.0, 0.2]),
        margin=([0.9, 0.2, -0.1, 0.95], [0.2, 0.1, 0.1, 0.3]),
        discount_rate=(0.03, 0.02),
        paths=2500,
        seed=0,
    ),
    "negative_terminal_growth": dict(
        KW,
        revenue=[100.0, 300.0, 50.0, 80.0],
        price=20.0,
        shares=10.0,
        terminal_growth=[-0.02, 0.0, 0.05, 0.01],
        discount_rate=(0.02, 0.03),
        paths=2000,
        seed=11,
    ),
    "several_chunks": dict(
        KW, revenue=np.linspace(50.0, 500.0, 9), price=30.0, shares=10.0, paths=20_000,
        seed=12, chunk_size=50_000,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REF_CASES))
def test_matches_original_implementation(case):
    kw = copy.deepcopy(REF_CASES[case])  # a Generator seed: each call gets its own copy
    ref_kw = copy.deepcopy(REF_CASES[case])
    res = simulate_value(kw.pop("revenue"), **kw)
    q, mean, prob, floor_hits = _reference_simulate_value(ref_kw.pop("revenue"), **ref_kw)
    table = res.table
    np.testing.assert_allclose(table[[f"p{x}" for x in (5, 25, 50, 75, 95)]], q, rtol=1e-9)
    np.testing.assert_allclose(table["mean"], mean, rtol=1e-9)
    np.testing.assert_array_equal(table["prob_above_price"], prob)  # same draws, same counts
    n_warn = int((floor_hits / kw["paths"] > 0.01).sum())
    assert len(res.warnings) == n_warn


def test_golden_values_from_original_implementation():
    # Golden numbers printed by the ORIGINAL implementation (before the per-path kernel,
    # commit 4b4615e) for this exact call; they pin results independently of the
    # reference copy above.
    res = simulate_value(
        pd.Series([100.0, 250.0, 60.0], index=["A", "B", "C"]),
        price=[20.0, 30.0, 4.0],
        shares=[10.0, 12.0, 8.0],
        growth=([0.15, 0.40, -0.20], [0.05, 0.20, 0.30]),
        margin=(0.25, 0.03),
        discount_rate=([0.09, 0.08, 0.05], 0.02),
        operating_margin=[0.15, -0.05, 0.10],
        tax_rate=0.2,
        sales_to_capital=[2.0, 1.2, np.inf],
        terminal_growth=0.03,
        net_cash=[10.0, -40.0, 5.0],
        margin_years=6,
        high_years=5,
        fade_years=5,
        paths=4000,
        seed=20240601,
    )
    golden = pd.DataFrame(
        {
            "p5": [25.34320074159986, 49.43912632308182, 0.9961811490194467],
            "p25": [35.3481396288641, 140.0148664048871, 2.4804152764353358],
            "p50": [45.51233008884297, 290.32899721440606, 8.531319276654763],
            "p75": [60.77676825098504, 600.5279647056295, 31.344183124249405],
            "p95": [94.54000213765767, 1723.7379598753012, 154.5755464580389],
            "mean": [51.121550205057474, 499.85445393852666, 36.440246230636546],
            "prob_above_price": [0.992, 0.982, 0.65475],
            "price": [20.0, 30.0, 4.0],
        },
        index=["A", "B", "C"],
    )
    pd.testing.assert_frame_equal(res.table, golden, check_exact=False, rtol=1e-9, atol=0)
    assert res.warnings == (
        "B: 1.9% of discount-rate draws clipped at terminal_growth + 0.01",
        "C: 30.5% of discount-rate draws clipped at terminal_growth + 0.01",
    )


def test_chunking_is_exact():
    # whole companies per chunk and row-wise reductions: bit-identical for any chunk_size
    rev = np.linspace(10.0, 90.0, 7)
    tables = [
        simulate_value(rev, price=5.0, shares=10.0, paths=3000, seed=4, chunk_size=c, **KW).table
        for c in (1, 3000, 7000, 10**9)
    ]
    for t in tables[1:]:
        pd.testing.assert_frame_equal(t, tables[0], check_exact=True)

"""Benchmarks for the valuation package on SYNTHETIC companies (no real data).

* Reverse DCF: ``implied_growth`` on 10,000 synthetic companies at once versus
  a Python loop of ``scipy.optimize.brentq`` per company, each evaluation
  calling the same private kernel ``valuation.intrinsic._value_per_share`` that
  ``dcf`` uses.  The loop is timed on a subset and extrapolated per company;
  the two agree to 1e-8 on that subset (asserted).
* Monte Carlo: ``simulate_value`` on 1,000 synthetic companies × 10,000 paths
  (one timed run, target 2 s; about a third of it is drawing the 30 million
  normals, which the per-company streams fix), and the same model as a naive
  per-company Python loop (one ``dcf`` call per company over its paths) on a
  subset, extrapolated per company.
"""

from __future__ import annotations

import time

import numpy as np

from valuation import dcf, fade_path, implied_growth, simulate_value
from valuation.growth import _fade_weights
from valuation.intrinsic import _value_per_share

N_COMPANIES = 10_000
LOOP_SUBSET = 500
MC_COMPANIES = 1_000
MC_PATHS = 10_000
MC_LOOP_SUBSET = 2
HIGH, FADE = 5, 5


def _synthetic(n: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "revenue": rng.uniform(10.0, 1000.0, n),
        "operating_margin": rng.uniform(0.05, 0.30, n),
        "target_margin": rng.uniform(0.15, 0.40, n),
        "tax_rate": np.full(n, 0.2),
        "sales_to_capital": rng.uniform(1.0, 3.0, n),
        "discount_rate": rng.uniform(0.07, 0.12, n),
        "terminal_growth": np.full(n, 0.03),
        "shares": rng.uniform(5.0, 50.0, n),
        "true_growth": rng.uniform(-0.1, 1.0, n),
    }


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _reverse_rows() -> list[dict]:
    from scipy.optimize import brentq

    d = _synthetic(N_COMPANIES)
    g_true = d.pop("true_growth")
    revenue = d.pop("revenue")
    price = dcf(revenue, fade_path(g_true, 0.03, HIGH, FADE), **d).value_per_share
    kw = dict(high_years=HIGH, fade_years=FADE, **d)
    res = implied_growth(price, revenue, **kw)
    assert res.ok.all(), "synthetic companies should all have roots"
    t_vec = _best(lambda: implied_growth(price, revenue, **kw)) / N_COMPANIES

    weights = _fade_weights(HIGH, FADE)

    def loop(m: int) -> np.ndarray:
        out = np.empty(m)
        for i in range(m):
            one = {k: np.array([v[i]]) for k, v in d.items()}
            one["terminal_roic"] = one["discount_rate"]
            one["net_cash"] = np.zeros(1)
            tg = one["terminal_growth"]

            def f(g: float, one: dict = one, tg: np.ndarray = tg, i: int = i) -> float:
                path = (g + (tg - g) * weights)[None, :]  # fade_path without input checks
                return (
                    float(_value_per_share(revenue[i : i + 1], path, margin_years=5, **one)[0])
                    - price[i]
                )

            out[i] = brentq(f, -0.5, 3.0, xtol=1e-12)
        return out

    t0 = time.perf_counter()
    looped = loop(LOOP_SUBSET)
    t_loop = (time.perf_counter() - t0) / LOOP_SUBSET
    diff = float(np.max(np.abs(looped - res.growth[:LOOP_SUBSET])))
    assert diff < 1e-8, f"vectorised and brentq loop disagree by {diff}"
    return [
        {
            "name": f"implied_growth vectorised, {N_COMPANIES:,} synthetic companies",
            "figure": t_vec * N_COMPANIES,
            "unit": "s",
            "ratio": None,
            "target": None,
        },
        {
            "name": f"implied_growth brentq loop, per company (timed on {LOOP_SUBSET} synthetic, "
            f"extrapolated), max diff {diff:.1e}",
            "figure": t_loop * 1e6,
            "unit": "us/company",
            "ratio": t_loop / t_vec,
            "target": ">= 50x",
        },
    ]


def _mc_rows() -> list[dict]:
    d = _synthetic(MC_COMPANIES, seed=11)
    price = d["revenue"] * 2.0 / d["shares"]
    kw = dict(
        shares=d["shares"],
        growth=(d["true_growth"], 0.1),
        margin=(d["target_margin"], 0.05),
        discount_rate=(d["discount_rate"], 0.01),
        operating_margin=d["operating_margin"],
        tax_rate=0.2,
        sales_to_capital=d["sales_to_capital"],
        terminal_growth=0.03,
        high_years=HIGH,
        fade_years=FADE,
        paths=MC_PATHS,
        seed=1,
    )
    t_vec = _best(lambda: simulate_value(d["revenue"], price=price, **kw), repeat=1)

    def naive(i: int) -> float:
        rng = np.random.default_rng(i)
        out = np.empty(MC_PATHS)
        for j in range(MC_PATHS):
            g = max(d["true_growth"][i] + 0.1 * rng.standard_normal(), -0.99)
            m = min(d["target_margin"][i] + 0.05 * rng.standard_normal(), 1.0)
            r = max(d["discount_rate"][i] + 0.01 * rng.standard_normal(), 0.04)
            out[j] = dcf(
                float(d["revenue"][i]),
                fade_path(g, 0.03, HIGH, FADE),
                operating_margin=float(d["operating_margin"][i]),
                target_margin=m,
                tax_rate=0.2,
                sales_to_capital=float(d["sales_to_capital"][i]),
                discount_rate=r,
                terminal_growth=0.03,
                shares=float(d["shares"][i]),
            ).value_per_share
        return float(np.mean(out > price[i]))

    t0 = time.perf_counter()
    for i in range(MC_LOOP_SUBSET):  # each company is 10,000 dcf calls
        naive(i)
    t_loop = (time.perf_counter() - t0) / (MC_LOOP_SUBSET)
    per_company_vec = t_vec / MC_COMPANIES
    return [
        {
            "name": f"simulate_value {MC_COMPANIES:,} synthetic companies x {MC_PATHS:,} paths",
            "figure": t_vec,
            "unit": "s",
            "ratio": None,
            "target": "<= 2 s",
        },
        {
            "name": f"simulate_value naive per-path dcf loop, per company (timed on "
            f"{MC_LOOP_SUBSET} synthetic, extrapolated)",
            "figure": t_loop,
            "unit": "s/company",
            "ratio": t_loop / per_company_vec,
            "target": None,
        },
    ]


def run() -> list[dict]:
    """Return benchmark rows: name, figure, unit, ratio, target."""
    return _reverse_rows() + _mc_rows()

"""Benchmarks for the valuation package on SYNTHETIC companies (no real data).

* Reverse DCF: ``implied_growth`` on 10,000 and 100,000 synthetic companies
  versus ``scipy.optimize.elementwise.find_root`` (Chandrupatla, vectorised)
  handed a lean vectorised DCF of the same formula (plain numpy, the maths of
  ``valuation.dcf`` on a fade path, no checks, no tables), with the same
  bracket and tolerances; the two agree to 1e-10 (asserted).  Also reported:
  the evaluations per company each spends and the arithmetic floor (those
  evaluations times one vectorised evaluation of the lean DCF), the share of
  ``implied_growth``'s time outside its solver core (grid and Newton
  iterations) for the call alone (its ``table`` and ``warning_table`` are built
  on first access, so they are not in it) and for the call plus reading
  ``.growth`` and ``.status`` (the goal row), and, as an extra row, a Python loop of
  ``scipy.optimize.brentq`` per company on a small sample.
* Monte Carlo: ``simulate_value`` on 1,000 synthetic companies × 10,000 paths
  versus drawing the same number of normals (``rng.standard_normal`` of shape
  (companies, 3, paths)) in one call, and versus drawing them from one stream
  per company as ``simulate_value`` does; the naive per-path Python loop (one
  ``dcf`` call per path) is an extra row, timed on one company.
"""

from __future__ import annotations

import time

import numpy as np

from valuation import dcf, fade_path, implied_growth, simulate_value
from valuation import reverse as _reverse
from valuation.growth import _fade_weights
from valuation.intrinsic import _value_per_share

REVERSE_SIZES = (10_000, 100_000)
LOOP_SUBSET = 200
MC_COMPANIES = 1_000
MC_PATHS = 10_000
MC_LOOP_SUBSET = 1
HIGH, FADE, MARGIN_YEARS = 5, 5, 5
BRACKET = (-0.5, 3.0)
TOLERANCES = {"xatol": _reverse.XTOL, "xrtol": _reverse.RTOL, "fatol": 0.0, "frtol": 0.0}


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


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


_T = np.arange(1, HIGH + FADE + 1, dtype=float)
_FADE_W = _fade_weights(HIGH, FADE)
_MARGIN_W = np.minimum(_T, MARGIN_YEARS) / MARGIN_YEARS


def lean_value_per_share(
    g, revenue, om, tm, tax, s2c, r, tg, roic, net_cash, shares
) -> np.ndarray:
    """The DCF of ``valuation.dcf`` on ``fade_path(g, tg, HIGH, FADE)``, plain numpy.

    Elementwise in ``g`` and the per-company inputs (what ``find_root`` needs);
    everything is recomputed at every call, as a user's own DCF would.
    """
    col = np.newaxis
    path = g[..., col] + (tg - g)[..., col] * _FADE_W
    rev = revenue[..., col] * np.cumprod(1.0 + path, axis=-1)
    prev = np.concatenate([revenue[..., col], rev[..., :-1]], axis=-1)
    margin = om[..., col] + (tm - om)[..., col] * _MARGIN_W
    fcff = rev * margin * (1.0 - tax)[..., col] - (rev - prev) / s2c[..., col]
    discount = (1.0 + r)[..., col] ** -_T
    fcff_next = rev[..., -1] * (1.0 + tg) * margin[..., -1] * (1.0 - tax) * (1.0 - tg / roic)
    ev = (fcff * discount).sum(axis=-1) + fcff_next / (r - tg) * discount[..., -1]
    return (ev + net_cash) / shares


def _lean_excess(g, *args):
    *dcf_args, price = args
    return lean_value_per_share(g, *dcf_args) - price


def _reverse_case(n: int) -> tuple[dict, np.ndarray, np.ndarray, dict]:
    d = _synthetic(n)
    g_true = d.pop("true_growth")
    revenue = d.pop("revenue")
    price = dcf(revenue, fade_path(g_true, 0.03, HIGH, FADE), **d).value_per_share
    return d, revenue, price, dict(high_years=HIGH, fade_years=FADE, **d)


def _reverse_rows(n: int) -> list[dict]:
    from scipy.optimize.elementwise import find_root

    d, revenue, price, kw = _reverse_case(n)
    res = implied_growth(price, revenue, **kw)
    assert res.ok.all(), "synthetic companies should all have roots"
    t_ours = _best(lambda: implied_growth(price, revenue, **kw))

    args = (
        revenue,
        d["operating_margin"],
        d["target_margin"],
        d["tax_rate"],
        d["sales_to_capital"],
        d["discount_rate"],
        d["terminal_growth"],
        d["discount_rate"],  # terminal_roic defaults to the discount rate
        np.zeros(n),
        d["shares"],
        price,
    )
    lo, hi = np.full(n, BRACKET[0]), np.full(n, BRACKET[1])

    def run_find_root():
        return find_root(_lean_excess, (lo, hi), args=args, tolerances=TOLERANCES)

    fr = run_find_root()
    assert fr.success.all()
    diff = float(np.max(np.abs(fr.x - res.growth)))
    assert diff <= 1e-10, f"implied_growth and find_root disagree by {diff}"
    t_fr = _best(run_find_root)
    g_mid = np.full(n, 0.3)
    t_eval = _best(lambda: _lean_excess(g_mid, *args), repeat=7)
    fr_evals = float(np.mean(fr.nfev))

    # the solver core (grid + Newton iterations) against the whole public call, measured
    # inside the same calls: the private kernel reports its phases when asked
    solve, calls = _reverse._solve, []

    def timed_solve(*a, **k):
        stats: dict = {}
        out = solve(*a, stats=stats, **k)
        calls[-1].append(stats)
        return out

    _reverse._solve = timed_solve
    try:
        for _ in range(7):
            t0 = time.perf_counter()
            calls.append([0.0, 0.0])
            out = implied_growth(price, revenue, **kw)
            t1 = time.perf_counter()
            _ = out.growth, out.status  # what a caller reads (status is built lazily)
            calls[-1][:2] = [t1 - t0, time.perf_counter() - t0]
    finally:
        _reverse._solve = solve
    # the call alone (its table and warning_table are built on first access) and the call
    # plus reading .growth and .status, each the fastest of the 7 calls
    total, _, stats = min(calls, key=lambda c: c[0])
    core_share = (stats["grid"] + stats["newton"]) / total
    _, total_read, stats_read = min(calls, key=lambda c: c[1])
    core_share_read = (stats_read["grid"] + stats_read["newton"]) / total_read
    newton = stats["newton_evaluations"]
    our_evals = stats["grid_evaluations"] + newton
    big = f"{n:,} synthetic companies"
    return [
        {
            "name": f"implied_growth, {big}",
            "figure": t_ours,
            "unit": "s",
            "ratio": None,
            "target": None,
        },
        {
            "name": f"find_root (Chandrupatla) on a lean vectorised DCF, {big}, "
            f"max |diff| {diff:.1e}",
            "figure": t_fr,
            "unit": "s",
            "ratio": t_fr / t_ours,
            "target": ">= 2x",
        },
        {
            "name": f"one vectorised lean-DCF evaluation, {big}",
            "figure": t_eval,
            "unit": "s",
            "ratio": None,
            "target": None,
        },
        {
            "name": f"find_root: evaluations per company; floor = that x one lean evaluation, "
            f"{fr_evals * t_eval:.3g} s (ratio: find_root / floor)",
            "figure": fr_evals,
            "unit": "evals/company",
            "ratio": t_fr / (fr_evals * t_eval),
            "target": None,
        },
        {
            "name": f"implied_growth: evaluations per company ({stats['grid_evaluations']} grid "
            f"+ {newton:.2f} Newton with slope); floor = that x one lean evaluation, "
            f"{our_evals * t_eval:.3g} s (ratio: implied_growth / floor)",
            "figure": our_evals,
            "unit": "evals/company",
            "ratio": t_ours / (our_evals * t_eval),
            "target": None,
        },
        {
            "name": f"implied_growth: share of the call alone outside the solver core (grid + "
            f"Newton iterations), fastest of 7 calls, {big}",
            "figure": 100.0 * (1.0 - core_share),
            "unit": "%",
            "ratio": None,
            "target": None,
        },
        {
            "name": f"implied_growth: share outside the solver core of the call plus reading "
            f".growth and .status (the goal row), fastest of 7 calls, {big}",
            "figure": 100.0 * (1.0 - core_share_read),
            "unit": "%",
            "ratio": None,
            "target": "< 15 %",
        },
    ]


def _brentq_rows() -> list[dict]:
    from scipy.optimize import brentq

    d, revenue, price, kw = _reverse_case(REVERSE_SIZES[0])
    res = implied_growth(price, revenue, **kw)
    t_vec = _best(lambda: implied_growth(price, revenue, **kw)) / REVERSE_SIZES[0]

    def loop(m: int) -> np.ndarray:
        out = np.empty(m)
        for i in range(m):
            one = {k: np.array([v[i]]) for k, v in d.items()}
            one["terminal_roic"] = one["discount_rate"]
            one["net_cash"] = np.zeros(1)
            tg = one["terminal_growth"]

            def f(g: float, one: dict = one, tg: np.ndarray = tg, i: int = i) -> float:
                path = (g + (tg - g) * _FADE_W)[None, :]  # fade_path without input checks
                return (
                    float(_value_per_share(revenue[i : i + 1], path, margin_years=5, **one)[0])
                    - price[i]
                )

            out[i] = brentq(f, *BRACKET, xtol=1e-12)
        return out

    t0 = time.perf_counter()
    looped = loop(LOOP_SUBSET)
    t_loop = (time.perf_counter() - t0) / LOOP_SUBSET
    diff = float(np.max(np.abs(looped - res.growth[:LOOP_SUBSET])))
    assert diff < 1e-8, f"vectorised and brentq loop disagree by {diff}"
    return [
        {
            "name": f"extra: brentq Python loop, per company (timed on {LOOP_SUBSET} synthetic, "
            f"extrapolated), max diff {diff:.1e}",
            "figure": t_loop * 1e6,
            "unit": "us/company",
            "ratio": t_loop / t_vec,
            "target": None,
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
    t_vec = _best(lambda: simulate_value(d["revenue"], price=price, **kw), repeat=3)
    out = np.empty((MC_COMPANIES, 3, MC_PATHS))

    def one_stream() -> None:
        np.random.default_rng(1).standard_normal(out=out)

    def per_company_streams() -> None:
        for i, gen in enumerate(np.random.default_rng(1).spawn(MC_COMPANIES)):
            gen.standard_normal(out=out[i])

    t_draw = _best(one_stream, repeat=3)
    t_streams = _best(per_company_streams, repeat=3)

    def naive(i: int) -> float:
        rng = np.random.default_rng(i)
        vals = np.empty(MC_PATHS)
        for j in range(MC_PATHS):
            g = max(d["true_growth"][i] + 0.1 * rng.standard_normal(), -0.99)
            m = min(d["target_margin"][i] + 0.05 * rng.standard_normal(), 1.0)
            r = max(d["discount_rate"][i] + 0.01 * rng.standard_normal(), 0.04)
            vals[j] = dcf(
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
        return float(np.mean(vals > price[i]))

    t0 = time.perf_counter()
    for i in range(MC_LOOP_SUBSET):  # each company is 10,000 dcf calls
        naive(i)
    t_loop = (time.perf_counter() - t0) / MC_LOOP_SUBSET
    cells = f"{MC_COMPANIES:,} synthetic companies x {MC_PATHS:,} paths"
    return [
        {
            "name": f"simulate_value {cells}",
            "figure": t_vec,
            "unit": "s",
            "ratio": None,
            "target": "<= 2 s",
        },
        {
            "name": f"drawing the same normals, rng.standard_normal(({MC_COMPANIES:,}, 3, "
            f"{MC_PATHS:,})) in one call (ratio: simulate_value / this)",
            "figure": t_draw,
            "unit": "s",
            "ratio": t_vec / t_draw,
            "target": None,
        },
        {
            "name": "drawing them from one stream per company, as simulate_value does "
            "(ratio: simulate_value / this)",
            "figure": t_streams,
            "unit": "s",
            "ratio": t_vec / t_streams,
            "target": None,
        },
        {
            "name": f"extra: naive per-path dcf loop, per company (timed on {MC_LOOP_SUBSET} "
            "synthetic, extrapolated; ratio vs simulate_value per company)",
            "figure": t_loop,
            "unit": "s/company",
            "ratio": t_loop / (t_vec / MC_COMPANIES),
            "target": None,
        },
    ]


def run() -> list[dict]:
    """Return benchmark rows: name, figure, unit, ratio, target."""
    rows: list[dict] = []
    for n in REVERSE_SIZES:
        rows += _reverse_rows(n)
    return rows + _brentq_rows() + _mc_rows()

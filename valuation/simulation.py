"""Monte Carlo value distributions and target-hit probabilities.

simulate_value
--------------
For each company and path, draws (independent normals)

* the high-growth rate ``g ~ N(growth)``, clipped below at -0.99,
* the target operating margin ``m ~ N(margin)``, clipped above at 1,
* the discount rate ``r ~ N(discount_rate)``, clipped below at
  ``terminal_growth + min_spread`` (default 0.01) so the terminal value stays
  finite -- the clip puts a point mass at the floor, so a wide discount-rate
  distribution close to terminal growth is biased upward in value,

and values the company with :func:`valuation.dcf` on the growth path
``fade_path(g, terminal_growth, high_years, fade_years)``.

Random streams: one child generator per company, spawned from ``seed``
(``numpy.random.Generator.spawn``), draws ``(3, paths)`` standard normals in
the order growth, margin, discount rate.  ``seed`` may instead be a list of
one ``numpy.random.SeedSequence`` per company (in the order of the result's
rows); company ``i`` then draws from ``numpy.random.default_rng(seed[i])``,
so its numbers do not depend on which other companies share the call
(:func:`valuation.value_universe` keys each company's sequence on its id).
Chunks hold whole companies (``chunk_size``, capped at 65,536, bounds the
company × path cells per chunk, at least one company), so the results for a
seed are identical whatever ``chunk_size`` is.

Computation: the DCF of :mod:`valuation.intrinsic` is evaluated per path
without building ``(paths, years)`` arrays.  With ``v = 1 / (1 + r)``,
``G_t = prod_{s<=t} (1 + g_s)`` and ``P_t = G_t v**t`` (one multiply a year:
``P_t = P_{t-1} (v (1 + g) + v (terminal_growth - g) w_t)``, ``w_t`` the fade
weights), enterprise value over revenue is

``(A - c) S + B S_m + c v (1 + S - P_T) + P_T K``

where ``A = (1 - tax_rate) operating_margin``,
``B = (1 - tax_rate) (m - operating_margin)``, ``c = 1 / sales_to_capital``,
``S = sum_t P_t``, ``S_m = sum_t P_t min(t, margin_years) / margin_years`` and
``K = (1 + terminal_growth) (A + B min(T, margin_years) / margin_years)
(1 - terminal_growth / terminal_roic) / (r - terminal_growth)``: the same
model as :func:`valuation.dcf` (margin ramp, reinvestment
``(revenue_t - revenue_{t-1}) / sales_to_capital``, Gordon terminal value),
regrouped, so values agree with it to rounding (differences of about 1e-15
of a company's values; a value near zero can differ more in relative terms).

target_hit_probability
----------------------
Log price follows a driftless Brownian motion, ``ln S_t = ln S_0 + sigma W_t``
(zero drift of the *log* price).  By the reflection principle the probability
of touching ``K`` by ``T`` is ``2 (1 - Phi(|ln(K/S)| / (sigma sqrt(T))))``
for both ``K > S`` (running max) and ``K < S`` (running min); ``K == S`` gives 1.

Conventions
-----------
NaN rule (the same in every model of the package): a NaN element of a
per-company input (an entry of an array or Series, including the entries of
the ``(mean, sd)`` pairs) is missing data for that company.  In
:func:`simulate_value` the figures that depend on it are NaN for that
company (a NaN price only makes ``prob_above_price`` NaN) and a
``"missing input: <fields>"`` warning names it; :func:`target_hit_probability`
gives NaN for that company.  The other companies are computed as before, with
the same random draws.  A NaN given as one number applies to every company and
raises ``ValueError``, as do wrong types and finite values out of range.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import (
    broadcast,
    check,
    check_input,
    check_int,
    company_label,
    html_table,
    labelled_warnings,
    missing_fields,
    missing_warning,
)
from valuation._typing import FloatLike, SeedLike
from valuation.growth import _fade_weights
from valuation.intrinsic import _check_common

__all__ = ["SimulationResult", "simulate_value", "target_hit_probability"]

PERCENTILES = (5, 25, 50, 75, 95)
GROWTH_FLOOR = -0.99
MARGIN_CAP = 1.0

#: Upper bound on the company × path cells of a chunk (whole companies, at
#: least one): small enough for the chunk's buffers (``_BYTES_PER_CELL`` a cell,
#: about 5.9 MB) to stay in the L2/L3 cache; ``chunk_size`` can only lower it.
_CACHE_CELLS = 65_536
#: Peak working memory per chunk cell: 3 normals, 7 scratch arrays and the
#: values (float64), plus two boolean masks.
_BYTES_PER_CELL = 11 * 8 + 2


@dataclass(frozen=True)
class SimulationResult:
    """Result of :func:`simulate_value`.

    Attributes
    ----------
    percentiles : pandas.Series or DataFrame
        Value-per-share percentiles (5, 25, 50, 75, 95): a Series for one
        company, a DataFrame (companies × percentiles) otherwise.
    prob_above_price : float, ndarray or Series
        Share of paths with value per share above the price.
    median : float, ndarray or Series
    table : pandas.DataFrame
        Per company: p5, p25, p50, p75, p95, mean, prob_above_price, price.
    paths : int
    warnings : tuple of str
        For display, prefixed by the company label (``"NVDA: 1.9% of ..."``).
    warning_table : pandas.DataFrame
        The same warnings, in the same order, as columns ``company`` (the
        Series label, else the integer position; None for a scalar call) and
        ``message`` (without the label).
    """

    percentiles: Any
    prob_above_price: Any
    median: Any
    table: pd.DataFrame
    paths: int
    warnings: tuple[str, ...] = ()
    warning_table: pd.DataFrame = field(
        default_factory=lambda: labelled_warnings(())[1], repr=False
    )

    def _repr_html_(self) -> str:
        return html_table(f"Monte Carlo DCF ({self.paths:,} paths)", self.table, self.warnings)


def _pair(value: Any, name: str) -> tuple[Any, Any]:
    try:
        mean, sd = value
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a (mean, sd) pair, got {value!r}") from exc
    return mean, sd


def _generators(
    seed: SeedLike | Sequence[np.random.SeedSequence], n: int
) -> list[np.random.Generator]:
    if isinstance(seed, list | tuple):
        if len(seed) != n:
            raise ValueError(
                f"seed must hold one SeedSequence per company ({n}), got {len(seed)}"
            )
        for i, one in enumerate(seed):
            if not isinstance(one, np.random.SeedSequence):
                raise TypeError(f"seed[{i}] must be a numpy SeedSequence, got {one!r}")
        return [np.random.default_rng(one) for one in seed]
    if isinstance(seed, np.random.Generator):
        return seed.spawn(n)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(
            "seed must be None, an int, a numpy Generator or a list of SeedSequences, "
            f"got {seed!r}"
        )
    if seed is not None and seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return np.random.default_rng(seed).spawn(n)


_WORK = ("v", "q", "e", "p", "s", "s_m", "tmp")


def _path_values(
    z: np.ndarray,
    work: np.ndarray,
    out: np.ndarray,
    *,
    fade_w: np.ndarray,
    margin_w: np.ndarray,
    revenue: np.ndarray,
    operating_margin: np.ndarray,
    one_minus_tax: np.ndarray,
    after_tax_margin: np.ndarray,
    reinvest: np.ndarray,
    terminal_growth: np.ndarray,
    terminal_factor: np.ndarray | None,
    net_cash: np.ndarray,
    shares: np.ndarray,
) -> None:
    """Value per share of every path into ``out`` (companies, paths); no checks.

    ``z`` (companies, 3, paths) holds the clipped growth, target margin and
    discount rate draws; company inputs are columns (companies, 1):
    ``after_tax_margin = (1 - tax_rate) * operating_margin``,
    ``reinvest = 1 / sales_to_capital`` and ``terminal_factor =
    (1 + terminal_growth) (1 - terminal_growth / terminal_roic)`` (None:
    terminal_roic is each path's discount rate).  The module docstring gives
    the formula.  ``z`` and ``work`` (len(_WORK), companies, paths) are
    overwritten; nothing of the size of a chunk is allocated.
    """
    g, m, r = z[:, 0], z[:, 1], z[:, 2]
    v, q, e, p, s, s_m, tmp = work
    tg = terminal_growth
    np.add(r, 1.0, out=v)
    np.divide(1.0, v, out=v)  # v = 1 / (1 + r)
    np.add(g, 1.0, out=q)
    q *= v  # v (1 + g): P_t / P_{t-1} in the high-growth years
    np.subtract(tg, g, out=e)
    e *= v  # v (terminal_growth - g), times the fade weight in fade years
    last = fade_w.size - 1
    s.fill(0.0)
    for i in range(last + 1):
        if fade_w[i]:
            np.multiply(e, fade_w[i], out=tmp)
            tmp += q
            step = tmp
        else:
            step = q
        if i == 0:
            np.copyto(p, step)
        else:
            p *= step
        if i < last:
            s += p  # S - P_T
        if i == 0:
            np.multiply(p, margin_w[0], out=s_m)
        elif margin_w[i] == 1.0:
            s_m += p
        else:
            np.multiply(p, margin_w[i], out=tmp)
            s_m += tmp
    # reinvestment: c sum_t v^t (G_t - G_{t-1}) = c (S - v (1 + S - P_T))
    np.add(s, 1.0, out=tmp)
    tmp *= v
    tmp *= reinvest
    s += p
    s *= after_tax_margin - reinvest
    s += tmp  # (A - c) S + c v (1 + S - P_T)
    m -= operating_margin
    m *= one_minus_tax  # B
    s_m *= m
    s += s_m
    np.multiply(m, margin_w[-1], out=e)
    e += after_tax_margin  # after-tax margin in year T
    p *= e
    if terminal_factor is None:
        np.divide(tg, r, out=tmp)
        np.subtract(1.0, tmp, out=tmp)
        tmp *= 1.0 + tg
        p *= tmp
    else:
        p *= terminal_factor
    r -= tg
    p /= r  # pv of the terminal value over revenue
    s += p
    np.multiply(s, revenue, out=out)
    out += net_cash
    out /= shares


def simulate_value(
    revenue: FloatLike,
    *,
    price: FloatLike,
    shares: FloatLike,
    growth: tuple[FloatLike, FloatLike],
    margin: tuple[FloatLike, FloatLike],
    discount_rate: tuple[FloatLike, FloatLike],
    operating_margin: FloatLike,
    tax_rate: FloatLike,
    sales_to_capital: FloatLike,
    terminal_growth: FloatLike,
    terminal_roic: FloatLike | None = None,
    net_cash: FloatLike = 0.0,
    margin_years: int = 5,
    high_years: int,
    fade_years: int,
    paths: int = 10_000,
    seed: SeedLike | Sequence[np.random.SeedSequence] = None,
    chunk_size: int = 250_000,
    min_spread: float = 0.01,
) -> SimulationResult:
    """Monte Carlo distribution of DCF value per share, vectorised as companies × paths.

    See the module docstring for the distributions, clipping and random
    streams.  ``growth``, ``margin`` (target operating margin) and
    ``discount_rate`` are ``(mean, sd)`` pairs whose entries may be per-company
    arrays or Series; ``terminal_roic=None`` means each path's discount rate.
    ``seed`` is None (fresh entropy), an int, a Generator (children spawned
    from it) or a list of one ``numpy.random.SeedSequence`` per company.

    Memory: companies are valued in chunks of whole companies of at most
    ``min(chunk_size, 65_536)`` company × path cells (at least one company),
    so the peak working memory per chunk is 90 bytes a cell (three float64
    normals, seven float64 scratch arrays, the float64 values and two boolean
    masks): at most about 5.9 MB, or ``90 * paths`` bytes when one company has
    more than 65,536 paths.  Results for a seed do not depend on the chunking.

    Examples
    --------
    >>> res = simulate_value(100.0, price=20.0, shares=10.0, growth=(0.10, 0.05),
    ...                      margin=(0.20, 0.03), discount_rate=(0.09, 0.01),
    ...                      operating_margin=0.15, tax_rate=0.2, sales_to_capital=2.0,
    ...                      terminal_growth=0.02, high_years=5, fade_years=5,
    ...                      paths=2000, seed=1)
    >>> 0.0 <= float(res.prob_above_price) <= 1.0, list(res.percentiles.index)
    (True, [5, 25, 50, 75, 95])
    """
    g_mean, g_sd = _pair(growth, "growth")
    m_mean, m_sd = _pair(margin, "margin")
    r_mean, r_sd = _pair(discount_rate, "discount_rate")
    n_paths = check_int(paths, "paths", ge=1)
    chunk = check_int(chunk_size, "chunk_size", ge=1)
    high = check_int(high_years, "high_years", ge=0)
    fade = check_int(fade_years, "fade_years", ge=0)
    my = check_int(margin_years, "margin_years", ge=1)
    if high + fade < 1:
        raise ValueError(f"high_years + fade_years must be at least 1, got {high} + {fade}")
    spread = float(check(np.asarray(min_spread, dtype=float), "min_spread", gt=0))
    arrs, shape = broadcast(
        {
            "revenue": revenue,
            "price": price,
            "shares": shares,
            "growth_mean": g_mean,
            "growth_sd": g_sd,
            "margin_mean": m_mean,
            "margin_sd": m_sd,
            "discount_rate_mean": r_mean,
            "discount_rate_sd": r_sd,
            "operating_margin": operating_margin,
            "tax_rate": tax_rate,
            "sales_to_capital": sales_to_capital,
            "terminal_growth": terminal_growth,
            "terminal_roic": terminal_roic,
            "net_cash": net_cash,
        }
    )
    for nm in ("growth_mean", "margin_mean"):
        check_input(arrs[nm], nm, shape)
    check_input(arrs["discount_rate_mean"], "discount_rate_mean", shape, gt=-1)
    for nm in ("growth_sd", "margin_sd", "discount_rate_sd"):
        check_input(arrs[nm], nm, shape, ge=0)
    base = {
        k: arrs[k]
        for k in (
            "revenue",
            "price",
            "shares",
            "operating_margin",
            "tax_rate",
            "sales_to_capital",
            "terminal_growth",
            "net_cash",
        )
    }
    if "terminal_roic" in arrs:
        base["terminal_roic"] = arrs["terminal_roic"]
    p = _check_common(base, shape)
    n = int(np.prod(shape.shape)) if shape.shape else 1
    p = {k: np.broadcast_to(np.atleast_1d(v), (n,)) for k, v in p.items()}
    a = {
        k: np.broadcast_to(np.atleast_1d(arrs[k]), (n,))
        for k in (
            "growth_mean",
            "growth_sd",
            "margin_mean",
            "margin_sd",
            "discount_rate_mean",
            "discount_rate_sd",
        )
    }
    has_roic = "terminal_roic" in arrs
    gens = _generators(seed, n)
    per_chunk = max(1, min(chunk, _CACHE_CELLS) // n_paths)
    rows = min(per_chunk, n)
    draws = np.empty((rows, 3, n_paths))
    work = np.empty((len(_WORK), rows, n_paths))
    vps = np.empty((rows, n_paths))
    fade_w = _fade_weights(high, fade)
    t = np.arange(1, high + fade + 1, dtype=float)
    margin_w = np.minimum(t, my) / my
    tg_all = p["terminal_growth"]
    after_tax_all = (1.0 - p["tax_rate"]) * p["operating_margin"]
    reinvest_all = 1.0 / p["sales_to_capital"]
    terminal_all = (1.0 + tg_all) * (1.0 - tg_all / p["terminal_roic"]) if has_roic else None
    q = np.empty((n, len(PERCENTILES)))
    prob = np.empty(n)
    mean = np.empty(n)
    floor_hits = np.zeros(n, dtype=np.int64)
    for start in range(0, n, per_chunk):
        sl = slice(start, min(n, start + per_chunk))
        k = sl.stop - sl.start
        z = draws[:k]
        for j in range(k):  # per-company streams: the only per-company Python loop
            gens[start + j].standard_normal(out=z[j])
        g, m, r = z[:, 0], z[:, 1], z[:, 2]
        # mean + sd * z, clipped, computed in place (the same floating-point operations)
        np.multiply(g, a["growth_sd"][sl, None], out=g)
        np.add(g, a["growth_mean"][sl, None], out=g)
        np.maximum(g, GROWTH_FLOOR, out=g)
        np.multiply(m, a["margin_sd"][sl, None], out=m)
        np.add(m, a["margin_mean"][sl, None], out=m)
        np.minimum(m, MARGIN_CAP, out=m)
        np.multiply(r, a["discount_rate_sd"][sl, None], out=r)
        np.add(r, a["discount_rate_mean"][sl, None], out=r)
        r_floor = tg_all[sl, None] + spread
        floor_hits[sl] = np.count_nonzero(r < r_floor, axis=1)
        np.maximum(r, r_floor, out=r)
        out = vps[:k]
        _path_values(
            z,
            work[:, :k],
            out,
            fade_w=fade_w,
            margin_w=margin_w,
            revenue=p["revenue"][sl, None],
            operating_margin=p["operating_margin"][sl, None],
            one_minus_tax=1.0 - p["tax_rate"][sl, None],
            after_tax_margin=after_tax_all[sl, None],
            reinvest=reinvest_all[sl, None],
            terminal_growth=tg_all[sl, None],
            terminal_factor=None if terminal_all is None else terminal_all[sl, None],
            net_cash=p["net_cash"][sl, None],
            shares=p["shares"][sl, None],
        )
        prob[sl] = (out > p["price"][sl, None]).mean(axis=1)
        mean[sl] = out.mean(axis=1)
        # after the mean: partitioning in place reorders the rows
        q[sl] = np.percentile(out, PERCENTILES, axis=1, overwrite_input=True).T
    missing = missing_fields({k: v for k, v in arrs.items() if k in shape.per_company}, (n,))
    prob[np.isnan(p["price"]) | np.isnan(mean)] = np.nan  # no value or no price to compare
    labels = shape.labels(n)
    cols = [f"p{x}" for x in PERCENTILES]
    table = pd.DataFrame(q, index=labels, columns=cols)
    table["mean"] = mean
    table["prob_above_price"] = prob
    table["price"] = p["price"]
    items: list[tuple[Hashable, str]] = []
    for i in range(n):
        who = company_label(labels, i, shape.scalar)
        if missing[i] == "price":
            items.append((who, missing_warning("price", "prob_above_price is NaN")))
        elif missing[i]:
            items.append((who, missing_warning(missing[i])))
        if floor_hits[i] / n_paths > 0.01:
            items.append(
                (
                    who,
                    f"{floor_hits[i] / n_paths:.1%} of discount-rate draws "
                    f"clipped at terminal_growth + {spread:g}",
                )
            )
    warnings, warning_table = labelled_warnings(items)
    if shape.scalar:
        percentiles: Any = pd.Series(
            q[0], index=pd.Index(PERCENTILES, name="percentile"), name="value_per_share"
        )
    else:
        percentiles = pd.DataFrame(
            q, index=labels, columns=pd.Index(PERCENTILES, name="percentile")
        )
    return SimulationResult(
        percentiles=percentiles,
        prob_above_price=shape.out(prob, "prob_above_price"),
        median=shape.out(q[:, 2], "median"),
        table=table,
        paths=n_paths,
        warnings=warnings,
        warning_table=warning_table,
    )


def target_hit_probability(
    price: FloatLike, target: FloatLike, volatility: FloatLike, horizon_years: FloatLike
) -> Any:
    """Probability that the price touches ``target`` within ``horizon_years``.

    Model: ``ln S_t = ln S_0 + volatility * W_t`` (zero drift of the log price,
    continuous monitoring).  Reflection principle:
    ``P = 2 * (1 - Phi(|ln(target / price)| / (volatility * sqrt(horizon_years))))``,
    the same formula for targets above (running maximum) and below (running
    minimum) the price; ``target == price`` gives 1; zero volatility or
    horizon gives 0 for any other target.  A NaN element of a per-company
    input gives NaN for that company (a single NaN raises).

    Examples
    --------
    >>> round(float(target_hit_probability(100.0, 100.0 * np.exp(0.3), 0.3, 1.0)), 4)
    0.3173
    >>> float(target_hit_probability(50.0, 50.0, 0.4, 0.5))
    1.0
    """
    a, shape = broadcast(
        {
            "price": price,
            "target": target,
            "volatility": volatility,
            "horizon_years": horizon_years,
        },
    )
    s = check_input(a["price"], "price", shape, gt=0)
    k = check_input(a["target"], "target", shape, gt=0)
    vol = check_input(a["volatility"], "volatility", shape, ge=0)
    h = check_input(a["horizon_years"], "horizon_years", shape, ge=0)
    from scipy.special import erfc

    dist = np.abs(np.log(k / s))
    scale = vol * np.sqrt(h)
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = np.where(
            dist == 0, 1.0, np.where(scale > 0, erfc(dist / (scale * np.sqrt(2.0))), 0.0)
        )
    prob = np.where(np.isnan(s) | np.isnan(k) | np.isnan(vol) | np.isnan(h), np.nan, prob)
    return shape.out(prob, "target_hit_probability")

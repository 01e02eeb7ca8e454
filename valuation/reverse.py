"""Reverse DCF: the high-growth rate the market price implies.

For each company, :func:`implied_growth` finds ``g`` such that

``dcf(revenue, fade_path(g, terminal_growth, high_years, fade_years), ...)``
``.value_per_share == price``

with every other input fixed.  All companies are solved at once by a
vectorised Brent method (the algorithm of ``scipy.optimize.brentq``, applied
elementwise to arrays) to an absolute tolerance of about 1e-12.

Value is linear in the revenue path, so the solver precomputes per-year
weights from the margins, tax, reinvestment and discount factors once; each
iteration then costs one cumulative product over the years.

Non-monotone value
------------------
Value rises with growth when new capital earns more than it costs
(``target_margin * (1 - tax_rate) * sales_to_capital > discount_rate``) and
falls otherwise.  The solver first evaluates value on a grid of 9 growth rates
across the bracket, picks the lowest-growth grid interval where value crosses
the price and solves inside it, so it finds a root whichever way value moves.
If the grid shows no crossing, a golden-section search looks for a hump (or
dip) in value next to the best grid point and solves up to it when it reaches
the price.
The status says which way: ``'ok'`` (value rises with growth) or
``'ok: value falls as growth rises'``.  If value crosses the price more than
once, the lowest growth is returned and a warning names the company; more
than one hump between two grid points can be missed.  Without a crossing the
growth is NaN and the status is one of

* ``'price below value at lowest growth'`` (value rises with growth),
* ``'needs growth above bracket'`` (value rises with growth, or falls with it
  but stays above the price even at the top of the bracket),
* ``'growth destroys value'`` (value falls as growth rises and is below the
  price even at the lowest growth).

Conventions
-----------
NaN rule (the same in every model of the package): a company with a NaN
element in a per-company input is not solved; its growth is NaN, its status
is ``'missing input: <fields>'`` and a warning names it, while the other
companies are solved as before.  A NaN given as one number applies to every
company and raises ``ValueError``, as do wrong types and finite values out of
range (a negative price, ``discount_rate <= terminal_growth``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import (
    check_int,
    company_label,
    fmt,
    html_table,
    labelled_warnings,
    missing_fields,
    missing_reason,
    missing_warning,
)
from valuation._typing import FloatLike
from valuation.growth import _fade_weights
from valuation.intrinsic import _validate_common

__all__ = ["ImpliedGrowth", "implied_growth"]

GRID_POINTS = 9
XTOL = 1e-12
RTOL = 4 * np.finfo(float).eps
MAXITER = 200

STATUS_OK = "ok"
STATUS_OK_FALLING = "ok: value falls as growth rises"
STATUS_BELOW = "price below value at lowest growth"
STATUS_ABOVE = "needs growth above bracket"
STATUS_DESTROYS = "growth destroys value"
STATUS_NOT_CONVERGED = "not converged"


@dataclass(frozen=True)
class ImpliedGrowth:
    """Result of :func:`implied_growth`.

    Attributes
    ----------
    growth : float, ndarray or Series
        Implied high-growth rate; NaN where no rate in the bracket justifies the price.
    status : str, ndarray of str or Series of str
        ``'ok'``, ``'ok: value falls as growth rises'``, why there is no root,
        or ``'missing input: <fields>'`` for a company with NaN inputs.
    table : pandas.DataFrame
        Per company: price, growth, status, value_at_low, value_at_high,
        return_on_new_capital, discount_rate.
    warnings : tuple of str
        For display, prefixed by the company label (``"NVDA: value crosses ..."``).
    bracket : tuple of float
    warning_table : pandas.DataFrame
        The same warnings, in the same order, as columns ``company`` (the
        Series label, else the integer position; None for a scalar call) and
        ``message`` (without the label), so callers never parse the strings.
    """

    growth: Any
    status: Any
    table: pd.DataFrame
    warnings: tuple[str, ...] = ()
    bracket: tuple[float, float] = (-0.5, 3.0)
    warning_table: pd.DataFrame = field(
        default_factory=lambda: labelled_warnings(())[1], repr=False
    )

    @property
    def ok(self) -> Any:
        """True where a root was found (status starts with ``'ok'``)."""
        return self.table["status"].str.startswith("ok").to_numpy()

    def _repr_html_(self) -> str:
        return html_table("Implied growth (reverse DCF)", self.table, self.warnings)


def _brentq_vec(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    a: np.ndarray,
    b: np.ndarray,
    fa: np.ndarray,
    fb: np.ndarray,
    xtol: float = XTOL,
    rtol: float = RTOL,
    maxiter: int = MAXITER,
) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise Brent root finding (scipy's brentq.c, vectorised).

    ``f(x, idx)`` evaluates the functions of elements ``idx`` at ``x``; each
    bracket ``[a, b]`` must have ``fa * fb <= 0``.  Converged elements drop out
    of later iterations.  Returns ``(roots, converged)``.
    """
    n = a.size
    root = np.full(n, np.nan)
    converged = np.zeros(n, dtype=bool)
    at_a = fa == 0
    at_b = (fb == 0) & ~at_a
    root[at_a], root[at_b] = a[at_a], b[at_b]
    converged |= at_a | at_b
    idx = np.flatnonzero(~converged)
    xpre, xcur, fpre, fcur = a[idx].copy(), b[idx].copy(), fa[idx].copy(), fb[idx].copy()
    xblk = np.zeros_like(xpre)
    fblk = np.zeros_like(xpre)
    spre = np.zeros_like(xpre)
    scur = np.zeros_like(xpre)
    for _ in range(maxiter):
        if idx.size == 0:
            break
        sw = (fpre != 0) & (fcur != 0) & (np.signbit(fpre) != np.signbit(fcur))
        xblk = np.where(sw, xpre, xblk)
        fblk = np.where(sw, fpre, fblk)
        spre = np.where(sw, xcur - xpre, spre)
        scur = np.where(sw, xcur - xpre, scur)
        swap = np.abs(fblk) < np.abs(fcur)
        xpre, xcur, xblk = (
            np.where(swap, xcur, xpre),
            np.where(swap, xblk, xcur),
            np.where(swap, xcur, xblk),
        )
        fpre, fcur, fblk = (
            np.where(swap, fcur, fpre),
            np.where(swap, fblk, fcur),
            np.where(swap, fcur, fblk),
        )
        delta = (xtol + rtol * np.abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        done = (fcur == 0) | (np.abs(sbis) < delta)
        if done.any():
            root[idx[done]] = xcur[done]
            converged[idx[done]] = True
            keep = ~done
            idx = idx[keep]
            if idx.size == 0:
                break
            xpre, xcur, xblk, fpre, fcur, fblk, spre, scur, delta, sbis = (
                v[keep] for v in (xpre, xcur, xblk, fpre, fcur, fblk, spre, scur, delta, sbis)
            )
        interp = (np.abs(spre) > delta) & (np.abs(fcur) < np.abs(fpre))
        with np.errstate(all="ignore"):
            secant = -fcur * (xcur - xpre) / (fcur - fpre)
            dpre = (fpre - fcur) / (xpre - xcur)
            dblk = (fblk - fcur) / (xblk - xcur)
            iqi = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            stry = np.where(xpre == xblk, secant, iqi)
            good = interp & (2 * np.abs(stry) < np.minimum(np.abs(spre), 3 * np.abs(sbis) - delta))
        spre = np.where(good, scur, sbis)
        scur = np.where(good, stry, sbis)
        xpre, fpre = xcur, fcur
        xcur = xcur + np.where(np.abs(scur) > delta, scur, np.where(sbis > 0, delta, -delta))
        fcur = f(xcur, idx)
    if idx.size:
        root[idx] = xcur
    return root, converged


def _golden_max(
    q: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray, iters: int = 80
) -> np.ndarray:
    """Elementwise golden-section search for the maximum of ``q`` on ``[lo, hi]``."""
    invphi = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = lo.astype(float).copy(), hi.astype(float).copy()
    c = b - invphi * (b - a)
    d = a + invphi * (b - a)
    qc, qd = q(c), q(d)
    for _ in range(iters):
        right = qc < qd  # maximum lies in [c, b]
        a = np.where(right, c, a)
        b = np.where(right, b, d)
        c_new = np.where(right, d, b - invphi * (b - a))
        d_new = np.where(right, a + invphi * (b - a), c)
        q_new = q(np.where(right, d_new, c_new))
        qc, qd = np.where(right, qd, q_new), np.where(right, q_new, qc)
        c, d = c_new, d_new
    return np.where(qc > qd, c, d)


def _linear_weights(
    p: dict[str, np.ndarray], margin_years: int, T: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``W`` (n, T) and constant ``c`` (n,) with ``EV = revenue * (sum_t P_t W_t + c)``.

    ``P_t = revenue_t / revenue_0``.  Derived from the DCF of
    :mod:`valuation.intrinsic`:  with ``A_t = margin_t (1 - tax) df_t``,
    ``B_t = df_t / sales_to_capital`` and terminal factor
    ``C = (1 + g) margin_T (1 - tax) (1 - g / roic) / (r - g) df_T``,
    ``W_t = A_t - B_t + B_{t+1}`` (``B_{T+1} = 0``), ``W_T += C`` and ``c = B_1``.
    """
    t = np.arange(1, T + 1, dtype=float)
    w = np.minimum(t, margin_years) / margin_years
    margin = (
        p["operating_margin"][:, None] + (p["target_margin"] - p["operating_margin"])[:, None] * w
    )
    df = (1.0 + p["discount_rate"])[:, None] ** -t
    A = margin * (1.0 - p["tax_rate"])[:, None] * df
    B = df / p["sales_to_capital"][:, None]
    W = A - B
    W[:, :-1] += B[:, 1:]
    g = p["terminal_growth"]
    C = (1.0 + g) * margin[:, -1] * (1.0 - p["tax_rate"]) * (1.0 - g / p["terminal_roic"])
    W[:, -1] += C / (p["discount_rate"] - g) * df[:, -1]
    return W, B[:, 0].copy()


def implied_growth(
    price: FloatLike,
    revenue: FloatLike,
    *,
    high_years: int,
    fade_years: int,
    operating_margin: FloatLike,
    target_margin: FloatLike | None = None,
    margin_years: int = 5,
    tax_rate: FloatLike,
    sales_to_capital: FloatLike,
    discount_rate: FloatLike,
    terminal_growth: FloatLike,
    terminal_roic: FloatLike | None = None,
    net_cash: FloatLike = 0.0,
    shares: FloatLike = 1.0,
    bracket: tuple[float, float] = (-0.5, 3.0),
) -> ImpliedGrowth:
    """High-growth rate that makes the DCF value per share equal the price.

    Solves ``dcf(revenue, fade_path(g, terminal_growth, high_years, fade_years),
    ...).value_per_share == price`` for ``g`` in ``bracket`` for all companies
    at once (see the module docstring for the solver, statuses and the
    non-monotone case).  Never raises for a single company without a root:
    its growth is NaN with a status.  A company with a NaN per-company input
    is not solved: NaN growth, status ``'missing input: <fields>'`` and a
    warning.  Invalid inputs (a NaN given as one number, wrong types, finite
    values out of range) raise ``ValueError``/``TypeError``.

    Parameters
    ----------
    price : float, array or Series
        Market price per share (> 0).
    revenue : float, array or Series
        Latest annual revenue (> 0).
    high_years, fade_years : int
        Years of flat high growth, then years of linear fade to terminal growth.
    bracket : (float, float)
        Search interval for ``g``, ``-1 < low < high``.
    operating_margin, target_margin, margin_years, tax_rate, sales_to_capital, \
discount_rate, terminal_growth, terminal_roic, net_cash, shares
        As in :func:`valuation.dcf`.

    Examples
    --------
    >>> from valuation import dcf, fade_path
    >>> kw = dict(operating_margin=0.25, tax_rate=0.2, sales_to_capital=1.5,
    ...           discount_rate=0.1, terminal_growth=0.03)
    >>> price = dcf(100.0, fade_path(0.3, 0.03, 5, 5), **kw).value_per_share
    >>> res = implied_growth(price, 100.0, high_years=5, fade_years=5, **kw)
    >>> round(float(res.growth), 8), res.status
    (0.3, 'ok')
    >>> two = implied_growth(pd.Series([float(price), np.nan], index=["A", "B"]), 100.0,
    ...                      high_years=5, fade_years=5, **kw)
    >>> two.growth.round(8).to_dict(), two.status["B"]
    ({'A': 0.3, 'B': nan}, 'missing input: price')
    >>> two.warning_table.values.tolist()
    [['B', 'missing input: price is NaN; the implied growth is NaN']]
    """
    high = check_int(high_years, "high_years", ge=0)
    fade = check_int(fade_years, "fade_years", ge=0)
    if high < 1:
        raise ValueError(f"high_years must be at least 1, got {high}")
    my = check_int(margin_years, "margin_years", ge=1)
    try:
        lo, hi = (float(v) for v in bracket)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"bracket must be a pair of numbers, got {bracket!r}") from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and -1 < lo < hi):
        raise ValueError(
            f"bracket must satisfy -1 < low < high (finite), got ({fmt(lo)}, {fmt(hi)})"
        )
    p, shape = _validate_common(
        {
            "price": price,
            "revenue": revenue,
            "operating_margin": operating_margin,
            "target_margin": target_margin,
            "tax_rate": tax_rate,
            "sales_to_capital": sales_to_capital,
            "discount_rate": discount_rate,
            "terminal_growth": terminal_growth,
            "terminal_roic": terminal_roic,
            "net_cash": net_cash,
            "shares": shares,
        }
    )
    n = int(np.prod(shape.shape)) if shape.shape else 1
    p = {k: np.broadcast_to(np.atleast_1d(v), (n,)).copy() for k, v in p.items()}
    given = [k for k in p if k in shape.per_company]
    missing = missing_fields({k: p[k] for k in given}, (n,))
    todo = np.flatnonzero(missing == "")
    roots = np.full(n, np.nan)
    status = np.array([missing_reason(m) for m in missing], dtype=object)
    value_low = np.full(n, np.nan)
    value_high = np.full(n, np.nan)
    multi = np.zeros(n, dtype=bool)
    if todo.size:
        solved = _solve({k: v[todo] for k, v in p.items()}, my, high, fade, lo, hi)
        roots[todo], status[todo], multi[todo] = solved[0], solved[1], solved[2]
        value_low[todo] = solved[3] + p["price"][todo]
        value_high[todo] = solved[4] + p["price"][todo]
    labels = shape.labels(n)
    items: list[tuple[Hashable, str]] = []
    for i in range(n):
        who = company_label(labels, i, shape.scalar)
        if missing[i]:
            items.append((who, missing_warning(missing[i], "the implied growth is NaN")))
        elif multi[i]:
            items.append(
                (
                    who,
                    "value crosses the price more than once in the bracket; the lowest "
                    "implied growth is reported",
                )
            )
    warnings, warning_table = labelled_warnings(items)
    table = pd.DataFrame(
        {
            "price": p["price"],
            "growth": roots,
            "status": status,
            "value_at_low": value_low,
            "value_at_high": value_high,
            "return_on_new_capital": p["target_margin"]
            * (1 - p["tax_rate"])
            * p["sales_to_capital"],
            "discount_rate": p["discount_rate"],
        },
        index=labels,
    )
    if shape.scalar:
        return ImpliedGrowth(
            np.float64(roots[0]), str(status[0]), table, warnings, (lo, hi), warning_table
        )
    return ImpliedGrowth(
        shape.out(roots, "implied_growth"),
        shape.out(status, "status"),
        table,
        warnings,
        (lo, hi),
        warning_table,
    )


def _solve(
    p: dict[str, np.ndarray], my: int, high: int, fade: int, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Solver kernel on validated, complete (n,) inputs.

    Returns ``(roots, status, multi, excess_at_low, excess_at_high)``: ``multi``
    flags companies whose value crosses the price more than once and the
    excesses are value minus price at the ends of the bracket.
    """
    n = p["price"].size
    T = high + fade
    W, c = _linear_weights(p, my, T)
    fw = _fade_weights(high, fade)
    base = 1.0 + p["terminal_growth"][:, None] * fw  # 1 + terminal part of the path
    keep = 1.0 - fw
    scale = p["revenue"] / p["shares"]
    offset = p["net_cash"] / p["shares"] - p["price"]

    def excess(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Value per share minus price at high growth ``x`` for companies ``idx``."""
        P = np.cumprod(base[idx] + x[:, None] * keep, axis=1)
        return scale[idx] * (np.einsum("ij,ij->i", P, W[idx]) + c[idx]) + offset[idx]

    grid = np.linspace(lo, hi, GRID_POINTS)
    every = np.arange(n)
    F = np.column_stack([excess(np.full(n, gk), every) for gk in grid])  # (n, K)
    sign = np.sign(F)
    cross = sign[:, :-1] * sign[:, 1:] <= 0
    has = cross.any(axis=1)
    k = np.argmax(cross, axis=1)
    a, b = grid[k], grid[k + 1]
    fa, fb = F[every, k], F[every, k + 1]
    # No crossing on the grid: a hump (or dip) between grid points may still reach the
    # price.  Search the extremum of value near the best grid point (golden section)
    # and, if it reaches the price, solve between the grid point below and the extremum.
    miss = np.flatnonzero(~has)
    hump = np.zeros(n, dtype=bool)
    if miss.size:
        side = np.sign(F[miss, 0])  # -1: value below price everywhere -> look for a maximum
        q = -side[:, None] * F[miss]
        kb = np.argmax(q, axis=1)
        left = grid[np.maximum(kb - 1, 0)]
        x_ext = _golden_max(
            lambda x: -side * excess(x, miss), left, grid[np.minimum(kb + 1, GRID_POINTS - 1)]
        )
        f_ext = excess(x_ext, miss)
        f_left = excess(left, miss)
        found = (-side * f_ext >= 0) & (np.sign(f_left) == side)
        hit = miss[found]
        has[hit] = True
        hump[hit] = True  # value crosses the price twice around the extremum
        a[hit], b[hit] = left[found], x_ext[found]
        fa[hit], fb[hit] = f_left[found], f_ext[found]
    roots = np.full(n, np.nan)
    conv = np.zeros(n, dtype=bool)
    sel = np.flatnonzero(has)
    if sel.size:
        r_sel, c_sel = _brentq_vec(lambda x, i: excess(x, sel[i]), a[sel], b[sel], fa[sel], fb[sel])
        roots[sel], conv[sel] = r_sel, c_sel
    rising_at_root = fb >= fa
    rising_overall = F[:, -1] >= F[:, 0]
    status = np.empty(n, dtype=object)
    status[has & rising_at_root] = STATUS_OK
    status[has & ~rising_at_root] = STATUS_OK_FALLING
    status[has & ~conv] = STATUS_NOT_CONVERGED
    roots[has & ~conv] = np.nan
    above = ~has & (F[:, 0] > 0)  # value above price at the lowest growth
    status[above & rising_overall] = STATUS_BELOW
    status[above & ~rising_overall] = STATUS_ABOVE
    status[~has & ~above & rising_overall] = STATUS_ABOVE
    status[~has & ~above & ~rising_overall] = STATUS_DESTROYS
    multi = ((cross.sum(axis=1) > 1) | hump) & has
    return roots, status, multi, F[:, 0], F[:, -1]

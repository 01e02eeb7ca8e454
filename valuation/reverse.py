"""Reverse DCF: the high-growth rate the market price implies.

For each company, :func:`implied_growth` finds ``g`` such that

``dcf(revenue, fade_path(g, terminal_growth, high_years, fade_years), ...)``
``.value_per_share == price``

with every other input fixed.  All companies are solved at once, to the
tolerance of ``scipy.optimize.brentq`` with ``xtol=1e-12`` (about 1e-12).

Value is linear in the revenue path, so the solver precomputes per-year
weights from the margins, tax, reinvestment and discount factors once (value
minus price is ``sum_t W_t P_t(g) + c`` with ``P_t`` the revenue path relative to
today); an evaluation is then one pass over the years, and the slope in ``g``
comes with it.  After the grid below, each company's root is polished by
safeguarded Newton steps inside its bracket (bisection when a step leaves the
bracket or stalls), the first on log value against ``log(1 + g)``, where value
is nearly linear; about three evaluations with slope per company.  Every
company's numbers are computed year by year in a fixed order, so they never
depend on which or how many companies share the call.

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

import functools
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import (
    Shape,
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
#: A Newton step this small ends the iteration (the error after it is of order its square).
NEWTON_STEP = 1e-7
#: Up to this many distinct terminal growths, the grid is one matrix product per value.
_GRID_GROUPS = 16
#: Companies per block of the grid product.
_BLOCK = 4096
_LOG_NEWTON = True

STATUS_OK = "ok"
STATUS_OK_FALLING = "ok: value falls as growth rises"
STATUS_BELOW = "price below value at lowest growth"
STATUS_ABOVE = "needs growth above bracket"
STATUS_DESTROYS = "growth destroys value"
STATUS_NOT_CONVERGED = "not converged"
#: The solver's statuses; ``_solve`` returns indices into this tuple.
_STATUSES = (
    STATUS_OK,
    STATUS_OK_FALLING,
    STATUS_NOT_CONVERGED,
    STATUS_BELOW,
    STATUS_ABOVE,
    STATUS_DESTROYS,
)
_OK, _OK_FALLING, _NOT_CONVERGED, _BELOW, _ABOVE, _DESTROYS = range(len(_STATUSES))
assert (_OK, _OK_FALLING) == (0, 1)  # _solve builds these two codes from a bool array


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

    @classmethod
    def _lazy(
        cls,
        growth: Any,
        warnings: tuple[str, ...],
        bracket: tuple[float, float],
        builders: dict[str, Callable[[], Any]],
        ok: Callable[[], np.ndarray],
    ) -> ImpliedGrowth:
        """A result whose fields named in ``builders`` are built on first access.

        The pandas objects cost more than the solver on small calls and many callers
        read only ``growth``; each builder runs at most once and its value is kept,
        so every read gives the same object, as with an eager result.
        """
        self = object.__new__(cls)
        put = object.__setattr__
        put(self, "growth", growth)
        put(self, "warnings", warnings)
        put(self, "bracket", bracket)
        put(self, "_builders", dict(builders))
        put(self, "_ok", ok)
        return self

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: a lazy field not built yet
        builders = self.__dict__.get("_builders")
        if builders is None or name not in builders:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = builders.pop(name)()
        object.__setattr__(self, name, value)
        return value

    def __getstate__(self) -> dict[str, Any]:
        for f in fields(self):  # build every lazy field: builders are closures
            getattr(self, f.name)
        return {k: v for k, v in self.__dict__.items() if k not in ("_builders", "_ok")}

    @property
    def ok(self) -> Any:
        """True where a root was found (status starts with ``'ok'``)."""
        lazy_ok = self.__dict__.get("_ok")
        if lazy_ok is not None and "table" not in self.__dict__:
            return lazy_ok()
        return self.table["status"].str.startswith("ok").to_numpy()

    def _repr_html_(self) -> str:
        return html_table("Implied growth (reverse DCF)", self.table, self.warnings)


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


def _excess_weights(
    p: dict[str, np.ndarray], margin_years: int, T: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``W`` (T, n) and constant ``c`` (n,) with ``value - price = sum_t P_t W_t + c``.

    ``P_t = revenue_t / revenue_0``.  Derived from the DCF of
    :mod:`valuation.intrinsic` (value is linear in the revenue path): with
    ``A_t = margin_t (1 - tax) df_t``, ``B_t = df_t / sales_to_capital`` and
    terminal factor ``C = (1 + g) margin_T (1 - tax) (1 - g / roic) / (r - g) df_T``,
    enterprise value over revenue is ``sum_t P_t W_t + B_1`` with
    ``W_t = A_t - B_t + B_{t+1}`` (``B_{T+1} = 0``) and ``W_T += C``; here the weights
    are scaled by ``revenue / shares`` and ``c`` holds ``B_1``, net cash and the price.
    Years run along the first axis so that the solver's per-year loops touch
    contiguous rows.
    """
    r, tax, s2c = p["discount_rate"], p["tax_rate"], p["sales_to_capital"]
    om, tm, g = p["operating_margin"], p["target_margin"], p["terminal_growth"]
    # The operations below are those of the plain formulas (each repeated subexpression
    # once), written into as few fresh arrays as possible: the same numbers, fewer passes.
    scale = p["revenue"] / p["shares"]
    keep = np.subtract(1.0, tax)
    keep *= scale  # scale * (1 - tax)
    rise = tm - om
    slope = keep * rise
    slope /= margin_years  # margin rises by this per year (times keep)
    inv_s2c = scale / s2c
    one_r = 1.0 + r
    r_share = r / one_r
    first = keep * om
    first -= inv_s2c * r_share  # W_t / df_t before the margin ramp
    d1 = np.divide(1.0, one_r, out=one_r)
    W = np.empty((T, r.size))
    # Multiplying by one changes nothing, so slope * 1 and df_1 = d1 are not computed
    # and df_2 = d1 * d1 replaces a copy of d1 times d1: the same numbers, fewer passes.
    df = d1
    hold = None  # W_t / df_t once the margin has reached its target (the same every year)
    for t in range(1, T + 1):
        row = W[t - 1]
        if t < margin_years:
            if t == 1:
                np.add(slope, first, out=row)
            else:
                np.multiply(slope, t, out=row)
                row += first
            row *= df
        else:
            if hold is None:
                hold = np.multiply(slope, margin_years, out=scale)  # scale is not needed now
                hold += first
            np.multiply(hold, df, out=row)
        if t == 1 and T > 1:
            df = d1 * d1
        elif t < T:
            df *= d1
    # last year: no reinvestment B_{T+1}, plus the terminal value
    if T >= margin_years:  # the margin has reached its target: om + (tm - om) * 1
        m_T = np.add(rise, om, out=rise)
    else:
        m_T = np.multiply(rise, T / margin_years, out=rise)
        m_T += om  # om + (tm - om) * (T / margin_years)
    term = np.add(1.0, g)
    term *= m_T
    term *= keep
    x = np.divide(g, p["terminal_roic"], out=m_T)
    np.subtract(1.0, x, out=x)
    term *= x
    np.subtract(r, g, out=x)
    term /= x  # (1 + g) * m_T * keep * (1 - g / roic) / (r - g)
    r_share -= 1.0
    r_share *= inv_s2c  # inv_s2c * (r / (1 + r) - 1)
    r_share += term
    r_share *= df
    W[T - 1] += r_share
    np.multiply(inv_s2c, d1, out=x)
    cash = p["net_cash"]
    if cash.strides[0] == 0 and cash[0] == 0:
        # no net cash (the default, one number): net_cash / shares - price is exactly
        # -price (shares and price are positive), and adding -price is subtracting it
        x -= p["price"]
    else:
        c = np.divide(cash, p["shares"], out=term)
        c -= p["price"]
        x += c  # inv_s2c * d1 + (net_cash / shares - price)
    return W, x


def _excess_at(
    x: np.ndarray, W: np.ndarray, c: np.ndarray, base: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """Value minus price at growth ``x`` (n,) for weights ``W`` (T, n).

    ``sum_t W_t P_t + c`` with ``P_t = prod_{s<=t} (base_s + x keep_s)``, accumulated
    year by year in this order for every company, so a company's number never
    depends on which or how many companies are solved with it.
    """
    P = keep[0] * x
    P += base[0]
    f = P * W[0]
    for t in range(1, keep.size):
        z = keep[t] * x
        z += base[t]
        P *= z
        np.multiply(P, W[t], out=z)
        f += z
    f += c
    return f


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
    named = {
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
    plain = _plain_inputs(named)
    if plain is not None:  # the common case, validated in one pass per input
        p, shape = plain
        n = shape.shape[0]
        missing = None
        lacking = np.zeros(n, dtype=bool)
    else:
        p, shape = _validate_common(named)
        n = int(np.prod(shape.shape)) if shape.shape else 1
        # read-only views are enough: nothing below writes into the validated inputs
        p = {k: v if v.shape == (n,) else np.broadcast_to(v, (n,)) for k, v in p.items()}
        given = [k for k in p if k in shape.per_company]
        # a NaN anywhere makes the total NaN (so can inf - inf: then the exact check runs too)
        with np.errstate(over="ignore", invalid="ignore"):
            total = sum(float(np.add.reduce(p[k])) for k in given)
        if np.isnan(total):
            missing = missing_fields({k: p[k] for k in given}, (n,))
            lacking = missing != ""
        else:  # no company lacks an input
            missing = None
            lacking = np.zeros(n, dtype=bool)
    names = list(_STATUSES)
    if missing is None:
        roots, status, multi, low, high_ = _solve(p, my, high, fade, lo, hi)
        value_low, value_high = low + p["price"], high_ + p["price"]
    else:
        todo = np.flatnonzero(~lacking)
        reasons, where = np.unique(missing[lacking], return_inverse=True)
        names += [missing_reason(m) for m in reasons]
        roots = np.full(n, np.nan)
        status = np.zeros(n, dtype=np.int16)
        status[lacking] = len(_STATUSES) + where
        value_low = np.full(n, np.nan)
        value_high = np.full(n, np.nan)
        multi = np.zeros(n, dtype=bool)
        if todo.size:
            solved = _solve({k: v[todo] for k, v in p.items()}, my, high, fade, lo, hi)
            roots[todo], status[todo], multi[todo] = solved[0], solved[1], solved[2]
            value_low[todo] = solved[3] + p["price"][todo]
            value_high[todo] = solved[4] + p["price"][todo]
    items: list[tuple[Hashable, str]] = []
    warned = np.flatnonzero(multi if missing is None else lacking | multi)
    # the labels (a pandas index) only for the warnings here, else when the table is built
    labels = shape.labels(n) if warned.size else None
    for i in warned:  # only the companies with a warning
        who = company_label(labels, int(i), shape.scalar)
        if lacking[i]:
            assert missing is not None
            items.append((who, missing_warning(missing[i], "the implied growth is NaN")))
        else:
            items.append(
                (
                    who,
                    "value crosses the price more than once in the bracket; the lowest "
                    "implied growth is reported",
                )
            )
    warnings = tuple(m if c is None else f"{c}: {m}" for c, m in items)  # as labelled_warnings
    # the pandas objects are built on first access (ImpliedGrowth._lazy); they only read
    # these inputs and the solver's arrays, which nothing writes.  The full validation
    # made its own copies; the fast path passed the caller's arrays to the solver, so
    # the five read later are copied here, and only those (the caller may change its
    # arrays after the call; the broadcast views of single numbers are its own)
    price_, tm, tax, s2c, r = (
        p[k] for k in ("price", "target_margin", "tax_rate", "sales_to_capital", "discount_rate")
    )
    if plain is not None:
        callers = {id(v) for v in named.values() if type(v) is np.ndarray}
        price_, tm, tax, s2c, r = (
            v.copy() if id(v) in callers else v for v in (price_, tm, tax, s2c, r)
        )

    def status_strings() -> Any:
        return _strings(names, status)

    def table() -> pd.DataFrame:
        return pd.DataFrame(
            {
                "price": price_,
                "growth": roots,
                "status": status_strings(),
                "value_at_low": value_low,
                "value_at_high": value_high,
                "return_on_new_capital": tm * (1 - tax) * s2c,
                "discount_rate": r,
            },
            index=shape.labels(n) if labels is None else labels,
        )

    def warning_table() -> pd.DataFrame:
        return labelled_warnings(items)[1]

    def ok() -> np.ndarray:
        starts = np.array([name.startswith("ok") for name in names], dtype=bool)
        return starts[status]

    if shape.scalar:
        return ImpliedGrowth._lazy(
            np.float64(roots[0]),
            warnings,
            (lo, hi),
            {"status": lambda: names[status[0]], "table": table, "warning_table": warning_table},
            ok,
        )

    def status_out() -> Any:
        if shape.index is not None:
            return pd.Series(status_strings(), index=shape.index, name="status")
        return shape.out(_objects(names, status), "status")

    return ImpliedGrowth._lazy(
        shape.out(roots, "implied_growth"),
        warnings,
        (lo, hi),
        {"status": status_out, "table": table, "warning_table": warning_table},
        ok,
    )


#: The bounds of :data:`valuation.intrinsic._RULES` as ``(name, lower, strict)``; the
#: upper bounds are checked in :func:`_plain_inputs` itself.
_LOWER = (
    ("price", 0.0, True),
    ("revenue", 0.0, True),
    ("tax_rate", 0.0, False),
    ("sales_to_capital", 0.0, True),
    ("discount_rate", -1.0, True),
    ("terminal_growth", -1.0, True),
    ("terminal_roic", 0.0, True),
    ("shares", 0.0, True),
)


def _plain_inputs(named: dict[str, Any]) -> tuple[dict[str, np.ndarray], Shape] | None:
    """Validated (n,) inputs when every input is valid and plain, else None.

    Plain: each input is a Python float or int (not a bool), None where a default
    applies, or a 1-d float64 numpy array, at least one array and all of the same
    length n >= 1, every value finite and within the rules of
    :func:`valuation.intrinsic._validate_common`.  Then the result has the values
    of ``_validate_common`` (the defaults filled in; single numbers are read-only
    broadcast views) without its copies and per-input passes: the arrays are the
    caller's own, which the solver only reads during the call; the caller copies
    the few that the result reads later (see :func:`implied_growth`).  Anything else
    returns None and the caller runs the full validation, which raises the exact
    error or applies the NaN rule.
    """
    n = -1
    for v in named.values():
        if type(v) is np.ndarray:
            if v.dtype != np.float64 or v.ndim != 1 or not v.size or n not in (-1, v.size):
                return None
            n = v.size
        elif not (v is None or type(v) is float or type(v) is int):
            return None
    if n < 0:
        return None
    p: dict[str, np.ndarray] = {}
    per_company = []
    # each input's smallest and largest value, one pass each over an array (the number
    # itself for a single one); NaN propagates into both and +-inf shows in one of them,
    # so they find every non-finite value as well as the bounds
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for k, v in named.items():
        if v is None:
            continue
        if type(v) is np.ndarray:
            lo, hi = float(np.minimum.reduce(v)), float(np.maximum.reduce(v))
            a = v  # not copied: see the docstring
            per_company.append(k)
        else:
            lo = hi = float(v)
            a = np.broadcast_to(np.float64(lo), (n,))
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return None
        p[k], low[k], high[k] = a, lo, hi
    for k, default in (("target_margin", "operating_margin"), ("terminal_roic", "discount_rate")):
        if k not in p:
            p[k], low[k], high[k] = p[default], low[default], high[default]
    for k, bound, strict in _LOWER:
        if low[k] < bound or (strict and low[k] == bound):
            return None
    if high["operating_margin"] > 1 or high["target_margin"] > 1 or high["tax_rate"] >= 1:
        return None
    # discount_rate > terminal_growth for every company, certain when the ranges do not meet
    r, tg = p["discount_rate"], p["terminal_growth"]
    if low["discount_rate"] <= high["terminal_growth"] and (r <= tg).any():
        return None
    return p, Shape((n,), None, frozenset(per_company))


@functools.cache
def _str_dtype() -> Any:
    """What pandas makes of a column of str (Arrow-backed with pyarrow on pandas 3); found
    on first use, since asking makes pandas import parts of pyarrow (~2.5 ms)."""
    return pd.Series(["text"]).dtype


def _strings(names: list[str], codes: np.ndarray) -> Any:
    """``names[codes]`` as the string array pandas would infer, without a Python loop."""
    dtype = _str_dtype()
    if getattr(dtype, "storage", None) == "pyarrow":
        import pyarrow as pa

        return pd.array(pa.array(names).take(pa.array(codes)), dtype=dtype)
    return np.array(names, dtype=object)[codes]


def _objects(names: list[str], codes: np.ndarray) -> np.ndarray:
    """``np.array(names, dtype=object)[codes]``, faster when every code is the same.

    Fancy indexing an object array casts the codes and takes element by element;
    when one status covers every company (the usual case) a broadcast assignment
    of that one name fills the array several times faster.
    """
    table = np.array(names, dtype=object)
    if codes.size:
        first = codes[0]
        if codes.min() == first == codes.max():
            out = np.empty(codes.shape, dtype=object)
            out[...] = table[first : first + 1]
            return out
    return table[codes]


def _grid_excess(
    W: np.ndarray, c: np.ndarray, tg: np.ndarray, fw: np.ndarray, grid: np.ndarray
) -> np.ndarray:
    """Excess (value per share minus price) at every grid growth, shape (K, n).

    The same numbers as :func:`_excess_at` at each grid growth.  When every
    company has the same terminal growth (``tg`` of size 1) the revenue paths at
    the grid growths are shared, ``P`` (K, T), and the grid is a product with the
    weights, accumulated year by year over blocks of companies that stay in cache.
    """
    keep = 1.0 - fw
    K, T, n = grid.size, keep.size, c.size
    F = np.empty((K, n))
    if tg.size == 1:
        Pg = np.cumprod((1.0 + tg[0] * fw)[None, :] + grid[:, None] * keep, axis=1)  # (K, T)
        tmp = np.empty((K, min(n, _BLOCK)))
        for s in range(0, n, _BLOCK):
            Wb, Fb = W[:, s : s + _BLOCK], F[:, s : s + _BLOCK]
            tb = tmp[:, : Fb.shape[1]]
            np.multiply(Pg[:, :1], Wb[0], out=Fb)
            for t in range(1, T):
                np.multiply(Pg[:, t : t + 1], Wb[t], out=tb)
                Fb += tb
        F += c
    else:
        base = 1.0 + fw[:, None] * tg
        for k, gk in enumerate(grid):
            F[k] = _excess_at(np.full(n, gk), W, c, base, keep)
    return F


def _newton(
    W: np.ndarray,
    c: np.ndarray,
    base: np.ndarray,
    keep: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    fa: np.ndarray,
    fb: np.ndarray,
    level: np.ndarray | None = None,
    maxiter: int = MAXITER,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elementwise safeguarded Newton root finding of ``f(x) = sum_t W_t P_t(x) + c``.

    ``P_t(x) = prod_{s<=t} z_s`` with ``z_s = base_s + x keep_s`` (``base`` is (T, 1)
    when shared, else (T, n); ``W`` is (T, n)), so ``f'(x) = sum_t W_t P_t
    sum_{s<=t} keep_s / z_s`` comes with the value at little extra cost.  Each
    bracket ``[a, b]`` must have ``fa * fb <= 0``; it is kept around the root and a
    step that leaves it, or does not halve the step before, is replaced by
    bisection (``rtsafe``).  Starts at the secant point of the bracket; stops
    after a Newton step below :data:`NEWTON_STEP` (the error after it is of order
    the step squared) or when the bracket is narrower than the Brent tolerance.
    Returns ``(roots, converged, evaluations)`` per element (an evaluation is the
    value and its slope).
    """
    n = a.size
    root = np.full(n, np.nan)
    conv = np.zeros(n, dtype=bool)
    nfev = np.zeros(n, dtype=np.int64)
    at_a = fa == 0
    at_b = (fb == 0) & ~at_a
    root[at_a], root[at_b] = a[at_a], b[at_b]
    conv |= at_a | at_b
    idx = np.flatnonzero(~conv)
    if idx.size == 0:
        return root, conv, nfev
    shared = base.shape[1] == 1
    lv = level
    if idx.size < n:
        W, c = W[:, idx], c[idx]
        if lv is not None:
            lv = lv[idx]
        if not shared:
            base = base[:, idx]
        a, b, fa, fb = a[idx], b[idx], fa[idx], fb[idx]
    neg = fa < 0
    xneg = np.where(neg, a, b)  # f < 0 there
    xpos = np.where(neg, b, a)  # f > 0 there
    with np.errstate(all="ignore"):
        x = a - fa * (b - a) / (fb - fa)
        if lv is not None:  # the secant of log(value) against log(1 + x)
            pa, pb = np.log1p(fa / lv), np.log1p(fb / lv)
            ua, ub = np.log1p(a), np.log1p(b)
            xl = np.expm1(ua - pa * (ub - ua) / (pb - pa))
            x = np.where(np.isfinite(xl), xl, x)
    x = np.where((x > a) & (x < b), x, 0.5 * (a + b))
    dxold = np.abs(b - a)
    T = keep.size
    live = np.ones(idx.size, dtype=bool)  # converged elements stay until it pays to drop them
    iters = 0
    with np.errstate(all="ignore"):
        while idx.size and iters < maxiter:
            iters += 1
            m = idx.size
            # value and slope, accumulated year by year (see _excess_at)
            P = keep[0] * x
            P += base[0]
            f = P * W[0]
            L = keep[0] / P  # d log P_t / dx
            fp = f * L
            for t in range(1, T):
                z = keep[t] * x
                z += base[t]
                P *= z
                np.divide(keep[t], z, out=z)
                L += z
                np.multiply(P, W[t], out=z)
                f += z
                z *= L
                fp += z
            f += c
            np.copyto(xneg, x, where=f < 0)
            np.copyto(xpos, x, where=f > 0)
            lo_, hi_ = np.minimum(xneg, xpos), np.maximum(xneg, xpos)
            if iters == 1 and lv is not None:
                # first step: Newton on log(value) against log(1 + x); value grows roughly
                # like a power of 1 + x, which this makes nearly linear
                v = f + lv
                one = 1.0 + x
                du = np.log1p(f / lv) * v / (fp * one)
                dx = np.where(v > 0, one * np.expm1(-du), -f / fp)
            else:
                dx = f / fp
                np.negative(dx, out=dx)
            step = np.abs(dx)
            xn = x + dx
            bisect = ~((xn > lo_) & (xn < hi_)) | (step > 0.5 * dxold)
            if bisect.any():
                xn = np.where(bisect, 0.5 * (lo_ + hi_), xn)
                dxold = np.where(bisect, 0.5 * (hi_ - lo_), step)
            else:
                dxold = step
            exact = f == 0
            done = exact | (~bisect & (step <= NEWTON_STEP))
            done |= hi_ - lo_ < XTOL + RTOL * np.abs(x)
            done &= live
            x = np.where(exact, x, xn)
            if done.any():
                j = idx[done]
                root[j], conv[j], nfev[j] = x[done], True, iters
                live &= ~done
                left = np.count_nonzero(live)
                if left <= m // 2:
                    idx = idx[live]
                    x, xneg, xpos, dxold, c = (v[live] for v in (x, xneg, xpos, dxold, c))
                    if lv is not None:
                        lv = lv[live]
                    W = W[:, live]
                    if not shared:
                        base = base[:, live]
                    live = np.ones(left, dtype=bool)
    if idx.size:
        rest = idx[live]
        root[rest], nfev[rest] = x[live], iters
    return root, conv, nfev


def _solve(
    p: dict[str, np.ndarray],
    my: int,
    high: int,
    fade: int,
    lo: float,
    hi: float,
    stats: dict[str, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Solver kernel on validated, complete (n,) inputs.

    Returns ``(roots, status, multi, excess_at_low, excess_at_high)``: ``status``
    holds indices into :data:`_STATUSES`, ``multi``
    flags companies whose value crosses the price more than once and the
    excesses are value minus price at the ends of the bracket.  ``stats``, if
    given, receives timings and evaluation counts (for the benchmarks).
    """
    clock = time.perf_counter
    t0 = clock()
    n = p["price"].size
    T = high + fade
    W, c = _excess_weights(p, my, T)  # excess = sum_t W_t P_t + c
    fw = _fade_weights(high, fade)
    keep = 1.0 - fw
    tg = p["terminal_growth"]
    shared = bool((tg == tg[0]).all())
    base = (1.0 + tg[0] * fw)[:, None] if shared else 1.0 + fw[:, None] * tg

    level = p["price"] if _LOG_NEWTON else None

    def excess(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Value per share minus price at high growth ``x`` for companies ``idx``."""
        return _excess_at(x, W[:, idx], c[idx], base if shared else base[:, idx], keep)

    t1 = clock()
    grid = np.linspace(lo, hi, GRID_POINTS)
    every = np.arange(n)
    F = _grid_excess(W, c, tg if not shared else tg[:1], fw, grid)  # (K, n)
    sign = np.sign(F)
    cross = sign[:-1] * sign[1:] <= 0
    # k = first grid interval where value crosses the price (0 if none), as argmax would
    seen = cross.copy()
    for j in range(1, seen.shape[0]):
        np.logical_or(seen[j - 1], seen[j], out=seen[j])
    has = seen[-1].copy()
    k = seen.shape[0] - np.count_nonzero(seen, axis=0)
    k[~has] = 0
    a, b = grid[k], grid[k + 1]
    flat = k * n + every
    fa, fb = F.ravel().take(flat), F.ravel().take(flat + n)
    # No crossing on the grid: a hump (or dip) between grid points may still reach the
    # price.  Search the extremum of value near the best grid point (golden section)
    # and, if it reaches the price, solve between the grid point below and the extremum.
    miss = np.flatnonzero(~has)
    hump = np.zeros(n, dtype=bool)
    if miss.size:
        side = np.sign(F[0, miss])  # -1: value below price everywhere -> look for a maximum
        q = -side * F[:, miss]
        kb = np.argmax(q, axis=0)
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
    t2 = clock()
    roots = np.full(n, np.nan)
    conv = np.zeros(n, dtype=bool)
    nfev = np.zeros(n, dtype=np.int64)
    if has.all():
        roots, conv, nfev = _newton(W, c, base, keep, a, b, fa, fb, level)
    elif has.any():
        sel = np.flatnonzero(has)
        r_sel, c_sel, n_sel = _newton(
            W[:, sel],
            c[sel],
            base if shared else base[:, sel],
            keep,
            a[sel],
            b[sel],
            fa[sel],
            fb[sel],
            None if level is None else level[sel],
        )
        roots[sel], conv[sel], nfev[sel] = r_sel, c_sel, n_sel
    t3 = clock()
    # status codes index _STATUSES: _OK where value rises at the root, else _OK_FALLING;
    # as _OK, _OK_FALLING = 0, 1 that is the bool "not rising" read as bytes
    rising = np.greater_equal(fb, fa)
    status = np.logical_not(rising, out=rising).view(np.int8)  # the buffer is now "falling"
    if not (conv.all() and has.all()):  # else every status is one of the two above
        rising_overall = F[-1] >= F[0]
        status[has & ~conv] = _NOT_CONVERGED
        roots[has & ~conv] = np.nan
        above = ~has & (F[0] > 0)  # value above price at the lowest growth
        status[above & rising_overall] = _BELOW
        status[~has & (above != rising_overall)] = _ABOVE
        status[~has & ~above & ~rising_overall] = _DESTROYS
    if stats is not None:
        stats.update(
            statuses=clock() - t3,
            setup=t1 - t0,
            grid=t2 - t1,
            newton=t3 - t2,
            grid_evaluations=GRID_POINTS,
            newton_evaluations=float(nfev.mean()),
            hump_searches=int(miss.size),
        )
    # crossings per company, summed as bytes (count_nonzero along an axis is a much
    # slower generic reduction); fewer than GRID_POINTS, so int8 cannot overflow
    multi = np.add.reduce(cross.view(np.int8), axis=0, dtype=np.int8) > 1
    multi |= hump
    multi &= has
    return roots, status, multi, F[0], F[-1]

"""Intrinsic value: a revenue-driven FCFF discounted cash flow model and the Gordon formula.

Conventions
-----------
* Rates are decimals; ``discount_rate`` is the cost of capital (WACC) ``r``.
* Year ``t = 1..T`` cash flows arrive at year ends and are discounted by
  ``(1 + r) ** t``.  Revenue at ``t = 0`` is the latest annual revenue.
* ``revenue_t = revenue_{t-1} * (1 + g_t)``;
  ``margin_t = operating_margin``
  ``+ (target_margin - operating_margin) * min(t, margin_years) / margin_years``;
  ``ebit_after_tax_t = revenue_t * margin_t * (1 - tax_rate)``;
  ``reinvestment_t = (revenue_t - revenue_{t-1}) / sales_to_capital``;
  ``fcff_t = ebit_after_tax_t - reinvestment_t``.
* Terminal value at year ``T``: ``FCFF_{T+1} / (r - g)`` with
  ``FCFF_{T+1} = revenue_T (1 + g) margin_T (1 - tax_rate) (1 - g / terminal_roic)``
  and ``g = terminal_growth``; it is discounted by ``(1 + r) ** T``.
* ``enterprise_value = sum(pv_t) + pv(terminal)``; ``equity = enterprise_value + net_cash``;
  ``value_per_share = equity / shares``.

Every per-company input is a number, an array (one element per company) or a
Series indexed by company; results come back in the same kind (scalars give
0-d ``np.float64``), labels preserved.

NaN rule: a NaN element of a per-company input (or of a company's row of a
2-d growth matrix) is missing data for that company: the figures that depend
on it are NaN for that company and :func:`dcf` adds a ``"missing input:
<field>"`` warning naming it, while the other companies are computed as
before.  A NaN given as one number, or in a 1-d growth path shared by every
company, raises ``ValueError``; so do infinite values (other than the
documented ``math.inf``) and finite values out of range.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import (
    NOT_FINITE_REASON,
    Shape,
    broadcast,
    check,
    check_input,
    check_int,
    finite_or_nan,
    fmt,
    html_table,
    labelled_warnings,
    missing_fields,
    missing_warning,
)
from valuation._typing import FloatLike, GrowthLike
from valuation.growth import MAX_YEARS

__all__ = ["DCFResult", "dcf", "gordon_value"]

#: Guard-rail thresholds reported in ``DCFResult.warnings``.
TERMINAL_SHARE_LIMIT = 0.85
PRICE_MULTIPLE_LIMIT = 10.0


def _check_spread(r: np.ndarray, g: np.ndarray, index: pd.Index | None, g_name: str) -> None:
    bad = r <= g  # NaN (a missing company) compares False
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        where = (
            ""
            if r.ndim == 0
            else f" (at {index[i]!r})"
            if index is not None
            else f" (at position {i})"
        )
        raise ValueError(
            f"discount_rate {fmt(r.ravel()[i])} must exceed {g_name} {fmt(g.ravel()[i])}{where}"
        )


def gordon_value(cash_flow_next: FloatLike, discount_rate: FloatLike, growth: FloatLike) -> Any:
    """Gordon growth value of a perpetuity growing at a constant rate.

    ``value_0 = cash_flow_next / (discount_rate - growth)``, where
    ``cash_flow_next`` arrives one year from now (end of year 1).

    Raises ``ValueError`` when ``discount_rate <= growth``.  A NaN element of a
    per-company input gives NaN for that company (a single NaN raises).

    Examples
    --------
    Brealey, Myers & Allen's constant-growth example: a dividend of 1.68 next
    year growing at 8 % with a 12 % cost of equity is worth 1.68 / 0.04 = 42.

    >>> round(float(gordon_value(1.68, 0.12, 0.08)), 10)
    42.0
    >>> gordon_value(np.array([1.0, np.nan]), 0.10, 0.05)
    array([20., nan])
    """
    arrs, shape = broadcast(
        {"cash_flow_next": cash_flow_next, "discount_rate": discount_rate, "growth": growth}
    )
    cf = check_input(arrs["cash_flow_next"], "cash_flow_next", shape)
    r = check_input(arrs["discount_rate"], "discount_rate", shape, gt=-1)
    g = check_input(arrs["growth"], "growth", shape, gt=-1)
    _check_spread(r, g, shape.index, "growth")
    return shape.out(cf / (r - g), "gordon_value")


def _growth_matrix(growth: GrowthLike) -> tuple[np.ndarray, Any]:
    """Return (growth array (T,) or (n, T), row selector for broadcast or None)."""
    if isinstance(growth, pd.DataFrame):
        arr = growth.to_numpy(dtype=float, copy=True)
        rows = pd.Series(np.arange(len(growth), dtype=float), index=growth.index)
        if not growth.index.is_unique:
            raise ValueError("growth has duplicate company labels")
        return arr, rows
    if isinstance(growth, pd.Series):
        raise TypeError(
            "growth must be an array of shape (years,) or (companies, years) or a DataFrame "
            "(companies × years), not a Series (ambiguous: years or companies?)"
        )
    if isinstance(growth, str | bytes) or growth is None:
        raise TypeError(f"growth must be numeric, got {growth!r}")
    try:
        arr = np.array(growth, dtype=float, copy=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"growth must be numeric, got {growth!r}") from exc
    if arr.ndim == 0:
        raise ValueError(
            "growth must have a years axis: shape (years,) or (companies, years), got a scalar"
        )
    if arr.ndim > 2:
        raise ValueError(f"growth must be 1-d or 2-d, got shape {arr.shape}")
    if arr.shape[-1] == 0 or arr.size == 0:
        raise ValueError(f"growth must have at least one year, got shape {arr.shape}")
    rows = np.arange(arr.shape[0], dtype=float) if arr.ndim == 2 else None
    return arr, rows


#: Bounds of the per-company DCF parameters shared by the models.
_RULES: dict[str, dict[str, Any]] = {
    "price": {"gt": 0},
    "revenue": {"gt": 0},
    "operating_margin": {"le": 1},
    "target_margin": {"le": 1},
    "tax_rate": {"ge": 0, "lt": 1},
    "sales_to_capital": {"gt": 0, "allow_inf": True},
    "discount_rate": {"gt": -1},
    "terminal_growth": {"gt": -1},
    "terminal_roic": {"gt": 0, "allow_inf": True},
    "net_cash": {},
    "shares": {"gt": 0},
}


def _validate_common(named: dict[str, Any]) -> tuple[dict[str, np.ndarray], Shape]:
    """Broadcast and validate the per-company DCF parameters shared by the models."""
    arrs, shape = broadcast(named)
    return _check_common(arrs, shape), shape


def _check_common(arrs: dict[str, np.ndarray], shape: Shape) -> dict[str, np.ndarray]:
    """Validate broadcast DCF parameters under the NaN rule; fill the defaults.

    ``target_margin`` defaults to ``operating_margin`` and ``terminal_roic`` to
    ``discount_rate`` (so a NaN in those propagates to the default).
    """
    ix = shape.index
    out: dict[str, np.ndarray] = {}
    for name, arr in arrs.items():
        out[name] = check_input(arr, name, shape, **_RULES.get(name, {}))
    if "target_margin" not in out and "operating_margin" in out:
        out["target_margin"] = out["operating_margin"].copy()
    if "terminal_roic" not in out and "discount_rate" in out:
        out["terminal_roic"] = out["discount_rate"].copy()
    if "discount_rate" in out and "terminal_growth" in out:
        _check_spread(out["discount_rate"], out["terminal_growth"], ix, "terminal_growth")
    # terminal_growth > terminal_roic is allowed: the terminal FCFF is then negative
    return out


def _cash_flows(
    revenue: np.ndarray,
    growth: np.ndarray,
    operating_margin: np.ndarray,
    target_margin: np.ndarray,
    margin_years: int,
    tax_rate: np.ndarray,
    sales_to_capital: np.ndarray,
    discount_rate: np.ndarray,
    terminal_growth: np.ndarray,
    terminal_roic: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-year arrays (..., T) and per-company terminal figures (...,); no validation."""
    col = np.newaxis
    T = growth.shape[-1]
    t = np.arange(1, T + 1, dtype=float)
    rev = revenue[..., col] * np.cumprod(1.0 + growth, axis=-1)
    prev = np.concatenate(
        [np.broadcast_to(revenue[..., col], (*rev.shape[:-1], 1)), rev[..., :-1]], axis=-1
    )
    w = np.minimum(t, margin_years) / margin_years
    margin = operating_margin[..., col] + (target_margin - operating_margin)[..., col] * w
    nopat = rev * margin * (1.0 - tax_rate)[..., col]
    reinvestment = (rev - prev) / sales_to_capital[..., col]
    fcff = nopat - reinvestment
    discount = (1.0 + discount_rate)[..., col] ** -t
    pv = fcff * discount
    g = terminal_growth
    fcff_next = (
        rev[..., -1] * (1.0 + g) * margin[..., -1] * (1.0 - tax_rate) * (1.0 - g / terminal_roic)
    )
    terminal = fcff_next / (discount_rate - g)
    pv_terminal = terminal * discount[..., -1]
    ev = pv.sum(axis=-1) + pv_terminal
    return {
        "revenue": rev,
        "margin": margin,
        "ebit_after_tax": nopat,
        "reinvestment": reinvestment,
        "fcff": fcff,
        "discount_factor": discount,
        "pv": pv,
        "terminal_value": terminal,
        "pv_terminal": pv_terminal,
        "enterprise_value": ev,
    }


#: Per-year columns of :attr:`DCFResult.table` after company and year.
_TABLE_FLOWS = [
    "revenue",
    "growth",
    "margin",
    "ebit_after_tax",
    "reinvestment",
    "fcff",
    "discount_factor",
    "pv",
]


def _cash_flow_block(
    revenue: np.ndarray,
    growth: np.ndarray,
    operating_margin: np.ndarray,
    target_margin: np.ndarray,
    margin_years: int,
    tax_rate: np.ndarray,
    sales_to_capital: np.ndarray,
    discount_rate: np.ndarray,
    terminal_growth: np.ndarray,
    terminal_roic: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`_cash_flows` for (n,) inputs and an (n, T) growth, written in place.

    Returns ``(block, figures)``: ``block`` (8, n, T) holds the per-year figures
    in the order of :data:`_TABLE_FLOWS` (the same operations as
    :func:`_cash_flows`, so the same numbers), ``figures`` the per-company
    terminal_value, pv_terminal and enterprise_value.
    """
    col = np.newaxis
    n, T = growth.shape
    t = np.arange(1, T + 1, dtype=float)
    block = np.empty((len(_TABLE_FLOWS), n, T))
    rev, g, margin, nopat, reinvestment, fcff, discount, pv = block
    np.add(1.0, growth, out=rev)
    np.cumprod(rev, axis=-1, out=rev)
    np.multiply(revenue[:, col], rev, out=rev)
    g[...] = growth
    w = np.minimum(t, margin_years) / margin_years
    np.multiply((target_margin - operating_margin)[:, col], w, out=margin)
    np.add(operating_margin[:, col], margin, out=margin)
    np.multiply(rev, margin, out=nopat)
    nopat *= (1.0 - tax_rate)[:, col]
    np.subtract(rev[:, 1:], rev[:, :-1], out=reinvestment[:, 1:])
    np.subtract(rev[:, 0], revenue, out=reinvestment[:, 0])
    reinvestment /= sales_to_capital[:, col]
    np.subtract(nopat, reinvestment, out=fcff)
    np.power((1.0 + discount_rate)[:, col], -t, out=discount)
    np.multiply(fcff, discount, out=pv)
    tg = terminal_growth
    fcff_next = (
        rev[:, -1] * (1.0 + tg) * margin[:, -1] * (1.0 - tax_rate) * (1.0 - tg / terminal_roic)
    )
    terminal = fcff_next / (discount_rate - tg)
    pv_terminal = terminal * discount[:, -1]
    ev = pv.sum(axis=-1) + pv_terminal
    return block, {
        "terminal_value": terminal,
        "pv_terminal": pv_terminal,
        "enterprise_value": ev,
    }


def _value_per_share(
    revenue: np.ndarray,
    growth: np.ndarray,
    *,
    operating_margin: np.ndarray,
    target_margin: np.ndarray,
    margin_years: int,
    tax_rate: np.ndarray,
    sales_to_capital: np.ndarray,
    discount_rate: np.ndarray,
    terminal_growth: np.ndarray,
    terminal_roic: np.ndarray,
    net_cash: np.ndarray,
    shares: np.ndarray,
) -> np.ndarray:
    """Fast kernel: value per share for validated, broadcast arrays (no table, no checks)."""
    flows = _cash_flows(
        revenue,
        growth,
        operating_margin,
        target_margin,
        margin_years,
        tax_rate,
        sales_to_capital,
        discount_rate,
        terminal_growth,
        terminal_roic,
    )
    return (flows["enterprise_value"] + net_cash) / shares


@dataclass(frozen=True)
class DCFResult:
    """Result of :func:`dcf`.

    Attributes
    ----------
    enterprise_value, equity_value, value_per_share : float, ndarray or Series
        Same kind as the per-company inputs.
    terminal_value : same kind
        Undiscounted terminal value at year T.
    pv_terminal : same kind
        Present value of the terminal value.
    terminal_share : same kind
        ``pv_terminal / enterprise_value``.
    table : pandas.DataFrame
        One row per company and year: company, year, revenue, growth, margin,
        ebit_after_tax, reinvestment, fcff, discount_factor, pv.
    summary : pandas.DataFrame
        One row per company with the figures above.
    warnings : tuple of str
        Missing-input and guard-rail messages for display, one per company and
        issue, prefixed by the company label (``"NVDA: terminal value is ..."``).
    warning_table : pandas.DataFrame
        The same warnings, in the same order, as columns ``company`` (the
        Series label, else the integer position; None for a scalar call) and
        ``message`` (without the label), so callers never parse the strings.
    """

    enterprise_value: Any
    equity_value: Any
    value_per_share: Any
    terminal_value: Any
    pv_terminal: Any
    terminal_share: Any
    table: pd.DataFrame
    summary: pd.DataFrame
    warnings: tuple[str, ...] = ()
    warning_table: pd.DataFrame = field(
        default_factory=lambda: labelled_warnings(())[1], repr=False
    )

    def _repr_html_(self) -> str:
        return html_table("Discounted cash flow (FCFF)", self.summary, self.warnings)


def _labels_at(labels: pd.Index, idx: np.ndarray, scalar: bool) -> list[Hashable]:
    """:func:`~valuation._checks.company_label` of the elements ``idx``, without a loop."""
    if scalar:
        return [None] * idx.size
    out = labels[idx].tolist()  # numpy integers come back as int
    if labels.dtype == object:
        out = [int(x) if isinstance(x, np.integer) else x for x in out]
    return out


def _guard_rails(
    labels: pd.Index,
    scalar: bool,
    missing: np.ndarray,
    share: np.ndarray,
    equity: np.ndarray,
    vps: np.ndarray,
    price: np.ndarray | None,
    not_finite: np.ndarray,
) -> list[tuple[Hashable, str]]:
    """``(company, message)`` pairs: per company the missing inputs first, then the
    guard-rails; the not-finite results of every company last.

    Vectorised: the tests run on whole arrays and only the companies with a
    warning have a message formatted.
    """
    where: list[np.ndarray] = []
    kind: list[int] = []
    texts: list[list[str]] = []

    def add(idx: np.ndarray, k: int, msgs: list[str]) -> None:
        where.append(idx)
        kind.append(k)
        texts.append(msgs)

    lacking = np.flatnonzero(missing != "")
    if lacking.size:
        fields, inv = np.unique(missing[lacking], return_inverse=True)
        text = [
            missing_warning("price", "the value-over-price guard-rail is not checked")
            if f == "price"
            else missing_warning(f)
            for f in fields
        ]
        add(lacking, 0, [text[j] for j in inv.tolist()])
    with np.errstate(invalid="ignore"):
        big = np.flatnonzero(share > TERMINAL_SHARE_LIMIT)
        negative = np.flatnonzero(equity < 0)
        over = (
            np.flatnonzero(vps > PRICE_MULTIPLE_LIMIT * price)
            if price is not None
            else np.empty(0, dtype=np.intp)
        )
    limit = f"(over {TERMINAL_SHARE_LIMIT:.0%})"
    add(
        big,
        1,
        [f"terminal value is {v:.0%} of enterprise value {limit}" for v in share[big].tolist()],
    )
    add(negative, 2, [f"negative equity value {v:,.4g}" for v in equity[negative].tolist()])
    if price is not None:
        add(
            over,
            3,
            [
                f"value per share {v:,.4g} is over {PRICE_MULTIPLE_LIMIT:g}x the price {q:,.4g}"
                for v, q in zip(vps[over].tolist(), price[over].tolist())
            ],
        )
    bad = np.flatnonzero(not_finite)
    add(bad, 4, [f"value_per_share: {NOT_FINITE_REASON}"] * bad.size)
    idx = np.concatenate(where)
    kinds = np.concatenate([np.full(w.size, k, dtype=np.int8) for w, k in zip(where, kind)])
    msgs = np.array([m for t in texts for m in t] or [], dtype=object)
    order = np.lexsort((kinds, idx, kinds == 4))  # company order; not-finite ones last
    return list(zip(_labels_at(labels, idx[order], scalar), msgs[order].tolist()))


def dcf(
    revenue: FloatLike,
    growth: GrowthLike,
    *,
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
    price: FloatLike | None = None,
) -> DCFResult:
    """Revenue-driven free-cash-flow-to-firm DCF, vectorised over companies.

    See the module docstring for the formulas and timing (year-end cash flows,
    discount factor ``(1 + r) ** -t``, terminal value at year T).

    A NaN element of a per-company input (or in a company's row of a 2-d
    growth matrix) makes the figures that depend on it NaN for that company
    only, with a ``"missing input: <field>"`` warning; see the module docstring.

    Parameters
    ----------
    revenue : float, array (n,) or Series
        Latest annual revenue (> 0), one per company.
    growth : array (T,) or (n, T), or DataFrame (companies × years)
        Revenue growth per year; a 1-d path applies to every company (no NaN).
    operating_margin : float, array or Series
        Current operating (EBIT) margin.
    target_margin : float, array or Series, optional
        Margin reached linearly by year ``margin_years``; None keeps the margin constant.
    margin_years : int
        Years to reach the target margin (>= 1).
    tax_rate : float, array or Series
        In [0, 1).
    sales_to_capital : float, array or Series
        Revenue added per unit of capital invested (> 0; ``math.inf`` = no reinvestment).
    discount_rate, terminal_growth : float, array or Series
        ``discount_rate`` must exceed ``terminal_growth``.
    terminal_roic : float, array or Series, optional
        Return on capital after year T; None = ``discount_rate``; ``math.inf`` = no
        terminal reinvestment.
    net_cash : float, array or Series
        Cash minus debt, added to enterprise value.
    shares : float, array or Series
        Share count (> 0).
    price : float, array or Series, optional
        Market price, only used for the "value over 10x price" guard-rail.

    Returns
    -------
    DCFResult

    Examples
    --------
    Two explicit years at 10 % growth, 20 % margin, no tax, sales-to-capital
    2, r = 10 %, g = 0 and terminal ROIC = r:

    >>> res = dcf(100.0, [0.10, 0.10], operating_margin=0.2, tax_rate=0.0,
    ...           sales_to_capital=2.0, discount_rate=0.10, terminal_growth=0.0)
    >>> res.table["fcff"].round(4).tolist()
    [17.0, 18.7]
    >>> round(float(res.value_per_share), 4)   # 17/1.1 + 18.7/1.21 + (24.2/0.1)/1.21
    230.9091

    A company without a revenue figure is NaN, with a warning naming it;
    ``warning_table`` gives each warning's company label apart from its text:

    >>> res = dcf(pd.Series([100.0, np.nan], index=["A", "B"]), [0.10, 0.10],
    ...           operating_margin=0.2, tax_rate=0.0, sales_to_capital=2.0,
    ...           discount_rate=0.10, terminal_growth=0.0)
    >>> res.value_per_share.round(4).to_dict()
    {'A': 230.9091, 'B': nan}
    >>> res.warnings
    ('A: terminal value is 87% of enterprise value (over 85%)', \
'B: missing input: revenue is NaN; the figures that depend on it are NaN')
    >>> res.warning_table["company"].tolist()
    ['A', 'B']
    """
    g_arr, rows = _growth_matrix(growth)
    my = check_int(margin_years, "margin_years", ge=1)
    if my > MAX_YEARS:
        raise ValueError(f"margin_years must be at most {MAX_YEARS}, got {my}")
    if g_arr.shape[-1] > MAX_YEARS:
        raise ValueError(
            f"growth must cover at most {MAX_YEARS} years, got {g_arr.shape[-1]}"
        )
    named = {
        "revenue": revenue,
        "growth": rows,
        "operating_margin": operating_margin,
        "target_margin": target_margin,
        "tax_rate": tax_rate,
        "sales_to_capital": sales_to_capital,
        "discount_rate": discount_rate,
        "terminal_growth": terminal_growth,
        "terminal_roic": terminal_roic,
        "net_cash": net_cash,
        "shares": shares,
        "price": price,
    }
    p, shape = _validate_common(named)
    if g_arr.ndim == 1 and np.isnan(g_arr).any():
        year = int(np.flatnonzero(np.isnan(g_arr))[0]) + 1
        raise ValueError(
            f"growth must not be NaN, got nan in year {year} (a 1-d growth path applies to "
            "every company; a NaN in a row of a (companies, years) array or DataFrame marks "
            "only that company as missing)"
        )
    check(g_arr, "growth", allow_nan=True, gt=-1)
    if rows is not None:
        g_arr = g_arr[p.pop("growth").astype(int)]
        shape = replace(shape, shape=shape.shape if shape.shape else (g_arr.shape[0],))
    n_shape = shape.shape
    one = {k: np.atleast_1d(v) for k, v in p.items()}
    n = int(np.prod(n_shape)) if n_shape else 1
    one = {k: np.broadcast_to(v, (n,)) for k, v in one.items()}
    g2 = np.broadcast_to(g_arr, (n, g_arr.shape[-1]))
    block, flows = _cash_flow_block(
        one["revenue"],
        g2,
        one["operating_margin"],
        one["target_margin"],
        my,
        one["tax_rate"],
        one["sales_to_capital"],
        one["discount_rate"],
        one["terminal_growth"],
        one["terminal_roic"],
    )
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ev, not_finite = finite_or_nan(flows["enterprise_value"])
        equity, eq_bad = finite_or_nan(ev + one["net_cash"])
        vps, vps_bad = finite_or_nan(equity / one["shares"])  # e.g. shares = 1e-320
    not_finite |= eq_bad | vps_bad
    with np.errstate(divide="ignore", invalid="ignore"):
        share = flows["pv_terminal"] / ev
    labels = shape.labels(n)
    T = g2.shape[1]
    # the per-year figures were written into one (figures, rows) block: the table wraps
    # it without the copy pandas makes when it stacks separate columns
    table = pd.DataFrame(
        block.reshape(len(_TABLE_FLOWS), n * T).T, columns=_TABLE_FLOWS, copy=False
    )
    years = np.empty((n, T), dtype=np.arange(1).dtype)
    years[:] = np.arange(1, T + 1)
    table.insert(0, "year", years.reshape(-1))
    table.insert(0, "company", np.repeat(np.asarray(labels, dtype=object), T))
    summary = pd.DataFrame(
        {
            "enterprise_value": ev,
            "pv_terminal": flows["pv_terminal"],
            "terminal_share": share,
            "equity_value": equity,
            "value_per_share": vps,
        },
        index=labels,
    )
    given = {k: g2 if k == "growth" else one[k] for k in named if k in shape.per_company}
    missing = missing_fields(given, (n,))
    rails = _guard_rails(
        labels, shape.scalar, missing, share, equity, vps, one.get("price"), not_finite
    )
    warnings, warning_table = labelled_warnings(rails)
    return DCFResult(
        enterprise_value=shape.out(ev, "enterprise_value"),
        equity_value=shape.out(equity, "equity_value"),
        value_per_share=shape.out(vps, "value_per_share"),
        terminal_value=shape.out(flows["terminal_value"], "terminal_value"),
        pv_terminal=shape.out(flows["pv_terminal"], "pv_terminal"),
        terminal_share=shape.out(share, "terminal_share"),
        table=table,
        summary=summary,
        warnings=warnings,
        warning_table=warning_table,
    )

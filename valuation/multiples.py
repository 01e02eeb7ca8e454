"""Valuation multiples and peer regressions.

Conventions
-----------
Ratios that are not meaningful (P/E on non-positive EPS, PEG on non-positive
growth, EV/sales on non-positive revenue or enterprise value) are NaN with a
reason, returned in a :class:`MultipleResult` with ``.value`` and ``.reason``
(``""`` where the value is defined).  A ratio of finite inputs that overflows
(``pe_ratio(10, 1e-320)``) is NaN with the reason
``"pe_ratio: result is not finite ..."``, never ``inf``.

NaN rule (the same in every model of the package): a NaN element of a
per-company array or Series is missing data for that company, which gets NaN
with the reason ``'missing input: <fields>'`` (:meth:`PeerRegression.predict`
and :meth:`PeerRegression.implied_price` give NaN) while the other companies
are computed as before.  A NaN given as one number applies to every company
and raises ``ValueError``, as do infinite inputs and finite values out of
range.  :func:`peer_regression` fits across the peers, so a NaN peer raises
instead of being dropped silently: drop it explicitly first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import (
    NOT_FINITE_REASON,
    Shape,
    broadcast,
    check,
    check_input,
    finite_or_nan,
    html_table,
    missing_fields,
    missing_reason,
)
from valuation._typing import FloatLike

__all__ = ["MultipleResult", "PeerRegression", "ev_to_sales", "pe_ratio", "peer_regression", "peg"]


@dataclass(frozen=True)
class MultipleResult:
    """A multiple with the reason it is NaN where it is undefined.

    Attributes
    ----------
    value : float, ndarray or Series
    reason : str, ndarray of str or Series of str
        ``""`` where ``value`` is defined.
    name : str
    """

    value: Any
    reason: Any
    name: str = "multiple"

    def __float__(self) -> float:
        if np.ndim(self.value) != 0:
            raise TypeError("float() needs a scalar multiple; use .value for arrays")
        return float(self.value)

    @property
    def table(self) -> pd.DataFrame:
        index = self.value.index if isinstance(self.value, pd.Series) else None
        return pd.DataFrame(
            {
                self.name: np.atleast_1d(np.asarray(self.value, dtype=float)),
                "reason": np.atleast_1d(np.asarray(self.reason, dtype=object)),
            },
            index=index,
        )

    def _repr_html_(self) -> str:
        return html_table(self.name, self.table)


def _ratio(
    num: np.ndarray,
    den: np.ndarray,
    reasons: list[tuple[np.ndarray, str]],
    shape: Shape,
    name: str,
    inputs: dict[str, np.ndarray],
) -> MultipleResult:
    reason = np.full(num.shape, "", dtype=object)
    missing = missing_fields(inputs, num.shape)
    has_nan = missing != ""
    reason[has_nan] = [missing_reason(m) for m in missing[has_nan]]
    for mask, text in reasons:
        reason[mask & (reason == "")] = text
    ok = reason == ""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = np.where(ok, num / np.where(ok, den, 1.0), np.nan)
    value, overflow = finite_or_nan(value)  # e.g. eps = 1e-320
    reason[overflow] = f"{name}: {NOT_FINITE_REASON}"
    if shape.scalar:
        return MultipleResult(np.float64(value), str(reason[()]), name)
    return MultipleResult(shape.out(value, name), shape.out(reason, "reason"), name)


def pe_ratio(price: FloatLike, eps: FloatLike) -> MultipleResult:
    """Price / earnings: ``price / eps``; NaN with a reason where ``eps <= 0``.

    Examples
    --------
    >>> float(pe_ratio(100.0, 4.0))
    25.0
    >>> pe_ratio(100.0, -1.0).reason
    'eps <= 0: P/E not meaningful'
    >>> list(pe_ratio(100.0, [4.0, np.nan]).reason)
    ['', 'missing input: eps']
    """
    a, shape = broadcast({"price": price, "eps": eps})
    p = check_input(a["price"], "price", shape, gt=0)
    e = check_input(a["eps"], "eps", shape)
    return _ratio(
        p, e, [(e <= 0, "eps <= 0: P/E not meaningful")], shape, "pe_ratio", {"price": p, "eps": e}
    )


def ev_to_sales(enterprise_value: FloatLike, revenue: FloatLike) -> MultipleResult:
    """Enterprise value / revenue; NaN with a reason where revenue or EV is not positive.

    Examples
    --------
    >>> float(ev_to_sales(890.0, 10.0))
    89.0
    """
    a, shape = broadcast({"enterprise_value": enterprise_value, "revenue": revenue})
    ev = check_input(a["enterprise_value"], "enterprise_value", shape)
    rev = check_input(a["revenue"], "revenue", shape)
    return _ratio(
        ev,
        rev,
        [
            (rev <= 0, "revenue <= 0: EV/sales not meaningful"),
            (ev <= 0, "enterprise_value <= 0: EV/sales not meaningful"),
        ],
        shape,
        "ev_to_sales",
        {"enterprise_value": ev, "revenue": rev},
    )


def peg(pe: FloatLike, growth_pct: FloatLike) -> MultipleResult:
    """PEG ratio: P/E divided by expected growth in percent (20 for 20 %).

    NaN with a reason where ``growth_pct <= 0`` or ``pe <= 0`` (e.g. from
    non-positive EPS).

    Examples
    --------
    >>> float(peg(30.0, 20.0))
    1.5
    >>> peg(30.0, 0.0).reason
    'growth_pct <= 0: PEG not meaningful'
    """
    a, shape = broadcast({"pe": pe, "growth_pct": growth_pct})
    p = check_input(a["pe"], "pe", shape)
    g = check_input(a["growth_pct"], "growth_pct", shape)
    return _ratio(
        p,
        g,
        [
            (p <= 0, "pe <= 0: non-positive earnings, PEG not meaningful"),
            (g <= 0, "growth_pct <= 0: PEG not meaningful"),
        ],
        shape,
        "peg",
        {"pe": p, "growth_pct": g},
    )


def _align_pair(
    a: pd.Series, b: pd.Series, a_name: str, b_name: str
) -> tuple[pd.Series, pd.Series]:
    """Align two Series by label; the labels must match as sets."""
    for s, nm in ((a, a_name), (b, b_name)):
        if not isinstance(s, pd.Series):
            raise TypeError(
                f"{nm} must be a pandas Series indexed by company, got {type(s).__name__}"
            )
    arrs, shape = broadcast({a_name: a, b_name: b})
    index = shape.index
    return pd.Series(arrs[a_name], index=index), pd.Series(arrs[b_name], index=index)


@dataclass(frozen=True)
class PeerRegression:
    """Result of :func:`peer_regression`: ``multiple ~ const + slope * growth`` across peers.

    Attributes
    ----------
    params : pandas.Series
        ``const`` and ``growth`` coefficients.
    coefficients : pandas.DataFrame
        Tidy coefficients: coef, std_err, t, p_value, conf_low, conf_high.
    rsquared : float
    nobs : int
    log : bool
        True when the regression is on ``log(multiple)``.
    table : pandas.DataFrame
        Per company: multiple, growth, fitted (multiple scale), residual (regression scale).
    """

    params: pd.Series
    coefficients: pd.DataFrame
    rsquared: float
    nobs: int
    log: bool
    table: pd.DataFrame
    warnings: tuple[str, ...] = ()
    _fit: Any = field(default=None, repr=False, compare=False)

    def summary(self) -> Any:
        """statsmodels' regression summary."""
        return self._fit.summary()

    def predict(self, growth: FloatLike) -> Any:
        """Fitted multiple at ``growth`` (back-transformed with ``exp`` when ``log``).

        A NaN element of a per-company ``growth`` gives NaN for that company.
        """
        a, shape = broadcast({"growth": growth})
        g = check_input(a["growth"], "growth", shape)
        y = self.params["const"] + self.params["growth"] * g
        return shape.out(np.exp(y) if self.log else y, "fitted_multiple")

    def implied_price(self, metric_per_share: FloatLike, growth: FloatLike | None = None) -> Any:
        """Implied price = fitted multiple × ``metric_per_share`` (e.g. EPS for P/E).

        Without ``growth``, ``metric_per_share`` must be a Series whose labels are
        peers in :attr:`table`, and each peer's fitted multiple is used; with
        ``growth``, the multiple is predicted at that growth.  A NaN element of a
        per-company input gives NaN for that company.
        """
        if growth is None:
            if not isinstance(metric_per_share, pd.Series):
                raise TypeError(
                    "metric_per_share must be a Series of peers when growth is not given"
                )
            unknown = [x for x in metric_per_share.index if x not in self.table.index]
            if unknown:
                raise ValueError(
                    f"metric_per_share has labels not in the regression: {unknown[:5]}"
                )
            fitted = self.table["fitted"].reindex(metric_per_share.index)
            m = check(
                metric_per_share.to_numpy(dtype=float, copy=True),
                "metric_per_share",
                index=metric_per_share.index,
                allow_nan=True,
            )
            return pd.Series(
                fitted.to_numpy() * m, index=metric_per_share.index, name="implied_price"
            )
        a, shape = broadcast({"metric_per_share": metric_per_share, "growth": growth})
        m = check_input(a["metric_per_share"], "metric_per_share", shape)
        g = check_input(a["growth"], "growth", shape)
        fitted = np.asarray(self.predict(g), dtype=float)
        return shape.out(fitted * m, "implied_price")

    def _repr_html_(self) -> str:
        kind = "log multiple" if self.log else "multiple"
        title = f"Peer regression: {kind} on growth (R² {self.rsquared:.3f}, n={self.nobs})"
        return html_table(title, self.coefficients, self.warnings)


def peer_regression(multiple: pd.Series, growth: pd.Series, *, log: bool = False) -> PeerRegression:
    """OLS of a valuation multiple (or its log) on expected growth across peers.

    ``multiple_i = const + slope * growth_i + e_i`` (``log(multiple_i)`` when
    ``log=True``), fitted with statsmodels OLS.  The two Series are aligned by
    label (their labels must match); NaN values raise rather than being dropped.

    Raises
    ------
    ValueError
        Fewer than 3 peers, mismatched labels, NaN/inf, non-positive multiples with ``log``.

    Examples
    --------
    >>> m = pd.Series([10.0, 20.0, 30.0, 40.0], index=list("ABCD"))
    >>> g = pd.Series([0.20, 0.15, 0.10, 0.05], index=list("DCBA"))  # aligned by label
    >>> reg = peer_regression(m, g)
    >>> round(float(reg.params["growth"]), 6), round(reg.rsquared, 6), reg.nobs
    (200.0, 1.0, 4)
    """
    m, g = _align_pair(multiple, growth, "multiple", "growth")
    check(m.to_numpy(), "multiple", index=m.index, gt=0 if log else None)
    check(g.to_numpy(), "growth", index=g.index)
    if len(m) < 3:
        raise ValueError(f"peer_regression needs at least 3 peers, got {len(m)}")
    if np.ptp(g.to_numpy()) == 0:
        raise ValueError("growth must vary across peers, got a constant")
    import statsmodels.api as sm

    y = np.log(m) if log else m
    X = sm.add_constant(g.rename("growth").to_frame(), has_constant="add")
    fit = sm.OLS(y.rename("multiple"), X).fit()
    ci = fit.conf_int()
    coefficients = pd.DataFrame(
        {
            "coef": fit.params,
            "std_err": fit.bse,
            "t": fit.tvalues,
            "p_value": fit.pvalues,
            "conf_low": ci[0],
            "conf_high": ci[1],
        }
    )
    fitted_reg = fit.fittedvalues
    table = pd.DataFrame(
        {
            "multiple": m,
            "growth": g,
            "fitted": np.exp(fitted_reg) if log else fitted_reg,
            "residual": fit.resid,
        }
    )
    warnings = () if len(m) >= 5 else (f"only {len(m)} peers: the fit is fragile",)
    return PeerRegression(
        params=fit.params.copy(),
        coefficients=coefficients,
        rsquared=float(fit.rsquared),
        nobs=int(fit.nobs),
        log=log,
        table=table,
        warnings=warnings,
        _fit=fit,
    )

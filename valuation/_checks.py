"""Shared input validation and shape/label handling for the valuation models.

Every public model converts its inputs through :func:`broadcast`, which

* converts numbers, sequences, numpy arrays and pandas Series to float arrays,
* checks that all Series share the same labels (in any order) and aligns them
  to the first one, so label alignment happens in exactly one place,
* broadcasts the arrays against each other, and
* returns a :class:`Shape` that turns result arrays back into the caller's kind:
  scalars in -> 0-d numpy floats (``np.float64``) out, arrays in -> arrays out,
  Series in -> Series with the same index out.  The shape also remembers which
  inputs were given per company (an array or a Series, ``Shape.per_company``).

The NaN rule of the package lives here (:func:`check_input`): a NaN *element* of
a per-company array or Series is missing data for that company, which gets NaN
results (and a ``"missing input: <field>"`` reason where the result has a status,
a reason or warnings) while the other companies are computed as before; a NaN
given as one number applies to every company and raises, as do wrong types,
infinite values and finite values out of range.

Validation helpers raise ``ValueError``/``TypeError`` naming the parameter and
the offending value (and its label or position for arrays).  Inputs are never
modified: every conversion copies.
"""

from __future__ import annotations

import html
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def fmt(value: Any) -> str:
    """Format a value for an error message (``0.05``, ``nan``, ``-inf``)."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return repr(value)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f"{f:g}"


def to_array(value: Any, name: str) -> tuple[np.ndarray, pd.Index | None]:
    """Return ``(float array copy, index or None)``; raise TypeError naming ``name``."""
    if isinstance(value, pd.DataFrame):
        raise TypeError(f"{name} must be a number, array or Series, got a DataFrame")
    index = None
    if isinstance(value, pd.Series):
        index = value.index
        value = value.to_numpy()
    if value is None or isinstance(value, str | bytes | bool | np.bool_):
        raise TypeError(f"{name} must be numeric, got {value!r}")
    try:
        arr = np.array(value, dtype=float, copy=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got {value!r}") from exc
    return arr, index


def _where(arr: np.ndarray, mask: np.ndarray, index: pd.Index | None) -> str:
    pos = np.argwhere(mask)[0]
    if arr.ndim == 0:
        return ""
    if index is not None and arr.ndim == 1:
        return f" (at {index[pos[0]]!r})"
    return f" (at position {tuple(int(p) for p in pos) if len(pos) > 1 else int(pos[0])})"


def check(
    arr: np.ndarray,
    name: str,
    *,
    index: pd.Index | None = None,
    allow_nan: bool = False,
    allow_inf: bool = False,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> np.ndarray:
    """Validate ``arr`` elementwise; raise ValueError naming ``name`` and the bad value."""
    arr = np.asarray(arr, dtype=float)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got an array of shape {arr.shape}")
    nan = np.isnan(arr)
    if not allow_nan and nan.any():
        raise ValueError(f"{name} must not be NaN, got nan{_where(arr, nan, index)}")
    inf = np.isinf(arr)
    if allow_inf:
        inf = np.isneginf(arr)
    if inf.any():
        bad = arr[inf].flat[0]
        raise ValueError(f"{name} must be finite, got {fmt(bad)}{_where(arr, inf, index)}")
    valid = ~nan
    for bound, op, text in (
        (gt, np.less_equal, "greater than"),
        (ge, np.less, "at least"),
        (lt, np.greater_equal, "less than"),
        (le, np.greater, "at most"),
    ):
        if bound is None:
            continue
        with np.errstate(invalid="ignore"):
            bad = valid & op(arr, bound)
        if bad.any():
            value = arr[bad].flat[0]
            raise ValueError(
                f"{name} must be {text} {fmt(bound)}, got {fmt(value)}{_where(arr, bad, index)}"
            )
    return arr


@dataclass(frozen=True)
class Shape:
    """How to give results back in the caller's kind (scalar, array or Series)."""

    shape: tuple[int, ...]
    index: pd.Index | None = None
    #: Names of the inputs given per company (arrays or Series, not single numbers).
    per_company: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def scalar(self) -> bool:
        return self.shape == () and self.index is None

    def out(self, arr: Any, name: str | None = None) -> Any:
        arr = np.asarray(arr)
        if self.index is not None:
            return pd.Series(arr.reshape(len(self.index)), index=self.index, name=name)
        if arr.ndim == 0 or self.shape == ():
            value = arr.reshape(())[()]
            if arr.dtype.kind in "fiu":
                return np.float64(value)
            return value
        return arr

    def labels(self, n: int) -> pd.Index:
        """Company labels for tables: the Series index or positions 0..n-1."""
        if self.index is not None:
            return self.index
        return pd.RangeIndex(n, name="company")


def broadcast(
    named: dict[str, Any], *, max_ndim: int | None = 1
) -> tuple[dict[str, np.ndarray], Shape]:
    """Convert, align by label and broadcast named inputs (``None`` values are skipped).

    Series must carry the same labels (in any order); they are aligned to the
    first Series' order.  Raise ValueError naming the parameters on label or
    shape mismatches.
    """
    arrays: dict[str, np.ndarray] = {}
    per_company: set[str] = set()
    index: pd.Index | None = None
    index_owner = ""
    for name, value in named.items():
        if value is None:
            continue
        if isinstance(value, pd.Series):
            if not value.index.is_unique:
                raise ValueError(
                    f"{name} has duplicate labels: "
                    f"{list(value.index[value.index.duplicated()])[:5]}"
                )
            if index is None:
                index, index_owner = value.index, name
            elif not value.index.equals(index):
                if set(value.index) != set(index):
                    only_a = [x for x in index if x not in set(value.index)][:5]
                    only_b = [x for x in value.index if x not in set(index)][:5]
                    raise ValueError(
                        f"labels of {index_owner} and {name} do not match: "
                        f"only in {index_owner}: {only_a}, only in {name}: {only_b}"
                    )
                value = value.reindex(index)
        arr, _ = to_array(value, name)
        arrays[name] = arr
        if arr.ndim:
            per_company.add(name)
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError as exc:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items() if a.shape != ())
        raise ValueError(f"input shapes do not broadcast: {shapes}") from exc
    if max_ndim is not None and len(shape) > max_ndim:
        raise ValueError(
            f"expected at most {max_ndim}-d inputs (one element per company), got shape {shape}: "
            + ", ".join(f"{k} {a.shape}" for k, a in arrays.items() if a.ndim > max_ndim)
        )
    if index is not None and shape not in ((), (len(index),)):
        raise ValueError(
            f"inputs of shape {shape} do not match {index_owner} with {len(index)} labels"
        )
    if index is not None:
        shape = (len(index),)
    out = {k: np.broadcast_to(a, shape).copy() for k, a in arrays.items()}
    return out, Shape(shape, index, frozenset(per_company))


def check_input(arr: np.ndarray, name: str, shape: Shape, **rules: Any) -> np.ndarray:
    """:func:`check` under the package's NaN rule (see the module docstring).

    NaN elements pass when ``name`` was given per company (``shape.per_company``);
    a NaN given as one number raises, naming the parameter.  ``rules`` are the
    bounds of :func:`check` (``gt``, ``ge``, ``lt``, ``le``, ``allow_inf``), applied
    to the non-NaN elements.
    """
    arr = np.asarray(arr, dtype=float)
    if name not in shape.per_company and arr.size and np.isnan(arr).any():
        raise ValueError(
            f"{name} must not be NaN, got nan (one value for every company; a NaN element "
            "of an array or Series marks only that company as missing)"
        )
    return check(arr, name, index=shape.index, allow_nan=True, **rules)


def missing_fields(arrays: dict[str, np.ndarray], n_shape: tuple[int, ...]) -> np.ndarray:
    """Per company, the names of the inputs that are NaN there, joined by ``", "``.

    ``arrays`` are broadcast per-company inputs (a trailing years axis, as in a
    growth matrix, counts as NaN when any year is); the result is an object
    array of shape ``n_shape`` holding ``""`` where nothing is missing.
    """
    out = np.full(n_shape, "", dtype=object)
    for name, arr in arrays.items():
        nan = np.isnan(np.asarray(arr, dtype=float))
        if nan.ndim > len(n_shape):
            nan = nan.any(axis=tuple(range(len(n_shape), nan.ndim)))
        nan = np.broadcast_to(nan, n_shape)
        if nan.any():
            out[nan] = np.where(out[nan] == "", name, out[nan] + ", " + name)
    return out


def missing_reason(fields: str) -> str:
    """The reason text of a company with NaN inputs: ``"missing input: price"``."""
    return f"missing input: {fields}"


def missing_warning(fields: str, consequence: str | None = None) -> str:
    """The warning for a company with NaN inputs.

    ``"missing input: revenue is NaN; the figures that depend on it are NaN"``
    (``are NaN ... on them`` for several fields); ``consequence`` replaces the
    part after the semicolon.
    """
    several = ", " in fields
    if consequence is None:
        consequence = f"the figures that depend on {'them' if several else 'it'} are NaN"
    return f"{missing_reason(fields)} {'are' if several else 'is'} NaN; {consequence}"


#: Columns of a result's ``warning_table``.
WARNING_COLUMNS = ("company", "message")


def company_label(labels: Sequence[Hashable], i: int, scalar: bool) -> Hashable:
    """Company label of element ``i``: the Series label, else the position, None for a scalar."""
    if scalar:
        return None
    label = labels[i]
    return int(label) if isinstance(label, np.integer) else label


def labelled_warnings(
    items: Iterable[tuple[Hashable, str]],
) -> tuple[tuple[str, ...], pd.DataFrame]:
    """``(warnings, warning_table)`` from ``(company, message)`` pairs, in order.

    ``warnings`` are for display (``"<company>: <message>"``, the message alone
    for ``company=None``); ``warning_table`` has columns ``company`` and
    ``message``, one row per warning, so callers never parse the strings.
    """
    pairs = list(items)
    text = tuple(m if c is None else f"{c}: {m}" for c, m in pairs)
    table = pd.DataFrame(
        {
            "company": pd.Series([c for c, _ in pairs], dtype=object),
            "message": pd.Series([m for _, m in pairs], dtype=object),
        },
        columns=list(WARNING_COLUMNS),
    )
    return text, table


def check_int(value: Any, name: str, *, ge: int) -> int:
    """Validate an integer parameter (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < ge:
        raise ValueError(f"{name} must be at least {ge}, got {value}")
    return int(value)


def check_dates(index: pd.Index, name: str, *, increasing: bool) -> None:
    """Check the dates of a time series (a ``DatetimeIndex`` or ``PeriodIndex``).

    Duplicate dates always raise (a repeated date would count twice); with
    ``increasing`` the dates must also be strictly increasing, because the
    caller computes in row order (returns from prices, drawdowns, rolling
    windows).  Other indexes (a ``RangeIndex``, positions) are taken in row
    order as given.  Raise ValueError naming ``name`` and the first bad date.
    """
    if not isinstance(index, pd.DatetimeIndex | pd.PeriodIndex):
        return
    if not index.is_unique:
        dup = [str(d) for d in index[index.duplicated()][:3]]
        raise ValueError(f"{name} has duplicate dates: {dup}")
    if increasing and not index.is_monotonic_increasing:
        bad = int(np.flatnonzero(~(index[1:] > index[:-1]))[0]) + 1
        raise ValueError(
            f"{name} dates must be increasing, got {index[bad]} after {index[bad - 1]} "
            f"(row {bad}); sort them with .sort_index()"
        )


def check_labels_unique(index: pd.Index, name: str) -> None:
    if not index.is_unique:
        dup: list[Hashable] = list(index[index.duplicated()])[:5]
        raise ValueError(f"{name} has duplicate labels: {dup}")


def html_table(title: str, table: pd.DataFrame, warnings: tuple[str, ...] = ()) -> str:
    """Small HTML rendering shared by the result objects' ``_repr_html_``."""
    parts = [f"<h4>{title}</h4>", table.to_html(float_format=lambda x: f"{x:,.4g}")]
    if warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        parts.append(f"<p><b>Warnings</b></p><ul>{items}</ul>")
    return "\n".join(parts)

"""Shared input validation and shape/label handling for the valuation models.

Every public model converts its inputs through :func:`broadcast`, which

* converts numbers, sequences, numpy arrays and pandas Series to float arrays
  (integer and float dtypes only: bools, strings, complex numbers, datetimes and
  timedeltas raise TypeError naming the parameter; pandas' nullable NA is NaN),
* refuses 2-d per-company inputs (one element per company means 1-d),
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
infinite values and finite values out of range.  A result that overflows from
finite inputs is NaN, never ``inf`` (:func:`finite_or_nan`).

Validation helpers raise ``ValueError``/``TypeError`` naming the parameter and
the offending value (and its label or position for arrays).  Inputs are never
modified: every conversion copies.
"""

from __future__ import annotations

import decimal
import math
import numbers
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


def _describe(value: Any, arr: np.ndarray | None = None) -> str:
    if isinstance(value, pd.Series):
        return f"a Series of dtype {value.dtype}"
    if isinstance(value, np.ndarray) and value.ndim:
        return f"an array of dtype {value.dtype}"
    if arr is not None and arr.ndim:
        return f"a sequence of dtype {arr.dtype}"
    return repr(value)


def _is_number(x: Any) -> bool:
    """A real number (int, float, numpy integer/float, Decimal), not a bool; None/NA pass."""
    if x is None or x is pd.NA:
        return True
    if isinstance(x, bool | np.bool_):
        return False
    return isinstance(x, numbers.Real | decimal.Decimal)


def to_array(value: Any, name: str) -> tuple[np.ndarray, pd.Index | None]:
    """Return ``(float array copy, index or None)``; raise TypeError naming ``name``.

    Only numbers are accepted: integer and float dtypes (and object arrays of
    int/float/Decimal values); bools, strings, complex numbers, datetimes and
    timedeltas are refused, as is a pandas dtype that is not numeric.  ``None``,
    ``pd.NA`` and the NA of pandas' nullable ``Float64``/``Int64`` dtypes are NaN.
    """
    if isinstance(value, pd.DataFrame):
        raise TypeError(f"{name} must be a number, array or Series, got a DataFrame")
    index = None
    original = value
    if isinstance(value, pd.Series):
        index = value.index
        dtype = value.dtype
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(dtype, np.dtype):
            if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
                raise TypeError(
                    f"{name} must be numeric (integer or float), got {_describe(value)}"
                )
            return value.to_numpy(dtype=float, na_value=np.nan, copy=True), index
        value = value.to_numpy()
    if value is None or isinstance(value, str | bytes | bool | np.bool_):
        raise TypeError(f"{name} must be numeric, got {value!r}")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got {original!r}") from exc
    kind = raw.dtype.kind
    if kind == "O":
        bad = next((x for x in raw.ravel() if not _is_number(x)), _NO_BAD)
        if bad is not _NO_BAD:
            raise TypeError(
                f"{name} must be numeric (integer or float), got {type(bad).__name__} "
                f"{bad!r} in {_describe(original, raw)}"
            )
        if raw.size:
            raw = np.array(
                [np.nan if x is None or x is pd.NA else x for x in raw.ravel()], dtype=object
            ).reshape(raw.shape)
    elif kind not in "iuf":
        raise TypeError(
            f"{name} must be numeric (integer or float), got {_describe(original, raw)}"
        )
    try:
        arr = np.array(raw, dtype=float, copy=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"{name} must be numeric, got {original!r}") from exc
    return arr, index


_NO_BAD = object()


def finite_or_nan(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(arr with ±inf replaced by NaN, mask of those elements)``.

    The package's rule for results: finite inputs that overflow (a price of
    ``1e-320``, a share count of ``1e-320``) never give a silent ``inf``; the
    model returns NaN there, with :data:`NOT_FINITE_REASON` where its result
    has a reason or warnings.
    """
    out = np.array(arr, dtype=float, copy=True)
    mask = np.isinf(out)
    out[mask] = np.nan
    return out, mask


#: Reason/warning text for a result that :func:`finite_or_nan` turned into NaN.
NOT_FINITE_REASON = "result is not finite (an input too large or too small): NaN"


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
    if not np.isfinite(arr).all():  # one pass in the common case of finite values
        nan = np.isnan(arr)
        if not allow_nan and nan.any():
            raise ValueError(f"{name} must not be NaN, got nan{_where(arr, nan, index)}")
        inf = np.isinf(arr)
        if allow_inf:
            inf = np.isneginf(arr)
        if inf.any():
            bad = arr[inf].flat[0]
            raise ValueError(f"{name} must be finite, got {fmt(bad)}{_where(arr, inf, index)}")
    for bound, op, text in (
        (gt, np.less_equal, "greater than"),
        (ge, np.less, "at least"),
        (lt, np.greater_equal, "less than"),
        (le, np.greater, "at most"),
    ):
        if bound is None:
            continue
        with np.errstate(invalid="ignore"):
            bad = op(arr, bound)  # False at NaN (missing data, checked above)
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


def broadcast(named: dict[str, Any]) -> tuple[dict[str, np.ndarray], Shape]:
    """Convert, align by label and broadcast named inputs (``None`` values are skipped).

    Series must carry the same labels (in any order); they are aligned to the
    first Series' order.  One element per company means 1-d: a 2-d input (an
    ``(n, 1)`` column would broadcast against an ``(n,)`` array into an n×n
    matrix) raises.  Raise ValueError naming the parameters on label or shape
    mismatches.  (A model with a genuine second axis, such as the years of a
    DCF growth matrix, validates that axis itself and passes a row selector.)
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
                labels_a, labels_b = set(index), set(value.index)
                if labels_a != labels_b:
                    only_a = [x for x in index if x not in labels_b][:5]
                    only_b = [x for x in value.index if x not in labels_a][:5]
                    raise ValueError(
                        f"labels of {index_owner} and {name} do not match: "
                        f"only in {index_owner}: {only_a}, only in {name}: {only_b}"
                    )
                value = value.reindex(index)
        arr, _ = to_array(value, name)
        if arr.ndim > 1:
            raise ValueError(
                f"{name} must be a number or 1-d (one element per company), got shape "
                f"{arr.shape}; flatten it (e.g. .ravel()) or pass a Series"
            )
        arrays[name] = arr
        if arr.ndim:
            per_company.add(name)
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError as exc:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items() if a.shape != ())
        raise ValueError(f"input shapes do not broadcast: {shapes}") from exc
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
        import html

        items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        parts.append(f"<p><b>Warnings</b></p><ul>{items}</ul>")
    return "\n".join(parts)

"""Analyst price targets: upside, broker consensus and implied minimum targets.

Conventions
-----------
``upside = target / price - 1`` (0.25 = 25 % above the price).  Prices must be
finite and positive: a NaN, zero or negative price raises ``ValueError`` rather
than quietly giving NaN.  A NaN *target* means "no target" and gives NaN upside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from valuation._checks import broadcast, check, fmt, html_table
from valuation._typing import FloatLike

__all__ = ["Consensus", "consensus", "implied_min_target", "upside"]

REQUIRED_COLUMNS = ("broker", "target", "currency", "published")


def upside(price: FloatLike, target: FloatLike) -> Any:
    """Upside to a target: ``target / price - 1``, vectorised.

    Parameters
    ----------
    price : float, array or Series
        Reference price (> 0, finite): the last close, or a reference high.
    target : float, array or Series
        Price target (>= 0); NaN means no target and gives NaN.

    Examples
    --------
    >>> round(float(upside(80.0, 100.0)), 10)
    0.25
    >>> upside(pd.Series([10.0, 20.0], index=["A", "B"]), 15.0).round(2).to_dict()
    {'A': 0.5, 'B': -0.25}
    """
    arrs, shape = broadcast({"price": price, "target": target}, max_ndim=None)
    p = check(arrs["price"], "price", index=shape.index, gt=0)
    t = check(arrs["target"], "target", index=shape.index, allow_nan=True, ge=0)
    return shape.out(t / p - 1.0, "upside")


def implied_min_target(reference: FloatLike, min_upside: FloatLike) -> Any:
    """Lower-bound target implied by a claim of "at least ``min_upside``" upside.

    ``reference * (1 + min_upside)``.  The result is a *bound*, not a point
    target, so :func:`consensus` never averages it in; report it separately.

    Examples
    --------
    >>> round(float(implied_min_target(50.0, 0.3)), 10)
    65.0
    """
    arrs, shape = broadcast({"reference": reference, "min_upside": min_upside}, max_ndim=None)
    ref = check(arrs["reference"], "reference", index=shape.index, gt=0)
    mu = check(arrs["min_upside"], "min_upside", index=shape.index, gt=-1)
    return shape.out(ref * (1.0 + mu), "implied_min_target")


_STATS = ("mean", "median", "high", "low")


@dataclass(frozen=True)
class Consensus:
    """Broker consensus as of a date (see :func:`consensus`).

    Attributes
    ----------
    mean, median, high, low : float
        Statistics of the latest target per broker (NaN when ``count == 0``).
    count : int
        Brokers in the consensus.
    dispersion : float
        Sample standard deviation / mean (NaN when ``count < 2``).
    stale : int
        Brokers whose latest target is older than ``max_age_days`` (left out).
    undated : int
        Brokers whose only targets have no published date (kept, cannot be aged).
    excluded : int
        Rows without a numeric price target (NaN target, ``kind != 'price'``) left out.
    currency : str
    asof : pandas.Timestamp or None
    table : pandas.DataFrame
        The rows used, one per broker.
    warnings : tuple of str
    """

    mean: float
    median: float
    high: float
    low: float
    count: int
    dispersion: float
    stale: int
    undated: int
    excluded: int
    currency: str | None
    asof: pd.Timestamp | None
    table: pd.DataFrame = field(repr=False)
    warnings: tuple[str, ...] = ()

    def upside(
        self, price: FloatLike, *, statistic: Literal["mean", "median", "high", "low"] = "mean"
    ) -> Any:
        """Upside of the consensus ``statistic`` from ``price`` (last close or a reference high)."""
        if statistic not in _STATS:
            raise ValueError(f"statistic must be one of {list(_STATS)}, got {statistic!r}")
        return upside(price, getattr(self, statistic))

    @property
    def summary(self) -> pd.Series:
        keys = (
            "mean",
            "median",
            "high",
            "low",
            "count",
            "dispersion",
            "stale",
            "undated",
            "excluded",
        )
        return pd.Series({k: getattr(self, k) for k in keys}, name=self.currency)

    def _repr_html_(self) -> str:
        when = "" if self.asof is None else f" as of {self.asof.date()}"
        return html_table(
            f"Consensus ({self.currency}){when}", self.summary.to_frame().T, self.warnings
        )


def consensus(targets: pd.DataFrame, *, asof: Any = None, max_age_days: int = 365) -> Consensus:
    """Consensus of the latest price target per broker as of ``asof``.

    Steps: rows published after ``asof`` are ignored (not yet known); rows
    without a numeric target (NaN target, or ``kind != 'price'`` when a
    ``kind`` column exists, such as "min upside" claims) are left out and
    counted in ``excluded``; per broker the latest dated target is kept; a
    broker whose latest target is older than ``max_age_days`` is left out and
    counted in ``stale``.  Rows with an unknown date (NaT) cannot be aged: a
    broker with only undated targets is *kept* (its last row) and counted in
    ``undated`` -- they are included because dropping them would hide a
    sourced target; check ``undated`` before relying on the figure.

    Parameters
    ----------
    targets : pandas.DataFrame
        Columns ``broker``, ``target``, ``currency``, ``published`` (optional ``kind``).
    asof : date-like, optional
        Default: the latest ``published`` date in the table (never the clock).
    max_age_days : int
        Maximum age of a target in days (default 365).

    Raises
    ------
    ValueError
        Missing columns, several currencies (naming them), negative targets.

    Examples
    --------
    >>> t = pd.DataFrame({"broker": ["A", "A", "B", "C"],
    ...                   "target": [90.0, 100.0, 120.0, 200.0],
    ...                   "currency": "USD",
    ...                   "published": pd.to_datetime(["2025-01-05", "2025-06-01",
    ...                                                "2025-05-01", "2023-01-01"])})
    >>> c = consensus(t, asof="2025-06-30")
    >>> c.mean, c.count, c.stale
    (110.0, 2, 1)
    >>> round(float(c.upside(100.0)), 2)
    0.1
    """
    if not isinstance(targets, pd.DataFrame):
        raise TypeError(f"targets must be a pandas DataFrame, got {type(targets).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in targets.columns]
    if missing:
        raise ValueError(
            f"targets is missing columns {missing}; required: {list(REQUIRED_COLUMNS)}"
        )
    if (
        isinstance(max_age_days, bool)
        or not isinstance(max_age_days, int | float)
        or not max_age_days > 0
    ):
        raise ValueError(f"max_age_days must be a positive number, got {max_age_days!r}")
    df = targets.copy()
    try:
        df["target"] = pd.to_numeric(df["target"], errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"targets['target'] must be numeric: {exc}") from exc
    if len(df):
        check(df["target"].to_numpy(), "target", index=df.index, allow_nan=True, gt=0)
    currencies = sorted({str(c) for c in df["currency"].dropna()})
    if len(currencies) > 1:
        raise ValueError(
            f"targets mix currencies {' and '.join(currencies)}; convert to one currency first"
        )
    currency = currencies[0] if currencies else None
    df["published"] = pd.to_datetime(df["published"])
    if asof is None:
        asof_ts = df["published"].max() if df["published"].notna().any() else None
    else:
        asof_ts = pd.Timestamp(asof)
        if asof_ts is pd.NaT:
            raise ValueError(f"asof must be a date, got {asof!r}")
    if asof_ts is not None and not pd.isna(asof_ts):
        df = df[~(df["published"] > asof_ts)]
    else:
        asof_ts = None
    is_price = df["target"].notna()
    if "kind" in df.columns:
        is_price &= df["kind"].astype("string").fillna("price").str.lower().eq("price")
    excluded = int((~is_price).sum())
    df = df[is_price]
    dated = df[df["published"].notna()].sort_values("published", kind="stable")
    latest = dated.groupby("broker", sort=True).tail(1)
    undated_rows = df[df["published"].isna() & ~df["broker"].isin(latest["broker"])]
    undated_rows = undated_rows.groupby("broker", sort=True).tail(1)
    stale = 0
    if asof_ts is not None:
        age = (asof_ts - latest["published"]).dt.days
        is_stale = age > max_age_days
        stale = int(is_stale.sum())
        latest = latest[~is_stale]
    used = pd.concat([latest, undated_rows]).sort_values("broker", kind="stable")
    values = used["target"].to_numpy(dtype=float)
    count = int(values.size)
    warnings: list[str] = []
    if count == 0:
        warnings.append("no current price targets")
        mean = median = high = low = dispersion = float("nan")
    else:
        mean, median = float(values.mean()), float(np.median(values))
        high, low = float(values.max()), float(values.min())
        dispersion = float(values.std(ddof=1) / mean) if count > 1 else float("nan")
    if stale:
        warnings.append(f"{stale} broker target(s) older than {fmt(max_age_days)} days left out")
    if len(undated_rows):
        warnings.append(f"{len(undated_rows)} broker target(s) without a published date included")
    return Consensus(
        mean=mean,
        median=median,
        high=high,
        low=low,
        count=count,
        dispersion=dispersion,
        stale=stale,
        undated=len(undated_rows),
        excluded=excluded,
        currency=currency,
        asof=asof_ts,
        table=used.reset_index(drop=True),
        warnings=tuple(warnings),
    )

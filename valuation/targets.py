"""Analyst price targets: upside, broker consensus and implied minimum targets.

Conventions
-----------
``upside = target / price - 1`` (0.25 = 25 % above the price).  Prices must be
finite and positive: a zero, negative or infinite price raises ``ValueError``.
A NaN *target* means "no target" and gives NaN upside.  Inputs are numbers
with one element per company: a 2-d array, or bools, strings, complex numbers
and dates, raise.  A result that overflows (a price of ``1e-320``) is NaN, never
``inf``.

NaN rule (the same in every model of the package): a NaN element of a
per-company array or Series (a missing price, a missing reference) gives NaN
for that company only; the other companies are computed as before.  A NaN
passed as one number applies to every company and raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from valuation._checks import broadcast, check, check_input, finite_or_nan, fmt, html_table
from valuation._typing import FloatLike

__all__ = ["Consensus", "consensus", "implied_min_target", "upside"]

REQUIRED_COLUMNS = ("broker", "target", "currency", "published")


def upside(price: FloatLike, target: FloatLike) -> Any:
    """Upside to a target: ``target / price - 1``, vectorised.

    Parameters
    ----------
    price : float, array or Series
        Reference price (> 0, finite): the last close, or a reference high.  A
        NaN element of an array or Series (a company without a price) gives NaN
        for that company; a single NaN price raises.
    target : float, array or Series
        Price target (>= 0); NaN means no target and gives NaN.

    Examples
    --------
    >>> round(float(upside(80.0, 100.0)), 10)
    0.25
    >>> upside(pd.Series([10.0, 20.0], index=["A", "B"]), 15.0).round(2).to_dict()
    {'A': 0.5, 'B': -0.25}
    >>> upside(pd.Series([10.0, np.nan], index=["A", "B"]), 15.0).to_dict()  # B has no price
    {'A': 0.5, 'B': nan}
    """
    arrs, shape = broadcast({"price": price, "target": target})
    p = check_input(arrs["price"], "price", shape, gt=0)
    t = check(arrs["target"], "target", index=shape.index, allow_nan=True, ge=0)
    with np.errstate(over="ignore"):
        value, _ = finite_or_nan(t / p - 1.0)  # a tiny finite price would give inf
    return shape.out(value, "upside")


def implied_min_target(reference: FloatLike, min_upside: FloatLike) -> Any:
    """Lower-bound target implied by a claim of "at least ``min_upside``" upside.

    ``reference * (1 + min_upside)``.  The result is a *bound*, not a point
    target, so :func:`consensus` never averages it in; report it separately.
    A NaN element of a per-company ``reference`` or ``min_upside`` gives NaN
    for that company.

    Examples
    --------
    >>> round(float(implied_min_target(50.0, 0.3)), 10)
    65.0
    """
    arrs, shape = broadcast({"reference": reference, "min_upside": min_upside})
    ref = check_input(arrs["reference"], "reference", shape, gt=0)
    mu = check_input(arrs["min_upside"], "min_upside", shape, gt=-1)
    with np.errstate(over="ignore"):
        value, _ = finite_or_nan(ref * (1.0 + mu))
    return shape.out(value, "implied_min_target")


_STATS = ("mean", "median", "high", "low")

#: Values of ``Consensus.rows["consensus_status"]``; exactly the ``"used"`` rows are
#: the consensus members.
CONSENSUS_STATUSES = (
    "used",
    "stale",
    "superseded",
    "after asof",
    "undated",
    "not a price target",
    "no broker",
    "unknown currency",
)


@dataclass(frozen=True)
class Consensus:
    """Broker consensus as of a date (see :func:`consensus`).

    Attributes
    ----------
    mean, median, high, low : float
        Statistics of the targets used, one per broker (NaN when ``count == 0``).
    count : int
        Brokers in the consensus: the number of ``"used"`` rows.
    dispersion : float
        Sample standard deviation / mean (NaN when ``count < 2``).
    stale : int
        Brokers left out because their latest target is older than ``max_age_days``.
    undated : int
        Rows left out because they have no published date and cannot be placed in time.
    excluded : int
        Rows left out because they are not a usable price target: no numeric
        target (NaN target, ``kind != 'price'``), no broker (NaN or empty), or
        an unknown currency (NaN or empty) while other rows have one.
    currency : str
    asof : pandas.Timestamp or None
    table : pandas.DataFrame
        The rows used, one per broker, sorted by broker (a fresh 0..n-1 index).
    rows : pandas.DataFrame
        Every input row, with the index and the columns of the input, plus
        ``effective_date`` (the date the row counts from) and ``consensus_status``,
        one of :data:`CONSENSUS_STATUSES`: ``"used"``, ``"stale"``, ``"superseded"``,
        ``"after asof"``, ``"undated"``, ``"not a price target"``, ``"no broker"``
        or ``"unknown currency"``.
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
    rows: pd.DataFrame = field(repr=False)
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


def _fmt_target(value: float) -> str:
    """A target in a message: ``2,104``, ``607.8``."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _blank(values: pd.Series) -> np.ndarray:
    """Mask of NaN/None/NA or empty (whitespace-only) string values."""
    na = values.isna().to_numpy(dtype=bool, copy=True)
    # the usual case, strings without surrounding whitespace, needs no string conversion
    if all(missing or (isinstance(v, str) and v and v.strip() == v)
           for missing, v in zip(na, values.to_numpy(dtype=object))):
        return na
    text = values.astype("string").str.strip().eq("").fillna(False)
    return na | text.to_numpy(dtype=bool)


def _to_dates(values: pd.Series, name: str = "published",
              hint: str = "; give every date with the same time zone, or every date "
                          "without one") -> pd.Series:
    """``values`` as datetimes; ValueError naming ``name`` and the value that is not a date
    (shared by the consensus and the track record)."""
    try:
        return pd.to_datetime(values)
    except (TypeError, ValueError, OverflowError) as exc:
        for label, x in values.items():
            if x is None or x is pd.NaT or (isinstance(x, float) and np.isnan(x)):
                continue
            try:
                pd.Timestamp(x)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"{name} must hold dates, got {x!r} (at {label!r})") from exc
        raise ValueError(f"{name} cannot be read as dates ({exc}){hint}") from exc


def _asof(asof: Any) -> pd.Timestamp:
    try:
        asof_ts = pd.Timestamp(asof)
    except (TypeError, ValueError, OverflowError) as exc:
        kind = TypeError if isinstance(exc, TypeError) else ValueError
        raise kind(f"asof must be a date, got {asof!r}") from exc
    if asof_ts is pd.NaT:
        raise ValueError(f"asof must be a date, got {asof!r}")
    return asof_ts


def _same_tz(published: pd.Series, asof_ts: pd.Timestamp) -> pd.Series:
    """Refuse tz-aware ``published`` with a naive ``asof`` (or the reverse)."""
    pub_tz = getattr(published.dt, "tz", None)
    if (pub_tz is None) == (asof_ts.tz is None):
        return published
    if published.isna().all():  # nothing to compare: take asof's convention
        if asof_ts.tz is None:
            return published.dt.tz_localize(None)
        return published.dt.tz_localize(asof_ts.tz)
    pub_text = f"tz-aware ({pub_tz})" if pub_tz is not None else "naive (no time zone)"
    asof_text = f"tz-aware ({asof_ts.tz})" if asof_ts.tz is not None else "naive (no time zone)"
    raise ValueError(
        f"published dates are {pub_text} but asof {asof_ts} is {asof_text}; "
        "give both with a time zone or both without"
    )


_PLAIN_PATHS = True
"""Order plain rows (string brokers, naive dates) in Python rather than with pandas'
sorts and groupbys: the same result, without their per-call overhead. The tests switch
it off to check that both paths agree."""


def _follow_dated(w: pd.DataFrame, undated: np.ndarray, dated: np.ndarray) -> np.ndarray:
    """Position of the dated row each undated row provably follows (-1: none).

    ``w`` has positions as index and columns ``broker``, ``target``,
    ``previous_target`` and ``published``.  An undated row follows the dated row
    of the same broker whose target equals its ``previous_target`` (the latest
    such row if the broker published that target more than once).
    """
    pred = np.full(len(w), -1, dtype=np.int64)
    previous = w["previous_target"].to_numpy(dtype=float)
    followers = np.flatnonzero(undated & ~np.isnan(previous))
    if not followers.size or not dated.any():
        return pred
    brokers = w["broker"].to_numpy(dtype=object)
    targets = w["target"].to_numpy(dtype=float)
    if not (_PLAIN_PATHS and all(isinstance(b, str) for b in brokers[dated | undated])):
        return _follow_dated_frame(w, undated, dated)
    candidates = np.flatnonzero(dated)
    published = w["published"].to_numpy()[candidates]
    last: dict[tuple[str, float], int] = {}  # the latest dated row per (broker, target)
    for i in candidates[np.argsort(published, kind="stable")]:
        last[(brokers[i], float(targets[i]))] = int(i)
    for i in followers:
        pred[i] = last.get((brokers[i], float(previous[i])), -1)
    return pred


def _follow_dated_frame(w: pd.DataFrame, undated: np.ndarray, dated: np.ndarray) -> np.ndarray:
    """:func:`_follow_dated` with pandas, for brokers that are not all strings."""
    pred = np.full(len(w), -1, dtype=np.int64)
    u = w.loc[undated & w["previous_target"].notna().to_numpy(), ["broker", "previous_target"]]
    d = w.loc[dated, ["broker", "target", "published"]].sort_values("published", kind="stable")
    last = d.groupby(["broker", "target"], dropna=False, sort=False).tail(1)
    match = (
        u.rename(columns={"previous_target": "target"})
        .assign(pos=u.index)
        .merge(last.assign(pred=last.index)[["broker", "target", "pred"]], on=["broker", "target"])
    )
    pred[match["pos"].to_numpy(dtype=np.int64)] = match["pred"].to_numpy(dtype=np.int64)
    return pred


def _follow_none(w: pd.DataFrame, undated: np.ndarray, dated: np.ndarray) -> np.ndarray:
    """No undated row is placed in time."""
    return np.full(len(w), -1, dtype=np.int64)


_UNDATED_RULES = {"follow": _follow_dated, "exclude": _follow_none}


def consensus(
    targets: pd.DataFrame,
    *,
    asof: Any = None,
    max_age_days: int = 365,
    undated: Literal["follow", "exclude"] = "follow",
) -> Consensus:
    """Consensus of the latest price target per broker as of ``asof``.

    One rule, applied row by row, and reported per row in ``Consensus.rows``:

    1. Every row gets an ``effective_date``, the date it counts from: its
       ``published`` date, or, for an undated row (``published`` is NaT) placed
       by the ``undated`` rule (step 3), the date of the target it follows.
    2. Rows published after ``asof`` are not yet known: ``"after asof"``.  Rows
       without a numeric price target (a NaN target, or ``kind != 'price'``
       when a ``kind`` column exists, such as "at least 20 % upside" claims)
       are ``"not a price target"``; price targets without a broker (NaN or
       empty: one broker's view cannot be told from another's) are ``"no
       broker"``; price targets without a currency (NaN or empty) when other
       rows have one are ``"unknown currency"`` (never averaged into a
       consensus in another currency).  All three are counted in ``excluded``.
    3. Undated price targets, by ``undated``:

       * ``"follow"`` (default): an undated row whose ``previous_target``
         (optional column) equals the target of a dated price row of the same
         broker known at ``asof`` *provably follows it*: it takes that row's
         date as its ``effective_date`` and is ordered right after it, so it
         supersedes it as the broker's latest view and ages from that date.
         If the broker published that target more than once, the latest such
         row is the one followed.
       * ``"exclude"``: no undated row is placed.

       Every undated row not placed cannot be placed in time: ``"undated"``,
       counted in ``undated`` and left out.  No rule includes an undated
       target that cannot be placed in time.
    4. Per broker the placed rows are ordered by effective date (a follower
       right after the row it follows); the last one is the broker's latest
       target and every earlier one is ``"superseded"``.  Rows that tie (same
       broker, same effective date, both dated or both followers) cannot be
       ordered: the highest target is taken as the latest and a warning says so
       (among equal targets, the one with the highest ``previous_target``, then
       the last in input order, so the result never depends on the row order).
    5. A broker whose latest target's effective date is more than
       ``max_age_days`` before ``asof`` is left out: ``"stale"`` (counted in
       ``stale``).  The remaining latest targets are ``"used"``, one per
       broker: exactly the consensus members, so ``count`` is their number and
       ``mean``, ``median``, ``high``, ``low`` and
       ``dispersion = std(ddof=1) / mean`` are their statistics.

    Warnings say how many rows were left out as stale and as undated, and name
    every row placed by the follow rule and the target it follows.

    Parameters
    ----------
    targets : pandas.DataFrame
        Columns ``broker``, ``target``, ``currency``, ``published`` (NaT: date
        unknown); optional ``kind`` (``'price'`` or another kind of claim) and
        ``previous_target`` (the broker's target before this one).
    asof : date-like, optional
        Default: the latest ``published`` date in the table (never the clock).
    max_age_days : int
        Maximum age of a broker's latest target in days (default 365).
    undated : {"follow", "exclude"}
        What to do with rows without a published date (step 3).

    Returns
    -------
    Consensus
        The statistics, ``table`` (the used rows, one per broker) and ``rows``
        (every input row, same index, plus ``effective_date`` and
        ``consensus_status``; existing columns of those names are replaced).

    Raises
    ------
    ValueError
        Missing columns, several currencies (naming them), non-positive
        targets, an unknown ``undated`` rule, a non-positive ``max_age_days``,
        ``published`` values or an ``asof`` that are not dates, tz-aware
        ``published`` dates with a naive ``asof`` (or the reverse).
    TypeError
        ``targets`` not a DataFrame, non-numeric ``target`` or ``previous_target``.

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
    >>> c.rows["consensus_status"].tolist()
    ['superseded', 'used', 'used', 'stale']

    The follow rule: broker A's undated 130 says its previous target was the
    100 of 2025-06-01, so it supersedes it and is dated from it; B's undated
    150 follows no dated target of B and is left out.

    >>> t2 = pd.DataFrame({"broker": ["A", "A", "B", "B"],
    ...                    "target": [100.0, 130.0, 120.0, 150.0],
    ...                    "previous_target": [90.0, 100.0, None, 110.0],
    ...                    "currency": "USD",
    ...                    "published": pd.to_datetime(["2025-06-01", None,
    ...                                                 "2025-05-01", None])})
    >>> c = consensus(t2, asof="2025-06-30")
    >>> c.mean, c.count, c.undated
    (125.0, 2, 1)
    >>> c.rows["consensus_status"].tolist()
    ['superseded', 'used', 'used', 'undated']
    >>> c.rows.loc[1, "effective_date"]  # A's 130 counts from the 100 it follows
    Timestamp('2025-06-01 00:00:00')
    >>> c.warnings[-1]
    'A 130 has no published date; it follows the 100 target of 2025-06-01 and is dated from it'
    >>> consensus(t2, asof="2025-06-30", undated="exclude").mean
    110.0
    """
    if not isinstance(targets, pd.DataFrame):
        raise TypeError(f"targets must be a pandas DataFrame, got {type(targets).__name__}")
    if not isinstance(undated, str) or undated not in _UNDATED_RULES:
        raise ValueError(f"undated must be one of {list(_UNDATED_RULES)}, got {undated!r}")
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
    n = len(targets)
    w = pd.DataFrame({"broker": targets["broker"].to_numpy(dtype=object)})  # positions as index
    for col in ("target", "previous_target"):
        values = targets[col] if col in targets.columns else pd.Series(np.nan, index=targets.index)
        try:
            w[col] = pd.to_numeric(values, errors="raise").to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"targets[{col!r}] must be numeric: {exc}") from exc
    if n:
        check(w["target"].to_numpy(), "target", index=targets.index, allow_nan=True, gt=0)
    no_currency = _blank(targets["currency"])
    currencies = sorted({str(c) for c in targets["currency"][~no_currency]})
    if len(currencies) > 1:
        raise ValueError(
            f"targets mix currencies {' and '.join(currencies)}; convert to one currency first"
        )
    currency = currencies[0] if currencies else None
    if currency is None:
        no_currency[:] = False  # no row has a currency: nothing to mix with
    no_broker = _blank(targets["broker"])
    published = _to_dates(targets["published"])
    if asof is None:
        asof_ts = published.max() if published.notna().any() else None
    else:
        asof_ts = _asof(asof)
        published = _same_tz(published, asof_ts)
    w["published"] = published.to_numpy()
    pub = w["published"]

    # step 2: not yet known, not a price target
    after = (pub > asof_ts).to_numpy() if asof_ts is not None else np.zeros(n, dtype=bool)
    is_price = w["target"].notna().to_numpy(copy=True)
    if "kind" in targets.columns:
        kinds = targets["kind"]
        missing = kinds.isna().to_numpy(dtype=bool)
        items = kinds.to_numpy(dtype=object)
        if all(m or (isinstance(v, str) and v.isascii()) for m, v in zip(missing, items)):
            kind = np.array([m or v.lower() == "price" for m, v in zip(missing, items)],
                            dtype=bool)
        else:
            kind = kinds.astype("string").fillna("price").str.lower().eq("price")
            kind = kind.to_numpy(dtype=bool)
        is_price &= kind
    known = ~after & is_price & ~no_broker & ~no_currency
    dated = known & pub.notna().to_numpy()
    no_date = known & pub.isna().to_numpy()
    # step 3: place undated rows that provably follow a dated one
    pred = _UNDATED_RULES[undated](w, no_date, dated)
    follows = pred >= 0
    eff = pub.to_numpy().copy()
    eff[follows] = pub.to_numpy()[pred[follows]]
    w["effective_date"] = eff
    # step 4: latest per broker (ties: highest target last)
    placed = dated | follows
    brokers = w["broker"].to_numpy(dtype=object)
    targets_ = w["target"].to_numpy(dtype=float)
    previous_ = w["previous_target"].to_numpy(dtype=float)
    # plain rows (string brokers, datetime64 dates) are ordered in Python, the same order
    # as pandas' stable multi-key sort gives, without its per-call overhead
    plain = (_PLAIN_PATHS and all(isinstance(b, str) for b in brokers[known])
             and isinstance(w["effective_date"].dtype, np.dtype)
             and w["effective_date"].dtype.kind == "M")
    if plain:
        eff_i8 = w["effective_date"].to_numpy().view("i8")
        prev_key = np.where(np.isnan(previous_), -np.inf, previous_)
        sorted_pos = sorted(
            np.flatnonzero(placed).tolist(),
            key=lambda i: (brokers[i], eff_i8[i], bool(follows[i]), targets_[i], prev_key[i]),
        )
        order = None
        latest_of: dict[str, int] = {}
        for i in sorted_pos:
            latest_of[brokers[i]] = i
        latest = np.zeros(n, dtype=bool)
        latest[list(latest_of.values())] = True
    else:
        order = pd.DataFrame(
            {
                "broker": w["broker"][placed],
                "effective_date": w["effective_date"][placed],
                "follower": follows[placed],
                "target": w["target"][placed],
                "previous": w["previous_target"][placed].fillna(-np.inf),
            }
        ).sort_values(["broker", "effective_date", "follower", "target", "previous"],
                      kind="stable")
        latest = np.zeros(n, dtype=bool)
        latest[order.groupby("broker", dropna=False, sort=False).tail(1).index] = True
    # step 5: age of each broker's latest target
    stale_mask = np.zeros(n, dtype=bool)
    if asof_ts is not None:
        age = (asof_ts - w["effective_date"]).dt.days
        stale_mask = latest & (age > max_age_days).to_numpy(dtype=bool)
    status = np.full(n, "", dtype=object)
    status[after] = "after asof"
    status[~after & ~is_price] = "not a price target"
    status[~after & is_price & no_broker] = "no broker"
    status[~after & is_price & ~no_broker & no_currency] = "unknown currency"
    status[no_date & ~follows] = "undated"
    status[placed & ~latest] = "superseded"
    status[latest & stale_mask] = "stale"
    status[latest & ~stale_mask] = "used"
    used = status == "used"

    rows = targets.copy()
    rows["effective_date"] = w["effective_date"].to_numpy()
    rows["consensus_status"] = pd.Series(status, index=targets.index, dtype=object)
    if plain:  # one used row per broker: sorted by broker
        table = rows.iloc[sorted(np.flatnonzero(used).tolist(), key=lambda i: brokers[i])]
        table = table.reset_index(drop=True)
    else:
        table = (
            rows[used]
            .assign(_broker=w["broker"][used].to_numpy())
            .sort_values("_broker", kind="stable")
            .drop(columns="_broker")
            .reset_index(drop=True)
        )
    values = np.sort(w["target"].to_numpy()[used])
    count = int(values.size)
    stale = int(stale_mask.sum())
    n_undated = int((status == "undated").sum())
    n_no_broker = int((status == "no broker").sum())
    n_no_currency = int((status == "unknown currency").sum())
    excluded = int((status == "not a price target").sum()) + n_no_broker + n_no_currency

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
    if n_no_broker:
        warnings.append(f"{n_no_broker} target(s) without a broker left out")
    if n_no_currency:
        warnings.append(
            f"{n_no_currency} target(s) without a currency left out (the others are in {currency})"
        )
    if n_undated:
        if plain:
            left_pos = sorted(np.flatnonzero(status == "undated").tolist(),
                              key=lambda i: (brokers[i], targets_[i]))
            pairs = [(brokers[i], float(targets_[i])) for i in left_pos]
        else:
            left = w[status == "undated"].sort_values(["broker", "target"], kind="stable")
            pairs = list(zip(left["broker"], left["target"]))
        names = "; ".join(f"{b} {_fmt_target(t)}" for b, t in pairs)
        warnings.append(
            f"{n_undated} target(s) without a published date left out "
            f"(they cannot be placed in time): {names}"
        )
    if follows.any():
        placed_rows = w[follows].sort_values(["broker", "target", "previous_target"],
                                             kind="stable")
        for r in placed_rows.itertuples():
            warnings.append(
                f"{r.broker} {_fmt_target(r.target)} has no published date; it follows the "
                f"{_fmt_target(r.previous_target)} target of {r.effective_date.date()} "
                "and is dated from it"
            )
    if plain:
        ties: dict[tuple[str, int, bool], list[int]] = {}
        for i in sorted_pos:
            ties.setdefault((brokers[i], int(eff_i8[i]), bool(follows[i])), []).append(i)
        for i in sorted_pos:
            if not latest[i]:
                continue
            tied = [float(targets_[j]) for j in ties[(brokers[i], int(eff_i8[i]),
                                                      bool(follows[i]))]]
            if len(set(tied)) > 1:
                warnings.append(
                    f"{brokers[i]} has {len(tied)} targets that count from "
                    f"{w['effective_date'].iloc[i].date()} "
                    f"({', '.join(_fmt_target(x) for x in tied)}) "
                    f"in an unknown order; the highest, {_fmt_target(targets_[i])}, is taken "
                    "as its latest"
                )
    else:
        top = order.loc[latest[order.index]]
        for r in top.itertuples():
            tied = order[
                (order["broker"] == r.broker)
                & (order["effective_date"] == r.effective_date)
                & (order["follower"] == r.follower)
            ]["target"]
            if tied.nunique() > 1:
                warnings.append(
                    f"{r.broker} has {len(tied)} targets that count from "
                    f"{r.effective_date.date()} ({', '.join(_fmt_target(x) for x in tied)}) "
                    f"in an unknown order; the highest, {_fmt_target(r.target)}, is taken as "
                    "its latest"
                )
    return Consensus(
        mean=mean,
        median=median,
        high=high,
        low=low,
        count=count,
        dispersion=dispersion,
        stale=stale,
        undated=n_undated,
        excluded=excluded,
        currency=currency,
        asof=asof_ts,
        table=table,
        rows=rows,
        warnings=tuple(warnings),
    )

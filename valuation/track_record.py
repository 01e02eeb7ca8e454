"""Analyst target track record: was a price target reached, how fast, how far off.

Vectorised over targets: one call scores thousands of targets against a wide price
table (dates × symbols) at once.

Conventions
-----------
A target is set on day ``t0`` (a calendar date) for a ``symbol``.  Its **reference
price** ``p0`` is the close of the last session on or before ``t0``.  Its **horizon
end** is ``t0 + horizon`` in calendar terms (``"12m"``: the same day twelve months
later, clipped to the month's end; ``"365d"``: 365 calendar days).

* **Window**: the sessions strictly after ``t0`` up to and including
  ``min(horizon end, asof)``.  A session is a date on which the symbol has a close.
* **Direction**: a target at or above ``p0`` is bullish (``"up"``), below ``p0``
  bearish (``"down"``).  A *bound* (``kind == "min_upside"``: "at least x % upside")
  is always ``"up"``.
* **Touch**: a bullish target is touched on the first window session whose high
  (the close when no high is stored for that session) is at or above the target;
  a bearish one when the low (else the close) is at or below it.  ``touch_basis``
  says what was compared: ``"high"``/``"low"`` when every session checked had one,
  ``"close"`` when none had, ``"high+close"``/``"low+close"`` when some had.
* ``days_to_touch``: calendar days from ``t0`` to the touch session.
* ``price_at_horizon``: the last close on or before the horizon end, given only once
  the horizon has ended (horizon end on or before ``asof``); ``error_at_horizon =
  target / price_at_horizon - 1`` (positive: the target was too high) and
  ``return_at_horizon = price_at_horizon / p0 - 1``.
* **Excursions**, as decimal moves from ``p0`` measured in the target's direction
  over the whole window (not stopped at the touch): ``mfe`` (maximum favourable
  excursion, >= 0) is the largest move towards the target (for a bullish target
  ``max(high) / p0 - 1``, for a bearish one ``1 - min(low) / p0``); ``mae`` (maximum
  adverse excursion, <= 0) the largest move against it (bullish: ``min(low) / p0 -
  1``; bearish: ``1 - max(high) / p0``); 0 when the price never moved that way.
* **Status** (:data:`STATUSES`): ``"hit"`` touched within the window (even before
  the horizon has ended); ``"miss"`` horizon ended, never touched; ``"open"``
  horizon not ended and not touched yet: never a miss and never counted;
  ``"no price"`` no ``p0`` (no close on or before ``t0`` within ``max_gap_days``, an
  unknown symbol) or, for an ended untouched target, no close within
  ``max_gap_days`` before the horizon end (the history does not cover it);
  ``"no target"`` no level to score (NaN target); ``"undated"`` no ``t0``;
  ``"after asof"`` set after ``asof`` (not known yet).  Only ``hit`` and ``miss``
  are *scored*.

Point in time: prices dated after ``asof`` are dropped before anything is computed,
so the result does not depend on them.  Currencies are the caller's job: targets and
prices of a symbol must be in the same currency.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import check, check_dates, check_int, check_labels_unique, to_array
from valuation._typing import FloatLike
from valuation.targets import _asof, _to_dates

__all__ = ["SCORE_COLUMNS", "STATUSES", "aggregate", "score_targets", "wilson_interval"]

#: Values of the ``status`` column of :func:`score_targets`.
STATUSES = ("hit", "miss", "open", "no price", "no target", "undated", "after asof")

#: Columns :func:`score_targets` adds to the targets (replacing any of the same name).
SCORE_COLUMNS = (
    "level", "direction", "p0", "p0_date", "horizon_end", "window_end", "sessions",
    "touch_basis", "touched", "touch_date", "days_to_touch", "price_at_horizon",
    "horizon_price_date", "error_at_horizon", "return_at_horizon", "mfe", "mae", "status",
)

#: Columns of :func:`aggregate` (its index is the grouping column).
AGGREGATE_COLUMNS = (
    "targets", "scored", "hits", "misses", "open", "hit_rate", "wilson_low", "wilson_high",
    "median_error", "median_days_to_touch", "flag",
)

_KINDS = ("price", "min_upside")
_CHUNK_CELLS = 4_000_000  # targets × window sessions gathered at once (memory bound)


# --------------------------------------------------------------------------- inputs


def parse_horizon(horizon: Any) -> tuple[pd.DateOffset, str]:
    """``"12m"``, ``"1y"``, ``"365d"`` (or a positive ``pandas.DateOffset``) → offset, text.

    Raises ValueError naming ``horizon`` and the value for anything else, including a
    zero or negative horizon.
    """
    if isinstance(horizon, pd.DateOffset):
        probe = pd.Timestamp("2000-01-01")
        if probe + horizon <= probe:
            raise ValueError(f"horizon must be positive, got {horizon!r}")
        return horizon, str(horizon)
    if not isinstance(horizon, str):
        raise TypeError(f"horizon must be a string such as '12m', '1y' or '365d', got "
                        f"{horizon!r}")
    m = re.fullmatch(r"\s*([+-]?\d+)\s*([dmy])\s*", horizon.lower())
    if m is None:
        raise ValueError(f"horizon must be a number of days, months or years such as '365d', "
                         f"'12m' or '1y', got {horizon!r}")
    n, unit = int(m.group(1)), m.group(2)
    if n <= 0:
        raise ValueError(f"horizon must be positive, got {horizon!r}")
    offset = {"d": pd.DateOffset(days=n), "m": pd.DateOffset(months=n),
              "y": pd.DateOffset(years=n)}[unit]
    return offset, f"{n}{unit}"


def _dates(values: pd.Series, name: str) -> pd.Series:
    """``values`` as naive, day-normalised datetimes; ValueError naming the bad value."""
    out = _to_dates(values, name, hint="")
    if getattr(out.dt, "tz", None) is not None:
        raise ValueError(f"{name} must be dates without a time zone, got {out.dt.tz}")
    return out.dt.normalize()


def _wide(frame: Any, name: str, asof: pd.Timestamp) -> pd.DataFrame:
    """A validated wide price frame (dates × symbols) cut at ``asof``."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame (dates × symbols), got "
                        f"{type(frame).__name__}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ValueError(f"{name} must have a DatetimeIndex of session dates, got "
                         f"{type(frame.index).__name__}")
    if frame.index.tz is not None:
        raise ValueError(f"{name} dates must be without a time zone, got {frame.index.tz}")
    check_dates(frame.index, name, increasing=True)
    check_labels_unique(frame.columns, f"{name} columns")
    cut = frame[frame.index <= asof]
    for col in cut.columns:
        if not pd.api.types.is_numeric_dtype(cut[col]) or pd.api.types.is_bool_dtype(cut[col]):
            raise TypeError(f"{name} must be numeric, got dtype {cut[col].dtype} in column "
                            f"{col!r}")
    values = cut.to_numpy(dtype=float, na_value=np.nan, copy=True)
    if values.size:
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(values) & ~(values > 0) | np.isinf(values)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"{name} must be finite and greater than 0, got "
                             f"{values[i, j]:g} (at {cut.index[i].date()}, {cut.columns[j]!r})")
    return pd.DataFrame(values, index=cut.index, columns=cut.columns)


def _column(targets: pd.DataFrame, name: str, **rules: Any) -> np.ndarray:
    arr, _ = to_array(targets[name], name)
    if not len(arr):
        return arr
    return check(arr, name, index=targets.index, allow_nan=True, **rules)


# --------------------------------------------------------------------------- scoring


def score_targets(
    targets: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    asof: Any,
    highs: pd.DataFrame | None = None,
    lows: pd.DataFrame | None = None,
    horizon: str | pd.DateOffset = "12m",
    max_gap_days: int = 10,
) -> pd.DataFrame:
    """Score analyst price targets against the price path that followed them.

    See the module docstring for the window, touch, excursion and status rules.

    Parameters
    ----------
    targets : pandas.DataFrame
        One row per target: ``symbol``, ``t0`` (date set; NaT: undated), ``target``
        (the level, > 0; NaN: no level).  Optional ``kind`` (``"price"``, default, or
        ``"min_upside"`` for a bound: "the price will exceed ``reference × (1 +
        min_upside)``") and ``min_upside`` (> -1): a bound whose ``target`` is NaN is
        scored against ``p0 × (1 + min_upside)`` (a claim relative to the close at
        ``t0``; give the implied level in ``target`` for any other reference, such
        as the 52-week high).  Any other columns (broker, currency…) are kept.
    prices : pandas.DataFrame
        Daily closes, dates × symbols (a ``DatetimeIndex`` of session dates, no time
        zone); NaN where a symbol did not trade.  Rows after ``asof`` are ignored.
    asof : date-like
        Point in time: nothing dated later is used, and a horizon that ends later
        is not over.
    highs, lows : pandas.DataFrame, optional
        Daily highs and lows, aligned to ``prices`` by label (dates and symbols);
        the close stands in where they are missing.
    horizon : str or pandas.DateOffset
        ``"12m"`` (default), ``"1y"``, ``"365d"``…: calendar time from ``t0``.
    max_gap_days : int
        The most calendar days the close used as ``p0`` (or as the price at the
        horizon) may lie before its date (default 10: longer than the longest
        exchange holiday); older means the history does not cover it: ``"no price"``.

    Returns
    -------
    pandas.DataFrame
        The targets (same index, same columns) plus :data:`SCORE_COLUMNS`:
        ``level`` (what was scored), ``direction`` (``up``/``down``), ``p0``,
        ``p0_date``, ``horizon_end``, ``window_end`` (``min(horizon_end, asof)``),
        ``sessions`` (in the window), ``touch_basis``, ``touched`` (bool),
        ``touch_date``, ``days_to_touch`` (float, whole days), ``price_at_horizon``,
        ``horizon_price_date``, ``error_at_horizon``, ``return_at_horizon``, ``mfe``,
        ``mae`` and ``status``.

    Raises
    ------
    ValueError
        Missing columns, duplicate labels, a ``target`` <= 0, an unknown ``kind``, a
        ``min_upside`` <= -1, ``t0`` values that are not dates, a non-positive
        ``horizon``, prices that are not positive, dates not increasing.
    TypeError
        Non-DataFrame or non-numeric inputs.

    Examples
    --------
    >>> days = pd.bdate_range("2025-01-01", periods=60)
    >>> closes = pd.DataFrame({"X": np.linspace(100, 130, 60)}, index=days)
    >>> t = pd.DataFrame({"symbol": ["X", "X"], "t0": [days[0], days[0]],
    ...                   "target": [110.0, 200.0]})
    >>> s = score_targets(t, closes, asof=days[-1], horizon="12m")
    >>> s.loc[0, "status"], s.loc[0, "touch_basis"], float(s.loc[0, "days_to_touch"])
    ('hit', 'close', 28.0)
    >>> s.loc[1, "status"]  # not reached, horizon not over: open, never a miss
    'open'
    """
    if not isinstance(targets, pd.DataFrame):
        raise TypeError(f"targets must be a DataFrame, got {type(targets).__name__}")
    missing = [c for c in ("symbol", "t0", "target") if c not in targets.columns]
    if missing:
        raise ValueError(f"targets lacks columns {missing} (needs symbol, t0, target)")
    check_labels_unique(targets.index, "targets")
    offset, _ = parse_horizon(horizon)
    gap = check_int(max_gap_days, "max_gap_days", ge=0)
    asof_ts = _asof(asof)
    if asof_ts.tz is not None:
        raise ValueError(f"asof must be a date without a time zone, got {asof!r}")
    asof_ts = asof_ts.normalize()

    closes = _wide(prices, "prices", asof_ts)
    aligned = []
    for frame, name in ((highs, "highs"), (lows, "lows")):
        if frame is None:
            aligned.append(None)
            continue
        w = _wide(frame, name, asof_ts)
        aligned.append(w.reindex(index=closes.index, columns=closes.columns).to_numpy())
    hi_all, lo_all = aligned

    n = len(targets)
    t0 = _dates(targets["t0"], "t0")
    target = _column(targets, "target", gt=0)
    kind = (targets["kind"].to_numpy(dtype=object) if "kind" in targets.columns
            else np.full(n, "price", dtype=object))
    bad_kind = ~np.isin(kind, _KINDS)
    if bad_kind.any():
        i = int(np.flatnonzero(bad_kind)[0])
        raise ValueError(f"kind must be one of {list(_KINDS)}, got {kind[i]!r} "
                         f"(at {targets.index[i]!r})")
    bound = kind == "min_upside"
    mu = (_column(targets, "min_upside", gt=-1) if "min_upside" in targets.columns
          else np.full(n, np.nan))

    dates = closes.index
    c_all = closes.to_numpy()
    m = len(dates)
    col = pd.Index(closes.columns).get_indexer(targets["symbol"].to_numpy(dtype=object))
    t0_ns = t0.to_numpy(dtype="datetime64[ns]")
    has_t0 = ~np.isnat(t0_ns)
    known = has_t0 & (t0_ns <= np.datetime64(asof_ts))
    h_end = (pd.DatetimeIndex(t0) + offset).to_numpy(dtype="datetime64[ns]")
    asof64 = np.datetime64(asof_ts, "ns")
    w_end = np.where(has_t0, np.minimum(h_end, asof64), np.datetime64("NaT"))
    ended = known & (h_end <= asof64)
    d64 = dates.to_numpy(dtype="datetime64[ns]")

    # last session with a close on or before each date, per symbol
    if m:
        pos = np.where(np.isfinite(c_all), np.arange(m)[:, None], -1)
        last = np.maximum.accumulate(pos, axis=0)
    else:
        last = np.zeros((0, closes.shape[1]), dtype=np.int64)

    def last_close(when: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = np.searchsorted(d64, np.where(ok, when, d64[0] if m else when), side="right") - 1
        valid = ok & (col >= 0) & (k >= 0) & (m > 0)
        p = np.full(n, -1, dtype=np.int64)
        if valid.any():
            p[valid] = last[k[valid], col[valid]]
        valid &= p >= 0
        price = np.full(n, np.nan)
        day = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        price[valid] = c_all[p[valid], col[valid]]
        day[valid] = d64[p[valid]]
        fresh = valid & ((when - day) <= np.timedelta64(gap, "D"))
        price[~fresh] = np.nan
        day[~fresh] = np.datetime64("NaT")
        return price, day

    p0, p0_date = last_close(t0_ns, known)
    with np.errstate(invalid="ignore", over="ignore"):
        implied = p0 * (1.0 + mu)
    level = np.where(bound & np.isnan(target) & np.isfinite(mu), implied, target)
    scorable = known & np.isfinite(level) & np.isfinite(p0)
    bull = bound | (level >= p0)

    start = np.searchsorted(d64, t0_ns, side="right")
    stop = np.searchsorted(d64, np.where(has_t0, w_end, d64[0] if m else w_end), side="right")
    length = np.where(scorable, np.maximum(stop - start, 0), 0)

    sessions = np.zeros(n, dtype=np.int64)
    touched = np.zeros(n, dtype=bool)
    touch_pos = np.full(n, -1, dtype=np.int64)
    n_checked = np.zeros(n, dtype=np.int64)
    n_extreme = np.zeros(n, dtype=np.int64)
    mfe = np.full(n, np.nan)
    mae = np.full(n, np.nan)

    rows = np.flatnonzero(length > 0)
    width = int(length.max()) if rows.size else 0
    step = max(1, _CHUNK_CELLS // max(width, 1))
    for a in range(0, rows.size, step):
        r = rows[a:a + step]
        off = np.arange(width)
        inwin = off[None, :] < length[r, None]
        idx = np.minimum(start[r, None] + off[None, :], m - 1)
        cj = col[r, None]
        cc = np.where(inwin, c_all[idx, cj], np.nan)
        sess = np.isfinite(cc)
        hh = hi_all[idx, cj] if hi_all is not None else np.full(cc.shape, np.nan)
        ll = lo_all[idx, cj] if lo_all is not None else np.full(cc.shape, np.nan)
        hh_ok, ll_ok = np.isfinite(hh) & sess, np.isfinite(ll) & sess
        up = np.where(hh_ok, hh, cc)
        down = np.where(ll_ok, ll, cc)
        b = bull[r, None]
        lv = level[r, None]
        with np.errstate(invalid="ignore"):
            hit_m = np.where(b, up >= lv, down <= lv) & sess
        any_hit = hit_m.any(axis=1)
        first = np.argmax(hit_m, axis=1)
        upto = np.where(any_hit[:, None], off[None, :] <= first[:, None], True) & sess
        ext_ok = np.where(b, hh_ok, ll_ok)
        sessions[r] = sess.sum(axis=1)
        touched[r] = any_hit
        touch_pos[r] = np.where(any_hit, start[r] + first, -1)
        n_checked[r] = upto.sum(axis=1)
        n_extreme[r] = (ext_ok & upto).sum(axis=1)
        p = p0[r, None]
        sign = np.where(b, 1.0, -1.0)
        fav = np.where(sess, sign * (np.where(b, up, down) / p - 1.0), -np.inf)
        adv = np.where(sess, sign * (np.where(b, down, up) / p - 1.0), np.inf)
        mfe[r] = np.maximum(fav.max(axis=1), 0.0)
        mae[r] = np.minimum(adv.min(axis=1), 0.0)

    touch_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    touch_date[touched] = d64[touch_pos[touched]]
    days = np.where(touched, (touch_date - t0_ns) / np.timedelta64(1, "D"), np.nan)

    hp, hp_date = last_close(h_end, ended & scorable)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = level / hp - 1.0
        ret = hp / p0 - 1.0

    status = np.full(n, "open", dtype=object)
    status[ended & scorable & ~touched] = "miss"
    status[ended & scorable & ~touched & np.isnan(hp)] = "no price"
    status[touched] = "hit"
    status[known & np.isfinite(level) & np.isnan(p0)] = "no price"
    status[known & np.isnan(level)] = "no target"
    status[has_t0 & ~known] = "after asof"
    status[~has_t0] = "undated"

    ext_name = np.where(bull, "high", "low")
    basis = np.where(n_extreme == n_checked, ext_name,
                     np.where(n_extreme == 0, "close", np.char.add(ext_name, "+close")))
    basis = np.where(scorable & (n_checked > 0), basis, None).astype(object)
    valid = scorable
    nat = np.datetime64("NaT")

    out = targets.copy()
    cols = {
        "level": np.where(known, level, np.nan),
        "direction": np.where(valid, np.where(bull, "up", "down"), None).astype(object),
        "p0": p0,
        "p0_date": p0_date,
        "horizon_end": np.where(has_t0, h_end, nat),
        "window_end": np.where(has_t0, w_end, nat),
        "sessions": sessions,
        "touch_basis": basis,
        "touched": touched,
        "touch_date": touch_date,
        "days_to_touch": days,
        "price_at_horizon": hp,
        "horizon_price_date": hp_date,
        "error_at_horizon": error,
        "return_at_horizon": ret,
        "mfe": np.where(valid & (sessions > 0), mfe, np.nan),
        "mae": np.where(valid & (sessions > 0), mae, np.nan),
        "status": status,
    }
    for name in SCORE_COLUMNS:
        value = cols[name]
        # text columns stay object (pandas would otherwise infer a string dtype from
        # some subsets and not others)
        dtype = object if name in ("direction", "touch_basis", "status") else None
        out[name] = pd.Series(value, index=out.index, dtype=dtype)
    return out


# --------------------------------------------------------------------------- aggregates


def wilson_interval(successes: FloatLike, n: FloatLike, *, confidence: float = 0.95
                    ) -> tuple[Any, Any]:
    """Wilson score interval of a proportion ``successes / n``, vectorised.

    With ``p = k / n`` and ``z`` the ``(1 + confidence) / 2`` normal quantile::

        centre = (p + z² / 2n) / (1 + z² / n)
        half   = z / (1 + z² / n) · sqrt(p (1 - p) / n + z² / 4n²)

    The interval is ``[centre - half, centre + half]``; NaN where ``n == 0``.  The
    same as ``statsmodels.stats.proportion.proportion_confint(k, n, method="wilson")``.

    Examples
    --------
    >>> lo, hi = wilson_interval(8, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4902, 0.9433)
    """
    if not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    is_series = isinstance(successes, pd.Series) or isinstance(n, pd.Series)
    index = (successes.index if isinstance(successes, pd.Series)
             else n.index if isinstance(n, pd.Series) else None)
    k, _ = to_array(successes, "successes")
    total, _ = to_array(n, "n")
    k, total = np.broadcast_arrays(k, total)
    if total.size:
        check(total, "n", ge=0)
        check(k, "successes", ge=0)
    if (k > total).any():
        i = np.argwhere(k > total)[0]
        raise ValueError(f"successes must be at most n, got {k[tuple(i)]:g} > "
                         f"{total[tuple(i)]:g}")
    from statistics import NormalDist  # ~1 ms to import; only this function needs it

    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / total
        denom = 1.0 + z * z / total
        centre = (p + z * z / (2.0 * total)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / total + z * z / (4.0 * total * total))
    lo = np.where(total > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    hi = np.where(total > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    if is_series:
        return pd.Series(lo, index=index, name="wilson_low"), pd.Series(
            hi, index=index, name="wilson_high")
    if lo.ndim == 0:
        return np.float64(lo), np.float64(hi)
    return lo, hi


def aggregate(
    scored: pd.DataFrame, *, by: str = "broker", min_scored: int = 5, confidence: float = 0.95
) -> pd.DataFrame:
    """Track record per group (broker, symbol, company…) of :func:`score_targets` rows.

    Parameters
    ----------
    scored : pandas.DataFrame
        The result of :func:`score_targets` (needs ``by``, ``status``,
        ``error_at_horizon`` and ``days_to_touch``).
    by : str
        The column to group by (``"broker"``, ``"symbol"``, ``"company"``…); rows
        whose key is missing form one group with a NaN label.
    min_scored : int
        Groups with fewer scored targets are kept but flagged.
    confidence : float
        Of the Wilson interval (default 0.95).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by`` (sorted), columns :data:`AGGREGATE_COLUMNS`: ``targets``
        (rows), ``scored`` (hit + miss: open and unscorable targets are never
        counted), ``hits``, ``misses``, ``open``, ``hit_rate = hits / scored`` (NaN
        when nothing was scored), ``wilson_low``/``wilson_high`` (see
        :func:`wilson_interval`), ``median_error`` (median ``error_at_horizon`` of
        the scored targets whose horizon has ended), ``median_days_to_touch`` (of
        the hits) and ``flag`` (True when ``scored < min_scored``).
    """
    if not isinstance(scored, pd.DataFrame):
        raise TypeError(f"scored must be a DataFrame, got {type(scored).__name__}")
    if not isinstance(by, str):
        raise TypeError(f"by must be a column name (str), got {by!r}")
    need = [by, "status", "error_at_horizon", "days_to_touch"]
    missing = [c for c in need if c not in scored.columns]
    if missing:
        raise ValueError(f"scored lacks columns {missing}; pass the result of score_targets")
    floor = check_int(min_scored, "min_scored", ge=1)
    status = scored["status"].to_numpy(dtype=object)
    unknown = sorted({str(s) for s in status} - set(STATUSES))
    if unknown:
        raise ValueError(f"status must be one of {list(STATUSES)}, got {unknown[:3]}")
    hit, miss = status == "hit", status == "miss"
    counted = hit | miss
    err = pd.to_numeric(scored["error_at_horizon"], errors="coerce").to_numpy(dtype=float)
    days = pd.to_numeric(scored["days_to_touch"], errors="coerce").to_numpy(dtype=float)
    work = pd.DataFrame({
        "key": scored[by].to_numpy(dtype=object), "hit": hit, "miss": miss,
        "open": status == "open", "err": np.where(counted, err, np.nan),
        "days": np.where(hit, days, np.nan),
    })
    g = work.groupby("key", dropna=False, sort=True).agg(
        targets=("hit", "size"), hits=("hit", "sum"), misses=("miss", "sum"),
        open=("open", "sum"), median_error=("err", "median"),
        median_days_to_touch=("days", "median"))
    g.index.name = by
    g["scored"] = g["hits"] + g["misses"]
    with np.errstate(invalid="ignore", divide="ignore"):
        g["hit_rate"] = np.where(g["scored"] > 0, g["hits"] / g["scored"].where(
            g["scored"] > 0, 1), np.nan)
    lo, hi = wilson_interval(g["hits"].to_numpy(dtype=float), g["scored"].to_numpy(dtype=float),
                             confidence=confidence) if len(g) else (np.array([]), np.array([]))
    g["wilson_low"], g["wilson_high"] = lo, hi
    g["flag"] = g["scored"] < floor
    return g.reindex(columns=list(AGGREGATE_COLUMNS)).astype(
        {"targets": "int64", "scored": "int64", "hits": "int64", "misses": "int64",
         "open": "int64", "flag": bool})

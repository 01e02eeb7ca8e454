"""Exchange sessions and staleness, judged in *sessions* of the listing's exchange.

Calendars come from ``exchange_calendars`` (imported lazily; it is slow to import), picked
by Yahoo suffix:

=============  =========  ================================================================
suffix         calendar   note
=============  =========  ================================================================
``.SS``        XSHG       Shanghai
``.SZ``        XSHG       exchange_calendars has no XSHE; Shenzhen and Shanghai share the
                          same mainland holidays and hours, so XSHG is used for both
``.HK``        XHKG       Hong Kong
``=X``         WEEKDAY    FX has no exchange: Mon–Fri are sessions, each closing at 23:59 UTC
``^…``/none    XNYS       New York (indices and US listings)
=============  =========  ================================================================

A session is *completed* once its close time has passed. Outside the calendar's range
(exchange_calendars' calendars end around the end of next year) the functions fall back to
Mon–Fri with the exchange's usual close time and log that they did (no crash).

``now`` is always a parameter: a naive datetime is taken as UTC. For a past ``asof`` date
(point in time) use :func:`end_of_day` — the end of that day in the exchange's zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import warnings
from zoneinfo import ZoneInfo

import pandas as pd

from watchlists.records import check_symbol

__all__ = [
    "calendar_name",
    "end_of_day",
    "exchange_timezone",
    "is_stale",
    "last_completed_session",
    "sessions_back",
    "sessions_between",
]

logger = logging.getLogger(__name__)

WEEKDAY = "WEEKDAY"
# Time zone and regular close (local) of each calendar we use; for the Mon–Fri fallback.
_NOMINAL: dict[str, tuple[str, dt.time]] = {
    "XSHG": ("Asia/Shanghai", dt.time(15, 0)),
    "XHKG": ("Asia/Hong_Kong", dt.time(16, 0)),
    "XNYS": ("America/New_York", dt.time(16, 0)),
    WEEKDAY: ("UTC", dt.time(23, 59)),
}
_SUFFIX = {".SS": "XSHG", ".SZ": "XSHG", ".HK": "XHKG"}


def calendar_name(symbol: str) -> str:
    """exchange_calendars name for a Yahoo symbol (``'WEEKDAY'`` for FX pairs)."""
    s = check_symbol("symbol", symbol).upper()
    if s.endswith("=X"):
        return WEEKDAY
    for suffix, name in _SUFFIX.items():
        if s.endswith(suffix):
            return name
    return "XNYS"


def exchange_timezone(symbol: str) -> ZoneInfo:
    """The exchange's time zone (UTC for FX)."""
    return ZoneInfo(_NOMINAL[calendar_name(symbol)][0])


@functools.lru_cache(maxsize=8)
def _calendar(name: str):
    """The exchange_calendars calendar (immutable; cached because building it is slow)."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange_calendars 4.13 trips pandas 3.1 deprecations while building calendars
        for category in (DeprecationWarning, FutureWarning,
                         getattr(pd.errors, "Pandas4Warning", FutureWarning)):
            warnings.simplefilter("ignore", category)
        return xcals.get_calendar(name)


def _utc(now: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(now)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _day(value: object) -> pd.Timestamp:
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def end_of_day(symbol: str, day: object) -> pd.Timestamp:
    """The last instant of ``day`` in the exchange's zone, as a UTC timestamp."""
    tz = exchange_timezone(symbol)
    local = _day(day) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return local.tz_localize(tz).tz_convert("UTC")


def _weekday_close(name: str, session: pd.Timestamp) -> pd.Timestamp:
    tz, close = _NOMINAL[name]
    return pd.Timestamp.combine(session.date(), close).tz_localize(tz).tz_convert("UTC")


def _in_range(cal, day: pd.Timestamp) -> bool:
    return cal.first_session <= day <= cal.last_session


def _fallback_note(name: str, day: pd.Timestamp) -> None:
    logger.info("%s calendar does not cover %s; using Mon–Fri sessions", name, day.date())


def last_completed_session(symbol: str, now: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    """The latest session of ``symbol``'s exchange whose close is at or before ``now``."""
    name = calendar_name(symbol)
    now_utc = _utc(now)
    tz = _NOMINAL[name][0]
    local_day = now_utc.tz_convert(tz).tz_localize(None).normalize()
    if name != WEEKDAY:
        cal = _calendar(name)
        if _in_range(cal, local_day) and _in_range(cal, local_day - pd.Timedelta(days=40)):
            sessions = cal.sessions_in_range(local_day - pd.Timedelta(days=40), local_day)
            closes = pd.DatetimeIndex(cal.closes.loc[sessions].array)
            done = sessions[closes <= now_utc]
            if len(done):
                return pd.Timestamp(done[-1]).tz_localize(None).as_unit("ns")
        else:
            _fallback_note(name, local_day)
    day = local_day
    while True:
        if day.weekday() < 5 and _weekday_close(name, day) <= now_utc:
            return day.as_unit("ns")
        day -= pd.Timedelta(days=1)


def is_stale(symbol: str, price_date: object, now: dt.datetime | pd.Timestamp) -> bool:
    """True when ``price_date`` is before the last completed session at ``now``."""
    return _day(price_date) < last_completed_session(symbol, now)


def sessions_back(symbol: str, date: object, n: int) -> pd.Timestamp:
    """The session ``n`` sessions before ``date`` (``n=0``: the last session on or before it).

    Used for the refresh revision window: ``sessions_back(sym, last_stored, 5)``.
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    name = calendar_name(symbol)
    day = _day(date)
    if name != WEEKDAY:
        cal = _calendar(name)
        lookback = day - pd.Timedelta(days=7 * n // 5 + 40)
        if _in_range(cal, day) and _in_range(cal, lookback):
            sessions = cal.sessions_in_range(lookback, day)
            if len(sessions) > n:
                return pd.Timestamp(sessions[-1 - n]).tz_localize(None).as_unit("ns")
        _fallback_note(name, day)
    while day.weekday() >= 5:
        day -= pd.Timedelta(days=1)
    return (day - pd.offsets.BDay(n)).normalize().as_unit("ns")


def sessions_between(symbol: str, start: object, end: object) -> pd.DatetimeIndex:
    """Sessions in ``[start, end]`` (inclusive); Mon–Fri outside the calendar's range."""
    name = calendar_name(symbol)
    lo, hi = _day(start), _day(end)
    if hi < lo:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    if name != WEEKDAY:
        cal = _calendar(name)
        if _in_range(cal, lo) and _in_range(cal, hi):
            return pd.DatetimeIndex(cal.sessions_in_range(lo, hi)).tz_localize(None).as_unit("ns")
        _fallback_note(name, lo)
    return pd.bdate_range(lo, hi).as_unit("ns")

"""Exchange sessions and staleness, judged in *sessions* of the listing's exchange.

The exchange comes from :func:`watchlists.exchanges.for_symbol` (Yahoo suffix; no suffix
is New York). Its sessions come from ``exchange_calendars`` (imported lazily; it is slow
to import); :func:`calendar_basis` says which rule judged a given day:

=====================  ============  ============================================================
symbol                 calendar      rule
=====================  ============  ============================================================
``.SS`` / ``.SZ``      XSHG          Shanghai; exchange_calendars has no XSHE and Shenzhen
                                     shares the mainland holidays and hours
``.HK``                XHKG          Hong Kong
none, US ``^`` indices XNYS          New York (NYSE and NASDAQ share it)
``.L`` ``.T`` ``.AS``  XLON XTKS     every suffix of :data:`watchlists.exchanges.EXCHANGES`
``.TW`` ``.TO`` ...    XAMS ...      (London, Tokyo, Amsterdam, Taipei, Toronto, Sydney ...)
``=X``                 WEEKDAY       FX has no exchange: Mon–Fri are sessions, closing 23:59 UTC
unknown suffix/index   MON-FRI       no calendar: Mon–Fri, nominal 16:00 close in UTC (or in
                                     the exchange's zone when the exchange is known)
=====================  ============  ============================================================

A session is *completed* once its close time has passed. Outside a calendar's range
(exchange_calendars' calendars start 2006-12-01 and end around a year ahead; XSHG, XBOM
and XSES end 2026-12-31) or when exchange_calendars cannot build it, the days are judged
*provisionally*, never by bare Mon–Fri (which would make 1 January and the Spring Festival
trading days): sessions are the exchange's weekdays that are not holidays of

1. the ``holidays`` package's financial calendar of the exchange (XSHG, XSHE, XHKG,
   XNYS, XLON, XJPX, XTAI, XASX, XTSE ... see ``Exchange.holidays_market``), else
2. the ``holidays`` package's public holidays of the exchange's country (a weaker rule:
   Copenhagen, Stockholm, Helsinki, Vienna, Jakarta, Bangkok, Kuala Lumpur, Tel Aviv), else
3. nothing: Mon–Fri.

Provisional days close at the exchange's regular close (no half days). Such use is logged
once per calendar (no crash).

``now`` is always a parameter: a naive datetime is taken as UTC. For a past ``asof`` date
(point in time) use :func:`end_of_day` — the end of that day in the exchange's zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from watchlists import exchanges
from watchlists.records import check_symbol

__all__ = [
    "calendar_basis",
    "calendar_name",
    "end_of_day",
    "exchange_timezone",
    "is_stale",
    "last_completed_session",
    "sessions_back",
    "sessions_between",
]

logger = logging.getLogger(__name__)

WEEKDAY = "WEEKDAY"  # FX: Mon–Fri, 23:59 UTC
MONFRI = "MON-FRI"  # no calendar known: Mon–Fri, nominal close
_FX_CLOSE = dt.time(23, 59)
_NOMINAL_CLOSE = dt.time(16, 0)


@dataclass(frozen=True)
class _Rule:
    """How one symbol's sessions are judged."""

    name: str  # calendar_name(): an exchange_calendars name, WEEKDAY or MONFRI
    tz: str
    close: dt.time
    exchange: exchanges.Exchange | None
    why: str  # for WEEKDAY / MONFRI: what calendar_basis says

    @property
    def calendar(self) -> str | None:
        return self.exchange.calendar if self.exchange is not None else None

    @property
    def weekend(self) -> tuple[int, ...]:
        return self.exchange.weekend if self.exchange is not None else (5, 6)


@functools.lru_cache(maxsize=512)
def _rule(symbol: str) -> _Rule:
    s = check_symbol("symbol", symbol).upper()
    if s.endswith("=X"):
        return _Rule(WEEKDAY, "UTC", _FX_CLOSE, None, "Mon–Fri (FX)")
    ex = exchanges.for_symbol(s)
    if ex is None:
        if s.startswith("^"):
            why = f"Mon–Fri: no calendar for index {s}"
        elif "." in s:
            why = f"Mon–Fri: no calendar for suffix {s[s.rfind('.'):]}"
        else:
            why = f"Mon–Fri: no calendar for symbol {s}"
        return _Rule(MONFRI, "UTC", _NOMINAL_CLOSE, None, why)
    if ex.calendar is None:
        why = f"no exchange_calendars calendar for {ex.code}"
        return _Rule(MONFRI, ex.timezone, ex.close, ex, why)
    return _Rule(ex.calendar, ex.timezone, ex.close, ex, "")


def calendar_name(symbol: str) -> str:
    """exchange_calendars name for a Yahoo symbol (``'WEEKDAY'`` for FX pairs, ``'MON-FRI'``
    when no calendar is known)."""
    return _rule(symbol).name


def exchange_timezone(symbol: str) -> ZoneInfo:
    """The exchange's time zone (UTC for FX and for an unknown exchange)."""
    return ZoneInfo(_rule(symbol).tz)


class _OutOfBounds(LookupError):
    """A day outside a :class:`_Sessions` range (exchange_calendars' ``DateOutOfBounds``)."""


@dataclass(frozen=True)
class _Sessions:
    """What we use of an exchange_calendars calendar: its sessions and their UTC closes.

    Kept on disk (:func:`_calendar`), so a process that only needs sessions does not pay
    for importing exchange_calendars and building the calendar (about 0.4 s).
    """

    sessions: pd.DatetimeIndex  # naive, normalised
    closes: pd.Series  # UTC close per session, indexed by ``sessions``

    @property
    def first_session(self) -> pd.Timestamp:
        return self.sessions[0]

    @property
    def last_session(self) -> pd.Timestamp:
        return self.sessions[-1]

    def sessions_in_range(self, a: pd.Timestamp, b: pd.Timestamp) -> pd.DatetimeIndex:
        if a < self.first_session or b > self.last_session:
            raise _OutOfBounds(f"{a.date()}..{b.date()} outside {self.first_session.date()}.."
                               f"{self.last_session.date()}")
        lo, hi = self.sessions.searchsorted([a, b], side="left")[0], \
            self.sessions.searchsorted(b, side="right")
        return self.sessions[lo:hi]


def _out_of_bounds() -> tuple[type[BaseException], ...]:
    """Our :class:`_OutOfBounds`, and exchange_calendars' ``DateOutOfBounds`` when that
    package is loaded (not imported just to name the exception)."""
    import sys

    errors = sys.modules.get("exchange_calendars.errors")
    real = getattr(errors, "DateOutOfBounds", None)
    return (_OutOfBounds,) if real is None else (_OutOfBounds, real)


@functools.lru_cache(maxsize=1)
def _xcals_version() -> str | None:
    """The installed exchange_calendars version (looked up once: the lookup scans the
    installed distributions)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("exchange_calendars")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        return None


def _cache_file(name: str) -> Path | None:
    """``<home>/cache/calendars/<name>-<exchange_calendars version>-<today>.npz``: a
    calendar's range ends a year after the day it was built, so it is rebuilt daily."""
    from watchlists.store import default_home

    ver = _xcals_version()
    if ver is None:  # pragma: no cover - a dependency
        return None
    return default_home() / "cache" / "calendars" / f"{name}-{ver}-{dt.date.today()}.npz"


def _load(path: Path) -> _Sessions | None:
    import numpy as np

    try:
        with np.load(path) as data:
            sessions = pd.DatetimeIndex(data["sessions"].astype("datetime64[ns]"))
            closes = pd.DatetimeIndex(data["closes"].astype("datetime64[ns]")).tz_localize("UTC")
    except (OSError, KeyError, ValueError):
        return None
    if not len(sessions) or len(sessions) != len(closes):
        return None
    return _Sessions(sessions, pd.Series(closes, index=sessions))


def _save(path: Path, cal: _Sessions) -> None:
    """Write the cache atomically; a read-only or full home only costs the rebuild."""
    import io

    import numpy as np

    from watchlists._io import atomic_write_bytes

    buf = io.BytesIO()
    np.savez(buf, sessions=cal.sessions.asi8, closes=pd.DatetimeIndex(cal.closes).asi8)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob(f"{path.name.split('-')[0]}-*.npz"):
            if old != path:
                old.unlink(missing_ok=True)
        atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:
        logger.debug("calendar cache %s not written: %s", path, exc)


def _build(name: str):
    """exchange_calendars' calendar ``name`` over its default range, as
    ``exchange_calendars.get_calendar(name)`` builds it, only faster.

    The calendar's ``day`` (the business-day offset its sessions are generated with) is
    built from the regular holidays of the calendar's range padded by a year on each side
    instead of pandas' default 1970–2200 (about two thirds of the build of XHKG or XNYS):
    a holiday outside the range cannot move a session inside it, so sessions and closes are
    the same (tests/watchlists/test_first_report_speed_calendars.py checks this). Falls
    back to ``get_calendar`` when the calendar's class cannot be found, or when it defines
    its own ``day`` (XKRX, XBOM and XMOS add special weekmasks there), which this would
    otherwise replace.
    """
    import inspect

    import exchange_calendars as xcals
    from exchange_calendars.calendar_utils import _default_calendar_factories
    from exchange_calendars.exchange_calendar import ExchangeCalendar

    base = _default_calendar_factories.get(name)
    if not (isinstance(base, type) and issubclass(base, ExchangeCalendar)
            and inspect.getattr_static(base, "day") is ExchangeCalendar.__dict__.get("day")):
        return xcals.get_calendar(name)
    return _windowed_day(base)()


@functools.lru_cache(maxsize=16)
def _windowed_day(base: type) -> type:
    """A subclass of the calendar class ``base`` whose ``day`` knows only the holidays of
    its default range (padded by a year); see :func:`_build`."""
    from pandas.tseries.offsets import CustomBusinessDay

    pad = pd.DateOffset(years=1)

    class _Windowed(base):  # type: ignore[misc, valid-type]
        @functools.cached_property
        def day(self) -> CustomBusinessDay:
            holidays = list(self.adhoc_holidays)
            regular = self.regular_holidays
            if regular is not None:
                lo, hi = self.default_start() - pad, self.default_end() + pad
                holidays += regular.holidays(lo, hi).tolist()
            return CustomBusinessDay(holidays=holidays, weekmask=self.weekmask)

    _Windowed.__name__ = _Windowed.__qualname__ = f"_Windowed{base.__name__}"
    return _Windowed


@functools.lru_cache(maxsize=16)
def _calendar(name: str) -> _Sessions:
    """The sessions and closes of exchange_calendars' calendar ``name``, from the disk
    cache when it has today's build of this exchange_calendars version."""
    path = _cache_file(name)
    if path is not None and path.is_file():
        cached = _load(path)
        if cached is not None:
            return cached
    with warnings.catch_warnings():
        # exchange_calendars 4.13 trips pandas 3.1 deprecations while building calendars
        for category in (DeprecationWarning, FutureWarning,
                         getattr(pd.errors, "Pandas4Warning", FutureWarning)):
            warnings.simplefilter("ignore", category)
        cal = _build(name)
        sessions = _naive(cal.sessions).normalize()
        closes = pd.DatetimeIndex(pd.Series(cal.closes).reindex(cal.sessions).array)
    built = _Sessions(sessions, pd.Series(closes.tz_convert("UTC"), index=sessions))
    if path is not None:
        _save(path, built)
    return built


@functools.lru_cache(maxsize=16)
def _xcal(name: str | None):
    """The calendar, or ``None`` when there is none or exchange_calendars cannot build it."""
    if name is None:
        return None
    try:
        return _calendar(name)
    except Exception as exc:  # noqa: BLE001 - a broken third-party calendar must not crash us
        logger.warning("exchange_calendars cannot build %s (%s: %.160s); judging its days "
                       "provisionally", name, type(exc).__name__, str(exc))
        return None


_NOTED: set[tuple[str, str]] = set()


def _note(name: str, what: str) -> None:
    if (name, what) not in _NOTED:
        _NOTED.add((name, what))
        logger.info("%s: %s", name, what)


# ------------------------------------------------------------ provisional rules
def _provisional_source(rule: _Rule) -> tuple[str, str] | None:
    """('financial', code) / ('country', ISO2) from the holidays package, or None."""
    ex = rule.exchange
    if ex is None:
        return None
    if ex.holidays_market:
        return "financial", ex.holidays_market
    if _holiday_dates("country", ex.country, 2000) is not None:
        return "country", ex.country
    return None


@functools.lru_cache(maxsize=1024)
def _holiday_dates(kind: str, code: str, year: int) -> frozenset[dt.date] | None:
    """Holidays of one year from the holidays package (None if it has no such calendar)."""
    import holidays

    try:
        if kind == "financial":
            table = holidays.financial_holidays(code, years=year)
        else:
            table = holidays.country_holidays(code, years=year)
    except (NotImplementedError, KeyError, ValueError):
        return None
    return frozenset(table)


def _provisional_sessions(rule: _Rule, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DatetimeIndex:
    days = pd.date_range(lo, hi, freq="D")
    if not len(days):
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    keep = ~days.day_of_week.isin(rule.weekend)
    source = _provisional_source(rule) if rule.name != WEEKDAY else None
    if source is not None:
        off: set[dt.date] = set()
        for year in range(lo.year, hi.year + 1):
            off |= _holiday_dates(source[0], source[1], year) or frozenset()
        keep &= ~pd.Index(days.date).isin(off)
    return days[keep].as_unit("ns")


def _provisional_phrase(rule: _Rule) -> str:
    source = _provisional_source(rule)
    if source is None:
        return "Mon–Fri (no holiday rules known)"
    if source[0] == "financial":
        return "holidays package rules"
    return f"holidays package {source[1]} public holidays"


# ------------------------------------------------------------ sessions
def _naive(index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.as_unit("ns")


def _bounds(cal) -> tuple[pd.Timestamp, pd.Timestamp]:
    return _day(cal.first_session), _day(cal.last_session)


def _sessions(rule: _Rule, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DatetimeIndex:
    """Sessions in ``[lo, hi]``: the calendar inside its range, provisional rules outside."""
    if hi < lo:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    cal = _xcal(rule.calendar) if rule.name not in (WEEKDAY, MONFRI) else None
    if cal is None:
        if rule.name != WEEKDAY:
            _note(rule.name, f"{rule.why or 'no calendar'}; provisional sessions")
        return _provisional_sessions(rule, lo, hi)
    first, last = _bounds(cal)
    a, b = max(lo, first), min(hi, last)
    if a > b:
        _note(rule.name, f"outside exchange_calendars' range {first.date()}..{last.date()}; "
                         f"{_provisional_phrase(rule)}")
        return _provisional_sessions(rule, lo, hi)
    try:
        inside = _naive(cal.sessions_in_range(a, b))
    except _out_of_bounds():
        _note(rule.name, f"exchange_calendars: {a.date()}..{b.date()} out of bounds; "
                         f"{_provisional_phrase(rule)}")
        return _provisional_sessions(rule, lo, hi)
    parts = [inside]
    if lo < a:
        parts.insert(0, _provisional_sessions(rule, lo, a - pd.Timedelta(days=1)))
    if b < hi:
        parts.append(_provisional_sessions(rule, b + pd.Timedelta(days=1), hi))
    if len(parts) > 1:
        _note(rule.name, f"outside exchange_calendars' range {first.date()}..{last.date()}; "
                         f"{_provisional_phrase(rule)}")
        return _naive(parts[0].append(parts[1:]))
    return inside


def _closes(rule: _Rule, sessions: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """UTC close of each session: the calendar's (half days included) or the nominal close."""
    nominal = pd.DatetimeIndex(
        [pd.Timestamp.combine(day.date(), rule.close) for day in sessions]
    ).tz_localize(rule.tz).tz_convert("UTC")
    cal = _xcal(rule.calendar) if rule.name not in (WEEKDAY, MONFRI) else None
    if cal is None or not len(sessions):
        return nominal
    first, last = _bounds(cal)
    inside = (sessions >= first) & (sessions <= last)
    if not inside.any():
        return nominal
    actual = pd.Series(cal.closes).reindex(sessions[inside])
    out = pd.Series(nominal, index=sessions)
    out[inside] = pd.DatetimeIndex(actual.array).tz_convert("UTC")
    return pd.DatetimeIndex(out.array)


def _utc(now: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(now)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _day(value: object) -> pd.Timestamp:
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize().as_unit("ns")


def calendar_basis(symbol: str, day: object) -> str:
    """Which rule judges ``day`` for ``symbol``: a short phrase for users.

    e.g. ``'XSHG (exchange_calendars)'``, ``"XSHG provisional: holidays package rules past
    exchange_calendars' end 2026-12-31"``, ``'Mon–Fri: no calendar for suffix .XX'``,
    ``'Mon–Fri (FX)'``.
    """
    rule = _rule(symbol)
    if rule.name == WEEKDAY:
        return rule.why
    if rule.exchange is None:
        return rule.why
    if rule.name == MONFRI:
        return f"{rule.exchange.code} provisional: {_provisional_phrase(rule)} ({rule.why})"
    cal = _xcal(rule.calendar)
    if cal is None:
        return (f"{rule.name} provisional: {_provisional_phrase(rule)} "
                f"(exchange_calendars cannot build {rule.name})")
    first, last = _bounds(cal)
    d = _day(day)
    if first <= d <= last:
        return f"{rule.name} (exchange_calendars)"
    phrase = _provisional_phrase(rule)
    if d > last:
        return f"{rule.name} provisional: {phrase} past exchange_calendars' end {last.date()}"
    return f"{rule.name} provisional: {phrase} before exchange_calendars' start {first.date()}"


def end_of_day(symbol: str, day: object) -> pd.Timestamp:
    """The last instant of ``day`` in the exchange's zone, as a UTC timestamp."""
    tz = exchange_timezone(symbol)
    local = _day(day) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return local.tz_localize(tz).tz_convert("UTC")


def last_completed_session(symbol: str, now: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    """The latest session of ``symbol``'s exchange whose close is at or before ``now``."""
    rule = _rule(symbol)
    now_utc = _utc(now)
    local_day = _day(now_utc.tz_convert(rule.tz).tz_localize(None))
    span = 40
    while True:
        sessions = _sessions(rule, local_day - pd.Timedelta(days=span), local_day)
        done = sessions[_closes(rule, sessions) <= now_utc]
        if len(done):
            return pd.Timestamp(done[-1]).as_unit("ns")
        if span > 1000:  # pragma: no cover - no rule closes a market for years
            raise RuntimeError(f"no session of {symbol} within {span} days before {now_utc}")
        span *= 4


def is_stale(symbol: str, price_date: object, now: dt.datetime | pd.Timestamp) -> bool:
    """True when ``price_date`` is before the last completed session at ``now``."""
    return _day(price_date) < last_completed_session(symbol, now)


def sessions_back(symbol: str, date: object, n: int) -> pd.Timestamp:
    """The session ``n`` sessions before ``date`` (``n=0``: the last session on or before it).

    Used for the refresh revision window: ``sessions_back(sym, last_stored, 5)``.
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    rule = _rule(symbol)
    day = _day(date)
    span = 7 * n // 5 + 40
    while True:
        sessions = _sessions(rule, day - pd.Timedelta(days=span), day)
        if len(sessions) > n:
            return pd.Timestamp(sessions[-1 - n]).as_unit("ns")
        span *= 2


def sessions_between(symbol: str, start: object, end: object) -> pd.DatetimeIndex:
    """Sessions in ``[start, end]`` (inclusive); provisional rules outside the calendar."""
    return _sessions(_rule(symbol), _day(start), _day(end))

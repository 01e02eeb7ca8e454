"""Exchange sessions and staleness."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from watchlists import calendars as cal

SH = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(("symbol", "name"), [
    ("688256.SS", "XSHG"), ("000001.SZ", "XSHG"), ("9988.HK", "XHKG"), ("CNY=X", "WEEKDAY"),
    ("^GSPC", "XNYS"), ("BABA", "XNYS"),
])
def test_calendar_name(symbol, name):
    assert cal.calendar_name(symbol) == name


def test_golden_week():
    now = dt.datetime(2025, 10, 8, 20, 0, tzinfo=SH)
    assert cal.last_completed_session("688256.SS", now) == pd.Timestamp("2025-09-30")
    assert cal.is_stale("688256.SS", "2025-09-29", now)
    assert not cal.is_stale("688256.SS", "2025-09-30", now)
    assert cal.sessions_back("688256.SS", "2025-10-09", 1) == pd.Timestamp("2025-09-30")


def test_session_completes_at_close():
    before = dt.datetime(2025, 12, 4, 14, 59, tzinfo=SH)
    after = dt.datetime(2025, 12, 4, 15, 1, tzinfo=SH)
    assert cal.last_completed_session("688256.SS", before) == pd.Timestamp("2025-12-03")
    assert cal.last_completed_session("688256.SS", after) == pd.Timestamp("2025-12-04")
    # naive now is UTC: 20:59 UTC is before the NYSE close (16:00 New York = 21:00 UTC)
    assert cal.last_completed_session("BABA", dt.datetime(2025, 12, 4, 20, 59)) == \
        pd.Timestamp("2025-12-03")


def test_sessions_back_skips_holidays():
    # Thanksgiving 2025-11-27 is closed
    assert cal.sessions_back("BABA", "2025-12-04", 5) == pd.Timestamp("2025-11-26")
    assert cal.sessions_back("BABA", "2025-12-06", 0) == pd.Timestamp("2025-12-05")
    with pytest.raises(ValueError, match="n must"):
        cal.sessions_back("BABA", "2025-12-04", -1)


def test_fx_weekday_calendar():
    sat = dt.datetime(2025, 12, 6, 12, tzinfo=dt.UTC)
    assert cal.last_completed_session("CNY=X", sat) == pd.Timestamp("2025-12-05")
    assert cal.sessions_back("CNY=X", "2025-12-08", 1) == pd.Timestamp("2025-12-05")


def test_beyond_calendar_range_falls_back_to_weekdays():
    far = dt.datetime(2031, 1, 3, 23, tzinfo=dt.UTC)  # a Friday, after the Shanghai close
    assert cal.last_completed_session("688256.SS", far) == pd.Timestamp("2031-01-03")
    assert cal.sessions_back("688256.SS", "2031-01-06", 1) == pd.Timestamp("2031-01-03")
    assert len(cal.sessions_between("BABA", "2031-01-01", "2031-01-07")) == 5


def test_end_of_day_is_local():
    eod = cal.end_of_day("688256.SS", dt.date(2025, 12, 4))
    assert eod.tz_convert("Asia/Shanghai").date() == dt.date(2025, 12, 4)
    assert cal.last_completed_session("688256.SS", eod) == pd.Timestamp("2025-12-04")

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


def test_beyond_calendar_range_uses_holiday_rules():
    far = dt.datetime(2031, 1, 3, 23, tzinfo=dt.UTC)  # a Friday, after the Shanghai close
    assert cal.last_completed_session("688256.SS", far) == pd.Timestamp("2031-01-03")
    assert cal.sessions_back("688256.SS", "2031-01-06", 1) == pd.Timestamp("2031-01-03")
    # 2031-01-01 (New Year's Day) is a NYSE holiday, not a Mon–Fri session
    days = cal.sessions_between("BABA", "2031-01-01", "2031-01-07")
    assert len(days) == 4 and pd.Timestamp("2031-01-01") not in days
    assert "provisional" in cal.calendar_basis("BABA", "2031-01-01")


def test_end_of_day_is_local():
    eod = cal.end_of_day("688256.SS", dt.date(2025, 12, 4))
    assert eod.tz_convert("Asia/Shanghai").date() == dt.date(2025, 12, 4)
    assert cal.last_completed_session("688256.SS", eod) == pd.Timestamp("2025-12-04")


# ------------------------------------------------ every exchange, past the calendars' end
def _closed(symbol, day):
    return pd.Timestamp(day) not in cal.sessions_between(symbol, day, day)


@pytest.mark.parametrize("symbol", ["688256.SS", "000001.SZ"])
def test_china_2027_holidays_past_xshg_end(symbol):
    # exchange_calendars' XSHG ends 2026-12-31; the holidays package's XSHG/XSHE rules
    # mark 2027-01-01 and the Spring Festival (2027-02-05..2027-02-10 on weekdays) closed
    for day in ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10"]:
        assert _closed(symbol, day), day
        assert "provisional" in cal.calendar_basis(symbol, day)
    assert cal.calendar_basis(symbol, "2027-02-08") == (
        "XSHG provisional: holidays package rules past exchange_calendars' end 2026-12-31")
    assert not _closed(symbol, "2027-03-10")  # an ordinary Wednesday
    assert not _closed(symbol, "2027-02-11")
    assert cal.calendar_basis(symbol, "2026-06-10") == "XSHG (exchange_calendars)"
    assert cal.calendar_name(symbol) == "XSHG"


def test_china_across_the_calendar_end():
    days = cal.sessions_between("688256.SS", "2026-12-28", "2027-01-08")
    assert list(days.strftime("%m-%d")) == [
        "12-28", "12-29", "12-30", "12-31", "01-04", "01-05", "01-06", "01-07", "01-08"]
    assert days.dtype == "datetime64[ns]"
    new_year = dt.datetime(2027, 1, 1, 20, tzinfo=SH)
    assert cal.last_completed_session("688256.SS", new_year) == pd.Timestamp("2026-12-31")
    festival = dt.datetime(2027, 2, 9, 20, tzinfo=SH)
    assert cal.last_completed_session("000001.SZ", festival) == pd.Timestamp("2027-02-04")
    assert cal.is_stale("000001.SZ", "2027-02-03", festival)
    assert not cal.is_stale("000001.SZ", "2027-02-04", festival)
    assert cal.sessions_back("688256.SS", "2027-02-11", 1) == pd.Timestamp("2027-02-04")
    assert cal.sessions_back("688256.SS", "2027-01-04", 1) == pd.Timestamp("2026-12-31")


@pytest.mark.parametrize(("symbol", "name", "tz", "holidays", "open_day"), [
    ("OCDO.L", "XLON", "Europe/London",
     ["2026-04-03", "2026-04-06", "2026-05-04", "2026-12-25", "2026-12-28"], "2026-12-29"),
    ("7203.T", "XTKS", "Asia/Tokyo", ["2026-01-01", "2026-01-02", "2026-11-03"], "2026-11-04"),
    ("ASML.AS", "XAMS", "Europe/Amsterdam", ["2026-04-03", "2026-04-06", "2026-12-25"],
     "2026-04-07"),
    ("2330.TW", "XTAI", "Asia/Taipei", ["2026-02-16", "2026-02-17", "2026-10-09"],
     "2026-10-12"),
    ("RY.TO", "XTSE", "America/Toronto", ["2026-07-01", "2026-04-03"], "2026-07-02"),
    ("BHP.AX", "XASX", "Australia/Sydney", ["2026-01-26", "2026-04-03"], "2026-01-27"),
])
def test_world_exchanges_2026(symbol, name, tz, holidays, open_day):
    assert cal.calendar_name(symbol) == name
    assert str(cal.exchange_timezone(symbol)) == tz
    for day in holidays:
        assert _closed(symbol, day), (symbol, day)
    assert not _closed(symbol, open_day)
    assert cal.calendar_basis(symbol, open_day) == f"{name} (exchange_calendars)"


@pytest.mark.parametrize(("symbol", "day"), [
    ("OCDO.L", "2028-12-25"), ("7203.T", "2028-01-03"), ("ASML.AS", "2028-04-14"),
    ("2330.TW", "2028-01-26"), ("RY.TO", "2028-07-03"), ("BHP.AX", "2028-01-26"),
])
def test_world_exchanges_past_calendar_end(symbol, day):
    # holidays of the holidays package's financial calendars, a year past exchange_calendars
    assert _closed(symbol, day)
    assert "provisional: holidays package rules past exchange_calendars' end" in \
        cal.calendar_basis(symbol, day)


def test_tokyo_session_completes_at_local_close():
    # 2026-03-04 is a Wednesday; the Tokyo close is 15:30 JST = 06:30 UTC
    before = dt.datetime(2026, 3, 4, 5, 0, tzinfo=dt.UTC)
    after = dt.datetime(2026, 3, 4, 7, 0, tzinfo=dt.UTC)
    assert cal.last_completed_session("7203.T", before) == pd.Timestamp("2026-03-03")
    assert cal.last_completed_session("7203.T", after) == pd.Timestamp("2026-03-04")
    # London closes 16:30 local (GMT in March): 16:00 UTC is before, 17:00 UTC after
    assert cal.last_completed_session("OCDO.L", dt.datetime(2026, 3, 4, 16)) == \
        pd.Timestamp("2026-03-03")
    assert cal.last_completed_session("OCDO.L", dt.datetime(2026, 3, 4, 17)) == \
        pd.Timestamp("2026-03-04")


def test_provisional_close_is_the_nominal_close():
    # 2028-03-08 (Wednesday) is past XTKS' end: the nominal 15:30 JST close applies
    before = dt.datetime(2028, 3, 8, 6, 0, tzinfo=dt.UTC)
    after = dt.datetime(2028, 3, 8, 6, 31, tzinfo=dt.UTC)
    assert cal.last_completed_session("7203.T", before) == pd.Timestamp("2028-03-07")
    assert cal.last_completed_session("7203.T", after) == pd.Timestamp("2028-03-08")


def test_unknown_suffix_is_weekdays_and_says_so():
    assert cal.calendar_name("FOO.XX") == "MON-FRI"
    assert str(cal.exchange_timezone("FOO.XX")) == "UTC"
    assert cal.calendar_basis("FOO.XX", "2026-01-01") == "Mon–Fri: no calendar for suffix .XX"
    assert len(cal.sessions_between("FOO.XX", "2026-12-21", "2027-01-03")) == 10
    # nominal 16:00 UTC close
    assert cal.last_completed_session("FOO.XX", dt.datetime(2026, 3, 4, 15, 59)) == \
        pd.Timestamp("2026-03-03")
    assert cal.last_completed_session("FOO.XX", dt.datetime(2026, 3, 4, 16, 0)) == \
        pd.Timestamp("2026-03-04")
    assert cal.calendar_basis("^FOO", "2026-01-01") == "Mon–Fri: no calendar for index ^FOO"


def test_fx_basis_unchanged():
    assert cal.calendar_basis("CNY=X", "2027-01-01") == "Mon–Fri (FX)"
    assert len(cal.sessions_between("CNY=X", "2027-01-01", "2027-01-07")) == 5
    late = dt.datetime(2026, 3, 4, 23, 58, tzinfo=dt.UTC)
    assert cal.last_completed_session("CNY=X", late) == pd.Timestamp("2026-03-03")


def test_saudi_weekend_is_friday_saturday():
    days = cal.sessions_between("2222.SR", "2026-03-01", "2026-03-07")  # Sun..Sat
    assert list(days.day_of_week) == [6, 0, 1, 2, 3]
    assert str(cal.exchange_timezone("2222.SR")) == "Asia/Riyadh"


def test_calendar_that_cannot_be_built_is_provisional(monkeypatch):
    def broken(name):
        raise ValueError("cannot build")

    cal._xcal.cache_clear()
    monkeypatch.setattr(cal, "_calendar", broken)
    try:
        assert cal.calendar_basis("OCDO.L", "2026-06-01") == (
            "XLON provisional: holidays package rules (exchange_calendars cannot build XLON)")
        assert _closed("OCDO.L", "2026-12-28")  # Boxing Day (observed), from holidays
        assert not _closed("OCDO.L", "2026-12-29")
    finally:
        cal._xcal.cache_clear()


def test_date_out_of_bounds_is_caught(monkeypatch):
    from exchange_calendars.errors import DateOutOfBounds

    real = cal._calendar("XNYS")

    class Shrunk:
        first_session, last_session, closes = real.first_session, real.last_session, real.closes

        def sessions_in_range(self, start, end):
            raise DateOutOfBounds(real, real.last_session + pd.Timedelta(days=1), "end")

    cal._xcal.cache_clear()
    monkeypatch.setattr(cal, "_calendar", lambda name: Shrunk())
    try:
        days = cal.sessions_between("MSFT", "2025-11-24", "2025-11-28")
        assert len(days) == 4  # Thanksgiving 2025-11-27 from the holidays package
    finally:
        cal._xcal.cache_clear()


def test_import_is_lazy():
    import subprocess
    import sys

    code = ("import sys, watchlists.calendars, watchlists.exchanges; "
            "print('exchange_calendars' in sys.modules, 'holidays' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_known_exchange_without_calendar(monkeypatch):
    import dataclasses

    from watchlists import exchanges

    bare = dataclasses.replace(exchanges.by_code("CPH"), calendar=None)
    monkeypatch.setattr(exchanges, "for_symbol", lambda symbol: bare)
    cal._rule.cache_clear()
    try:
        assert cal.calendar_name("NOVO-B.CO") == "MON-FRI"
        assert str(cal.exchange_timezone("NOVO-B.CO")) == "Europe/Copenhagen"
        assert cal.calendar_basis("NOVO-B.CO", "2026-12-24") == (
            "CPH provisional: holidays package DK public holidays "
            "(no exchange_calendars calendar for CPH)")
        assert _closed("NOVO-B.CO", "2026-12-25")
    finally:
        cal._rule.cache_clear()


def test_a_second_process_reads_the_sessions_from_the_disk_cache(tmp_path):
    """The calendar is built once (exchange_calendars imported) and cached under the home;
    the next process gets the same sessions without importing exchange_calendars."""
    import os
    import subprocess
    import sys

    code = ("import sys; from watchlists import calendars as c; "
            "d = c.sessions_between('MSFT', '2025-11-24', '2025-11-28'); "
            "print([str(x.date()) for x in d], "
            "c.last_completed_session('7203.T', '2025-11-28 07:00'), "
            "'exchange_calendars' in sys.modules)")
    env = {**os.environ, "WATCHLISTS_HOME": str(tmp_path / "home")}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, check=True).stdout.strip() for _ in range(2)]
    assert runs[0].endswith("True") and runs[1].endswith("False")
    assert runs[0][:-4] == runs[1][:-5]  # the same sessions and closes either way
    assert "'2025-11-26', '2025-11-28'" in runs[1]  # Thanksgiving 2025-11-27 closed
    assert list((tmp_path / "home" / "cache" / "calendars").glob("XNYS-*.npz"))

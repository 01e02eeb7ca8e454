"""The faster calendar build gives exactly what exchange_calendars.get_calendar gives."""

from __future__ import annotations

import warnings

import pytest

from watchlists import calendars

xcals = pytest.importorskip("exchange_calendars")


def _quiet():
    w = warnings.catch_warnings()
    w.__enter__()
    warnings.simplefilter("ignore")
    return w


@pytest.mark.parametrize("name", ["XSHG", "XHKG", "XNYS", "XLON", "XTKS"])
def test_build_matches_get_calendar(name):
    w = _quiet()
    try:
        fast = calendars._build(name)
        ref = xcals.get_calendar(name)
    finally:
        w.__exit__(None, None, None)
    assert fast.name == ref.name == name
    assert isinstance(fast, type(ref))
    assert fast.sessions.equals(ref.sessions)
    assert fast.schedule.equals(ref.schedule)
    assert (fast.first_session, fast.last_session) == (ref.first_session, ref.last_session)


def test_build_fails_as_get_calendar_does():
    """XTAE cannot be built by exchange_calendars 4.13 (judged provisionally): same error."""
    w = _quiet()
    try:
        errors = []
        for build in (calendars._build, xcals.get_calendar):
            try:
                build("XTAE")
            except Exception as exc:
                errors.append((type(exc), str(exc)))
            else:
                errors.append(None)
    finally:
        w.__exit__(None, None, None)
    assert errors[0] == errors[1]

"""The faster calendar build gives exactly what exchange_calendars.get_calendar gives."""

from __future__ import annotations

import warnings

import pytest

from watchlists import calendars

xcals = pytest.importorskip("exchange_calendars")


@pytest.mark.parametrize("name", ["XSHG", "XHKG", "XNYS", "XLON", "XTKS", "XKRX", "XBOM"])
def test_build_matches_get_calendar(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = calendars._build(name)
        ref = xcals.get_calendar(name)
    assert fast.name == ref.name == name
    assert isinstance(fast, type(ref))
    assert fast.sessions.equals(ref.sessions)
    assert fast.schedule.equals(ref.schedule)
    assert (fast.first_session, fast.last_session) == (ref.first_session, ref.last_session)


def test_a_calendar_with_its_own_day_is_built_by_exchange_calendars():
    """XKRX defines its own ``day`` (special weekmasks): it is not replaced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert type(calendars._build("XKRX")) is type(xcals.get_calendar("XKRX"))
        assert type(calendars._build("XHKG")) is not type(xcals.get_calendar("XHKG"))


def test_build_fails_as_get_calendar_does():
    """XTAE cannot be built by exchange_calendars 4.13 (judged provisionally): same error."""
    errors = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for build in (calendars._build, xcals.get_calendar):
            try:
                build("XTAE")
            except Exception as exc:
                errors.append((type(exc), str(exc)))
            else:
                errors.append(None)
    assert errors[0] == errors[1]

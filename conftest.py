"""Root pytest configuration: the doctests in ``valuation/`` and ``watchlists/`` get the
same isolation as the tests (``tests/conftest.py`` holds the rest)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Point the store and user data at a fresh temp home, so no doctest touches (or
    depends on) a user's own store."""
    home = tmp_path / "watchlists-home"
    monkeypatch.setenv("WATCHLISTS_HOME", str(home))
    monkeypatch.delenv("WATCHLISTS_DATA", raising=False)
    return home

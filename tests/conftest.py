"""Shared test configuration: every test is offline and writes only under tmp_path."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Point the store at a fresh temp home so no test touches a user's data."""
    home = tmp_path / "watchlists-home"
    monkeypatch.setenv("WATCHLISTS_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Fail loudly if a test tries a real DNS lookup through Python's socket module."""
    import socket

    def refuse(*args, **kwargs):
        raise socket.gaierror(f"network disabled in tests: getaddrinfo{args[:2]}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)

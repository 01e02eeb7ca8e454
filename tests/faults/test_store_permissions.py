"""A read-only store home gives a clear StoreError, even when the tests run as root.

Root ignores directory permissions (so the chmod test in test_store_faults.py is
skipped there); here the failing access check is simulated, which pins the message
and that nothing is created, for every user.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from watchlists.errors import StoreError
from watchlists.store import open_store


def test_read_only_home_message(tmp_path, monkeypatch):
    home = tmp_path / "ro"
    home.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != home)
    with pytest.raises(StoreError, match="is read-only"):
        open_store(home)
    assert list(home.iterdir()) == []  # nothing was created

"""Shared test configuration: every test is offline and writes only under tmp_path."""

from __future__ import annotations

import difflib
import os

import pytest
from hypothesis import settings

# Deterministic by default (same examples every run, so CI cannot fail by chance);
# `pytest --hypothesis-profile=explore` searches new random examples locally.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", max_examples=500)
settings.load_profile("deterministic")

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


# Fake company profiles for watchlist-definition tests that must not depend on the
# bundled data: slug -> (name, listings); the first listing is the primary one.
FAKE_PROFILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "alibaba": ("Alibaba Group", ("BABA", "9988.HK")),
    "kuaishou": ("Kuaishou Technology", ("1024.HK",)),
    "cambricon": ("Cambricon Technologies", ("688256.SS",)),
    "moore-threads": ("Moore Threads", ("688795.SS",)),
    "huawei": ("Huawei Technologies", ()),
    "innolight": ("Zhongji Innolight", ("300308.SZ",)),
    "hygon": ("Hygon Information Technology", ("688041.SS",)),
    "smic": ("Semiconductor Manufacturing International", ("0981.HK", "688981.SS")),
    "tencent": ("Tencent Holdings", ("0700.HK",)),
    "nvidia": ("NVIDIA", ("NVDA",)),
    "amd": ("Advanced Micro Devices", ("AMD",)),
    "alphabet": ("Alphabet", ("GOOGL",)),
}


def fake_resolve(key, *, kind):
    """Stand-in for ``definitions._resolve_member`` with the profiles API's behaviour."""
    folded = key.casefold()
    symbols = {s.casefold(): (slug, s) for slug, (_, ls) in FAKE_PROFILES.items() for s in ls}
    if kind == "symbol":
        if folded in symbols:
            return symbols[folded]
        from watchlists.records import check_symbol

        return None, check_symbol("symbol", key).upper()  # a bare Yahoo symbol
    for slug, (name, listings) in FAKE_PROFILES.items():
        if folded in (slug, name.casefold()) or folded in (s.casefold() for s in listings):
            return slug, (listings[0] if listings else None)
    close = difflib.get_close_matches(folded, list(FAKE_PROFILES))
    raise KeyError(f"unknown company {key!r}; close matches: {close}")


@pytest.fixture
def fake_profiles(monkeypatch):
    """Resolve watchlist members against :data:`FAKE_PROFILES` instead of the bundled data."""
    from watchlists import definitions

    monkeypatch.setattr(definitions, "_resolve_member", fake_resolve)
    return FAKE_PROFILES

"""Network faults during a refresh: each survived with a status, nothing committed lost."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "watchlists"))
from fake_yfinance import FakeYFinance

from watchlists.market import refresh
from watchlists.store import open_store
from watchlists.yahoo import YahooProvider

NOW = dt.datetime(2025, 12, 5, 22, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 12, 9, 22, tzinfo=dt.UTC)


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    """A store holding one refresh of BABA and NVDA made while the network was fine."""
    store = open_store(tmp_path / "h")
    FakeYFinance().install(monkeypatch)
    refresh(["BABA", "NVDA"], store=store, provider=make(tmp_path), now=NOW, history_years=1)
    before = store.read_prices()
    yield store, before
    store.close()


def make(tmp_path, **kw):
    return YahooProvider(sleep=lambda s: None, rng=random.Random(0), cache_dir=tmp_path / "c",
                         **kw)


def kept(store, before) -> bool:
    after = store.read_prices(end="2025-12-05")
    return len(after) == len(before) and after["close"].equals(before["close"])


@pytest.mark.parametrize(("behaviour", "expected"), [
    ("dns", "error: offline (DNS failure"),
    ("timeout", "error: Timeout"),
    ("rate_limit_forever", "error: rate limited"),
    ("empty", "missing"),
])
def test_fault_on_every_symbol(seeded, tmp_path, monkeypatch, behaviour, expected):
    store, before = seeded
    fake = FakeYFinance({"BABA": behaviour, "NVDA": behaviour}).install(monkeypatch)
    res = refresh(["BABA", "NVDA"], store=store, provider=make(tmp_path, retries=2), now=LATER)
    assert all(s.startswith(expected) for s in res.status.values()), res.status
    assert kept(store, before)
    if behaviour == "dns":
        assert res.offline and len(fake.price_calls()) == 1


def test_missing_columns_and_nan_rows(seeded, tmp_path, monkeypatch):
    store, before = seeded
    FakeYFinance({"BABA": "missing_columns", "NVDA": "nan_rows"}).install(monkeypatch)
    p = make(tmp_path)
    res = refresh(["BABA", "NVDA"], store=store, provider=p, now=LATER)
    assert res.ok
    new = store.read_prices(start="2025-12-08")
    baba = new[new["symbol"] == "BABA"]
    assert (baba["adj_close"] == baba["close"]).all() and baba["volume"].isna().all()
    assert new[["open", "close"]].notna().all().all()
    assert any("all-NaN" in n for n in p.notes) and any("Adj Close" in n for n in p.notes)
    # the revision window overwrote NVDA rows only with real values; nothing lost
    assert len(store.read_prices(end="2025-12-05")) == len(before)


def test_partial_batch(seeded, tmp_path, monkeypatch):
    store, before = seeded
    FakeYFinance({"NVDA": "rate_limit_forever", "NEW": "empty"}).install(monkeypatch)
    res = refresh(["BABA", "NVDA", "NEW"], store=store, provider=make(tmp_path, retries=1),
                  now=LATER)
    assert res.status["BABA"] == "ok"
    assert res.status["NVDA"].startswith("error: rate limited")
    assert res.status["NEW"] == "missing"
    assert store.last_dates(["BABA"])["BABA"] == store.read_prices("BABA")["date"].max()
    assert store.read_prices("BABA", start="2025-12-08")["date"].dt.day.tolist() == [8, 9]
    assert kept(store, before)

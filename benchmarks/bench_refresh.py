"""Refresh of a 500-symbol watchlist against a fake provider with latency (no network).

The fake answers like Yahoo through yfinance 1.7 would, one *request* per HTTP call
our adapter makes (:class:`watchlists.yahoo.YahooProvider`; counted by replaying real
responses through yfinance's own code): a price history is two requests the first
time a symbol is seen (the time-zone probe, then the chart) and one after, a profile
three (``Ticker.info``: quoteSummary, v7 quote, a timeseries), statements five (annual
and quarterly income statement and balance sheet, earnings dates) and analyst data
two (``analyst_price_targets`` and ``upgrades_downgrades``; ``info`` is reused from
the profile). Each request sleeps ``LATENCY`` seconds (scaled down from Yahoo's ~0.1–0.3 s
so the run stays short; wall times scale linearly with it). The data are SYNTHETIC.

Rows:

1. requests per symbol on the first refresh (everything is fetched) and on the next
   day's daily refresh (statements are not due again, so they are not refetched);
2. wall time of the first refresh with the bounded pool (``max_workers`` = 8) against
   one request at a time, and the physical limit of the pool: requests × latency /
   workers.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from watchlists.definitions import Member, Watchlist
from watchlists.providers import (
    AnalystData,
    FetchResult,
    FundamentalsData,
    ProfileData,
    empty_actions,
    empty_prices,
)
from watchlists.refresh_job import refresh_all
from watchlists.store import open_store

N_SYMBOLS = 500
LATENCY = 0.003
WORKERS = 8
FIRST = dt.datetime(2026, 3, 20, 22, tzinfo=dt.UTC)
NEXT_DAY = FIRST + dt.timedelta(days=1)


class _LatencyProvider:
    """SYNTHETIC prices, profiles, statements and analyst data; counts requests."""

    name = "synthetic-latency"

    def __init__(self, workers: int) -> None:
        self.max_workers = workers
        self.offline = False
        self.requests: Counter[str] = Counter()
        self.seen: set[str] = set()  # symbols whose time zone yfinance has cached
        self._lock = threading.Lock()

    def _request(self, symbol: str, n: int = 1) -> None:
        for _ in range(n):
            time.sleep(LATENCY)
        with self._lock:
            self.requests[symbol] += n

    def _bars(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        with self._lock:
            first = symbol not in self.seen
            self.seen.add(symbol)
        self._request(symbol, 2 if first else 1)  # yfinance probes the time zone once
        dates = pd.bdate_range(start, pd.Timestamp(end) - pd.Timedelta(days=1))
        close = 50.0 + np.arange(len(dates)) * 0.01
        return pd.DataFrame({"symbol": symbol, "date": dates, "open": close, "high": close,
                             "low": close, "close": close, "adj_close": close, "volume": 1e6})

    def fetch_prices(self, symbols, start, end):
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            frames = list(pool.map(lambda s: self._bars(s, start, end), symbols))
        frame = pd.concat(frames, ignore_index=True) if frames else empty_prices()
        return FetchResult(frame=frame, status=dict.fromkeys(symbols, "ok"),
                           provider=self.name, fetched_at=dt.datetime.now(dt.UTC))

    def fetch_profile(self, symbol):
        self._request(symbol, 3)
        return ProfileData(symbol=symbol, status="ok", fetched_at=dt.datetime.now(dt.UTC),
                           provider=self.name, name=f"Synthetic {symbol}", currency="USD",
                           financial_currency="USD", country="United States",
                           shares_outstanding=1e9)

    def fetch_fundamentals(self, symbol):
        self._request(symbol, 5)
        ends = pd.to_datetime(["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]).astype(
            "datetime64[ns]")
        frame = pd.DataFrame({"metric": "revenue", "freq": "quarterly", "period_end": ends,
                              "value": [1e9, 1.1e9, 1.2e9, 1.3e9], "currency": "USD"})
        return FundamentalsData(symbol=symbol, frame=frame, currency="USD", status="ok",
                                fetched_at=dt.datetime.now(dt.UTC), provider=self.name)

    def fetch_targets(self, symbol):
        self._request(symbol, 2)
        return AnalystData(symbol=symbol, consensus={"mean": 60.0}, analyst_count=10,
                           currency="USD", actions=empty_actions(), status="ok",
                           fetched_at=dt.datetime.now(dt.UTC), provider=self.name)


def _watchlist() -> Watchlist:
    members = tuple(Member(key=f"SYN{i:03d}", company=None, symbol=f"SYN{i:03d}")
                    for i in range(N_SYMBOLS))
    return Watchlist(name="bench-500", description="", benchmark=None, base_currency="USD",
                     assumptions=members[0].assumptions, members=members, source="bench")


def _first_refresh(home: Path, workers: int) -> tuple[float, _LatencyProvider]:
    provider = _LatencyProvider(workers)
    with open_store(home) as store:
        t0 = time.perf_counter()
        report = refresh_all(_watchlist(), store=store, provider=provider, now=FIRST)
        elapsed = time.perf_counter() - t0
    assert report.ok, report.failures
    return elapsed, provider


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        pooled, first = _first_refresh(Path(tmp) / "pooled", WORKERS)
        with open_store(Path(tmp) / "pooled") as store:
            daily = _LatencyProvider(WORKERS)
            daily.seen = set(first.seen)  # the same machine: yfinance's tz cache is warm
            refresh_all(_watchlist(), store=store, provider=daily, now=NEXT_DAY)
        serial, _ = _first_refresh(Path(tmp) / "serial", 1)
    per_first = sum(first.requests.values()) / N_SYMBOLS
    per_daily = sum(daily.requests.values()) / N_SYMBOLS
    limit = sum(first.requests.values()) * LATENCY / WORKERS
    return [
        {"name": f"refresh {N_SYMBOLS} symbols: requests per symbol, first refresh",
         "figure": per_first, "unit": "requests"},
        {"name": "refresh: requests per symbol, next day (statements not due)",
         "figure": per_daily, "unit": "requests", "ratio": per_first / per_daily,
         "target": "statements not refetched daily"},
        {"name": f"refresh first run, pool of {WORKERS} (latency {LATENCY * 1e3:g} ms)",
         "figure": pooled, "unit": "s", "ratio": serial / pooled,
         "target": "ratio = one-at-a-time / pooled"},
        {"name": "refresh first run, one request at a time", "figure": serial, "unit": "s"},
        {"name": f"refresh first run, physical limit (requests x latency / {WORKERS})",
         "figure": limit, "unit": "s", "ratio": pooled / limit,
         "target": "ratio = pooled / limit"},
    ]

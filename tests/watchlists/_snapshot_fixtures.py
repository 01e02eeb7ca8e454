"""Shared helpers for the snapshot, report and CLI tests (plain functions, no fixtures).

Everything here is offline and deterministic. The price series are SYNTHETIC: made up
for tests (a seeded random walk), never real market data; they are stored with the
source ``'synthetic-test'`` so nobody mistakes them for Yahoo rows.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from watchlists.providers import FetchResult, empty_prices

NOW = dt.datetime(2025, 12, 4, 20, 0, tzinfo=dt.UTC)
"""'Now' for the acceptance scenario: after the Shanghai close of Thursday 2025-12-04."""

ASOF = dt.date(2025, 12, 4)
CAMBRICON = "688256.SS"
MOORE = "688795.SS"
BENCH = "000300.SS"
SYNTHETIC = "synthetic-test"

# A spike in the synthetic highs inside the 52-week window, one outside it and one after
# asof: only the first may become the 52-week high as of ASOF.
SPIKE_DATE, SPIKE_HIGH = pd.Timestamp("2025-09-15"), 2500.0
OLD_SPIKE_DATE, OLD_SPIKE_HIGH = pd.Timestamp("2024-11-01"), 9999.0
FUTURE_SPIKE_DATE, FUTURE_SPIKE_HIGH = pd.Timestamp("2025-12-10"), 99999.0


def synthetic_closes(symbol: str, start: str, end: str, *, level: float, seed: int,
                     market: pd.Series | None = None, loading: float = 1.3) -> pd.Series:
    """SYNTHETIC weekday closes (a seeded geometric random walk) from ``start`` to ``end``.

    With ``market`` (another synthetic close series on the same dates) the daily returns
    are ``loading`` × the market's plus noise, so the beta is well defined.
    """
    dates = pd.bdate_range(start, end)
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 0.015, len(dates))
    if market is not None:
        m = market.reindex(dates).pct_change().fillna(0.0).to_numpy()
        daily = loading * m + noise
    else:
        daily = noise
    daily[0] = 0.0
    closes = level * np.cumprod(1.0 + daily)
    return pd.Series(np.round(closes, 4), index=dates, name=symbol)


def tidy(symbol: str, closes: pd.Series, highs: pd.Series | None = None) -> pd.DataFrame:
    """A tidy price frame (the store's input shape) from closes (and highs)."""
    hi = closes * 1.01 if highs is None else highs
    return pd.DataFrame({
        "symbol": symbol, "date": closes.index, "open": closes.to_numpy(),
        "high": hi.to_numpy(), "low": (closes * 0.99).to_numpy(), "close": closes.to_numpy(),
        "adj_close": closes.to_numpy(), "volume": 1000.0,
    })


def seed_store(store, *, end: str = "2025-12-12") -> dict[str, pd.Series]:
    """Write SYNTHETIC daily closes/highs for Cambricon and the CSI 300 into ``store``.

    About two years (2023-11-01 .. ``end``); note ``end`` is past ASOF on purpose so
    point-in-time tests can check the rows after ASOF are ignored. Returns the
    series written: ``{"close": {symbol: Series}, "high": {symbol: Series}}`` flattened
    as keys ``"<symbol>"`` (closes) and ``"<symbol>:high"`` (highs).
    """
    bench = synthetic_closes(BENCH, "2023-11-01", end, level=3500.0, seed=7)
    cam = synthetic_closes(CAMBRICON, "2023-11-01", end, level=600.0, seed=11, market=bench)
    cam_high = cam * 1.01
    cam_high[SPIKE_DATE] = SPIKE_HIGH
    cam_high[OLD_SPIKE_DATE] = OLD_SPIKE_HIGH
    if FUTURE_SPIKE_DATE in cam_high.index:
        cam_high[FUTURE_SPIKE_DATE] = FUTURE_SPIKE_HIGH
    store.upsert_prices(tidy(BENCH, bench), source=SYNTHETIC)
    store.upsert_prices(tidy(CAMBRICON, cam, cam_high), source=SYNTHETIC)
    return {BENCH: bench, CAMBRICON: cam, f"{CAMBRICON}:high": cam_high}


def row_of(snap, company: str) -> pd.Series:
    """The snapshot table row of ``company`` (slug)."""
    return snap.table.set_index("company").loc[company]


def write_watchlist(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


class RaisingProvider:
    """A ``PriceProvider`` whose every call fails like a DNS lookup (network down)."""

    name = "raising-fake"

    def __init__(self, exc: BaseException | None = None) -> None:
        from watchlists.errors import OfflineError

        self.exc = exc or OfflineError(
            "Could not resolve host: query2.finance.yahoo.com (network disabled in tests)")
        self.offline = False
        self.calls = 0

    def fetch_prices(self, symbols, start, end) -> FetchResult:
        self.calls += 1
        self.offline = True
        raise self.exc

    def fetch_targets(self, symbol):
        raise self.exc


class StaticProvider:
    """A ``PriceProvider`` serving fixed SYNTHETIC rows; ``fail`` maps symbol → reason."""

    name = "static-fake"

    def __init__(self, frames: dict[str, pd.DataFrame] | None = None,
                 fail: dict[str, str] | None = None) -> None:
        self.frames = dict(frames or {})
        self.fail = dict(fail or {})
        self.offline = False
        self.calls: list[tuple[tuple[str, ...], dt.date, dt.date]] = []

    def fetch_prices(self, symbols, start, end) -> FetchResult:
        self.calls.append((tuple(symbols), start, end))
        status, parts = {}, []
        for sym in symbols:
            if sym in self.fail:
                status[sym] = f"error: {self.fail[sym]}"
                continue
            frame = self.frames.get(sym)
            if frame is None:
                status[sym] = "missing"
                continue
            d = pd.to_datetime(frame["date"])
            part = frame[(d >= pd.Timestamp(start)) & (d < pd.Timestamp(end))]
            parts.append(part)
            status[sym] = "ok" if len(part) else "missing"
        frame = pd.concat(parts, ignore_index=True) if parts else empty_prices()
        return FetchResult(frame=frame, status=status, provider=self.name,
                           fetched_at=dt.datetime.now(dt.UTC))

    def fetch_targets(self, symbol):
        from watchlists.providers import AnalystData, empty_actions

        return AnalystData(symbol=symbol, consensus={}, analyst_count=None, currency=None,
                           actions=empty_actions(), status="missing",
                           fetched_at=dt.datetime.now(dt.UTC), provider=self.name)

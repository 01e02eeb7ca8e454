"""Store benchmarks on SYNTHETIC data (temp stores; no network).

1. A simulated daily refresh of 50 symbols with 10 years stored: rows requested from the
   provider versus a full re-download (ratio; target >= 100x fewer).
2. Reading 500 symbols x 10 years into a wide frame with ``Store.price_table`` (target:
   under 1 s), beside pandas reading the same wide table from a CSV (ratio = CSV / store).
   ``price_table`` reads the ``price_blocks`` read model (per symbol-year numeric blobs).
3. The initial write of those 500 symbols x 10 years (10 upserts of 50 symbols), which
   includes maintaining the read model: what the fast reads cost at write time.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from watchlists.market import refresh
from watchlists.providers import FetchResult, empty_prices
from watchlists.store import open_store

NOW = dt.datetime(2025, 12, 5, 22, tzinfo=dt.UTC)
YEARS = 10


class _CountingProvider:
    """Synthetic Mon–Fri bars; counts the rows it is asked for."""

    name = "synthetic"

    def __init__(self) -> None:
        self.rows_requested = 0
        self.offline = False

    def fetch_prices(self, symbols, start, end):
        dates = pd.bdate_range(start, pd.Timestamp(end) - pd.Timedelta(days=1))
        self.rows_requested += len(dates) * len(symbols)
        frames = []
        for i, sym in enumerate(symbols):
            close = 50.0 + i + np.arange(len(dates)) * 0.01
            frames.append(pd.DataFrame({"symbol": sym, "date": dates, "open": close,
                                        "high": close, "low": close, "close": close,
                                        "adj_close": close, "volume": 1e6}))
        frame = pd.concat(frames, ignore_index=True) if frames else empty_prices()
        return FetchResult(frame=frame, status=dict.fromkeys(symbols, "ok"), provider=self.name,
                           fetched_at=dt.datetime.now(dt.UTC))

    def fetch_targets(self, symbol):  # pragma: no cover
        raise NotImplementedError


def _daily_refresh(tmp: Path) -> dict:
    symbols = [f"SYN{i:03d}" for i in range(50)]
    with open_store(tmp / "daily") as store:
        seed = _CountingProvider()
        refresh(symbols, store=store, provider=seed, now=NOW - dt.timedelta(days=1),
                history_years=YEARS)
        full_rows = seed.rows_requested
        daily = _CountingProvider()
        t0 = time.perf_counter()
        refresh(symbols, store=store, provider=daily, now=NOW, history_years=YEARS)
        elapsed = time.perf_counter() - t0
    return {"name": "daily refresh, 50 symbols x 10y stored: rows requested (synthetic)",
            "figure": daily.rows_requested, "unit": f"rows (full: {full_rows}; {elapsed:.2f}s)",
            "ratio": full_rows / max(daily.rows_requested, 1),
            "target": ">= 100x fewer than a full re-download"}


def _wide_read(tmp: Path) -> list[dict]:
    symbols = [f"SYN{i:03d}" for i in range(500)]
    dates = pd.bdate_range(end="2025-12-05", periods=252 * YEARS)
    rng = np.random.default_rng(0)
    with open_store(tmp / "wide") as store:
        t_write = time.perf_counter()
        for chunk in range(0, len(symbols), 50):
            part = symbols[chunk:chunk + 50]
            close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(dates), len(part))), 0))
            frame = pd.DataFrame({
                "symbol": np.repeat(part, len(dates)), "date": np.tile(dates, len(part)),
                "close": close.T.ravel()})
            for c in ("open", "high", "low", "adj_close"):
                frame[c] = frame["close"]
            frame["volume"] = 1e6
            store.upsert_prices(frame, source="synthetic")
        write_s = time.perf_counter() - t_write
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            wide = store.price_table(symbols)
            times.append(time.perf_counter() - t0)
        store_s = min(times)
    csv = tmp / "wide.csv"
    wide.to_csv(csv)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        from_csv = pd.read_csv(csv, index_col=0, parse_dates=True)
        times.append(time.perf_counter() - t0)
    csv_s = min(times)
    assert from_csv.shape == wide.shape
    return [
        {"name": f"price_table 500 symbols x 10y ({wide.shape[0]}x{wide.shape[1]}, synthetic)",
         "figure": store_s, "unit": "s", "ratio": csv_s / store_s,
         "target": "< 1 s; ratio = CSV time / store time"},
        {"name": "pandas read_csv of the same wide table", "figure": csv_s, "unit": "s",
         "ratio": None, "target": "reference"},
        {"name": "initial write 500 symbols x 10y (10 upserts of 50 symbols, synthetic)",
         "figure": write_s, "unit": "s", "ratio": None,
         "target": "reference (cost of the write path incl. read model)"},
    ]


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        return [_daily_refresh(Path(tmp)), *_wide_read(Path(tmp))]

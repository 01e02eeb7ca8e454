"""Hypothesis: any yfinance-shaped frame normalises cleanly, with no silent wrong number.

Frames are built to yfinance 1.7's ``Ticker.history(auto_adjust=False)`` shape
(tz-aware exchange-zone index named ``Date``; Open, High, Low, Close, Adj Close,
Volume, Dividends, Stock Splits), then mangled: random gaps, duplicate dates, NaN
runs, non-positive or infinite prices, shuffled rows, dropped columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchlists.providers import PRICE_COLUMNS
from watchlists.yahoo import _normalize_history

COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends", "Stock Splits"]
ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "America/New_York"]
price = st.one_of(st.floats(min_value=0.01, max_value=1e5), st.just(np.nan), st.just(0.0),
                  st.just(-1.0), st.just(np.inf))


@st.composite
def yahoo_frames(draw):
    n = draw(st.integers(min_value=0, max_value=25))
    zone = draw(st.sampled_from(ZONES))
    days = pd.bdate_range("2025-01-01", periods=40)
    picks = draw(st.lists(st.integers(min_value=0, max_value=39), min_size=n, max_size=n))
    hours = {"Asia/Shanghai": 0, "Asia/Hong_Kong": 0, "America/New_York": 0}[zone]
    index = pd.DatetimeIndex([days[i] for i in picks]).tz_localize(zone) + pd.Timedelta(hours=hours)
    index.name = "Date"
    data = {c: [draw(price) for _ in range(n)] for c in COLUMNS[:5]}
    data["Volume"] = [draw(st.one_of(st.integers(0, 10**9), st.just(-5))) for _ in range(n)]
    data["Dividends"] = [0.0] * n
    data["Stock Splits"] = [0.0] * n
    frame = pd.DataFrame(data, index=index, columns=COLUMNS)
    dropped = draw(st.lists(st.sampled_from(COLUMNS[:5]), unique=True, max_size=2))
    return frame.drop(columns=dropped), zone


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yahoo_frames())
def test_any_frame_normalises_without_inventing_numbers(args):
    raw, _zone = args
    before = raw.copy()
    out, notes = _normalize_history(raw, "TEST.SS")
    pd.testing.assert_frame_equal(raw, before)  # input untouched
    assert list(out.columns) == list(PRICE_COLUMNS)
    assert out["date"].is_monotonic_increasing and out["date"].is_unique
    assert (out["date"] == out["date"].dt.normalize()).all()
    assert out["date"].dt.tz is None
    prices = out[["open", "high", "low", "close", "adj_close"]].to_numpy(dtype=float)
    assert not np.isinf(prices).any() and not (prices <= 0).any()
    assert not np.isnan(prices).all(axis=1).any()  # all-NaN rows are dropped
    # every close comes from the last raw row of that local session date that had a
    # usable price (yfinance-style all-null rows are skipped); an unusable close is NaN
    if "Close" in raw.columns and len(out):
        local = raw.index.tz_localize(None).normalize()
        cols = [c for c in ("Open", "High", "Low", "Close", "Adj Close") if c in raw.columns]
        vals = raw[cols].to_numpy(dtype=float)
        usable = np.isfinite(vals) & (vals > 0)
        for day, close in zip(out["date"], out["close"]):
            rows = [i for i in np.flatnonzero(local == day) if usable[i].any()]
            assert rows, "an output date must come from a raw row with a usable price"
            expected = raw["Close"].to_numpy()[rows[-1]]
            if np.isfinite(expected) and expected > 0:
                assert close == expected
            else:
                assert np.isnan(close)
    assert isinstance(notes, list)

"""The yfinance adapter against a fake yfinance of 1.7's exact shapes (no network)."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_yfinance import (
    FakeYFinance,
    history_frame,
    not_found_error,
    upgrades_frame,
)

from watchlists.providers import PRICE_COLUMNS, FetchResult, PriceProvider
from watchlists.yahoo import YahooProvider, _normalize_actions, _normalize_history

START, END = dt.date(2025, 12, 1), dt.date(2025, 12, 6)


def provider(tmp_path, sleeps=None, **kw) -> YahooProvider:
    sleeps = [] if sleeps is None else sleeps
    return YahooProvider(sleep=sleeps.append, rng=random.Random(7),
                         cache_dir=tmp_path / "yfc", **kw)


# --------------------------------------------------------------- parsing (pure)


def test_fake_frame_has_yfinance_shape():
    raw = history_frame("688256.SS", ["2025-12-04"])
    assert list(raw.columns) == ["Open", "High", "Low", "Close", "Adj Close", "Volume",
                                 "Dividends", "Stock Splits"]
    assert raw.index.name == "Date"
    assert str(raw.index.dtype) == "datetime64[s, Asia/Shanghai]"
    assert raw["Volume"].dtype == np.int64


def test_shanghai_close_is_dated_in_shanghai():
    idx = pd.DatetimeIndex([pd.Timestamp("2025-12-04 15:00", tz="Asia/Shanghai")], name="Date")
    raw = history_frame("688256.SS", ["2025-12-04"]).set_axis(idx.as_unit("s"))
    out, _ = _normalize_history(raw, "688256.SS")
    assert out["date"].tolist() == [pd.Timestamp("2025-12-04")]
    assert out["date"].dt.tz is None


def test_local_midnight_ahead_of_utc_keeps_local_date():
    # Tokyo midnight is 15:00 UTC the previous day: the session is still the local date.
    idx = pd.DatetimeIndex([pd.Timestamp("2025-12-04 00:00", tz="Asia/Tokyo")], name="Date")
    assert idx.tz_convert("UTC")[0].day == 3
    raw = history_frame("7203.T", ["2025-12-04"]).set_axis(idx.as_unit("s"))
    out, _ = _normalize_history(raw, "7203.T")
    assert out["date"].tolist() == [pd.Timestamp("2025-12-04")]


def test_normalize_repairs_and_does_not_mutate():
    raw = history_frame("BABA", ["2025-12-03", "2025-12-01", "2025-12-02", "2025-12-02"])
    raw.iloc[3, 3] = 999.0  # the later duplicate wins
    raw.iloc[1, :6] = np.nan  # all-NaN row
    before = raw.copy()
    out, notes = _normalize_history(raw, "BABA")
    pd.testing.assert_frame_equal(raw, before)
    assert list(out.columns) == list(PRICE_COLUMNS)
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-12-02", "2025-12-03"]
    assert out.loc[0, "close"] == 999.0
    assert any("all-NaN" in n for n in notes) and any("duplicate" in n for n in notes)


def test_normalize_without_adj_close_and_volume():
    raw = history_frame("BABA", ["2025-12-01"]).drop(columns=["Adj Close", "Volume"])
    out, notes = _normalize_history(raw, "BABA")
    assert out.loc[0, "adj_close"] == out.loc[0, "close"]
    assert np.isnan(out.loc[0, "volume"])
    assert any("Adj Close" in n for n in notes)


def test_normalize_empty():
    out, _ = _normalize_history(pd.DataFrame(), "X")
    assert out.empty and list(out.columns) == list(PRICE_COLUMNS)


def test_actions_with_and_without_targets():
    rows = [{"date": "2025-11-20", "firm": "JPM", "to": "Overweight", "target": 200.0,
             "prior": 180.0}, {"date": "2025-10-01", "firm": "GS", "to": "Buy"}]
    with_t = _normalize_actions(upgrades_frame(rows, with_targets=True))
    without = _normalize_actions(upgrades_frame(rows, with_targets=False))
    assert with_t["firm"].tolist() == ["GS", "JPM"]  # sorted by date
    assert with_t.loc[1, "current_target"] == 200.0
    assert without["current_target"].isna().all() and without["prior_target"].isna().all()


# --------------------------------------------------------------- transport


def test_protocol_and_call_arguments(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch)
    p = provider(tmp_path)
    assert isinstance(p, PriceProvider)
    result = p.fetch_prices(["BABA", "688256.SS", "9988.HK"], START, END)
    assert isinstance(result, FetchResult) and result.ok and result.error is None
    assert result.provider == "yahoo" and result.fetched_at.tzinfo is not None
    assert set(result.frame["symbol"]) == {"BABA", "688256.SS", "9988.HK"}
    assert len(result.frame) == 15
    call = fake.price_calls()[0]
    assert call.kwargs["auto_adjust"] is False and call.kwargs["raise_errors"] is True
    assert call.kwargs["timeout"] == 10.0
    assert (call.start, call.end) == ("2025-12-01", "2025-12-06")
    assert fake.cache_dirs == [str(tmp_path / "yfc")]


def test_rate_limit_then_success_backs_off(tmp_path, monkeypatch):
    fake = FakeYFinance({"BABA": ("rate_limit", 3)}).install(monkeypatch)
    sleeps: list[float] = []
    p = provider(tmp_path, sleeps, backoff=1.0, max_backoff=3.0)
    result = p.fetch_prices(["BABA"], START, END)
    assert result.status == {"BABA": "ok"}
    assert fake.counts["BABA"] == 4
    assert len(sleeps) == 3
    assert sleeps == sorted(sleeps)  # grows
    assert all(0.5 <= s <= 3.0 for s in sleeps)  # bounded by max_backoff
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


def test_backoff_is_deterministic_with_rng(tmp_path, monkeypatch):
    FakeYFinance({"BABA": ("rate_limit", 2)}).install(monkeypatch)
    a, b = [], []
    provider(tmp_path, a).fetch_prices(["BABA"], START, END)
    FakeYFinance({"BABA": ("rate_limit", 2)}).install(monkeypatch)
    provider(tmp_path, b).fetch_prices(["BABA"], START, END)
    assert a == b


def test_repeated_429_is_an_error_for_that_symbol_only(tmp_path, monkeypatch):
    fake = FakeYFinance({"BABA": "rate_limit_forever"}).install(monkeypatch)
    sleeps: list[float] = []
    p = provider(tmp_path, sleeps, retries=3)
    result = p.fetch_prices(["9988.HK", "BABA", "NVDA"], START, END)
    assert result.status["BABA"].startswith("error: rate limited")
    assert result.status["9988.HK"] == "ok" and result.status["NVDA"] == "ok"
    assert fake.counts["BABA"] == 4 and len(sleeps) == 3
    assert set(result.frame["symbol"]) == {"9988.HK", "NVDA"}
    assert not p.offline


def test_total_sleep_is_bounded(tmp_path, monkeypatch):
    fake = FakeYFinance({"BABA": "rate_limit_forever"}).install(monkeypatch)
    sleeps: list[float] = []
    p = provider(tmp_path, sleeps, retries=50, backoff=1.0, max_backoff=8.0,
                 max_total_sleep=10.0)
    p.fetch_prices(["BABA"], START, END)
    assert sum(sleeps) <= 10.0
    assert fake.counts["BABA"] == len(sleeps) + 1 < 10


def test_timeouts_are_retried(tmp_path, monkeypatch):
    fake = FakeYFinance({"BABA": ("timeout", 2)}).install(monkeypatch)
    sleeps: list[float] = []
    result = provider(tmp_path, sleeps).fetch_prices(["BABA"], START, END)
    assert result.status == {"BABA": "ok"} and fake.counts["BABA"] == 3 and len(sleeps) == 2


def test_dns_failure_goes_offline_after_one_call(tmp_path, monkeypatch):
    fake = FakeYFinance({s: "dns" for s in ["BABA", "NVDA", "9988.HK", "0700.HK",
                                             "688256.SS"]}).install(monkeypatch)
    sleeps: list[float] = []
    p = provider(tmp_path, sleeps)
    result = p.fetch_prices(["BABA", "NVDA", "9988.HK", "0700.HK", "688256.SS"], START, END)
    assert len(fake.price_calls()) == 1
    assert p.offline and result.offline and sleeps == []
    assert all(s.startswith("error: offline (DNS failure: ") for s in result.status.values())
    assert "Could not resolve host" in result.status["NVDA"]
    assert result.error and "no data for any of 5" in result.error
    # later calls make no request either
    p.fetch_prices(["AAPL"], START, END)
    assert p.fetch_targets("AAPL").status.startswith("error: offline")
    assert len(fake.calls) == 1


def test_dns_detected_from_message_only(tmp_path, monkeypatch):
    def raise_resolve(symbol, start, end):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    fake = FakeYFinance({"BABA": raise_resolve}).install(monkeypatch)
    p = provider(tmp_path)
    result = p.fetch_prices(["BABA", "NVDA"], START, END)
    assert p.offline and len(fake.price_calls()) == 1
    assert result.status["NVDA"].startswith("error: offline")


def test_missing_symbol_and_all_empty_error(tmp_path, monkeypatch):
    FakeYFinance({"GONE": "empty", "GONE2": "empty"}).install(monkeypatch)
    p = provider(tmp_path)
    one = p.fetch_prices(["GONE", "BABA"], START, END)
    assert one.status == {"GONE": "missing", "BABA": "ok"} and one.error is None
    none = p.fetch_prices(["GONE", "GONE2"], START, END)
    assert none.frame.empty and none.error and "missing" in none.error
    assert not none.offline


def test_unexpected_exception_is_an_error_status(tmp_path, monkeypatch):
    FakeYFinance({"BAD": "boom"}).install(monkeypatch)
    result = provider(tmp_path).fetch_prices(["BAD", "BABA"], START, END)
    assert result.status["BAD"] == "error: ValueError: unexpected payload"
    assert result.status["BABA"] == "ok"


def test_end_must_follow_start(tmp_path):
    with pytest.raises(ValueError, match="end"):
        provider(tmp_path).fetch_prices(["BABA"], END, START)
    with pytest.raises(ValueError, match="max_workers"):
        YahooProvider(max_workers=0)


# --------------------------------------------------------------- analyst data


def test_fetch_targets_ok(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch)
    fake.targets["BABA"] = {"current": 143.75, "high": 190.69434, "low": 86.08602,
                            "mean": 152.7521, "median": 160.12865}
    fake.infos["BABA"] = {"numberOfAnalystOpinions": 39, "currency": "USD",
                          "financialCurrency": "CNY"}
    fake.actions["BABA"] = upgrades_frame(
        [{"date": "2025-02-21", "firm": "Benchmark", "to": "Buy", "from": "Buy",
          "target": 180.0, "prior": 160.0}], with_targets=True)
    data = provider(tmp_path).fetch_targets("BABA")
    assert data.status == "ok" and data.currency == "USD" and data.analyst_count == 39
    assert data.consensus["mean"] == pytest.approx(152.7521)
    assert data.actions.loc[0, "current_target"] == 180.0


def test_fetch_targets_404_is_no_consensus(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch)
    fake.targets["QQQ"] = not_found_error("QQQ")
    fake.infos["QQQ"] = {"currency": "USD"}
    data = provider(tmp_path).fetch_targets("QQQ")
    assert data.status == "missing" and dict(data.consensus) == {}
    assert data.actions.empty and data.currency == "USD"


def test_fetch_targets_hidden_exception_returns_empty_dict(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch)
    fake.actions["X"] = upgrades_frame([{"date": "2025-01-02", "firm": "GS", "to": "Buy"}],
                                       with_targets=False)
    data = provider(tmp_path).fetch_targets("X")  # targets {} as with hide_exceptions on
    assert data.status == "ok" and data.consensus == {}
    assert data.actions["current_target"].isna().all()


def test_no_yfinance_import_at_package_import():
    code = ("import sys, watchlists.yahoo, watchlists.market, watchlists.store, "
            "watchlists.fx, watchlists.calendars; "
            "assert 'yfinance' not in sys.modules; assert 'exchange_calendars' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)

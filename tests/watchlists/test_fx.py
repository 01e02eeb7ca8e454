"""FX: pair naming, conversion on and before a date, crosses, parity."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_yfinance import FakeProvider

from watchlists.errors import DataQualityError
from watchlists.fx import (
    convert,
    cross_listing_parity,
    fx_rate,
    fx_symbol,
    parse_fx_symbol,
    refresh_fx,
)
from watchlists.store import open_store

FRI, SAT, MON = dt.date(2025, 12, 5), dt.date(2025, 12, 6), dt.date(2025, 12, 8)


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "h") as s:
        s.upsert_fx(pd.DataFrame({
            "from_ccy": ["USD", "USD", "HKD", "USD"], "to_ccy": ["CNY", "CNY", "USD", "HKD"],
            "date": pd.to_datetime(["2025-12-04", "2025-12-05", "2025-12-05", "2025-12-05"]),
            "rate": [7.10, 7.08, 0.1285, 7.78]}), source="test")
        yield s


def test_symbols():
    assert fx_symbol("USD", "CNY") == "CNY=X"
    assert fx_symbol("hkd", "usd") == "HKDUSD=X"
    assert fx_symbol("CNY", "HKD") == "CNYHKD=X"
    assert parse_fx_symbol("CNY=X") == ("USD", "CNY")
    assert parse_fx_symbol("CNYHKD=X") == ("CNY", "HKD")
    with pytest.raises(ValueError, match="both CNY"):
        fx_symbol("CNY", "CNY")


def test_convert_on_and_before(store):
    assert convert(100.0, "USD", "CNY", dt.date(2025, 12, 4), store=store) == pytest.approx(710.0)
    assert convert(100.0, "USD", "CNY", FRI, store=store) == pytest.approx(708.0)
    assert convert(100.0, "USD", "CNY", SAT, store=store) == pytest.approx(708.0)  # weekend


def test_inverse_and_cross(store):
    assert convert(708.0, "CNY", "USD", FRI, store=store) == pytest.approx(100.0)
    # CNY → HKD via USD: 1/7.08 * 7.78 (direct USDHKD preferred over inverse HKDUSD)
    assert fx_rate("CNY", "HKD", FRI, store=store) == pytest.approx(7.78 / 7.08)
    assert convert(5.0, "EUR", "EUR", FRI, store=store) == 5.0


def test_before_any_rate_names_both_currencies_and_date(store):
    # before the bundled ECB history (it starts 2015-01-02) and the store's first rate
    with pytest.raises(DataQualityError, match=r"USD to CNY on or before 2014-12-30"):
        convert(1.0, "USD", "CNY", dt.date(2014, 12, 30), store=store)
    with pytest.raises(DataQualityError, match=r"TWD.*KRW"):  # the ECB publishes no TWD
        convert(1.0, "TWD", "KRW", FRI, store=store)


def test_vectorised_and_input_unchanged(store):
    s = pd.Series([1.0, 2.0], index=["a", "b"], name="px")
    before = s.copy()
    out = convert(s, "USD", "CNY", FRI, store=store)
    pd.testing.assert_series_equal(s, before)
    assert list(out.index) == ["a", "b"] and out.name == "px"
    arr = np.array([1.0, 10.0])
    np.testing.assert_allclose(convert(arr, "USD", "CNY", FRI, store=store), [7.08, 70.8])
    assert arr.tolist() == [1.0, 10.0]


def test_alibaba_parity(store):
    # 1 BABA ADS = 8 shares of 9988.HK: a 120 USD ADS is 120 * 7.78 / 8 HKD per share
    assert cross_listing_parity(120.0, "USD", "HKD", 8, FRI, store) == pytest.approx(116.7)
    # the two-line recipe
    assert convert(120.0, "USD", "HKD", FRI, store=store) / 8 == pytest.approx(116.7)


def test_refresh_fx_incremental(tmp_path):
    with open_store(tmp_path / "fx") as s:
        p = FakeProvider()
        now = dt.datetime(2025, 12, 5, 23, 59, 30, tzinfo=dt.UTC)
        first = refresh_fx(["USDCNY", ("HKD", "USD")], store=s, provider=p, now=now)
        assert first.ok and set(first.table["symbol"]) == {"CNY=X", "HKDUSD=X"}
        assert fx_rate("USD", "CNY", SAT, store=s) > 0
        later = dt.datetime(2025, 12, 8, 23, 59, 30, tzinfo=dt.UTC)
        second = refresh_fx(["USDCNY"], store=s, provider=p, now=later)
        assert second.table.loc[0, "requested_start"] == pd.Timestamp("2025-11-28")
        assert second.table.loc[0, "rows_added"] == 1


def test_bundled_ecb_rates_fill_in_with_their_own_date(store):
    """Before the store has USD/CNY, the bundled ECB reference rates serve, crossed
    through EUR on the latest ECB day on or before the date asked (hand-computed from
    the ECB's eurofxref-hist rates of 2025-01-15: EUR/CNY 7.5515, EUR/USD 1.03)."""
    from watchlists.fx import fx_quote

    q = fx_quote("USD", "CNY", dt.date(2025, 1, 15), store=store)
    assert q.source == "ECB reference, bundled" and q.date == pd.Timestamp("2025-01-15")
    assert q.rate == pytest.approx(7.5515 / 1.03, rel=1e-12)
    assert "of 2025-01-15" in q.basis
    # a Saturday takes Friday's rate, and says so by its date
    sat = fx_quote("USD", "CNY", dt.date(2025, 1, 18), store=store)
    assert sat.date == pd.Timestamp("2025-01-17")
    # any pair the ECB publishes, crossed through EUR: GBP→JPY
    assert fx_quote("GBP", "JPY", dt.date(2025, 1, 15), store=store).rate > 100
    # once the store has a rate at least as recent, the store wins, naming its source
    stored = fx_quote("USD", "CNY", FRI, store=store)
    assert stored.source.startswith("store: ")

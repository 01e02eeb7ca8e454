"""watchlists.cross_listings on a temp store seeded with SYNTHETIC prices and FX.

BABA (USD, 8 shares per ADS) and 9988.HK (HKD) with a planted premium, USDHKD stored (so
the HKD→USD rate is its inverse), different holidays, rows after asof to be ignored."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.watchlists._snapshot_fixtures import SYNTHETIC, synthetic_closes, tidy
from watchlists.cross_listings import (
    SNAPSHOT_COLUMNS,
    cross_listing_premium,
    listing_pairs,
    snapshot_columns,
    to_html,
    to_markdown,
)
from watchlists.store import Store

ASOF = dt.date(2025, 6, 30)
PLANTED = 0.05  # BABA 5 % over 9988.HK
HK_HOLIDAY = pd.Timestamp("2025-05-05")  # a weekday HK is closed in this synthetic set
US_HOLIDAY = pd.Timestamp("2025-05-26")


def _usdhkd(dates: pd.DatetimeIndex) -> pd.Series:
    return pd.Series(7.8 + 0.01 * np.sin(np.arange(len(dates)) / 9.0), index=dates)


def _seed(store: Store, *, with_fx: bool = True) -> dict[str, pd.Series]:
    hk = synthetic_closes("9988.HK", "2024-01-01", "2025-07-31", level=100.0, seed=5)
    usdhkd = _usdhkd(hk.index)
    baba = hk / usdhkd * 8.0 * (1.0 + PLANTED)
    baba[pd.Timestamp("2025-07-02")] *= 10  # after asof: must not show
    store.upsert_prices(tidy("9988.HK", hk.drop(HK_HOLIDAY)), source=SYNTHETIC)
    store.upsert_prices(tidy("BABA", baba.drop(US_HOLIDAY)), source=SYNTHETIC)
    if with_fx:
        store.upsert_fx(pd.DataFrame({"from_ccy": "USD", "to_ccy": "HKD", "date": usdhkd.index,
                                      "rate": usdhkd.to_numpy()}), source=SYNTHETIC)
    return {"hk": hk, "baba": baba, "usdhkd": usdhkd}


def test_pairs_secondary_over_primary():
    pairs = {p.company.slug: (p.a.symbol, p.b.symbol) for p in listing_pairs()}
    assert pairs["alibaba"] == ("BABA", "9988.HK")
    assert pairs["smic"] == ("688981.SS", "0981.HK")
    assert all(len(p.company.listings) >= 2 for p in listing_pairs())
    assert listing_pairs(["smic", "SMIC"]) == listing_pairs("smic")


def test_premium_recovered_from_store(tmp_path):
    store = Store(tmp_path)
    _seed(store)
    r = cross_listing_premium("alibaba", asof=ASOF, store=store, window=60)
    assert (r.a.symbol, r.b.symbol, r.units_a, r.units_b) == ("BABA", "9988.HK", 8.0, 1.0)
    assert (r.currency_a, r.currency_b, r.fx_pair) == ("USD", "HKD", "HKDUSD")
    assert r.fx_basis == "inverse of USDHKD" and r.fx_source == SYNTHETIC
    # stored prices are rounded to 4 decimals: the planted premium within that rounding
    np.testing.assert_allclose(r.history["premium"].to_numpy(), PLANTED, atol=5e-6)
    assert r.history.index.max() == pd.Timestamp(ASOF)  # nothing after asof
    assert r.latest.date == pd.Timestamp(ASOF) and r.latest.fx_date == pd.Timestamp(ASOF)
    assert HK_HOLIDAY not in r.history.index and US_HOLIDAY not in r.history.index
    assert r.dropped == {"a not traded": 1, "b not traded": 1}
    assert any("sessions dropped" in w and "BABA did not trade" in w for w in r.warnings)
    # the premium is constant: its z-score is undefined, and said so
    assert np.isnan(r.latest.zscore)
    assert any("z-score undefined" in w for w in r.warnings)


def test_symbol_pair_orientation_and_inverse(tmp_path):
    store = Store(tmp_path)
    _seed(store)
    r = cross_listing_premium(("9988.HK", "BABA"), asof=ASOF, store=store, window=60)
    assert r.fx_pair == "USDHKD" and r.fx_basis == "USDHKD"
    np.testing.assert_allclose(r.history["premium"].to_numpy(), 1 / (1 + PLANTED) - 1,
                               atol=5e-6)
    assert cross_listing_premium("BABA", asof=ASOF, store=store).a.symbol == "BABA"


def test_fx_dated_after_asof_and_missing_fx(tmp_path):
    store = Store(tmp_path)
    _seed(store, with_fx=False)
    r = cross_listing_premium("alibaba", asof=ASOF, store=store)
    assert r.history.empty and np.isnan(r.latest.premium) and r.latest.date is None
    assert any("HKDUSD=X" in w and "watchlists refresh" in w for w in r.warnings)
    # a rate dated after asof only is never used
    store.upsert_fx(pd.DataFrame({"from_ccy": ["USD"], "to_ccy": ["HKD"],
                                  "date": [pd.Timestamp("2025-07-01")], "rate": [7.8]}),
                    source=SYNTHETIC)
    assert cross_listing_premium("alibaba", asof=ASOF, store=store).history.empty


def test_cross_via_usd(tmp_path):
    store = Store(tmp_path)
    d = pd.bdate_range("2025-01-01", "2025-03-31")
    hkd_usd, usd_cny = 0.128, 7.2
    h = pd.Series(10.0, index=d)
    a = h * hkd_usd * usd_cny * 1.5  # 688981.SS at a 50 % A/H premium
    store.upsert_prices(tidy("0981.HK", h), source=SYNTHETIC)
    store.upsert_prices(tidy("688981.SS", a), source=SYNTHETIC)
    store.upsert_fx(pd.DataFrame({"from_ccy": "HKD", "to_ccy": "USD", "date": d,
                                  "rate": hkd_usd}), source=SYNTHETIC)
    store.upsert_fx(pd.DataFrame({"from_ccy": "CNY", "to_ccy": "USD", "date": d,
                                  "rate": 1 / usd_cny}), source=SYNTHETIC)
    r = cross_listing_premium("smic", asof="2025-03-31", store=store, window=20)
    assert r.fx_basis == "cross via USD: HKDUSD × inverse of CNYUSD"
    np.testing.assert_allclose(r.history["premium"].to_numpy(), 0.5, atol=1e-4)


def test_snapshot_columns(tmp_path):
    store = Store(tmp_path)
    _seed(store)
    table = pd.DataFrame({"company": ["alibaba", "alibaba", "smic", "x", "y"],
                          "symbol": ["BABA", "9988.HK", "0981.HK", "NOTASYMBOL", None]},
                         index=[10, 11, 12, 13, 14])
    before = table.copy()
    cols = snapshot_columns(table, store, ASOF, window=60)
    pd.testing.assert_frame_equal(table, before)
    assert list(cols.columns) == list(SNAPSHOT_COLUMNS)
    assert list(cols.index) == [10, 11, 12, 13, 14]
    assert cols.loc[10, "cross_listing_vs"] == "9988.HK"
    assert cols.loc[10, "cross_listing_premium"] == pytest.approx(PLANTED, abs=5e-6)
    assert cols.loc[11, "cross_listing_vs"] == "BABA"
    assert cols.loc[11, "cross_listing_premium"] == pytest.approx(1 / 1.05 - 1, abs=5e-6)
    assert cols.loc[12, "cross_listing_vs"] == "688981.SS"
    assert np.isnan(cols.loc[12, "cross_listing_premium"])  # no SMIC prices stored
    assert cols.loc[13, "cross_listing_vs"] is None and cols.loc[14, "cross_listing_vs"] is None
    with pytest.raises(ValueError, match="snap_or_table"):
        snapshot_columns(pd.DataFrame({"x": [1]}), store, ASOF)


def test_bad_company(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(ValueError, match="'cambricon' has 1 listing"):
        cross_listing_premium("cambricon", asof=ASOF, store=store)
    with pytest.raises(ValueError, match="company_or_pair"):
        cross_listing_premium(("BABA", "0981.HK"), asof=ASOF, store=store)
    with pytest.raises(ValueError, match="window must be at least 2, got 1"):
        cross_listing_premium("alibaba", asof=ASOF, store=store, window=1)


def test_markdown_and_html(tmp_path):
    store = Store(tmp_path)
    _seed(store)
    r = cross_listing_premium("alibaba", asof=ASOF, store=store, window=60)
    md = to_markdown([r])
    assert "## Cross-listing premiums" in md and "| Alibaba | BABA (USD, 8 sh/unit)" in md
    assert "+5.00 %" in md
    html = to_html([r])
    assert html.count('<img src="data:image/svg+xml;base64,') == 1
    for bad in ("<script", "<link", "<iframe"):
        assert bad not in html
    assert "mean ± 2σ" in html
    assert "No company" in to_html([]) and "No company" in to_markdown([])


def test_html_escapes_text(tmp_path):
    import dataclasses

    store = Store(tmp_path)
    _seed(store)
    r = cross_listing_premium("alibaba", asof=ASOF, store=store, window=60)
    r = dataclasses.replace(r, name="<script>alert(1)</script>",
                            warnings=("a <b> & c",))
    html = to_html([r], charts=False)
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &lt;b&gt; &amp; c" in html


def test_zscore_from_store_matches_hand_computation(tmp_path):
    store = Store(tmp_path)
    d = pd.bdate_range("2025-06-02", periods=8)
    planted = np.array([0.02, 0.04, 0.03, 0.05, 0.01, 0.02, 0.06, 0.04])
    hk = pd.Series(100.0, index=d)
    usdhkd = pd.Series(8.0, index=d)  # HKD→USD 0.125: exact in binary
    baba = hk / usdhkd * 8.0 * (1.0 + planted)
    store.upsert_prices(tidy("9988.HK", hk), source=SYNTHETIC)
    store.upsert_prices(tidy("BABA", baba), source=SYNTHETIC)
    store.upsert_fx(pd.DataFrame({"from_ccy": "USD", "to_ccy": "HKD", "date": d,
                                  "rate": usdhkd.to_numpy()}), source=SYNTHETIC)
    r = cross_listing_premium("alibaba", asof=d[-1], store=store, window=4)
    np.testing.assert_allclose(r.history["premium"].to_numpy(), planted, atol=1e-12)
    w = planted[-4:]
    assert r.latest.zscore == pytest.approx((w[-1] - w.mean()) / w.std(ddof=1), abs=1e-9)
    assert r.warnings == ()


def test_public_names_pinned():
    import valuation.cross_listing as v
    import watchlists.cross_listings as w

    assert v.__all__ == ["SESSION_STATUSES", "aligned_sessions", "premium", "premium_history"]
    assert w.__all__ == [
        "SNAPSHOT_COLUMNS", "CrossListing", "ListingPair", "PremiumPoint",
        "cross_listing_premium", "listing_pairs", "premium_chart", "snapshot_columns",
        "to_html", "to_markdown",
    ]

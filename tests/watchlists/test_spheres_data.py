"""watchlists.spheres on a temporary store seeded with SYNTHETIC prices and FX rates.

Everything is offline and deterministic: the closes are seeded random walks made up for
the test (source ``'synthetic-test'``), never market data; the FX rates are made up too.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from tests.watchlists._snapshot_fixtures import SYNTHETIC, tidy
from watchlists.definitions import load_watchlist
from watchlists.errors import DataQualityError
from watchlists.spheres import (
    COVERAGE_COLUMNS,
    Spheres,
    summary_rows,
    to_html,
    to_markdown,
    two_spheres,
)
from watchlists.store import Store

NOW = dt.datetime(2025, 12, 5, 12, 0, tzinfo=dt.UTC)
ASOF = dt.date(2025, 12, 4)
START, END = "2023-11-01", "2025-12-12"  # END is after ASOF on purpose
BETA = 1.5
CHINA = load_watchlist("china-ai-compute")
WEST = load_watchlist("western-ai-compute")
CCY = {"9988.HK": "HKD", "1024.HK": "HKD", "0981.HK": "HKD", "0700.HK": "HKD"}
MISSING_SYMBOL = "688795.SS"  # seeded without prices: must be left out by name


def _fx_paths(dates: pd.DatetimeIndex) -> dict[str, pd.Series]:
    """SYNTHETIC FX: USD→CNY and HKD→USD, drifting so conversion matters."""
    t = np.arange(len(dates))
    return {
        "USDCNY": pd.Series(7.1 + 0.2 * np.sin(t / 40.0), index=dates),
        "HKDUSD": pd.Series(0.128 + 0.002 * np.cos(t / 25.0), index=dates),
    }


def _seed(store: Store, *, with_hkd: bool = True) -> dict[str, pd.Series]:
    """SYNTHETIC closes: western members load 1.0 on a market factor; every Chinese
    member's *USD* return is BETA × the western basket's plus noise, then converted to
    its listing currency with the stored FX of the day."""
    dates = pd.bdate_range(START, END)
    rng = np.random.default_rng(2026)
    market = rng.normal(0.0, 0.012, len(dates))
    west = {}
    for i, sym in enumerate(WEST.symbols):
        r = market + rng.normal(0.0, 0.006, len(dates))
        r[0] = 0.0
        west[sym] = pd.Series(100.0 * (i + 1) * np.cumprod(1 + r), index=dates, name=sym)
    west_basket = pd.DataFrame(west).pct_change().mean(axis=1).fillna(0.0).to_numpy()
    fx = _fx_paths(dates)
    usd_to = {"CNY": fx["USDCNY"], "HKD": 1.0 / fx["HKDUSD"]}
    closes = dict(west)
    for i, sym in enumerate(CHINA.symbols):
        if sym == MISSING_SYMBOL:
            continue
        r = BETA * west_basket + rng.normal(0.0, 0.004, len(dates))
        r[0] = 0.0
        usd = pd.Series(20.0 * (i + 1) * np.cumprod(1 + r), index=dates)
        closes[sym] = (usd * usd_to[CCY.get(sym, "CNY")]).rename(sym)
    for sym, series in closes.items():
        store.upsert_prices(tidy(sym, series), source=SYNTHETIC)
    frames = [pd.DataFrame({"from_ccy": "USD", "to_ccy": "CNY", "date": dates,
                            "rate": fx["USDCNY"].to_numpy()})]
    if with_hkd:
        frames.append(pd.DataFrame({"from_ccy": "HKD", "to_ccy": "USD", "date": dates,
                                    "rate": fx["HKDUSD"].to_numpy()}))
    store.upsert_fx(pd.concat(frames, ignore_index=True), source=SYNTHETIC)
    return closes


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("spheres"))
    closes = _seed(store)
    yield store, closes
    store.close()


@pytest.fixture(scope="module")
def result(seeded) -> Spheres:
    store, _ = seeded
    return two_spheres(asof=ASOF, break_date="2025-03-03", store=store, now=NOW)


def test_recovers_the_planted_beta_in_one_currency(result):
    assert result.currency == "USD"  # b's base currency
    beta = result.regression["beta"].dropna()
    assert len(beta) > 300
    assert abs(beta.median() - BETA) < 0.05
    corr = result.correlation.dropna()
    assert corr.between(0.8, 1.0).all()


def test_nothing_after_asof(result):
    assert result.asof == ASOF
    for frame in (result.returns, result.relative, result.correlation, result.regression):
        assert frame.index.max() <= pd.Timestamp(ASOF)
    assert result.coverage["last_date"].max() == pd.Timestamp(ASOF)


def test_missing_member_left_out_by_name(result):
    cov = result.coverage.set_index("symbol", drop=False)
    assert list(result.coverage.columns) == list(COVERAGE_COLUMNS)
    assert not cov.loc[MISSING_SYMBOL, "used"]
    assert any(w.startswith(f"{MISSING_SYMBOL} (china-ai-compute): no stored close")
               for w in result.warnings)
    used = set(cov[cov["used"]]["symbol"])
    assert used == (set(CHINA.symbols) | set(WEST.symbols)) - {MISSING_SYMBOL}
    assert cov.loc["9988.HK", "fx"] == "HKD/USD"
    assert cov.loc["688256.SS", "fx"] == "CNY/USD"  # the inverse of the stored USDCNY
    assert cov.loc["NVDA", "fx"] == "same currency"
    unlisted = result.coverage[result.coverage["symbol"].isna()]
    assert unlisted["note"].str.contains("huawei").all()


def test_break_tests(result):
    assert result.chow is not None and result.chow.name == "chow"
    assert result.chow.break_date == pd.Timestamp("2025-03-03")
    assert not result.chow.rejected  # no break was planted
    assert "no evidence of a change at 2025-03-03" in result.chow.verdict
    assert result.cusum is not None and result.cusum.break_date is None


def test_converted_returns_match_a_hand_computation(seeded):
    """One member alone: its basket return in USD is (P_t X_t) / (P_t-1 X_t-1) - 1."""
    store, closes = seeded
    from watchlists.definitions import parse_watchlist

    one = parse_watchlist('name = "one"\ndescription = ""\nbase_currency = "CNY"\n'
                          '[[members]]\nsymbol = "9988.HK"\n', source="test")
    s = two_spheres(one, "western-ai-compute", asof=ASOF, store=store, now=NOW, window=20)
    dates = pd.bdate_range(START, END)
    usd = closes["9988.HK"] * _fx_paths(dates)["HKDUSD"]
    expected = usd.pct_change().loc[s.returns.index]
    np.testing.assert_allclose(s.returns["a"].to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_fx_rate_of_the_same_or_an_earlier_day_only(tmp_path):
    """FX stored on Mondays only: Tuesday..Friday closes use Monday's rate, never the
    next Monday's; a close before the first rate is dropped with a warning."""
    store = Store(tmp_path)
    dates = pd.bdate_range("2025-01-06", "2025-06-30")
    local = pd.Series(100.0 * 1.001 ** np.arange(len(dates)), index=dates)
    store.upsert_prices(tidy("9988.HK", local), source=SYNTHETIC)
    for sym in WEST.symbols:
        store.upsert_prices(tidy(sym, pd.Series(50.0 + np.sin(np.arange(len(dates))),
                                                index=dates)), source=SYNTHETIC)
    mondays = dates[(dates.day_of_week == 0) & (dates > dates[0])]
    rate = pd.Series(0.12 + 0.001 * np.arange(len(mondays)), index=mondays)
    store.upsert_fx(pd.DataFrame({"from_ccy": "HKD", "to_ccy": "USD", "date": mondays,
                                  "rate": rate.to_numpy()}), source=SYNTHETIC)
    from watchlists.definitions import parse_watchlist

    one = parse_watchlist('name = "one"\ndescription = ""\nbase_currency = "HKD"\n'
                          '[[members]]\nsymbol = "9988.HK"\n', source="test")
    s = two_spheres(one, "western-ai-compute", asof="2025-06-30", store=store, now=NOW,
                    window=20)
    r = s.returns["a"]
    tuesdays = r.index[r.index.day_of_week == 1]
    np.testing.assert_allclose(r.loc[tuesdays].to_numpy(), 0.001, rtol=1e-9)
    monday = r.index[r.index.day_of_week == 0][3]
    step = rate.loc[monday] / rate.loc[monday - pd.Timedelta(days=7)]
    assert r.loc[monday] == pytest.approx(1.001 * step - 1, rel=1e-9)
    assert any("closes before the first stored HKD/USD rate" in w for w in s.warnings)
    store.close()


def test_member_without_fx_is_left_out_by_name(tmp_path):
    store = Store(tmp_path)
    _seed(store, with_hkd=False)
    s = two_spheres(asof=ASOF, store=store, now=NOW)
    cov = s.coverage.set_index("symbol", drop=False)
    for sym in ("9988.HK", "1024.HK", "0981.HK", "0700.HK"):
        assert not cov.loc[sym, "used"]
        assert any(w.startswith(f"{sym} (china-ai-compute): no stored FX rate from HKD to "
                                "USD") for w in s.warnings)
    assert cov.loc["688256.SS", "used"]
    store.close()


def test_cross_via_usd_for_another_currency(seeded):
    store, _ = seeded
    s = two_spheres(asof=ASOF, store=store, now=NOW, currency="cny")
    cov = s.coverage.set_index("symbol", drop=False)
    assert s.currency == "CNY"
    assert cov.loc["9988.HK", "fx"] == "HKD/CNY via USD"
    assert cov.loc["NVDA", "fx"] == "USD/CNY"
    assert cov.loc["688256.SS", "fx"] == "same currency"


def test_lagged_pairing(seeded):
    store, _ = seeded
    s = two_spheres(asof=ASOF, store=store, now=NOW, lag=1)
    # The planted relation is same-day, so the lagged beta is about zero.
    assert abs(s.regression["beta"].dropna().median()) < 0.3
    assert s.lag == 1


def test_empty_store_names_the_watchlist(tmp_path):
    with pytest.raises(DataQualityError, match="china-ai-compute"):
        two_spheres(asof=ASOF, store=Store(tmp_path), now=NOW)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"break_date": "2026-01-05"}, "break_date 2026-01-05 is after asof"),
    ({"break_date": "2020-01-02"}, "break_date 2020-01-02 is outside the data"),
    ({"window": 2}, "window must be an integer of at least 3, got 2"),
    ({"lag": -1}, "lag must be an integer >= 0, got -1"),
    ({"years": 0}, "years must be > 0, got 0"),
    ({"currency": "XXX1"}, "currency"),
    ({"b": "china-ai-compute"}, "two different watchlists"),
    ({"window": 5000}, "fewer than the window of 5000"),
])
def test_bad_arguments_are_named(seeded, kwargs, match):
    store, _ = seeded
    with pytest.raises(ValueError, match=re.escape(match)):
        two_spheres(**{"asof": ASOF, "store": store, "now": NOW, **kwargs})


def test_markdown_section(result):
    md = to_markdown(result)
    assert md.startswith("## The two spheres\n")
    assert "### Structural-break tests" in md
    assert "no evidence of a change at 2025-03-03" in md
    assert f"{MISSING_SYMBOL}" in md
    rows = dict(summary_rows(result))
    assert rows["Currency"] == "USD"
    assert rows["Members used (china-ai-compute)"].startswith("7 of 8")


def test_html_fragment_is_escaped_and_self_contained(result):
    import dataclasses

    hostile = dataclasses.replace(
        result, warnings=(*result.warnings, "<script>alert(1)</script> & co"))
    page = to_html(hostile)
    assert page.startswith('<section class="spheres">')
    assert page.rstrip().endswith("</section>")
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "&amp; co" in page
    assert re.search(r'<img alt="[^"]+" src="data:image/svg\+xml;base64,', page)
    for tag in ("<link", "<iframe", "<script", "<object", "<embed"):
        assert tag not in page
    assert "_repr_html_" in dir(result) and "<img" not in result._repr_html_()

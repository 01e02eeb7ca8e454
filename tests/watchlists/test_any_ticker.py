"""Any Yahoo symbol is a member: bare tickers, stored profiles and statement figures.

Offline. The store is seeded the way a refresh writes it (profiles, versioned statement
figures with ``known_from``, prices, FX). Every number here is SYNTHETIC — round figures
made up for the tests, stored under the source ``'yahoo-synthetic'`` — never a real
company's data.
"""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import pandas as pd
import pytest

from tests.watchlists._snapshot_fixtures import synthetic_closes, tidy
from watchlists import snapshot
from watchlists.definitions import parse_watchlist
from watchlists.fundamentals import fetch_due, figures, with_known_from
from watchlists.store import Store

SRC = "yahoo-synthetic"
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
ASOF = dt.date(2026, 3, 19)
FETCHED = dt.datetime(2026, 3, 19, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "home") as s:
        yield s


def profile(symbol, **kw):
    base = dict(symbol=symbol, status="ok", fetched_at=FETCHED, provider=SRC, name=None,
                quote_type="EQUITY", exchange=None, exchange_name=None, currency=None,
                quote_currency=None, financial_currency=None, country=None, sector=None,
                industry=None, shares_outstanding=None, earnings_dates=())
    base.update(kw)
    return SimpleNamespace(**base)


def statement_rows(spec):
    """``{(metric, freq): {period_end: value}}`` → the fundamentals frame a provider gives."""
    rows = [{"metric": m, "freq": f, "period_end": pd.Timestamp(d), "value": float(v),
             "currency": "shares" if m == "ordinary_shares" else ccy}
            for (m, f, ccy), values in spec.items() for d, v in values.items()]
    return pd.DataFrame(rows)


def store_statements(store, symbol, spec, *, lags=(45, 90, "test rule"), earnings=(),
                     fetched=FETCHED):
    frame = with_known_from(statement_rows(spec), earnings_dates=list(earnings), lags=lags,
                            fetched=fetched.date())
    return store.upsert_fundamentals(symbol, frame, source=SRC, fetched_at=fetched)


QUARTERS = ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]


def seed_tokyo(store):
    """A SYNTHETIC Tokyo company: JPY prices and statements, quarterly."""
    store.upsert_profile(profile("7203.T", name="Synthetic Motor KK", exchange="JPX",
                                 currency="JPY", quote_currency="JPY",
                                 financial_currency="JPY", country="Japan",
                                 shares_outstanding=1.0e9))
    store_statements(store, "7203.T", {
        ("revenue", "quarterly", "JPY"): dict(zip(QUARTERS, [1e12, 1e12, 1e12, 1e12])),
        ("operating_income", "quarterly", "JPY"): dict(zip(QUARTERS, [1e11] * 4)),
        ("cash_and_short_term_investments", "quarterly", "JPY"): {QUARTERS[-1]: 5e11},
        ("total_debt", "quarterly", "JPY"): {QUARTERS[-1]: 2e11},
        ("ordinary_shares", "quarterly", "JPY"): {QUARTERS[-1]: 1.0e9},
    }, earnings=[dt.date(2026, 2, 10)])
    closes = synthetic_closes("7203.T", "2025-01-01", "2026-03-19", level=3000.0, seed=3)
    store.upsert_prices(tidy("7203.T", closes), source=SRC)


MEGA = """
name = "megacaps"
base_currency = "USD"
members = ["MSFT", "7203.T", "cambricon", "0700.hk"]
"""


# --------------------------------------------------------------------------- definitions


def test_shorthand_members_mix_our_companies_and_bare_symbols():
    wl = parse_watchlist(MEGA, source="m.toml")
    assert [(m.company, m.symbol, m.bare) for m in wl.members] == [
        (None, "MSFT", True), (None, "7203.T", True), ("cambricon", "688256.SS", False),
        ("tencent", "0700.HK", False)]
    assert wl.symbols == ("MSFT", "7203.T", "688256.SS", "0700.HK")


def test_a_table_member_may_be_a_bare_symbol_and_duplicates_still_caught():
    text = 'name = "x"\n[[members]]\nsymbol = "asml.as"\n[[members]]\nsymbol = "ASML.AS"\n'
    with pytest.raises(ValueError, match=r"duplicate member: symbol 'ASML\.AS'"):
        parse_watchlist(text, source="x.toml")
    wl = parse_watchlist('name = "x"\n[[members]]\nsymbol = "asml.as"\nnote = "litho"\n',
                         source="x.toml")
    assert (wl.members[0].symbol, wl.members[0].company, wl.members[0].note) == (
        "ASML.AS", None, "litho")


def test_shorthand_rejects_what_is_neither_a_company_nor_a_symbol():
    with pytest.raises(ValueError, match="'not a ticker'"):
        parse_watchlist('name = "x"\nmembers = ["not a ticker"]\n', source="x.toml")
    with pytest.raises(ValueError, match="members must be an array of tables"):
        parse_watchlist('name = "x"\nmembers = "MSFT"\n', source="x.toml")


# ------------------------------------------------------------------ offline, never refreshed


def test_never_refreshed_bare_member_is_shown_not_rejected(store):
    wl = parse_watchlist(MEGA, source="m.toml")
    snap = snapshot(wl, ASOF, store=store, now=NOW)
    msft = snap.table.set_index("symbol").loc["MSFT"]
    assert msft["status"].startswith("no data yet: run `watchlists refresh`")
    assert msft["name"] == "MSFT" and msft["company"] is None
    assert math.isnan(msft["price"]) and math.isnan(msft["dcf_value"])
    cam = snap.table.set_index("symbol").loc["688256.SS"]
    assert cam["price_source"] == "bundled"  # our sourced data still serves


# --------------------------------------------------------------------------- stored data


def test_tokyo_member_valued_from_stored_profile_and_statements(store):
    seed_tokyo(store)
    wl = parse_watchlist('name = "jp"\nbase_currency = "JPY"\nmembers = ["7203.T"]\n'
                         '[assumptions]\nrevenue_growth = 0.05\n', source="jp.toml")
    snap = snapshot(wl, ASOF, store=store, now=NOW)
    row = snap.table.iloc[0]
    assert row["name"] == "Synthetic Motor KK" and row["currency"] == "JPY"
    assert row["price_source"] == SRC and row["status"] == "ok"
    assert "XTKS" in row["calendar"]
    assert row["revenue"] == 4e12 and row["revenue_currency"] == "JPY"
    assert row["revenue_source"] == SRC and row["revenue_basis"].startswith("TTM to 2025-12-31")
    assert row["operating_margin"] == pytest.approx(0.1)
    assert row["operating_margin_source"].startswith(SRC)
    assert row["net_cash"] == 3e11 and row["shares"] == 1e9
    assert math.isfinite(row["dcf_value"]) and math.isfinite(row["implied_growth"])
    assert "operating margin unknown" not in row["warnings"]
    assert "net cash unknown" not in row["warnings"]


def test_statements_not_used_before_they_were_public(store):
    seed_tokyo(store)  # Q4-2025 figures known from the earnings date 2026-02-10
    wl = parse_watchlist('name = "jp"\nmembers = ["7203.T"]\n', source="jp.toml")
    before = snapshot(wl, dt.date(2026, 2, 9), store=store, now=NOW).table.iloc[0]
    after = snapshot(wl, dt.date(2026, 2, 10), store=store, now=NOW).table.iloc[0]
    assert after["revenue_basis"].startswith("TTM to 2025-12-31")
    # Q1-Q3 were public (period end + 45 days) but four quarters are not: no TTM yet
    assert math.isnan(before["revenue"])
    assert "no revenue known at 2026-02-09" in before["warnings"]


def test_newest_period_wins_and_ties_go_to_the_sourced_fact(store):
    from watchlists import profiles

    sourced = profiles.ttm_revenue_detail("alibaba", ASOF)
    assert sourced is not None
    value, ccy, _, end = sourced
    wl = parse_watchlist('name = "a"\nmembers = ["BABA"]\n', source="a.toml")
    store_statements(store, "BABA", {("revenue", "annual", ccy): {str(end): 1.0}})
    tie = snapshot(wl, ASOF, store=store, now=NOW).table.iloc[0]
    assert tie["revenue"] == value and tie["revenue_source"] == "bundled"
    newer = str((pd.Timestamp(end) + pd.offsets.MonthEnd(1)).date())  # known from the fetch
    store_statements(store, "BABA", {("revenue", "annual", ccy): {newer: 8.0}})
    won = snapshot(wl, ASOF, store=store, now=NOW).table.iloc[0]
    assert won["revenue"] == 8.0 and won["revenue_source"] == SRC
    assert won["revenue_basis"] == f"fiscal year to {newer}"


def test_adr_units_follow_the_ratio_of_ordinary_shares_to_listing_units(store):
    store.upsert_profile(profile("TSMX", name="Synthetic Foundry ADR", currency="USD",
                                 financial_currency="USD", country="Taiwan",
                                 shares_outstanding=2.0e9))
    store_statements(store, "TSMX", {
        ("revenue", "annual", "USD"): {"2025-12-31": 8e10},
        ("ordinary_shares", "annual", "USD"): {"2025-12-31": 1.0e10},
    }, lags=(45, 10, "test"))
    closes = synthetic_closes("TSMX", "2025-06-01", "2026-03-19", level=100.0, seed=5)
    store.upsert_prices(tidy("TSMX", closes), source=SRC)
    wl = parse_watchlist('name = "t"\nmembers = ["TSMX"]\n[assumptions]\nrevenue_growth = 0.1\n',
                         source="t.toml")
    row = snapshot(wl, ASOF, store=store, now=NOW).table.iloc[0]
    assert row["shares"] == 1e10 and "5 per traded unit" in row["shares_basis"]
    assert math.isfinite(row["dcf_value"])


# --------------------------------------------------------------------------- versions


def test_a_restated_figure_is_a_new_version_known_from_when_it_was_seen(store):
    spec = {("revenue", "annual", "USD"): {"2024-12-31": 100.0}}
    assert store_statements(store, "ZZZ", spec, lags=(45, 90, "t"),
                            fetched=dt.datetime(2025, 6, 1, tzinfo=dt.UTC)) == 1
    assert store_statements(store, "ZZZ", spec, lags=(45, 90, "t"),
                            fetched=dt.datetime(2025, 7, 1, tzinfo=dt.UTC)) == 0  # same value
    restated = {("revenue", "annual", "USD"): {"2024-12-31": 90.0}}
    assert store_statements(store, "ZZZ", restated, lags=(45, 90, "t"),
                            fetched=dt.datetime(2025, 8, 1, tzinfo=dt.UTC)) == 1
    old = store.read_fundamentals(["ZZZ"], asof="2025-07-31")
    new = store.read_fundamentals(["ZZZ"], asof="2025-08-01")
    assert old["value"].tolist() == [100.0] and new["value"].tolist() == [90.0]
    assert str(old["known_from"].iloc[0].date()) == "2025-03-31"  # year end + 90 days
    assert new["known_from_basis"].iloc[0].startswith("restated")
    assert store.read_fundamentals(["ZZZ"], asof="2025-03-30").empty


# --------------------------------------------------------------------------- pure rules


def test_known_from_prefers_the_earnings_date_and_never_passes_the_fetch():
    rows = pd.DataFrame({"freq": ["quarterly", "quarterly", "annual"],
                         "period_end": pd.to_datetime(["2025-09-30", "2025-12-31",
                                                       "2025-12-31"])})
    out = with_known_from(rows, earnings_dates=[dt.date(2025, 10, 29), dt.date(2026, 1, 28)],
                          lags=(45, 90, "SEC"), fetched=dt.date(2026, 1, 20))
    assert [d.date().isoformat() for d in out["known_from"]] == [
        "2025-10-29", "2026-01-20", "2026-01-20"]
    assert out["known_from_basis"].iloc[0] == "earnings date 2025-10-29"
    assert out["known_from_basis"].iloc[1].startswith("fetched on 2026-01-20")
    late = with_known_from(rows.iloc[:1], earnings_dates=[], lags=(45, 90, "SEC"),
                           fetched=dt.date(2026, 6, 1))
    assert late["known_from"].iloc[0] == pd.Timestamp("2025-11-14")
    assert late["known_from_basis"].iloc[0] == "period end + 45 days (SEC)"


def test_fetch_due_only_when_a_new_period_can_exist():
    now = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
    assert fetch_due(None, now) == (True, "never fetched")
    recent = (pd.Timestamp("2026-03-19", tz="UTC"), "ok", pd.Timestamp("2025-12-31"), True)
    assert fetch_due(recent, now)[0] is False  # next quarter ends 2026-03-31
    assert fetch_due(recent, dt.datetime(2026, 4, 2, tzinfo=dt.UTC))[0] is True
    checked = (pd.Timestamp("2026-04-02", tz="UTC"), "ok", pd.Timestamp("2025-12-31"), True)
    assert fetch_due(checked, dt.datetime(2026, 4, 5, tzinfo=dt.UTC))[0] is False  # < a week
    assert fetch_due(checked, dt.datetime(2026, 4, 9, tzinfo=dt.UTC))[0] is True
    failed = (pd.Timestamp("2026-03-19", tz="UTC"), "error: boom", None, False)
    assert fetch_due(failed, now)[0] is True
    half_yearly = (pd.Timestamp("2026-03-19", tz="UTC"), "ok", pd.Timestamp("2025-12-31"), False)
    assert fetch_due(half_yearly, dt.datetime(2026, 5, 1, tzinfo=dt.UTC))[0] is False


def test_figures_ttm_needs_four_consecutive_quarters_and_net_cash_needs_both_rows():
    gap = statement_rows({
        ("revenue", "quarterly", "GBP"): dict(zip(["2025-03-31", "2025-06-30", "2025-12-31",
                                                   "2026-03-31"], [1, 1, 1, 1])),
        ("revenue", "annual", "GBP"): {"2025-12-31": 50.0},
        ("operating_income", "annual", "GBP"): {"2025-12-31": -5.0},
        ("cash_and_short_term_investments", "annual", "GBP"): {"2025-12-31": 10.0},
    })
    f = figures(gap)
    assert f.revenue == 50.0 and f.revenue_basis == "fiscal year to 2025-12-31"
    assert f.operating_margin == pytest.approx(-0.1)
    assert math.isnan(f.net_cash)  # no total debt row: unknown, not zero
    mixed = pd.concat([gap, statement_rows({("revenue", "annual", "USD"): {"2024-12-31": 1}})])
    assert figures(mixed).currency is None and math.isnan(figures(mixed).revenue)

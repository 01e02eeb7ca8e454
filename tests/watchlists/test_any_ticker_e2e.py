"""The issue's watchlist end to end: refresh from a fake yfinance, report, then offline.

yfinance is faked at its public ``Ticker`` (frames of exactly yfinance 1.7's shapes,
``tests/watchlists/fake_yfinance.py``); the CLI builds the real ``YahooProvider`` on
it. Every company figure is SYNTHETIC (round numbers, labelled so in the scenarios).
"""

from __future__ import annotations

import datetime as dt
import io
import math

import pandas as pd
import pytest

from tests.watchlists.fake_yfinance import (
    FakeYFinance,
    Scenario,
    _price_script,
    baba_like,
    ocdo_like,
    statement_frame,
    tokyo_like,
    unknown_like,
)
from watchlists import snapshot
from watchlists.cli import main
from watchlists.definitions import load_watchlist
from watchlists.store import open_store

MEGACAPS = """
name = "megacaps"
base_currency = "USD"
members = ["MSFT", "AAPL", "TSM", "ASML.AS", "7203.T", "OCDO.L", "BABA", "0700.HK"]

[assumptions]
revenue_growth = 0.08
"""

YEARS = ["2025-12-31", "2024-12-31"]
QUARTERS = ["2026-09-30", "2026-06-30", "2026-03-31", "2025-12-31"]


def company_like(symbol: str, *, name: str, exchange: str, currency: str, financial: str,
                 country: str, tz: str, price: float, revenue: float, units: float,
                 ordinary: float) -> Scenario:
    """A SYNTHETIC listed company: four quarters and two years of round figures."""
    q = [revenue / 4] * 4
    return Scenario(
        symbol,
        info={"symbol": symbol, "longName": name, "quoteType": "EQUITY", "exchange": exchange,
              "fullExchangeName": exchange, "currency": currency, "financialCurrency": financial,
              "country": country, "sector": "Technology", "industry": "Synthetic",
              "sharesOutstanding": units, "numberOfAnalystOpinions": 30,
              "exchangeTimezoneName": tz},
        statements={
            "income_stmt": statement_frame({
                "Total Revenue": dict(zip(YEARS, [revenue] * 2)),
                "Operating Income": dict(zip(YEARS, [revenue / 5] * 2))}),
            "quarterly_income_stmt": statement_frame({
                "Total Revenue": dict(zip(QUARTERS, q)),
                "Operating Income": dict(zip(QUARTERS, [x * 0.3 for x in q]))}),
            "balance_sheet": statement_frame({"Ordinary Shares Number": {YEARS[0]: ordinary}}),
            "quarterly_balance_sheet": statement_frame({
                "Ordinary Shares Number": {QUARTERS[0]: ordinary},
                "Total Debt": {QUARTERS[0]: revenue / 10},
                "Cash Cash Equivalents And Short Term Investments": {QUARTERS[0]: revenue / 4}}),
        },
        targets={"current": price, "high": price * 1.5, "low": price * 0.8,
                 "mean": price * 1.2, "median": price * 1.2},
        metadata={"currency": currency, "exchangeTimezoneName": tz, "instrumentType": "EQUITY"},
        history=_price_script(price),
    )


def scenarios() -> list[Scenario]:
    ny = "America/New_York"
    return [
        company_like("MSFT", name="Synthetic Software Corp", exchange="NMS", currency="USD",
                     financial="USD", country="United States", tz=ny, price=400.0,
                     revenue=280e9, units=7.4e9, ordinary=7.4e9),
        company_like("AAPL", name="Synthetic Devices Inc", exchange="NMS", currency="USD",
                     financial="USD", country="United States", tz=ny, price=200.0,
                     revenue=400e9, units=15e9, ordinary=15e9),
        # an ADR of five ordinary shares, statements in TWD
        company_like("TSM", name="Synthetic Foundry ADR", exchange="NYQ", currency="USD",
                     financial="TWD", country="Taiwan", tz=ny, price=180.0,
                     revenue=3.0e12, units=5.2e9, ordinary=26e9),
        company_like("ASML.AS", name="Synthetic Lithography NV", exchange="AMS",
                     currency="EUR", financial="EUR", country="Netherlands",
                     tz="Europe/Amsterdam", price=700.0, revenue=30e9, units=0.39e9,
                     ordinary=0.39e9),
        tokyo_like("7203.T"), ocdo_like("OCDO.L"), baba_like("BABA"),
        company_like("0700.HK", name="Synthetic Tencent", exchange="HKG", currency="HKD",
                     financial="CNY", country="China", tz="Asia/Hong_Kong", price=500.0,
                     revenue=700e9, units=9.2e9, ordinary=9.2e9),
    ]


@pytest.fixture
def fake(monkeypatch, tmp_path):
    fake = FakeYFinance().install(monkeypatch)
    for s in scenarios():
        fake.add(s)
    import watchlists.yahoo

    real = watchlists.yahoo.YahooProvider
    monkeypatch.setattr(watchlists.yahoo, "YahooProvider",
                        lambda *a, **k: real(sleep=lambda s: None, cache_dir=tmp_path / "yf"))
    return fake


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_megacaps_refresh_then_report_then_offline_next_day(fake, tmp_path, monkeypatch):
    wl_path = tmp_path / "megacaps.toml"
    wl_path.write_text(MEGACAPS, encoding="utf-8")
    home = tmp_path / "home"
    code, out, err = run("--home", str(home), "refresh", str(wl_path))
    assert code == 0, out + err
    assert "8 profile(s)" in out or "8 profile(s)" in err

    # The report reads only the store: yfinance must not be touched from here on.
    import yfinance

    def no_network(*a, **k):
        raise AssertionError("the report made a network call")

    monkeypatch.setattr(yfinance, "Ticker", no_network)
    code, out, err = run("--home", str(home), "report", str(wl_path), "--out",
                         str(tmp_path / "out"), "--format", "csv,html")
    assert code == 0, out + err
    csv = next((tmp_path / "out").glob("megacaps-*.csv"))
    table = pd.read_csv(csv, comment="#").set_index("symbol")
    assert list(table.index) == ["MSFT", "AAPL", "TSM", "ASML.AS", "7203.T", "OCDO.L", "BABA",
                                 "0700.HK"]
    for sym, row in table.iterrows():
        assert isinstance(row["name"], str) and row["name"], sym
        assert row["price"] > 0, sym
        assert math.isfinite(row["dcf_value"]) and math.isfinite(row["implied_growth"]), (
            sym, row["warnings"])
        assert row["revenue"] > 0 and row["shares"] > 0, sym
    # right currency and unit: London in pounds, not pence; Tokyo in yen
    assert (table.loc["OCDO.L", "currency"], table.loc["OCDO.L", "price"]) == ("GBP", 12.34)
    assert table.loc["7203.T", "currency"] == "JPY" and table.loc["ASML.AS", "currency"] == "EUR"
    assert table.loc["OCDO.L", "consensus_mean"] == pytest.approx(15.0)  # 1,500 GBp
    # right calendar
    assert "XLON" in table.loc["OCDO.L", "calendar"]
    assert "XTKS" in table.loc["7203.T", "calendar"]
    assert "XAMS" in table.loc["ASML.AS", "calendar"]
    assert "XNYS" in table.loc["MSFT", "calendar"]
    # the fake sends bars on exchange holidays too: they do not count as covered sessions
    import re

    for sym in table.index:
        covered, sessions = map(int, re.search(r"(\d+) of (\d+) sessions",
                                               table.loc[sym, "high_52w_basis"]).groups())
        assert covered <= sessions, (sym, table.loc[sym, "high_52w_basis"])
    # the ADR: five ordinary shares per traded unit, TWD statements converted to USD
    assert "5 per traded unit" in table.loc["TSM", "shares_basis"]
    assert table.loc["TSM", "revenue_currency"] == "TWD"
    assert isinstance(table.loc["TSM", "revenue_fx"], str) and "TWD" in table.loc["TSM",
                                                                                 "revenue_fx"]
    # sources say where each figure came from
    assert table.loc["MSFT", "revenue_source"] == "yahoo"
    assert table.loc["MSFT", "operating_margin"] == pytest.approx(0.3)
    assert table.loc["MSFT", "net_cash"] == pytest.approx(280e9 / 4 - 280e9 / 10)

    # The next day, offline: the same report from the store, marked stale where it is.
    wl = load_watchlist(str(wl_path))
    with open_store(home) as store:
        snap = snapshot(wl, store=store, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert snap.offline and snap.table["dcf_value"].notna().all()


def test_unknown_symbol_is_missing_and_the_rest_is_stored(fake, tmp_path):
    fake.add(unknown_like("NOSUCH"))
    code, out, _ = run("--home", str(tmp_path / "h"), "refresh", "MSFT", "NOSUCH")
    assert code == 1
    lines = [line for line in out.splitlines() if line.startswith("NOSUCH")]
    assert any("missing" in line for line in lines), out
    with open_store(tmp_path / "h") as store:
        assert len(store.read_prices(["MSFT"])) > 0
        assert store.read_profiles(["MSFT"])["name"].tolist() == ["Synthetic Software Corp"]
        assert store.read_profiles(["NOSUCH"]).empty
    code, out, _ = run("--home", str(tmp_path / "h"), "show", "msft")
    assert code == 0 and "Synthetic Software Corp (MSFT)" in out and "profile from yahoo" in out


def test_daily_refresh_does_not_refetch_statements(fake, tmp_path):
    home = str(tmp_path / "h")
    assert run("--home", home, "refresh", "MSFT")[0] == 0
    first = fake.requests_for("MSFT")
    assert first.count("quarterly_income_stmt") == 1
    assert run("--home", home, "refresh", "MSFT")[0] == 0
    again = fake.requests_for("MSFT")[len(first):]
    assert "quarterly_income_stmt" not in again and "income_stmt" not in again
    assert "history" in again and "analyst_price_targets" in again

"""Profiles, fundamentals and quote units of the Yahoo adapter (no network).

Most tests run against the fake yfinance (fake_yfinance.py: frames of yfinance 1.7's
exact shapes, synthetic scenarios); the last ones replay GENERATED Yahoo payloads through
yfinance's own request and parsing code (yahoo_payloads.py), to show that the statement
frames yfinance really builds map to our frame.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Imported at collection, before the tests: yfinance/__init__.py installs a warnings
# filter at import time (see test_yahoo_replay.py).
import yfinance  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_yahoo_replay
from fake_yfinance import (
    STATEMENT_ATTRS,
    FakeYFinance,
    baba_like,
    dns_error,
    earnings_frame,
    not_found_error,
    ocdo_like,
    statement_frame,
    tokyo_like,
    unknown_like,
)
from yahoo_payloads import Bar, Listing, earnings_page, epoch, financial_data

from watchlists.providers import (
    FUNDAMENTAL_COLUMNS,
    FundamentalsData,
    FundamentalsProvider,
    PriceProvider,
    ProfileData,
    empty_fundamentals,
)
from watchlists.yahoo import YahooProvider, _quote_unit

START, END = dt.date(2025, 12, 1), dt.date(2025, 12, 6)
NOW = dt.datetime.now(dt.UTC)


def provider(tmp_path, sleeps=None, **kw) -> YahooProvider:
    sleeps = [] if sleeps is None else sleeps
    return YahooProvider(sleep=sleeps.append, rng=random.Random(7),
                         cache_dir=tmp_path / "yfc", **kw)


def rows(data: FundamentalsData, metric: str, freq: str) -> dict[str, float]:
    f = data.frame
    f = f[(f["metric"] == metric) & (f["freq"] == freq)]
    return dict(zip(f["period_end"].dt.strftime("%Y-%m-%d"), f["value"]))


# --------------------------------------------------------------- pure parts


@pytest.mark.parametrize(("code", "expected"), [
    ("GBp", ("GBP", 0.01)), ("GBX", ("GBP", 0.01)), ("ZAc", ("ZAR", 0.01)),
    ("ZAC", ("ZAR", 0.01)), ("ILA", ("ILS", 0.01)), ("GBP", ("GBP", 1.0)),
    ("USD", ("USD", 1.0)), ("JPY", ("JPY", 1.0)), (" CNY ", ("CNY", 1.0)),
    ("XYZ", (None, 1.0)), ("", (None, 1.0)), (None, (None, 1.0)), (12, (None, 1.0)),
])
def test_quote_unit(code, expected):
    assert _quote_unit(code) == expected


def test_statement_frame_has_yfinance_shape():
    frame = statement_frame({
        "Total Revenue": {"2024-03-31": 1.0, "2025-03-31": 2.0},
        "Operating Income": {"2023-03-31": 3.0, "2025-03-31": None},
    })
    assert list(frame.index) == ["Total Revenue", "Operating Income"]
    assert isinstance(frame.columns, pd.DatetimeIndex)
    assert str(frame.columns.dtype) == "datetime64[us]" and frame.columns.tz is None
    assert list(frame.columns.strftime("%Y-%m-%d")) == ["2025-03-31", "2024-03-31",
                                                         "2023-03-31"]  # newest first
    assert (frame.dtypes == np.float64).all()
    assert frame.isna().sum().sum() == 3  # the holes, not invented values
    assert statement_frame({}).empty and statement_frame({}).shape == (0, 0)


def test_records_validate():
    ok = ProfileData("BABA", "ok", NOW, currency="USD", earnings_dates=(
        dt.date(2025, 5, 1), dt.date(2025, 2, 1), dt.date(2025, 5, 1)))
    assert ok.earnings_dates == (dt.date(2025, 2, 1), dt.date(2025, 5, 1))
    assert ok.fetched_at.tzinfo == dt.UTC
    with pytest.raises(ValueError, match="status"):
        ProfileData("BABA", "fine", NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        ProfileData("BABA", "ok", dt.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="ISO 4217"):
        ProfileData("BABA", "ok", NOW, currency="GBp")
    with pytest.raises(ValueError, match="symbol"):
        ProfileData("not a symbol", "ok", NOW)
    with pytest.raises(TypeError, match="earnings_dates"):
        ProfileData("BABA", "ok", NOW, earnings_dates=(dt.datetime(2025, 1, 1),))
    assert ProfileData("BABA", "ok", NOW, quote_currency="GBp").quote_currency == "GBp"

    frame = pd.DataFrame({"metric": ["revenue", "ordinary_shares"],
                          "freq": ["annual", "annual"],
                          "period_end": pd.to_datetime(["2025-03-31", "2025-03-31"]),
                          "value": [1.0, 2.0], "currency": ["CNY", "shares"]})
    frame["period_end"] = frame["period_end"].astype("datetime64[ns]")
    FundamentalsData("BABA", frame, "CNY", "ok", NOW)
    FundamentalsData("BABA", empty_fundamentals(), None, "missing", NOW)
    for column, bad, match in (("metric", ["eps", "ordinary_shares"], "metric"),
                               ("freq", ["ttm", "annual"], "freq"),
                               ("value", [np.inf, 2.0], "finite"),
                               ("currency", ["CNY", "CNY"], "ordinary_shares"),
                               ("currency", ["RMB", "shares"], "ISO 4217")):
        with pytest.raises(ValueError, match=match):
            FundamentalsData("BABA", frame.assign(**{column: bad}), "CNY", "ok", NOW)
    with pytest.raises(ValueError, match="lacks"):
        FundamentalsData("BABA", frame.drop(columns="currency"), "CNY", "ok", NOW)


def test_provider_implements_both_protocols(tmp_path):
    p = provider(tmp_path)
    assert isinstance(p, FundamentalsProvider) and isinstance(p, PriceProvider)


# --------------------------------------------------------------- scenarios


def test_baba_like_profile(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(baba_like())
    prof = provider(tmp_path).fetch_profile("BABA")
    assert prof.status == "ok" and prof.provider == "yahoo"
    assert prof.name == "Synthetic ADR Holding Ltd"
    assert (prof.quote_type, prof.exchange, prof.exchange_name) == ("EQUITY", "NYQ", "NYSE")
    assert (prof.currency, prof.quote_currency, prof.financial_currency) == (
        "USD", "USD", "CNY")
    assert (prof.country, prof.sector, prof.industry) == (
        "China", "Consumer Cyclical", "Internet Retail")
    assert prof.shares_outstanding == 2e9  # per ADS, as Yahoo gives it
    assert prof.earnings_dates == (dt.date(2025, 11, 13),)  # earningsTimestamp, past
    assert fake.requests_for("BABA") == ["info"]


def test_baba_like_fundamentals(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(baba_like())
    data = provider(tmp_path).fetch_fundamentals("BABA")
    assert data.status == "ok" and data.currency == "CNY"
    assert list(data.frame.columns) == list(FUNDAMENTAL_COLUMNS)
    assert str(data.frame["period_end"].dtype) == "datetime64[ns]"
    assert data.frame["value"].dtype == np.float64
    assert rows(data, "revenue", "annual") == {
        "2023-03-31": 800e9, "2024-03-31": 900e9, "2025-03-31": 1000e9}
    assert len(rows(data, "revenue", "quarterly")) == 5
    assert rows(data, "operating_income", "annual") == {  # the NaN hole is dropped
        "2024-03-31": 120e9, "2025-03-31": 150e9}
    # the combined cash row, not 'Cash And Cash Equivalents'
    assert rows(data, "cash_and_short_term_investments", "annual")["2025-03-31"] == 400e9
    assert rows(data, "ordinary_shares", "quarterly")["2025-09-30"] == 16e9
    assert rows(data, "total_debt", "quarterly")["2024-12-31"] == 240e9
    shares = data.frame[data.frame["metric"] == "ordinary_shares"]
    assert set(shares["currency"]) == {"shares"}
    assert set(data.frame.loc[data.frame["metric"] != "ordinary_shares", "currency"]) == {
        "CNY"}
    # ADR: ordinary shares ≈ 8 × ADS outstanding; both reported as they are
    assert rows(data, "ordinary_shares", "annual")["2025-03-31"] / 2e9 == 8.0
    past = {d for d in ("2025-11-13", "2025-08-28", "2025-05-15", "2026-02-19")
            if pd.Timestamp(d).date() < NOW.date()}
    assert {d.isoformat() for d in data.earnings_dates} == past
    assert sorted(fake.requests_for("BABA")) == sorted(
        ["info", *STATEMENT_ATTRS, "get_earnings_dates"])


def test_ocdo_like_prices_and_targets_are_in_pounds(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(ocdo_like())
    p = provider(tmp_path)
    prices = p.fetch_prices(["OCDO.L"], START, END)
    assert prices.status == {"OCDO.L": "ok"}
    assert prices.frame["close"].tolist() == [12.34] * 5  # 1,234 GBp
    assert prices.frame["adj_close"].tolist() == [12.34] * 5
    assert prices.frame["high"].iloc[0] == 12.40 and prices.frame["low"].iloc[0] == 12.28
    assert prices.frame["volume"].iloc[0] > 1000  # volumes are not scaled
    assert any("GBp" in n and "GBP" in n for n in p.notes)

    targets = p.fetch_targets("OCDO.L")
    assert targets.status == "ok" and targets.currency == "GBP"
    assert dict(targets.consensus) == {"current": 12.34, "high": 20.0, "low": 5.0,
                                       "mean": 15.0, "median": 14.5}
    assert targets.actions["current_target"].tolist() == [16.0]
    assert targets.actions["prior_target"].tolist() == [14.0]

    prof = p.fetch_profile("OCDO.L")
    assert (prof.currency, prof.quote_currency, prof.financial_currency) == (
        "GBP", "GBp", "GBP")
    assert fake.requests_for("OCDO.L").count("info") == 1


def test_ocdo_like_fundamentals_annual_only(tmp_path, monkeypatch):
    FakeYFinance().install(monkeypatch).add(ocdo_like())
    p = provider(tmp_path)
    data = p.fetch_fundamentals("OCDO.L")
    assert data.status == "ok" and data.currency == "GBP"
    assert set(data.frame["freq"]) == {"annual"}  # the quarterly statements are empty
    assert rows(data, "operating_income", "annual")["2024-12-01"] == -0.3e9  # as reported
    # no combined row: the 'Cash And Cash Equivalents' fallback, and a note saying so
    assert rows(data, "cash_and_short_term_investments", "annual")["2024-12-01"] == 0.9e9
    assert any("Cash And Cash Equivalents" in n for n in p.notes)
    assert data.earnings_dates == ()  # no earnings table, no earningsTimestamp


def test_tokyo_like_is_not_scaled(tmp_path, monkeypatch):
    FakeYFinance().install(monkeypatch).add(tokyo_like("7203.T"))
    p = provider(tmp_path)
    prices = p.fetch_prices(["7203.T"], START, END)
    assert prices.frame["close"].tolist() == [3000.0] * 5
    assert not any("scaled" in n for n in p.notes)
    prof = p.fetch_profile("7203.T")
    assert (prof.currency, prof.financial_currency, prof.exchange) == ("JPY", "JPY", "JPX")
    data = p.fetch_fundamentals("7203.T")
    assert data.status == "ok" and data.currency == "JPY"
    assert rows(data, "revenue", "quarterly") == {
        "2025-03-31": 12.5e12, "2025-06-30": 12e12, "2025-09-30": 12e12}
    assert "ordinary_shares" not in set(data.frame[data.frame["freq"] == "quarterly"]
                                        ["metric"])  # absent row: absent, not invented


def test_unknown_symbol_is_missing_everywhere(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(unknown_like("NOSUCH"))
    p = provider(tmp_path)
    prices = p.fetch_prices(["NOSUCH", "BABA"], START, END)
    assert dict(prices.status) == {"NOSUCH": "missing", "BABA": "ok"}
    assert p.fetch_profile("NOSUCH").status == "missing"
    data = p.fetch_fundamentals("NOSUCH")
    assert data.status == "missing" and data.frame.empty and data.currency is None
    assert p.fetch_targets("NOSUCH").status == "missing"
    # info said 'unknown': no statement requests were made
    assert not set(fake.requests_for("NOSUCH")) & set(STATEMENT_ATTRS)
    assert not p.offline


@pytest.mark.parametrize("answer", [not_found_error("GONE"), {}, {"trailingPegRatio": None}],
                         ids=["404", "empty", "only-peg"])
def test_info_of_unknown_symbol_is_missing(tmp_path, monkeypatch, answer):
    fake = FakeYFinance().install(monkeypatch)
    fake.infos["GONE"] = answer
    p = provider(tmp_path)
    prof = p.fetch_profile("GONE")
    assert prof.status == "missing" and prof.name is None and prof.earnings_dates == ()
    assert p.fetch_fundamentals("GONE").status == "missing"


# --------------------------------------------------------------- info keys


PROFILE_KEYS = {
    "longName": "name", "quoteType": "quote_type", "exchange": "exchange",
    "fullExchangeName": "exchange_name", "financialCurrency": "financial_currency",
    "country": "country", "sector": "sector", "industry": "industry",
    "sharesOutstanding": "shares_outstanding",
}


@pytest.mark.parametrize("key", sorted(PROFILE_KEYS))
@pytest.mark.parametrize("how", ["absent", "none"])
def test_every_info_key_is_optional(tmp_path, monkeypatch, key, how):
    fake = FakeYFinance().install(monkeypatch)
    info = dict(baba_like().info)
    if key == "longName":
        info.pop("shortName")
    if how == "absent":
        info.pop(key)
    else:
        info[key] = None
    fake.infos["BABA"] = info
    prof = provider(tmp_path).fetch_profile("BABA")
    assert prof.status == "ok"
    assert getattr(prof, PROFILE_KEYS[key]) is None
    assert prof.currency == "USD"  # the others are still read


def test_short_name_currency_and_earnings_keys(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch)
    base = dict(baba_like().info)
    fake.infos["A"] = {**base, "longName": None, "shortName": "  SYN   ADR "}
    fake.infos["B"] = {k: v for k, v in base.items()
                       if k not in ("currency", "earningsTimestamp")}
    future = int((NOW + dt.timedelta(days=30)).timestamp())
    fake.infos["C"] = {**base, "earningsTimestamp": future, "currency": "XYZ"}
    fake.infos["D"] = {**base, "sharesOutstanding": float("nan"), "earningsTimestamp": "x"}
    p = provider(tmp_path)
    assert p.fetch_profile("A").name == "SYN ADR"
    b = p.fetch_profile("B")
    assert b.currency is None and b.quote_currency is None and b.earnings_dates == ()
    c = p.fetch_profile("C")
    assert c.earnings_dates == ()  # the next announcement is not a past one
    assert c.currency is None and c.quote_currency == "XYZ"
    assert any("'XYZ'" in n for n in p.notes)
    d = p.fetch_profile("D")
    assert d.shares_outstanding is None and d.earnings_dates == ()


def test_unknown_financial_currency_drops_money_rows_keeps_shares(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(baba_like())
    fake.infos["BABA"] = {**baba_like().info, "financialCurrency": "RMB"}
    p = provider(tmp_path)
    assert p.fetch_profile("BABA").financial_currency is None
    data = p.fetch_fundamentals("BABA")
    assert data.status == "ok" and data.currency is None
    assert set(data.frame["metric"]) == {"ordinary_shares"}
    assert any("money rows dropped" in n for n in p.notes)


def test_non_finite_cells_are_dropped(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(tokyo_like("7203.T"))
    fake.statements["income_stmt"]["7203.T"] = statement_frame({
        "Total Revenue": {"2025-03-31": np.inf, "2024-03-31": 45e12, "2023-03-31": None},
        "Operating Income": {"2025-03-31": -np.inf},
        "Net Income": {"2025-03-31": 1.0},  # a row we do not use
    })
    data = provider(tmp_path).fetch_fundamentals("7203.T")
    assert rows(data, "revenue", "annual") == {"2024-03-31": 45e12}
    assert rows(data, "operating_income", "annual") == {}
    assert np.isfinite(data.frame["value"]).all()


# --------------------------------------------------------------- requests & failures


def test_info_requested_once_for_profile_targets_and_fundamentals(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(baba_like())
    p = provider(tmp_path)
    p.fetch_targets("BABA")
    p.fetch_profile("BABA")
    p.fetch_fundamentals("BABA")
    p.fetch_prices(["BABA"], START, END)
    asked = fake.requests_for("BABA")
    assert asked.count("info") == 1
    # 1 info + 2 analyst + 4 statements + 1 earnings dates + 1 history
    assert len(asked) == 9
    assert [c.method for c in fake.calls_for("BABA")].count("history_metadata") == 1
    p.clear_cache()
    p.fetch_profile("BABA")
    assert fake.requests_for("BABA").count("info") == 2


def test_info_cache_is_thread_safe(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch)
    entered = []

    def slow_info():
        entered.append(threading.get_ident())
        time.sleep(0.05)
        return dict(baba_like().info)

    fake.infos["BABA"] = slow_info
    p = provider(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: (p.fetch_profile if i % 2 else p.fetch_targets)(
            "BABA"), range(8)))
    assert len(entered) == 1
    assert all(r.status in ("ok", "missing") for r in results)


def test_earnings_dates_from_fundamentals_reach_the_profile(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(baba_like())
    soon = (NOW + dt.timedelta(days=40)).strftime("%Y-%m-%d 06:00")
    fake.earnings["BABA"] = earnings_frame([soon, "2025-08-28 06:00", "2025-05-15 06:00"])
    p = provider(tmp_path)
    data = p.fetch_fundamentals("BABA")
    want = (dt.date(2025, 5, 15), dt.date(2025, 8, 28), dt.date(2025, 11, 13))
    assert data.earnings_dates == want  # + earningsTimestamp, not the future one
    assert p.fetch_profile("BABA").earnings_dates == want
    assert fake.requests_for("BABA").count("info") == 1


@pytest.mark.parametrize("failure", [ImportError("lxml not found, please install it"),
                                     ValueError("No tables found"),
                                     KeyError("Earnings Date")])
def test_earnings_dates_failure_is_only_no_dates(tmp_path, monkeypatch, failure):
    fake = FakeYFinance().install(monkeypatch).add(baba_like())
    fake.earnings["BABA"] = failure
    sleeps: list[float] = []
    data = provider(tmp_path, sleeps).fetch_fundamentals("BABA")
    assert data.status == "ok" and len(data.frame) > 0
    assert data.earnings_dates == (dt.date(2025, 11, 13),)  # earningsTimestamp only
    assert sleeps == [] and fake.requests_for("BABA").count("get_earnings_dates") == 1


def test_one_statement_failing_is_an_error_with_the_rest_kept(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(baba_like())
    fake.statements["quarterly_balance_sheet"]["BABA"] = ValueError("bad payload")
    fake.statements["balance_sheet"]["BABA"] = not_found_error("BABA")  # 404: nothing
    data = provider(tmp_path).fetch_fundamentals("BABA")
    assert data.status.startswith("error: quarterly_balance_sheet: ValueError: bad payload")
    assert set(data.frame["metric"]) == {"revenue", "operating_income"}


def test_all_statements_empty_is_missing(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch)
    fake.infos["QQQ"] = {"quoteType": "ETF", "currency": "USD", "longName": "Synthetic ETF"}
    p = provider(tmp_path)
    data = p.fetch_fundamentals("QQQ")
    assert data.status == "missing" and data.frame.empty
    assert p.fetch_profile("QQQ").quote_type == "ETF"


def test_rate_limited_info_is_retried_on_a_fresh_ticker(tmp_path, monkeypatch):
    from yfinance.exceptions import YFRateLimitError

    fake = FakeYFinance().install(monkeypatch)
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise YFRateLimitError()
        return dict(baba_like().info)

    fake.infos["BABA"] = flaky
    sleeps: list[float] = []
    prof = provider(tmp_path, sleeps).fetch_profile("BABA")
    assert prof.status == "ok" and len(attempts) == 3 and len(sleeps) == 2


def test_info_errors_are_statuses(tmp_path, monkeypatch):
    from yfinance.exceptions import YFRateLimitError

    fake = FakeYFinance().install(monkeypatch).add(tokyo_like("7203.T"))
    fake.infos["BAD"] = ValueError("garbled")
    fake.infos["7203.T"] = YFRateLimitError()
    p = provider(tmp_path, retries=1)
    assert p.fetch_profile("BAD").status == "error: ValueError: garbled"
    assert p.fetch_profile("7203.T").status.startswith("error: rate limited")
    # statements still come, but without a known currency only share counts are kept
    data = p.fetch_fundamentals("7203.T")
    assert data.status == "ok" and set(data.frame["metric"]) == {"ordinary_shares"}


def test_dns_failure_goes_offline(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(baba_like()).add(ocdo_like())
    fake.infos["BABA"] = dns_error("BABA")
    sleeps: list[float] = []
    p = provider(tmp_path, sleeps)
    prof = p.fetch_profile("BABA")
    assert prof.status.startswith("error: offline (DNS failure: ") and p.offline
    n = len(fake.calls)
    assert p.fetch_fundamentals("OCDO.L").status.startswith("error: offline")
    assert p.fetch_profile("OCDO.L").status.startswith("error: offline")
    assert p.fetch_targets("OCDO.L").status.startswith("error: offline")
    assert len(fake.calls) == n == 1 and sleeps == []


def test_dns_failure_inside_fundamentals(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(baba_like())
    fake.statements["quarterly_income_stmt"]["BABA"] = dns_error("BABA")
    p = provider(tmp_path)
    data = p.fetch_fundamentals("BABA")
    assert data.status.startswith("error: offline") and p.offline
    assert fake.requests_for("BABA") == ["info", "income_stmt", "quarterly_income_stmt"]


def test_history_metadata_without_currency_leaves_prices(tmp_path, monkeypatch):
    fake = FakeYFinance().install(monkeypatch).add(ocdo_like())
    fake.metadata["OCDO.L"] = {"exchangeTimezoneName": "Europe/London"}
    res = provider(tmp_path).fetch_prices(["OCDO.L"], START, END)
    assert res.frame["close"].tolist() == [1234.0] * 5


# --------------------------------------------------------------- replay through yfinance

yahoo = test_yahoo_replay.yahoo  # the replay fixture: yfinance's only HTTP session
_tested, _yfinance_version = test_yahoo_replay._tested, test_yahoo_replay._yfinance_version


def replay(test):
    """Pinned to the yfinance minor version the replays were checked against."""
    for mark in (
        pytest.mark.skipif(not _tested(_yfinance_version()),
                           reason="HTTP replay uses yfinance internals checked against 1.7.x"),
        pytest.mark.filterwarnings("ignore:.*inplace.*:DeprecationWarning:yfinance"),
        pytest.mark.filterwarnings("ignore:'raise_errors' deprecated:DeprecationWarning"),
    ):
        test = mark(test)
    return test


def _series(prefix: str, dates: list[str], **named: list[float | None]) -> dict:
    """{prefix+Key: {date: value}} for the timeseries generator (None: no point)."""
    return {prefix + key: {d: v for d, v in zip(dates, values) if v is not None}
            for key, values in named.items()}


def _replay_provider(tmp_path) -> YahooProvider:
    return YahooProvider(cache_dir=tmp_path / "yfc", timeout=5.0, sleep=lambda s: None,
                         rng=random.Random(7))


@replay
def test_replay_statements_map_to_our_frame(yahoo, tmp_path):
    annual = ["2023-03-31", "2024-03-31", "2025-03-31"]
    quarters = ["2025-03-31", "2025-06-30", "2025-09-30"]
    series = {
        **_series("annual", annual, TotalRevenue=[800e9, 900e9, 1000e9],
                  OperatingIncome=[None, 120e9, 150e9], BasicEPS=[1.0, 2.0, 3.0],
                  CashCashEquivalentsAndShortTermInvestments=[500e9, 450e9, 400e9],
                  CashAndCashEquivalents=[190e9, 170e9, 150e9],
                  TotalDebt=[180e9, 200e9, 250e9], OrdinarySharesNumber=[17e9, 16.5e9, 16e9]),
        **_series("quarterly", quarters, TotalRevenue=[230e9, 240e9, 250e9],
                  OperatingIncome=[30e9, 40e9, 30e9], TotalDebt=[250e9, 255e9, None],
                  OrdinarySharesNumber=[16e9, 16e9, 16e9]),
    }
    summaries = {
        "financialData": financial_data(current=150.0, high=200.0, low=100.0, mean=160.0,
                                        median=165.0, analysts=40, financial_currency="CNY"),
        "quoteType": {"quoteType": "EQUITY", "exchange": "NYQ", "symbol": "SYNADR"},
        "summaryDetail": {"currency": "USD", "maxAge": 1},
        "assetProfile": {"country": "China", "sector": "Consumer Cyclical"},
        "defaultKeyStatistics": {"sharesOutstanding": 2_000_000_000},
    }
    session = yahoo(
        summaries={"SYNADR": summaries},
        # info's names come from /v7 quote: its "quoteType": "EQUITY" replaces the
        # quoteSummary module of that name when yfinance merges the two
        quotes={"SYNADR": {"symbol": "SYNADR", "currency": "USD", "financialCurrency": "CNY",
                           "quoteType": "EQUITY", "fullExchangeName": "NYSE",
                           "longName": "Synthetic ADR Holding Ltd",
                           "earningsTimestamp": epoch("2025-11-13 06:00", "UTC")}},
        timeseries={"SYNADR": series}, statement_currency={"SYNADR": "CNY"},
    )
    p = _replay_provider(tmp_path)
    prof = p.fetch_profile("SYNADR")
    data = p.fetch_fundamentals("SYNADR")

    assert prof.status == "ok" and prof.name == "Synthetic ADR Holding Ltd"
    assert (prof.currency, prof.financial_currency, prof.exchange_name) == (
        "USD", "CNY", "NYSE")
    assert prof.shares_outstanding == 2e9
    assert data.status == "ok" and data.currency == "CNY"
    want = []
    for (prefix, freq) in (("annual", "annual"), ("quarterly", "quarterly")):
        for key, metric in (("TotalRevenue", "revenue"), ("OperatingIncome", "operating_income"),
                            ("CashCashEquivalentsAndShortTermInvestments",
                             "cash_and_short_term_investments"),
                            ("TotalDebt", "total_debt"),
                            ("OrdinarySharesNumber", "ordinary_shares")):
            for d, v in series.get(prefix + key, {}).items():
                want.append((metric, freq, pd.Timestamp(d), v,
                             "shares" if metric == "ordinary_shares" else "CNY"))
    got = sorted(map(tuple, data.frame.itertuples(index=False)))
    assert got == sorted(want)
    # one info (quoteSummary + v7 quote + its trailingPegRatio timeseries), four statements
    paths = session.paths()
    assert paths.count("/v10/finance/quoteSummary/SYNADR") == 1
    assert paths.count("/v7/finance/quote") == 1
    ts = [q["type"] for _, pth, q in session.calls if pth.endswith("/timeseries/SYNADR")]
    assert len(ts) == 5 and sum(t == "trailingPegRatio" for t in ts) == 1
    assert paths.count("/calendar/earnings") == 1
    # the page has no table here: earnings dates are the past earningsTimestamp only
    assert data.earnings_dates == (dt.date(2025, 11, 13),)
    assert session.unexpected == []


@replay
def test_replay_pence_listing_annual_only(yahoo, tmp_path):
    london = "Europe/London"
    days = ["2025-12-01", "2025-12-02", "2025-12-03"]
    bars = [Bar(epoch(f"{d} 08:00", london), 1230.0, 1240.0, 1228.0, 1234.0, 1234.0, 10_000)
            for d in days]
    listing = Listing("SYNG.L", london, "GBp", bars, exchange="LSE")
    annual = ["2023-12-03", "2024-12-01"]
    series = _series("annual", annual, TotalRevenue=[2.8e9, 3.0e9],
                     CashAndCashEquivalents=[1.0e9, 0.9e9])
    session = yahoo(
        listings={"SYNG.L": listing},
        summaries={"SYNG.L": {
            "financialData": financial_data(current=1234.0, high=2000.0, low=500.0,
                                            mean=1500.0, median=1450.0, analysts=10,
                                            financial_currency="GBP"),
            "quoteType": {"quoteType": "EQUITY", "exchange": "LSE", "symbol": "SYNG.L"},
            "summaryDetail": {"currency": "GBp", "maxAge": 1}}},
        quotes={"SYNG.L": {"symbol": "SYNG.L", "currency": "GBp", "financialCurrency": "GBP",
                           "quoteType": "EQUITY"}},
        timeseries={"SYNG.L": series}, statement_currency={"SYNG.L": "GBP"},
    )
    p = _replay_provider(tmp_path)
    prices = p.fetch_prices(["SYNG.L"], dt.date(2025, 12, 1), dt.date(2025, 12, 4))
    assert prices.frame["close"].tolist() == [12.34] * 3
    ranged = [q for _, pth, q in session.calls
              if pth == "/v8/finance/chart/SYNG.L" and "period1" in q]
    charts = [q for _, pth, q in session.calls if pth == "/v8/finance/chart/SYNG.L"]
    assert len(ranged) == 1  # history_metadata made no second chart request
    assert [q.get("range") for q in charts if "period1" not in q] == ["1d"]  # the tz probe
    targets = p.fetch_targets("SYNG.L")
    assert targets.currency == "GBP" and targets.consensus["mean"] == 15.0
    data = p.fetch_fundamentals("SYNG.L")
    assert data.status == "ok" and set(data.frame["freq"]) == {"annual"}
    assert rows(data, "cash_and_short_term_investments", "annual") == {
        "2023-12-03": 1.0e9, "2024-12-01": 0.9e9}
    assert session.paths().count("/v10/finance/quoteSummary/SYNG.L") >= 1
    assert session.unexpected == []


@replay
def test_replay_earnings_page_never_fails_the_symbol(yahoo, tmp_path):
    """yfinance 1.7 scrapes /calendar/earnings and parses its table with pandas.read_html,
    which needs lxml (installed with this project's venv) or html5lib: without them it
    raises ImportError, with them it gives the dates. Either way the symbol is 'ok' and
    only past dates are kept."""
    page = earnings_page("SYNE", [("February 19, 2099 at 6 AM EST", 1.0, None),
                                  ("August 28, 2025 at 6 AM EDT", 1.0, 1.1),
                                  ("May 15, 2025 at 6 AM EDT", 1.0, 1.2)])
    yahoo(summaries={"SYNE": {"summaryDetail": {"currency": "USD", "maxAge": 1}}},
          quotes={"SYNE": {"symbol": "SYNE", "currency": "USD", "financialCurrency": "USD",
                           "quoteType": "EQUITY", "longName": "Synthetic E"}},
          timeseries={"SYNE": _series("annual", ["2024-12-31"], TotalRevenue=[5e9])},
          statement_currency={"SYNE": "USD"}, earnings={"SYNE": page})
    data = _replay_provider(tmp_path).fetch_fundamentals("SYNE")
    assert data.status == "ok" and rows(data, "revenue", "annual") == {"2024-12-31": 5e9}
    try:
        import lxml  # noqa: F401
        parsable = True
    except ImportError:
        try:
            import html5lib  # noqa: F401
            parsable = True
        except ImportError:
            parsable = False
    want = (dt.date(2025, 5, 15), dt.date(2025, 8, 28)) if parsable else ()
    assert data.earnings_dates == want


@replay
@pytest.mark.parametrize("hide_exceptions", [True, False], ids=["yf-default", "yf-raises"])
def test_replay_unknown_symbol_info_is_missing(yahoo, tmp_path, monkeypatch, hide_exceptions):
    """yfinance 1.7's info for a symbol Yahoo does not know: {'trailingPegRatio': None}
    with its default hide_exceptions, an HTTPError 404 without. Both are 'missing', and
    no statement is asked for."""
    import yfinance as yf
    from yfinance.config import YfConfig

    monkeypatch.setitem(YfConfig.debug.data, "hide_exceptions", hide_exceptions)
    session = yahoo()
    if hide_exceptions:
        assert yf.Ticker("NOSUCH9").info == {"trailingPegRatio": None}
    p = _replay_provider(tmp_path)
    assert p.fetch_profile("NOSUCH9").status == "missing"
    data = p.fetch_fundamentals("NOSUCH9")
    assert data.status == "missing" and data.frame.empty
    assert not p.offline
    statement_types = [q.get("type", "") for _, pth, q in session.calls
                       if pth.endswith("/timeseries/NOSUCH9")]
    assert all(t == "trailingPegRatio" for t in statement_types)
    assert session.unexpected == []

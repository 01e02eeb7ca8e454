"""The one refresh job: targets → prices, derived FX pairs, analyst data; partial failure
is a row, never an exception. Offline: a fake provider class or a faked ``yfinance``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _snapshot_fixtures import RaisingProvider, StaticProvider, synthetic_closes, tidy
from fake_yfinance import FakeProvider, FakeYFinance, upgrades_frame

import watchlists
from watchlists.definitions import load_watchlist
from watchlists.providers import AnalystData, empty_actions
from watchlists.refresh_job import TABLE_COLUMNS, RefreshReport, fx_pairs_for, refresh_all
from watchlists.store import open_store

NOW = dt.datetime(2025, 12, 5, 22, 30, tzinfo=dt.UTC)
CHINA = "china-ai-compute"
CHINA_PRICES = ["9988.HK", "1024.HK", "688256.SS", "688795.SS", "300308.SZ", "688041.SS",
                "0981.HK", "0700.HK", "000300.SS"]  # members in file order, then the benchmark
CHINA_FX = ["HKDCNY=X", "CNY=X", "HKD=X"]


class AnalystFake(FakeProvider):
    """``FakeProvider`` prices plus analyst data: consensus for every symbol except those
    in ``uncovered`` (no coverage: 'missing') and ``broken`` (fetch_targets raises)."""

    def __init__(self, *, uncovered=(), broken=(), **kw):
        super().__init__(**kw)
        self.uncovered, self.broken = set(uncovered), set(broken)
        self.analyst_calls: list[str] = []

    def fetch_targets(self, symbol):
        self.analyst_calls.append(symbol)
        if symbol in self.broken:
            raise RuntimeError("payload changed shape")
        covered = symbol not in self.uncovered
        actions = empty_actions()
        if covered:
            actions = pd.DataFrame({"date": pd.to_datetime(["2025-11-03", "2025-12-01"]),
                                    "firm": ["GS", "MS"], "to_grade": ["Buy", "Buy"],
                                    "from_grade": [None, None], "action": ["init", "main"],
                                    "current_target": [100.0, 110.0],
                                    "prior_target": [float("nan"), 100.0]})
        return AnalystData(symbol=symbol, consensus={"mean": 105.0} if covered else {},
                           analyst_count=2 if covered else None, currency=None,
                           actions=actions, status="ok" if covered else "missing",
                           fetched_at=NOW, provider=self.name)


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "home") as s:
        yield s


def rows_of(report: RefreshReport, kind: str) -> pd.DataFrame:
    return report.table[report.table["kind"] == kind]


# --------------------------------------------------------------------------- fx_pairs_for


def test_fx_pairs_for_the_bundled_china_currencies():
    # Alibaba: 9988.HK (HKD) and BABA (USD), both reporting in CNY; Cambricon CNY/CNY
    pairs = fx_pairs_for([("HKD", "CNY"), ("USD", "CNY"), ("CNY", "CNY")],
                         base_currencies=["CNY"])
    assert pairs == [("HKD", "CNY"), ("USD", "CNY"), ("USD", "HKD")]


@pytest.mark.parametrize(("listings", "bases", "expected"), [
    ([], [], []),
    ([("USD", None)], ["USD"], []),  # all USD: nothing to convert
    ([("USD", "USD")], ["EUR"], [("USD", "EUR")]),  # a base currency is in play too
    ([("JPY", None)], [], [("USD", "JPY")]),  # no revenue fact: the listing currency only
    ([("hkd", "cny")], [], [("HKD", "CNY"), ("USD", "CNY"), ("USD", "HKD")]),  # any case
    # both directions of a cross asked: the one whose from-currency sorts first is kept
    ([("HKD", "CNY"), ("CNY", "HKD")], [], [("CNY", "HKD"), ("USD", "CNY"), ("USD", "HKD")]),
    ([("EUR", "GBP"), ("USD", "JPY")], ["CHF"],
     [("EUR", "GBP"), ("USD", "CHF"), ("USD", "EUR"), ("USD", "GBP"), ("USD", "JPY")]),
])
def test_fx_pairs_for_rule(listings, bases, expected):
    assert fx_pairs_for(listings, base_currencies=bases) == expected


def test_fx_pairs_for_ignores_input_order_and_duplicates():
    listings = [("HKD", "CNY"), ("USD", "CNY"), ("EUR", "USD"), ("CNY", "HKD"), ("HKD", "CNY")]
    expected = fx_pairs_for(listings, base_currencies=["GBP", "USD"])
    for perm in itertools.permutations(listings):
        assert fx_pairs_for(list(perm), base_currencies=["USD", "GBP", "GBP"]) == expected


def test_fx_pairs_for_leaves_its_input_alone():
    listings, bases = [("HKD", "CNY")], ["CNY"]
    fx_pairs_for(listings, base_currencies=bases)
    assert listings == [("HKD", "CNY")] and bases == ["CNY"]


def test_fx_pairs_for_bad_input():
    with pytest.raises(ValueError, match=r"listing currency .HK. is not an ISO 4217 currency"):
        fx_pairs_for([("HK", "CNY")])
    with pytest.raises(ValueError, match="reporting currency"):
        fx_pairs_for([("HKD", "renminbi")])
    with pytest.raises(TypeError, match="tuples"):
        fx_pairs_for(["HKDCNY"])
    with pytest.raises(TypeError, match="not a string"):
        fx_pairs_for([], base_currencies="USD")


# --------------------------------------------------------------------------- targets


def test_offline_run_resolves_a_watchlist_and_fetches_nothing(store):
    report = refresh_all([CHINA], store=store, provider=None, now=NOW)
    assert list(report.table.columns) == list(TABLE_COLUMNS)
    assert rows_of(report, "price")["symbol"].tolist() == CHINA_PRICES  # benchmark included
    assert rows_of(report, "fx")["symbol"].tolist() == CHINA_FX  # derived, not hard-coded
    assert rows_of(report, "analyst").empty
    assert set(report.table["status"]) == {"skipped: offline"}
    assert report.offline and report.provider is None and report.now == NOW
    assert report.failed == 0 and not report.ok  # nothing failed, but nothing was fetched
    assert store.read_prices().empty and store.read_fetch_log().empty


def test_targets_accept_watchlist_objects_paths_companies_and_symbols(store, tmp_path):
    own = tmp_path / "mine.toml"
    own.write_text('name = "mine"\nbase_currency = "EUR"\n[[members]]\ncompany = "nvidia"\n',
                   encoding="utf-8")
    wl = load_watchlist(CHINA)
    assert refresh_all(wl, store=store, provider=None, now=NOW).table.equals(
        refresh_all([CHINA], store=store, provider=None, now=NOW).table)
    report = refresh_all([own, "alibaba", "688256.SS", "^GSPC", "CNY=X", "GC=F"],
                         store=store, provider=None, now=NOW)
    assert rows_of(report, "price")["symbol"].tolist() == [
        "NVDA", "9988.HK", "BABA", "688256.SS", "^GSPC", "GC=F"]
    # EUR (the file's base currency), HKD and CNY against USD; HKD→CNY for 9988.HK;
    # CNY=X asked explicitly is the same pair, once
    assert rows_of(report, "fx")["symbol"].tolist() == ["HKDCNY=X", "CNY=X", "EUR=X", "HKD=X"]
    only = refresh_all(["BABA"], store=store, provider=None, now=NOW)
    assert rows_of(only, "price")["symbol"].tolist() == ["BABA"]  # that listing only
    assert rows_of(only, "fx")["symbol"].tolist() == ["CNY=X"]  # USD listing, CNY reporting


def test_usd_only_targets_ask_no_fx(store):
    report = refresh_all(["western-ai-compute"], store=store, provider=None, now=NOW)
    assert rows_of(report, "fx").empty
    assert "^GSPC" in rows_of(report, "price")["symbol"].tolist()


@pytest.mark.parametrize(("targets", "match"), [
    (["cambricn"], "did you mean: cambricon.*write 'CAMBRICN'"),
    (["no such symbol"], r"target 'no such symbol' is not a Yahoo symbol.*none of our "
                         r"companies nor a bundled watchlist.*ai-compute-global, "
                         r"china-ai-compute, western-ai-compute"),
    (["china-ai-compte"], "did you mean 'china-ai-compute'"),
    (["huawei"], "Huawei is unlisted: there is no price to refresh"),
])
def test_unknown_targets_raise_before_any_call(store, targets, match):
    provider = FakeProvider()
    with pytest.raises(ValueError, match=match):
        refresh_all(["cambricon", *targets], store=store, provider=provider, now=NOW)
    assert provider.calls == []


def test_bad_arguments_are_type_errors(store):
    with pytest.raises(TypeError, match="a list, even of one"):
        refresh_all(CHINA, store=store, provider=None, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="each target"):
        refresh_all([42], store=store, provider=None, now=NOW)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="now must be a datetime"):
        refresh_all([CHINA], store=store, provider=None, now="today")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword"):
        refresh_all([CHINA], store=store, provider=None, now=NOW, ofline=True)  # type: ignore[call-arg]


def test_targets_are_not_mutated(store):
    targets = [CHINA, "BABA"]
    refresh_all(targets, store=store, provider=None, now=NOW)
    assert targets == [CHINA, "BABA"]


# --------------------------------------------------------------------------- online runs


def test_online_run_stores_prices_fx_and_analyst_data(store):
    provider = AnalystFake(uncovered={"688795.SS"})
    messages: list[str] = []
    report = refresh_all([CHINA], store=store, provider=provider, now=NOW,
                         progress=messages.append)
    assert report.ok and report.failed == 0 and not report.offline
    assert report.provider == "fake"
    assert report.table["kind"].tolist() == ["price"] * 9 + ["analyst"] * 8 + ["fx"] * 3
    assert report.table["rows_added"].dtype == "int64"
    assert report.table["last_date"].dtype == "datetime64[ns]"
    prices = rows_of(report, "price")
    assert (prices["status"] == "ok").all() and (prices["rows_added"] > 200).all()
    assert (prices["last_date"] == pd.Timestamp("2025-12-05")).all()
    assert set(store.read_fx()["pair"]) == {"HKDCNY", "USDCNY", "USDHKD"}
    # analyst data for company listings only: not the CSI 300 benchmark
    analyst = rows_of(report, "analyst").set_index("symbol")
    assert list(analyst.index) == CHINA_PRICES[:-1] == provider.analyst_calls
    assert analyst.loc["688795.SS", "status"] == "missing"  # no coverage is not a failure
    assert analyst.loc["688256.SS", "rows_added"] == 3  # consensus + two actions
    assert analyst.loc["688256.SS", "last_date"] == pd.Timestamp("2025-12-01")
    assert len(store.read_consensus(["688256.SS"])) == 1
    assert any(m.startswith("fetching") for m in messages)
    assert "analyst data 688256.SS" in messages


def test_analyst_false_skips_analyst_data(store):
    provider = AnalystFake()
    report = refresh_all(["cambricon"], store=store, provider=provider, now=NOW, analyst=False)
    assert rows_of(report, "analyst").empty and provider.analyst_calls == []
    assert report.ok


def test_one_failing_symbol_never_sinks_the_others(store):
    provider = AnalystFake(fail={"1024.HK": "HTTP 500"}, broken={"0700.HK"})
    report = refresh_all([CHINA], store=store, provider=provider, now=NOW)
    status = report.table.set_index(["kind", "symbol"])["status"]
    assert status["price", "1024.HK"] == "error: HTTP 500"
    assert status["analyst", "0700.HK"] == "error: RuntimeError: payload changed shape"
    assert status["price", "0700.HK"] == "ok" and status["analyst", "1024.HK"] == "ok"
    assert report.failed == 2 and not report.ok and not report.offline
    assert report.failures["symbol"].tolist() == ["1024.HK", "0700.HK"]
    assert len(store.read_prices(["0981.HK"])) > 200


def test_missing_price_is_a_failure(store):
    closes = synthetic_closes("688256.SS", "2024-01-01", "2025-12-05", level=100.0, seed=1)
    provider = StaticProvider({"688256.SS": tidy("688256.SS", closes)})  # nothing for FX
    report = refresh_all(["cambricon"], store=store, provider=provider, now=NOW)
    assert report.table.set_index("kind")["status"].to_dict() == {
        "price": "ok", "fx": "missing", "analyst": "missing"}
    assert report.failed == 1 and not report.ok


def test_dns_failure_turns_the_run_offline(store):
    provider = RaisingProvider()
    report = refresh_all([CHINA], store=store, provider=provider, now=NOW)
    assert report.offline and report.provider == "raising-fake" and not report.ok
    assert rows_of(report, "price")["status"].str.startswith("error: offline").all()
    assert (rows_of(report, "fx")["status"] == "skipped: offline").all()
    assert rows_of(report, "analyst").empty  # no analyst call once offline
    assert provider.calls == 1
    assert report.failed == len(CHINA_PRICES)  # the price rows failed; FX was not tried


def test_with_yfinance_faked_at_its_public_functions(store, tmp_path, monkeypatch):
    from watchlists.yahoo import YahooProvider

    fake = FakeYFinance().install(monkeypatch)
    fake.targets["BABA"] = {"current": 143.75, "high": 190.7, "low": 86.1, "mean": 152.75,
                            "median": 160.13}
    fake.infos["BABA"] = {"numberOfAnalystOpinions": 39, "currency": "USD"}
    fake.actions["BABA"] = upgrades_frame(
        [{"date": "2025-02-21", "firm": "Benchmark", "to": "Buy", "from": "Buy",
          "target": 180.0, "prior": 160.0}], with_targets=True)
    provider = YahooProvider(sleep=lambda s: None, rng=random.Random(0),
                             cache_dir=tmp_path / "cache")
    report = refresh_all(["BABA", "^GSPC"], store=store, provider=provider, now=NOW)
    assert report.ok, report.table
    assert report.table[["symbol", "kind"]].values.tolist() == [
        ["BABA", "price"], ["^GSPC", "price"], ["BABA", "profile"], ["BABA", "fundamentals"],
        ["BABA", "analyst"], ["CNY=X", "fx"]]
    assert store.read_consensus(["BABA"])["mean"].tolist() == [152.75]
    assert {c.symbol for c in fake.price_calls()} == {"BABA", "^GSPC", "CNY=X"}


# --------------------------------------------------------------------------- the report


def test_report_is_frozen_and_shows_in_a_notebook(store):
    report = refresh_all(["cambricon"], store=store, provider=AnalystFake(), now=NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.offline = True  # type: ignore[misc]
    assert report.summary == "1 symbol(s), 1 FX pair(s), 1 analyst from fake: 0 failed"
    page = report._repr_html_()
    assert report.summary in page and "<table" in page and "688256.SS" in page
    offline = refresh_all(["cambricon"], store=store, provider=None, now=NOW)
    assert offline.summary == "1 symbol(s), 1 FX pair(s), 0 analyst offline: 0 failed"
    gone = refresh_all(["cambricon"], store=store, provider=RaisingProvider(), now=NOW)
    assert gone.summary.endswith("from raising-fake (went offline): 1 failed")


def test_exported_from_the_package():
    assert watchlists.refresh_all is refresh_all
    assert watchlists.RefreshReport is RefreshReport

"""YahooProvider against the *real* yfinance, replaying generated Yahoo HTTP responses.

test_yahoo.py fakes yfinance's public functions; these few tests instead let yfinance
1.7's own request and parsing code run, with a fake HTTP session underneath (see
yahoo_payloads.py), so they prove the adapter works with what yfinance really returns.
They depend on yfinance internals (the ``YfData`` singleton, its ``new_session`` names,
its cache managers), so they are pinned to the yfinance range they were checked against
and skip elsewhere. No request leaves the process: the session answers everything and
curl's ``perform`` is made to fail loudly.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd
import pytest

# Imported at collection: yfinance/__init__.py adds a warnings filter at import time that
# would otherwise override the per-test filters below in whichever test imports it first.
import yfinance  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parent))
from yahoo_payloads import (
    CRUMB,
    Bar,
    Listing,
    YahooReplaySession,
    epoch,
    financial_data,
    upgrade_downgrade_history,
)

from watchlists.providers import PRICE_COLUMNS
from watchlists.yahoo import YahooProvider

TESTED_YFINANCE = (1, 7)  # major, minor these replays were checked against


def _yfinance_version() -> str | None:
    try:
        return version("yfinance")
    except PackageNotFoundError:
        return None


def _tested(v: str | None) -> bool:
    m = re.match(r"(\d+)\.(\d+)", v or "")
    return bool(m) and (int(m[1]), int(m[2])) == TESTED_YFINANCE


pytestmark = [
    pytest.mark.skipif(
        not _tested(_yfinance_version()),
        reason=f"HTTP replay uses yfinance internals checked against yfinance "
               f"{'.'.join(map(str, TESTED_YFINANCE))}.x only; installed: "
               f"{_yfinance_version()}",
    ),
    # pandas 3.1 deprecates inplace=, which yfinance 1.7 uses everywhere
    pytest.mark.filterwarnings("ignore:.*inplace.*:DeprecationWarning:yfinance"),
    # the adapter passes raise_errors=True, which yfinance 1.7 deprecates
    pytest.mark.filterwarnings("ignore:'raise_errors' deprecated:DeprecationWarning"),
]

SH, NY = "Asia/Shanghai", "America/New_York"
SESSIONS = ["2025-12-01", "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05"]


def _sse_listing() -> Listing:
    """688256.SS, its daily bars stamped at local midnight (16:00 UTC the day before)."""
    closes = [1380.0, 1402.5, 1391.25, 1420.0, 1433.75]
    bars = [Bar(epoch(f"{d} 00:00", SH), c - 8.0, c + 12.0, c - 15.0, c, c, 3_100_000 + i)
            for i, (d, c) in enumerate(zip(SESSIONS, closes))]
    return Listing("688256.SS", SH, "CNY", bars, gmtoffset=8 * 3600, exchange="SHH")


NVDA_DIV = 0.01  # ex-date 2025-12-04: Adj Close below Close on the sessions before it


def _nvda_listing() -> Listing:
    """NVDA, bars stamped at the 09:30 New York open, a dividend going ex on 2025-12-04."""
    closes = [176.75, 181.5, 179.625, 183.375, 182.5]
    ex = SESSIONS.index("2025-12-04")
    factor = 1.0 - NVDA_DIV / closes[ex - 1]
    bars = [Bar(epoch(f"{d} 09:30", NY), c - 1.0, c + 2.0, c - 2.5, c,
                c * factor if i < ex else c, 150_000_000 + i)
            for i, (d, c) in enumerate(zip(SESSIONS, closes))]
    return Listing("NVDA", NY, "USD", bars, dividends={bars[ex].ts: NVDA_DIV},
                   gmtoffset=-5 * 3600, exchange="NMS")


@pytest.fixture
def yahoo(monkeypatch):
    """``install(**tables)`` → a YahooReplaySession that is yfinance's only HTTP session.

    Everything yfinance keeps between calls is reset for the test and restored after it:
    the ``YfData`` singleton, its ``cache_get`` LRU cache, the tz/cookie/ISIN cache
    managers (the provider points them at its ``cache_dir`` under tmp_path), the
    "ask info for the timezone" counter, and every module-level ``new_session``.
    """
    import curl_cffi.curl
    import yfinance._http
    import yfinance.base
    import yfinance.cache as yfc
    import yfinance.data
    import yfinance.multi
    import yfinance.scrapers.history
    from yfinance.data import SingletonMeta, YfData

    def no_network(self, *args, **kwargs):
        raise AssertionError("a real curl request was attempted in a replay test")

    monkeypatch.setattr(curl_cffi.curl.Curl, "perform", no_network)
    monkeypatch.setattr(SingletonMeta, "_instances", {})
    monkeypatch.setattr(yfinance.base, "_tz_info_fetch_ctr", 0)
    for manager, attr in ((yfc._TzCacheManager, "_tz_cache"),
                          (yfc._CookieCacheManager, "_Cookie_cache"),
                          (yfc._ISINCacheManager, "_isin_cache")):
        monkeypatch.setattr(manager, attr, None)
    db_managers = (yfc._TzDBManager, yfc._CookieDBManager, yfc._ISINDBManager)
    for db in db_managers:
        monkeypatch.setattr(db, "_db", None)
        monkeypatch.setattr(db, "_cache_dir", db._cache_dir)
    YfData.cache_get.cache_clear()

    def install(**tables) -> YahooReplaySession:
        session = YahooReplaySession(**tables)
        for module in (yfinance._http, yfinance.data, yfinance.base, yfinance.multi,
                       yfinance.scrapers.history):
            monkeypatch.setattr(module, "new_session", lambda: session)
        YfData(session=session)
        return session

    yield install
    YfData.cache_get.cache_clear()
    for db in db_managers:
        db.close_db()


def _provider(tmp_path) -> YahooProvider:
    return YahooProvider(cache_dir=tmp_path / "yfc", timeout=5.0, sleep=lambda s: None,
                         rng=random.Random(7))


def _chart_queries(session: YahooReplaySession, symbol: str) -> list[dict[str, str]]:
    return [q for _, p, q in session.calls if p == f"/v8/finance/chart/{symbol}"]


# --------------------------------------------------------------------------- prices


def test_prices_are_dated_by_exchange_session_through_real_yfinance(yahoo, tmp_path):
    sse, nvda = _sse_listing(), _nvda_listing()
    # The Shanghai stamps are local midnight: read naively in UTC they fall a day early.
    assert pd.Timestamp(sse.bars[1].ts, unit="s").date() == dt.date(2025, 12, 1)
    session = yahoo(listings={"688256.SS": sse, "NVDA": nvda})

    res = _provider(tmp_path).fetch_prices(
        ["688256.SS", "NVDA"], dt.date(2025, 12, 2), dt.date(2025, 12, 5))

    assert dict(res.status) == {"688256.SS": "ok", "NVDA": "ok"}
    assert res.error is None and not res.offline
    frame = res.frame
    assert list(frame.columns) == list(PRICE_COLUMNS)
    assert frame["date"].dt.tz is None
    window = SESSIONS[1:4]  # end is exclusive: 12-05 is not asked for
    expected = []
    for listing in (sse, nvda):
        for d, bar in zip(SESSIONS, listing.bars):
            if d in window:
                expected.append((listing.symbol, pd.Timestamp(d), bar.open, bar.high, bar.low,
                                 bar.close, bar.adjclose, float(bar.volume)))
    want = pd.DataFrame(expected, columns=list(PRICE_COLUMNS))
    pd.testing.assert_frame_equal(frame, want, check_dtype=False, rtol=1e-12)
    assert str(frame["date"].dtype) == "datetime64[ns]"

    nv = frame[frame["symbol"] == "NVDA"].set_index("date")
    before_ex = nv.loc[pd.Timestamp("2025-12-03")]
    assert before_ex["adj_close"] < before_ex["close"]  # adjusted for the 12-04 dividend
    assert before_ex["adj_close"] == pytest.approx(
        before_ex["close"] * (1 - NVDA_DIV / before_ex["close"]))
    on_ex = nv.loc[pd.Timestamp("2025-12-04")]
    assert on_ex["adj_close"] == on_ex["close"]

    # yfinance asked Yahoo for the local-midnight window of each exchange.
    for symbol, tz in (("688256.SS", SH), ("NVDA", NY)):
        ranged = [q for q in _chart_queries(session, symbol) if "period1" in q]
        assert ranged, f"no dated chart request for {symbol}"
        assert ranged[-1]["period1"] == str(epoch("2025-12-02 00:00", tz))
        assert ranged[-1]["period2"] == str(epoch("2025-12-05 00:00", tz))
        assert ranged[-1]["interval"] == "1d"
        assert ranged[-1]["crumb"] == CRUMB
    hosts = {h for h, _, _ in session.calls}
    assert "fc.yahoo.com" in hosts
    assert "/v1/test/getcrumb" in session.paths()
    assert session.unexpected == []


@pytest.mark.parametrize(
    ("hide_exceptions", "tz_info_fetches"),
    [
        pytest.param(True, 0, id="yf-default-fresh-process"),
        pytest.param(True, 2, id="yf-default-info-fallback-spent"),
        pytest.param(False, 2, id="yf-raises-info-fallback-spent"),
        # with hide_exceptions off, yfinance's tz fallback raises a 404 HTTPError for the
        # first unknown symbols of a process: the adapter must still say 'missing'
        pytest.param(False, 0, id="yf-raises-fresh-process"),
    ],
)
def test_unknown_symbol_and_empty_window_are_missing_others_unaffected(
        yahoo, tmp_path, monkeypatch, hide_exceptions, tz_info_fetches):
    """Yahoo's 404 "No data found" and a window without sessions are both 'missing'.

    yfinance first probes the symbol's timezone (chart ``range=1d``); when that fails it
    falls back to ``Ticker.info`` for the first two such symbols of the process only
    (``yfinance.base._tz_info_fetch_ctr``), so both sides of that counter are replayed,
    with yfinance's ``hide_exceptions`` at its default (on) and off.
    """
    import yfinance.base
    from yfinance.config import YfConfig

    monkeypatch.setitem(YfConfig.debug.data, "hide_exceptions", hide_exceptions)
    monkeypatch.setattr(yfinance.base, "_tz_info_fetch_ctr", tz_info_fetches)
    halted = Listing("688256.SS", SH, "CNY", bars=[], gmtoffset=8 * 3600, exchange="SHH")
    session = yahoo(listings={"NVDA": _nvda_listing(), "688256.SS": halted})
    symbols = ["NOSUCH1", "NVDA", "688256.SS"]  # the 404 one is the offline probe

    res = _provider(tmp_path).fetch_prices(symbols, dt.date(2025, 12, 1), dt.date(2025, 12, 6))

    assert dict(res.status) == {"NOSUCH1": "missing", "NVDA": "ok", "688256.SS": "missing"}
    assert not res.offline and res.error is None
    assert set(res.frame["symbol"]) == {"NVDA"}
    assert res.frame["date"].dt.strftime("%Y-%m-%d").tolist() == SESSIONS
    assert _chart_queries(session, "NOSUCH1"), "Yahoo was never asked for NOSUCH1"
    asked_info = "/v10/finance/quoteSummary/NOSUCH1" in session.paths()
    assert asked_info == (tz_info_fetches < 2)
    assert session.unexpected == []


# --------------------------------------------------------------------------- targets


def _baba_summaries() -> dict[str, dict]:
    t0 = epoch("2025-11-20 13:05", "UTC")
    return {
        "financialData": financial_data(current=143.75, high=190.5, low=86.25, mean=152.75,
                                        median=160.125, analysts=39, financial_currency="CNY"),
        "summaryDetail": {"currency": "USD", "maxAge": 1},
        "quoteType": {"quoteType": "EQUITY", "exchange": "NYQ", "symbol": "BABA"},
        "upgradeDowngradeHistory": upgrade_downgrade_history([
            {"epochGradeDate": t0 + 86_400, "firm": "Benchmark", "toGrade": "Buy",
             "fromGrade": "Buy", "action": "main", "priceTargetAction": "Raises",
             "currentPriceTarget": 195.0, "priorPriceTarget": 180.0},
            {"epochGradeDate": t0, "firm": "Barclays", "toGrade": "Overweight",
             "fromGrade": "Equal-Weight", "action": "up", "priceTargetAction": "Raises",
             "currentPriceTarget": 170.0, "priorPriceTarget": 0},
        ]),
    }


def test_targets_from_financial_data_through_real_yfinance(yahoo, tmp_path):
    session = yahoo(
        summaries={"BABA": _baba_summaries()},
        quotes={"BABA": {"symbol": "BABA", "currency": "USD", "financialCurrency": "CNY",
                         "quoteType": "EQUITY"}},
    )

    data = _provider(tmp_path).fetch_targets("BABA")

    assert data.status == "ok"
    assert dict(data.consensus) == {"current": 143.75, "high": 190.5, "low": 86.25,
                                    "mean": 152.75, "median": 160.125}
    assert data.analyst_count == 39
    assert data.currency == "USD"  # the trading currency, not financialCurrency (CNY)
    acts = data.actions
    assert acts["firm"].tolist() == ["Barclays", "Benchmark"]  # oldest first
    assert acts["date"].tolist() == [pd.Timestamp("2025-11-20 13:05"),
                                     pd.Timestamp("2025-11-21 13:05")]
    assert acts["action"].tolist() == ["up", "main"]
    assert acts["current_target"].tolist() == [170.0, 195.0]
    assert acts["prior_target"].tolist() == [0.0, 180.0]
    modules = {q.get("modules") for _, p, q in session.calls
               if p == "/v10/finance/quoteSummary/BABA"}
    assert {"financialData", "upgradeDowngradeHistory"} <= modules
    assert session.unexpected == []


@pytest.mark.parametrize("hide_exceptions", [True, False], ids=["yf-default", "yf-raises"])
def test_targets_404_no_fundamentals_is_missing(yahoo, tmp_path, monkeypatch,
                                                hide_exceptions):
    from yfinance.config import YfConfig

    monkeypatch.setitem(YfConfig.debug.data, "hide_exceptions", hide_exceptions)
    session = yahoo(
        listings={"688256.SS": _sse_listing()},
        quotes={"688256.SS": {"symbol": "688256.SS", "currency": "CNY",
                              "quoteType": "EQUITY"}},
    )

    data = _provider(tmp_path).fetch_targets("688256.SS")

    assert data.status == "missing"
    assert dict(data.consensus) == {}
    assert data.analyst_count is None
    assert data.actions.empty
    assert data.currency in ("CNY", None)  # from /v7 quote when yfinance reaches it
    summary = [q for _, p, q in session.calls if p == "/v10/finance/quoteSummary/688256.SS"]
    assert summary, "Yahoo's quoteSummary was never asked"
    assert session.unexpected == []

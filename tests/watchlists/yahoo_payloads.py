"""Generated Yahoo Finance HTTP payloads and a replaying session for yfinance 1.7.

Nothing here is a recording: every payload is built from the arguments, in the JSON
shapes Yahoo's endpoints answer with (``/v8/finance/chart``, ``/v10/finance/quoteSummary``,
``/v7/finance/quote``, ``/ws/fundamentals-timeseries``).

:class:`YahooReplaySession` is a ``curl_cffi.requests.Session`` (the backend yfinance 1.7
uses, so ``raise_for_status`` raises the ``HTTPError`` class yfinance catches) whose
``request`` never touches the network: it answers from the tables it was given, logs every
request in ``calls`` and every request it had no route for in ``unexpected`` (answered 404).

Routes: ``fc.yahoo.com`` (cookie, any), ``guce.yahoo.com`` / ``consent.yahoo.com`` (the
"csrf" cookie strategy yfinance falls back to after a 4xx: a page without a form),
``/v1/test/getcrumb`` (crumb text), ``/v8/finance/chart/<SYM>`` (filtered to
``[period1, period2)``, or the last bar for ``range=``; 404 "No data found" if unknown),
``/v10/finance/quoteSummary/<SYM>`` (the requested modules the symbol has; 404 "No
fundamentals data found" if none), ``/v7/finance/quote`` and the fundamentals timeseries
(used by ``Ticker.info``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
from curl_cffi.requests import Response
from curl_cffi.requests import Session as CurlSession
from curl_cffi.requests.headers import Headers

CRUMB = "replayCrumb0"


def epoch(local: str, tz: str) -> int:
    """Epoch seconds of a wall-clock time ``local`` ('YYYY-MM-DD HH:MM') in zone ``tz``."""
    return int(pd.Timestamp(local).tz_localize(tz).timestamp())


@dataclass(frozen=True)
class Bar:
    """One daily bar as Yahoo sends it: ``ts`` is the epoch second Yahoo stamps it with."""

    ts: int
    open: float
    high: float
    low: float
    close: float
    adjclose: float
    volume: int


def _meta(symbol: str, tz: str, currency: str, bars: list[Bar], *, gmtoffset: int,
          instrument_type: str, exchange: str) -> dict:
    last = bars[-1] if bars else None
    day = 86_400
    ref = last.ts if last else 1_764_547_200
    return {
        "currency": currency,
        "symbol": symbol,
        "exchangeName": exchange,
        "fullExchangeName": exchange,
        "instrumentType": instrument_type,
        "firstTradeDate": ref - 2000 * day,
        "regularMarketTime": ref,
        "hasPrePostMarketData": False,
        "gmtoffset": gmtoffset,
        "timezone": "LOCAL",
        "exchangeTimezoneName": tz,
        "regularMarketPrice": last.close if last else None,
        "chartPreviousClose": bars[0].close if bars else None,
        "priceHint": 2,
        "currentTradingPeriod": {
            name: {"timezone": "LOCAL", "start": ref + off, "end": ref + off + 3600,
                   "gmtoffset": gmtoffset}
            for name, off in (("pre", -3600), ("regular", 0), ("post", 6 * 3600))
        },
        "dataGranularity": "1d",
        "range": "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd",
                        "max"],
    }


@dataclass
class Listing:
    """What the fake Yahoo knows about one symbol's prices."""

    symbol: str
    tz: str
    currency: str
    bars: list[Bar]
    dividends: dict[int, float] | None = None  # ex-date epoch -> amount
    gmtoffset: int = 0
    instrument_type: str = "EQUITY"
    exchange: str = "XXX"

    def chart(self, period1: int | None = None, period2: int | None = None,
              last_only: bool = False) -> dict:
        """The ``/v8/finance/chart`` JSON for bars in ``[period1, period2)``."""
        bars = sorted(self.bars, key=lambda b: b.ts)
        if period1 is not None:
            bars = [b for b in bars if b.ts >= period1]
        if period2 is not None:
            bars = [b for b in bars if b.ts < period2]
        if last_only:
            bars = bars[-1:]
        result: dict = {"meta": _meta(self.symbol, self.tz, self.currency, bars,
                                      gmtoffset=self.gmtoffset,
                                      instrument_type=self.instrument_type,
                                      exchange=self.exchange)}
        if not bars:  # Yahoo's answer for a window without sessions
            result["indicators"] = {"quote": [{}]}
            return {"chart": {"result": [result], "error": None}}
        result["timestamp"] = [b.ts for b in bars]
        result["indicators"] = {
            "quote": [{
                "open": [b.open for b in bars],
                "high": [b.high for b in bars],
                "low": [b.low for b in bars],
                "close": [b.close for b in bars],
                "volume": [b.volume for b in bars],
            }],
            "adjclose": [{"adjclose": [b.adjclose for b in bars]}],
        }
        lo, hi = bars[0].ts, bars[-1].ts
        divs = {ts: amt for ts, amt in (self.dividends or {}).items() if lo <= ts <= hi}
        if divs:
            result["events"] = {
                "dividends": {str(ts): {"amount": amt, "date": ts} for ts, amt in divs.items()}
            }
        return {"chart": {"result": [result], "error": None}}


def chart_not_found() -> dict:
    return {"chart": {"result": None, "error": {
        "code": "Not Found", "description": "No data found, symbol may be delisted"}}}


def quote_summary(modules: dict[str, dict]) -> dict:
    return {"quoteSummary": {"result": [modules], "error": None}}


def quote_summary_not_found(modules: str) -> dict:
    return {"quoteSummary": {"result": None, "error": {
        "code": "Not Found",
        "description": f"No fundamentals data found for any of the summaryTypes={modules}"}}}


def financial_data(*, current: float, high: float, low: float, mean: float, median: float,
                   analysts: int, financial_currency: str) -> dict:
    """quoteSummary ``financialData`` (targets are in the *trading* currency)."""
    return {
        "maxAge": 86400, "currentPrice": current, "targetHighPrice": high,
        "targetLowPrice": low, "targetMeanPrice": mean, "targetMedianPrice": median,
        "recommendationMean": 1.6, "recommendationKey": "buy",
        "numberOfAnalystOpinions": analysts, "totalRevenue": 1.0e12,
        "financialCurrency": financial_currency,
    }


def upgrade_downgrade_history(rows: list[dict]) -> dict:
    """quoteSummary ``upgradeDowngradeHistory``; rows use Yahoo's camelCase keys."""
    return {"history": rows, "maxAge": 86400}


def _response(url: str, status: int, body: object) -> Response:
    r = Response()
    r.url = url
    r.status_code = status
    r.ok = status < 400
    r.reason = {200: "OK", 404: "Not Found"}.get(status, "Error")
    if isinstance(body, dict | list):
        r.content = json.dumps(body).encode()
        r.headers = Headers({"content-type": "application/json;charset=utf-8"})
    else:
        r.content = str(body).encode()
        r.headers = Headers({"content-type": "text/plain;charset=utf-8"})
    return r


class YahooReplaySession(CurlSession):
    """A curl_cffi session answering yfinance's requests from generated payloads."""

    def __init__(self, listings: dict[str, Listing] | None = None,
                 summaries: dict[str, dict[str, dict]] | None = None,
                 quotes: dict[str, dict] | None = None) -> None:
        super().__init__()
        self.listings = dict(listings or {})
        self.summaries = dict(summaries or {})
        self.quotes = dict(quotes or {})
        self.calls: list[tuple[str, str, dict[str, str]]] = []  # (host, path, query)
        self.unexpected: list[str] = []
        self._log_lock = threading.Lock()

    def request(self, method, url, params=None, **kwargs):  # type: ignore[override]
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query.update({k: str(v) for k, v in (params or {}).items()})
        host, path = parts.hostname or "", parts.path
        with self._log_lock:
            self.calls.append((host, path, query))
        status, body = self._route(host, path, query)
        if status is None:
            with self._log_lock:
                self.unexpected.append(f"{method} {url}")
            status, body = 404, ""
        return _response(url, status, body)

    def paths(self, prefix: str = "") -> list[str]:
        """Paths requested (in order), optionally only those starting with ``prefix``."""
        with self._log_lock:
            return [p for _, p, _ in self.calls if p.startswith(prefix)]

    def _route(self, host: str, path: str, q: dict[str, str]) -> tuple[int | None, object]:
        if host == "fc.yahoo.com":
            return 200, ""
        if host in ("guce.yahoo.com", "consent.yahoo.com"):
            return 200, "<html><body>no consent form here</body></html>"
        if path == "/v1/test/getcrumb":
            return 200, CRUMB
        if path.startswith("/v8/finance/chart/"):
            listing = self.listings.get(path.rsplit("/", 1)[1])
            if listing is None:
                return 404, chart_not_found()
            if "period1" in q:
                return 200, listing.chart(int(q["period1"]), int(q["period2"]))
            return 200, listing.chart(last_only=True)  # range=1d: the tz probe
        if path.startswith("/v10/finance/quoteSummary/"):
            have = self.summaries.get(path.rsplit("/", 1)[1], {})
            wanted = q.get("modules", "")
            found = {m: have[m] for m in wanted.split(",") if m in have}
            if not found:
                return 404, quote_summary_not_found(wanted)
            return 200, quote_summary(found)
        if path == "/v7/finance/quote":
            found = [self.quotes[s] for s in q.get("symbols", "").split(",") if s in self.quotes]
            return 200, {"quoteResponse": {"result": found, "error": None}}
        if path.startswith("/ws/fundamentals-timeseries/v1/finance/timeseries/"):
            return 200, {"timeseries": {"result": [], "error": None}}
        return None, None

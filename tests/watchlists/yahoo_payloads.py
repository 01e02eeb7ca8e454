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
fundamentals data found" if none), ``/v7/finance/quote``, the fundamentals timeseries
``/ws/fundamentals-timeseries/v1/finance/timeseries/<SYM>`` (statements and
``Ticker.info``'s trailingPegRatio: see :func:`fundamentals_timeseries`) and
``finance.yahoo.com/calendar/earnings`` (``Ticker.get_earnings_dates``: see
:func:`earnings_page`).
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


def timeseries_point(as_of: str, value: float, currency: str, period_type: str) -> dict:
    """One data point of a fundamentals-timeseries series, as Yahoo sends it."""
    return {"dataId": 20_000 + sum(map(ord, as_of)) % 1000, "asOfDate": as_of,
            "periodType": period_type, "currencyCode": currency,
            "reportedValue": {"raw": value, "fmt": f"{value / 1e9:.2f}B"}}


def fundamentals_timeseries(symbol: str, requested: list[str],
                            series: dict[str, dict[str, float]], currency: str,
                            period1: int | None = None, period2: int | None = None) -> dict:
    """The ``/ws/fundamentals-timeseries/v1/finance/timeseries/<SYM>`` JSON.

    ``requested``: the ``type`` keys asked (``annualTotalRevenue``, ...); ``series``: type
    key → {asOfDate 'YYYY-MM-DD': value} the symbol has. As Yahoo does, every requested
    type gets an entry: ``meta`` + ``timestamp`` + the points when there is data in
    ``[period1, period2]``, ``meta`` alone otherwise (so a symbol without statements gets
    only meta entries). ``periodType``: 12M for ``annual``, 3M for ``quarterly``, TTM else.
    """
    result = []
    for key in requested:
        entry: dict = {"meta": {"symbol": [symbol], "type": [key]}}
        points = []
        for as_of, value in sorted((series.get(key) or {}).items()):
            ts = int(pd.Timestamp(as_of, tz="UTC").timestamp())
            if (period1 is not None and ts < period1) or (period2 is not None and ts > period2):
                continue
            period_type = ("12M" if key.startswith("annual")
                           else "3M" if key.startswith("quarterly") else "TTM")
            points.append((ts, timeseries_point(as_of, value, currency, period_type)))
        if points:
            entry["timestamp"] = [ts for ts, _ in points]
            entry[key] = [pt for _, pt in points]
        result.append(entry)
    return {"timeseries": {"result": result, "error": None}}


def earnings_page(symbol: str, rows: list[tuple[str, float | None, float | None]]) -> str:
    """Yahoo's ``/calendar/earnings?symbol=`` HTML: one table, or none when ``rows`` is
    empty. ``rows``: ("Month D, YYYY at H AM EDT", estimate, reported)."""
    if not rows:
        return "<html><body><p>No earnings data</p></body></html>"
    body = "".join(
        f"<tr><td>{symbol}</td><td>Synthetic Co</td><td>{when}</td>"
        f"<td>{'-' if est is None else est}</td><td>{'-' if rep is None else rep}</td>"
        f"<td>-</td></tr>" for when, est, rep in rows)
    return ("<html><body><table><thead><tr><th>Symbol</th><th>Company</th>"
            "<th>Earnings Date</th><th>EPS Estimate</th><th>Reported EPS</th>"
            "<th>Surprise (%)</th></tr></thead><tbody>" + body + "</tbody></table>"
            "</body></html>")


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
                 quotes: dict[str, dict] | None = None,
                 timeseries: dict[str, dict[str, dict[str, float]]] | None = None,
                 statement_currency: dict[str, str] | None = None,
                 earnings: dict[str, str] | None = None) -> None:
        super().__init__()
        self.listings = dict(listings or {})
        self.summaries = dict(summaries or {})
        self.quotes = dict(quotes or {})
        self.timeseries = dict(timeseries or {})  # symbol -> type key -> {asOfDate: value}
        self.statement_currency = dict(statement_currency or {})
        self.earnings = dict(earnings or {})  # symbol -> /calendar/earnings HTML
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
            symbol = path.rsplit("/", 1)[1]
            if symbol not in self.timeseries:
                return 200, {"timeseries": {"result": [], "error": None}}
            requested = [t for t in q.get("type", "").split(",") if t]
            return 200, fundamentals_timeseries(
                symbol, requested, self.timeseries[symbol],
                self.statement_currency.get(symbol, "USD"),
                int(q["period1"]) if "period1" in q else None,
                int(q["period2"]) if "period2" in q else None)
        if host == "finance.yahoo.com" and path == "/calendar/earnings":
            return 200, self.earnings.get(q.get("symbol", ""), earnings_page("", []))
        return None, None

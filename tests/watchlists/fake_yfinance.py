"""A fake of yfinance 1.7's public ``Ticker`` for offline tests.

``FakeYFinance`` builds frames of exactly the shape ``Ticker.history(auto_adjust=False)``
returns (index ``Date``, tz-aware ``datetime64[s, <exchange zone>]`` at local midnight;
columns Open, High, Low, Close, Adj Close, Volume (int64), Dividends, Stock Splits), runs a
per-symbol script of behaviours and logs every call. Install it with
``fake.install(monkeypatch)``; it replaces ``yfinance.Ticker`` and
``yfinance.set_tz_cache_location``.

Behaviours (``fake.script[symbol] = ...``):
  ``"ok"`` (default), ``"empty"`` (raises YFPricesMissingError as raise_errors=True does),
  ``("rate_limit", n)`` (YFRateLimitError n times, then ok), ``"rate_limit_forever"``,
  ``"dns"`` (curl_cffi DNSError "Could not resolve host"), ``"timeout"`` (curl_cffi Timeout
  every time), ``("timeout", n)``, ``"missing_columns"`` (no Adj Close, no Volume),
  ``"nan_rows"`` (two all-NaN rows), ``"boom"`` (ValueError), a callable
  ``(symbol, start, end) -> DataFrame``, ``"unknown"`` (YFTickerMissingError, as
  yfinance 1.7 raises with raise_errors=True for a symbol Yahoo does not know).

Other per-symbol tables (a value may be an exception instance, which is raised, or a
callable of no arguments, whose result is used):
``targets`` (analyst_price_targets), ``infos`` (info; default ``{}``), ``actions``
(upgrades_downgrades), ``statements[attr][symbol]`` for ``income_stmt``,
``quarterly_income_stmt``, ``balance_sheet``, ``quarterly_balance_sheet`` (default: an
empty DataFrame, as yfinance returns when Yahoo has nothing), ``earnings[symbol]``
(``get_earnings_dates``/``earnings_dates``; default None, yfinance's answer when the page
has no table) and ``metadata[symbol]`` (``history_metadata``; default
:func:`default_metadata`). Every access is logged in ``calls``; :meth:`FakeYFinance.calls_for`
lists one symbol's, :meth:`FakeYFinance.requests_for` those that are HTTP requests in
yfinance 1.7 (``history_metadata`` after ``history()`` is not).

Scenarios (:class:`Scenario`, ``fake.add(scenario)``): :func:`baba_like`,
:func:`ocdo_like`, :func:`tokyo_like`, :func:`unknown_like`. Their figures are
SYNTHETIC round numbers chosen for the tests, not any company's reported values.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

_TZ = {".SS": "Asia/Shanghai", ".SZ": "Asia/Shanghai", ".HK": "Asia/Hong_Kong",
       ".T": "Asia/Tokyo", "=X": "Europe/London"}
COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends", "Stock Splits"]


def exchange_tz(symbol: str) -> str:
    for suffix, tz in _TZ.items():
        if symbol.upper().endswith(suffix.upper()):
            return tz
    return "America/New_York"


def base_price(symbol: str) -> float:
    return 10.0 + (sum(map(ord, symbol)) % 90)


def history_frame(symbol: str, dates, *, version: int = 0) -> pd.DataFrame:
    """A frame shaped like ``Ticker.history(auto_adjust=False)`` for the given local dates."""
    tz = exchange_tz(symbol)
    idx = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize()
    idx = idx.tz_localize(tz).as_unit("s")
    idx.name = "Date"
    n = len(idx)
    # price depends only on (symbol, date) so re-fetched windows give identical rows
    day = (idx.tz_localize(None).as_unit("s").asi8 // 86_400).astype("float64")
    close = base_price(symbol) + (day % 97) * 0.1 + version
    frame = pd.DataFrame(
        {
            "Open": close - 0.5,
            "High": close + 1.0,
            "Low": close - 1.0,
            "Close": close,
            "Adj Close": close * 0.98,
            "Volume": ((day % 50 + 1) * 1000).astype("int64"),
            "Dividends": np.zeros(n),
            "Stock Splits": np.zeros(n),
        },
        index=idx,
    )
    return frame[COLUMNS]


def weekdays(start, end) -> pd.DatetimeIndex:
    """Mon–Fri dates in ``[start, end)``."""
    return pd.bdate_range(pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(days=1))


def dns_error(symbol: str = "X"):
    from curl_cffi.requests.exceptions import DNSError

    return DNSError(
        f"Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
        f"See https://curl.se/libcurl/c/libcurl-errors.html first for more details. ({symbol})"
    )


def timeout_error():
    from curl_cffi.requests.exceptions import Timeout

    return Timeout("Failed to perform, curl: (28) Operation timed out after 10001 milliseconds")


@dataclass
class Call:
    symbol: str
    method: str
    start: object = None
    end: object = None
    kwargs: dict = field(default_factory=dict)


class FakeYFinance:
    """Scripted stand-in for ``yfinance.Ticker``; see the module docstring."""

    def __init__(self, script: dict | None = None, *, holidays=(), delay: float = 0.0,
                 version: int = 0) -> None:
        self.script: dict = dict(script or {})
        self.holidays = {pd.Timestamp(h) for h in holidays}
        self.delay = delay
        self.version = version
        self.calls: list[Call] = []
        self.counts: dict[str, int] = {}
        self.cache_dirs: list[str] = []
        self.targets: dict[str, object] = {}
        self.infos: dict[str, dict] = {}
        self.actions: dict[str, object] = {}
        self.statements: dict[str, dict[str, object]] = {a: {} for a in STATEMENT_ATTRS}
        self.earnings: dict[str, object] = {}
        self.metadata: dict[str, object] = {}
        self._lock = threading.Lock()

    # -- installation --------------------------------------------------------
    def install(self, monkeypatch) -> FakeYFinance:
        import yfinance

        monkeypatch.setattr(yfinance, "Ticker", self.Ticker)
        monkeypatch.setattr(yfinance, "set_tz_cache_location", self.cache_dirs.append)
        return self

    def Ticker(self, symbol: str) -> _FakeTicker:
        return _FakeTicker(self, symbol)

    def price_calls(self) -> list[Call]:
        return [c for c in self.calls if c.method == "history"]

    def calls_for(self, symbol: str) -> list[Call]:
        """Every logged access for ``symbol``, in order."""
        with self._lock:
            return [c for c in self.calls if c.symbol == symbol]

    def requests_for(self, symbol: str) -> list[str]:
        """Method names of ``symbol``'s accesses that are HTTP requests in yfinance 1.7
        (``history_metadata`` read after ``history()`` is served from that response)."""
        return [c.method for c in self.calls_for(symbol) if c.method != "history_metadata"]

    def add(self, scenario: Scenario) -> FakeYFinance:
        """Install one :class:`Scenario`'s tables for its symbol."""
        sym = scenario.symbol
        if scenario.history is not None:
            self.script[sym] = scenario.history
        if scenario.info is not None:
            self.infos[sym] = scenario.info
        if scenario.targets is not None:
            self.targets[sym] = scenario.targets
        if scenario.actions is not None:
            self.actions[sym] = scenario.actions
        for attr, frame in scenario.statements.items():
            self.statements[attr][sym] = frame
        if scenario.earnings is not None:
            self.earnings[sym] = scenario.earnings
        if scenario.metadata is not None:
            self.metadata[sym] = scenario.metadata
        return self

    # -- behaviour -----------------------------------------------------------
    def _history(self, symbol: str, start, end, kwargs) -> pd.DataFrame:
        with self._lock:
            self.calls.append(Call(symbol, "history", start, end, dict(kwargs)))
            n = self.counts[symbol] = self.counts.get(symbol, 0) + 1
        if self.delay:
            time.sleep(self.delay)
        from yfinance.exceptions import YFPricesMissingError, YFRateLimitError

        behaviour = self.script.get(symbol, "ok")
        if callable(behaviour):
            return behaviour(symbol, start, end)
        if isinstance(behaviour, tuple):
            kind, times = behaviour
            if n <= times:
                raise YFRateLimitError() if kind == "rate_limit" else timeout_error()
            behaviour = "ok"
        if behaviour == "rate_limit_forever":
            raise YFRateLimitError()
        if behaviour == "timeout":
            raise timeout_error()
        if behaviour == "dns":
            raise dns_error(symbol)
        if behaviour == "boom":
            raise ValueError("unexpected payload")
        if behaviour == "unknown":
            from yfinance.exceptions import YFTickerMissingError

            raise YFTickerMissingError(symbol, "no timezone found")
        dates = [d for d in weekdays(start, end) if d not in self.holidays]
        if behaviour == "empty" or not dates:
            raise YFPricesMissingError(f"${symbol}", f"(1d {start} -> {end})")
        frame = history_frame(symbol, dates, version=self.version)
        if behaviour == "missing_columns":
            frame = frame.drop(columns=["Adj Close", "Volume"])
        elif behaviour == "nan_rows":
            frame.iloc[[0, len(frame) // 2], :6] = np.nan
        return frame


class _FakeTicker:
    def __init__(self, fake: FakeYFinance, symbol: str) -> None:
        self._fake = fake
        self.ticker = symbol

    def history(self, period=None, interval="1d", start=None, end=None, **kwargs):
        return self._fake._history(self.ticker, start, end, {"interval": interval, **kwargs})

    def _analyst(self, what: str, table: dict, default):
        with self._fake._lock:
            self._fake.calls.append(Call(self.ticker, what))
        value = table.get(self.ticker, default)
        if callable(value) and not isinstance(value, pd.DataFrame | type):
            value = value()  # a behaviour: may sleep, count, raise
        if isinstance(value, BaseException):
            raise value
        return value

    @property
    def analyst_price_targets(self) -> dict:
        return self._analyst("analyst_price_targets", self._fake.targets, {})

    @property
    def info(self) -> dict:
        return self._analyst("info", self._fake.infos, {})

    @property
    def upgrades_downgrades(self) -> pd.DataFrame:
        return self._analyst("upgrades_downgrades", self._fake.actions, pd.DataFrame())

    @property
    def income_stmt(self) -> pd.DataFrame:
        return self._statement("income_stmt")

    @property
    def quarterly_income_stmt(self) -> pd.DataFrame:
        return self._statement("quarterly_income_stmt")

    @property
    def balance_sheet(self) -> pd.DataFrame:
        return self._statement("balance_sheet")

    @property
    def quarterly_balance_sheet(self) -> pd.DataFrame:
        return self._statement("quarterly_balance_sheet")

    def _statement(self, attr: str) -> pd.DataFrame:
        value = self._analyst(attr, self._fake.statements[attr], None)
        return pd.DataFrame() if value is None else value.copy()

    def get_earnings_dates(self, limit=12, offset=0):
        value = self._analyst("get_earnings_dates", self._fake.earnings, None)
        return None if value is None else value.head(limit)

    @property
    def earnings_dates(self):
        return self.get_earnings_dates()

    @property
    def history_metadata(self) -> dict:
        return self._analyst("history_metadata", self._fake.metadata,
                             default_metadata(self.ticker))

    def get_history_metadata(self) -> dict:
        return self.history_metadata


def upgrades_frame(rows: list[dict], *, with_targets: bool) -> pd.DataFrame:
    """``Ticker.upgrades_downgrades`` shape: index GradeDate, Firm/ToGrade/FromGrade/Action
    (+ priceTargetAction/currentPriceTarget/priorPriceTarget when Yahoo sends them)."""
    data = []
    for r in rows:
        item = {"epochGradeDate": int(pd.Timestamp(r["date"], tz="UTC").timestamp()),
                "firm": r["firm"], "toGrade": r["to"], "fromGrade": r.get("from", ""),
                "action": r.get("action", "main")}
        if with_targets:
            item.update(priceTargetAction=r.get("pta", "Raises"),
                        currentPriceTarget=r.get("target"), priorPriceTarget=r.get("prior"))
        data.append(item)
    df = pd.DataFrame(data)
    df = df.rename(columns={"epochGradeDate": "GradeDate", "firm": "Firm", "toGrade": "ToGrade",
                            "fromGrade": "FromGrade", "action": "Action"})
    df = df.set_index("GradeDate")
    df.index = pd.to_datetime(df.index, unit="s")
    return df


STATEMENT_ATTRS = ("income_stmt", "quarterly_income_stmt", "balance_sheet",
                   "quarterly_balance_sheet")
_CURRENCY = {".SS": "CNY", ".SZ": "CNY", ".HK": "HKD", ".T": "JPY", ".L": "GBp",
             ".JO": "ZAc", ".TA": "ILA"}


def default_metadata(symbol: str) -> dict:
    """A plausible ``history_metadata`` (currency by suffix; ``XXXYYY=X`` → YYY)."""
    currency = "USD"
    up = symbol.upper()
    if up.endswith("=X"):
        currency = up[:-2][-3:]
    for suffix, cur in _CURRENCY.items():
        if up.endswith(suffix.upper()):
            currency = cur
    return {"currency": currency, "symbol": symbol, "exchangeTimezoneName": exchange_tz(symbol),
            "instrumentType": "CURRENCY" if up.endswith("=X") else "EQUITY",
            "dataGranularity": "1d"}


def statement_frame(rows: dict[str, dict[object, float | None]]) -> pd.DataFrame:
    """A statement exactly as yfinance 1.7's ``income_stmt``/``balance_sheet`` give it.

    ``rows``: row label ('Total Revenue') → {period end: value or None}. Index: the labels
    in the order given (``str`` dtype, no name); columns: a ``DatetimeIndex``
    (``datetime64[us]``, naive, no name) of every period end, newest first; float64,
    NaN where a row lacks a period. No rows → an empty ``DataFrame()``, as yfinance
    returns when Yahoo sends nothing.
    """
    if not rows:
        return pd.DataFrame()
    periods = sorted({pd.Timestamp(p) for r in rows.values() for p in r}, reverse=True)
    columns = pd.DatetimeIndex(periods).as_unit("us")
    data = [[np.nan if (v := {pd.Timestamp(k): x for k, x in r.items()}.get(c)) is None
             else float(v) for c in columns] for r in rows.values()]
    frame = pd.DataFrame(data, index=pd.Index(list(rows)), columns=columns, dtype="float64")
    return frame


def earnings_frame(dates: list[str], tz: str = "America/New_York") -> pd.DataFrame:
    """``Ticker.get_earnings_dates()`` shape: index ``Earnings Date`` tz-aware, newest
    first; columns EPS Estimate, Reported EPS, Surprise(%) (synthetic values)."""
    idx = pd.DatetimeIndex([pd.Timestamp(d).tz_localize(tz) for d in dates],
                           name="Earnings Date")
    order = np.argsort(idx.asi8)[::-1]
    idx = idx[order]
    n = len(idx)
    return pd.DataFrame({"EPS Estimate": np.full(n, 1.0), "Reported EPS": np.full(n, 1.1),
                         "Surprise(%)": np.full(n, 10.0)}, index=idx)


@dataclass
class Scenario:
    """One symbol's tables for :meth:`FakeYFinance.add` (None: leave the default)."""

    symbol: str
    info: dict | None = None
    statements: dict[str, pd.DataFrame] = field(default_factory=dict)
    earnings: object = None
    metadata: dict | None = None
    targets: object = None
    actions: object = None
    history: object = None


def _price_script(close: float):
    """A history behaviour: constant synthetic bars at ``close`` (in Yahoo's unit)."""
    def run(symbol, start, end):
        dates = list(weekdays(start, end))
        if not dates:
            from yfinance.exceptions import YFPricesMissingError

            raise YFPricesMissingError(f"${symbol}", f"(1d {start} -> {end})")
        frame = history_frame(symbol, dates)
        for col, value in (("Open", close - 4), ("High", close + 6), ("Low", close - 6),
                           ("Close", close), ("Adj Close", close)):
            frame[col] = float(value)
        return frame
    return run


def baba_like(symbol: str = "BABA") -> Scenario:
    """An ADR: USD quote (one ADS = 8 ordinary shares), CNY statements, annual and
    quarterly. SYNTHETIC round numbers: ordinary shares 16e9, sharesOutstanding 2e9 ADS."""
    annual = ["2025-03-31", "2024-03-31", "2023-03-31"]
    quarters = ["2025-09-30", "2025-06-30", "2025-03-31", "2024-12-31", "2024-09-30"]
    return Scenario(
        symbol,
        info={"symbol": symbol, "longName": "Synthetic ADR Holding Ltd", "shortName": "SYN ADR",
              "quoteType": "EQUITY", "exchange": "NYQ", "fullExchangeName": "NYSE",
              "currency": "USD", "financialCurrency": "CNY", "country": "China",
              "sector": "Consumer Cyclical", "industry": "Internet Retail",
              "sharesOutstanding": 2_000_000_000, "numberOfAnalystOpinions": 40,
              "earningsTimestamp": 1_763_035_200,  # 2025-11-13 12:00 UTC
              "exchangeTimezoneName": "America/New_York", "trailingPegRatio": None},
        statements={
            "income_stmt": statement_frame({
                "Total Revenue": dict(zip(annual, [1_000e9, 900e9, 800e9])),
                "Operating Income": dict(zip(annual, [150e9, 120e9, None])),  # NaN hole
            }),
            "quarterly_income_stmt": statement_frame({
                "Total Revenue": dict(zip(quarters, [250e9, 240e9, 230e9, 280e9, 220e9])),
                "Operating Income": dict(zip(quarters, [30e9, 40e9, 30e9, 50e9, 35e9])),
            }),
            "balance_sheet": statement_frame({
                "Ordinary Shares Number": dict(zip(annual, [16e9, 16.5e9, 17e9])),
                "Total Debt": dict(zip(annual, [250e9, 200e9, 180e9])),
                "Cash Cash Equivalents And Short Term Investments":
                    dict(zip(annual, [400e9, 450e9, 500e9])),
                "Cash And Cash Equivalents": dict(zip(annual, [150e9, 170e9, 190e9])),
            }),
            "quarterly_balance_sheet": statement_frame({
                "Ordinary Shares Number": dict(zip(quarters[:4], [16e9, 16e9, 16e9, 16.2e9])),
                "Total Debt": dict(zip(quarters[:4], [260e9, 255e9, 250e9, 240e9])),
                "Cash Cash Equivalents And Short Term Investments":
                    dict(zip(quarters[:4], [420e9, 410e9, 400e9, 390e9])),
            }),
        },
        earnings=earnings_frame(["2026-02-19 06:00", "2025-11-13 06:00", "2025-08-28 06:00",
                                 "2025-05-15 06:00"]),
        targets={"current": 150.0, "high": 200.0, "low": 100.0, "mean": 160.0,
                 "median": 165.0},
        metadata={"currency": "USD", "exchangeTimezoneName": "America/New_York",
                  "instrumentType": "EQUITY"},
    )


def ocdo_like(symbol: str = "OCDO.L") -> Scenario:
    """A London line quoted in pence ('GBp'): a 1,234 GBp close, targets in pence, GBP
    statements, EMPTY quarterly statements (annual only). SYNTHETIC round numbers."""
    annual = ["2024-12-01", "2023-12-03", "2022-11-27"]
    return Scenario(
        symbol,
        info={"symbol": symbol, "longName": "Synthetic Grocer plc", "quoteType": "EQUITY",
              "exchange": "LSE", "fullExchangeName": "LSE", "currency": "GBp",
              "financialCurrency": "GBP", "country": "United Kingdom",
              "sector": "Consumer Defensive", "industry": "Grocery Stores",
              "sharesOutstanding": 800_000_000, "numberOfAnalystOpinions": 10,
              "exchangeTimezoneName": "Europe/London"},
        statements={
            "income_stmt": statement_frame({
                "Total Revenue": dict(zip(annual, [3.0e9, 2.8e9, 2.5e9])),
                "Operating Income": dict(zip(annual, [-0.3e9, -0.4e9, -0.5e9])),
            }),
            "quarterly_income_stmt": pd.DataFrame(),
            "balance_sheet": statement_frame({
                "Ordinary Shares Number": dict(zip(annual, [8.0e8, 8.0e8, 7.5e8])),
                "Total Debt": dict(zip(annual, [2.0e9, 1.9e9, 1.8e9])),
                "Cash And Cash Equivalents": dict(zip(annual, [0.9e9, 1.0e9, 1.1e9])),
            }),
            "quarterly_balance_sheet": pd.DataFrame(),
        },
        targets={"current": 1234.0, "high": 2000.0, "low": 500.0, "mean": 1500.0,
                 "median": 1450.0},
        actions=upgrades_frame([{"date": "2025-10-01", "firm": "Synthetic Bank", "to": "Buy",
                                 "target": 1600.0, "prior": 1400.0}], with_targets=True),
        metadata={"currency": "GBp", "exchangeTimezoneName": "Europe/London",
                  "instrumentType": "EQUITY"},
        history=_price_script(1234.0),
    )


def tokyo_like(symbol: str = "7203.T") -> Scenario:
    """A Tokyo line: JPY quote and statements, annual and quarterly. SYNTHETIC numbers."""
    annual = ["2025-03-31", "2024-03-31"]
    quarters = ["2025-09-30", "2025-06-30", "2025-03-31"]
    return Scenario(
        symbol,
        info={"symbol": symbol, "longName": "Synthetic Motor Corporation", "quoteType": "EQUITY",
              "exchange": "JPX", "fullExchangeName": "Tokyo", "currency": "JPY",
              "financialCurrency": "JPY", "country": "Japan", "sector": "Consumer Cyclical",
              "industry": "Auto Manufacturers", "sharesOutstanding": 13_000_000_000,
              "exchangeTimezoneName": "Asia/Tokyo"},
        statements={
            "income_stmt": statement_frame({
                "Total Revenue": dict(zip(annual, [48e12, 45e12])),
                "Operating Income": dict(zip(annual, [5e12, 5.3e12])),
            }),
            "quarterly_income_stmt": statement_frame({
                "Total Revenue": dict(zip(quarters, [12e12, 12e12, 12.5e12])),
            }),
            "balance_sheet": statement_frame({
                "Ordinary Shares Number": dict(zip(annual, [13e9, 13.2e9])),
                "Total Debt": dict(zip(annual, [38e12, 35e12])),
                "Cash Cash Equivalents And Short Term Investments":
                    dict(zip(annual, [9e12, 8e12])),
            }),
            "quarterly_balance_sheet": statement_frame({
                "Total Debt": dict(zip(quarters, [39e12, 38.5e12, 38e12])),
            }),
        },
        metadata={"currency": "JPY", "exchangeTimezoneName": "Asia/Tokyo",
                  "instrumentType": "EQUITY"},
        history=_price_script(3000.0),
    )


def unknown_like(symbol: str = "NOSUCH") -> Scenario:
    """A symbol Yahoo does not know: history raises YFTickerMissingError, info is what
    yfinance 1.7 returns then (``{'trailingPegRatio': None}``), statements empty."""
    return Scenario(symbol, info={"trailingPegRatio": None},
                    statements={a: pd.DataFrame() for a in STATEMENT_ATTRS},
                    history="unknown")


def not_found_error(symbol: str):
    """What yfinance raises for Yahoo's 404 with hide_exceptions off."""
    from curl_cffi.requests.exceptions import HTTPError

    return HTTPError(f"HTTP Error 404: No fundamentals data found for symbol {symbol}")


class FakeProvider:
    """A provider satisfying the ``PriceProvider`` Protocol, without yfinance.

    Mon–Fri sessions; counts rows requested; optional per-call ``delay``; picklable so it
    can run in a child process.
    """

    name = "fake"

    def __init__(self, *, delay: float = 0.0, version: int = 0, fail: dict | None = None):
        self.delay = delay
        self.version = version
        self.fail = dict(fail or {})
        self.calls: list[tuple[tuple[str, ...], dt.date, dt.date]] = []
        self.rows_requested = 0
        self.offline = False

    def fetch_prices(self, symbols, start, end):
        from watchlists.providers import FetchResult

        self.calls.append((tuple(symbols), start, end))
        if self.delay:
            time.sleep(self.delay)
        frames, status = [], {}
        for sym in symbols:
            if sym in self.fail:
                status[sym] = f"error: {self.fail[sym]}"
                continue
            dates = weekdays(start, end)
            self.rows_requested += len(dates)
            raw = history_frame(sym, dates, version=self.version)
            from watchlists.yahoo import _normalize_history

            frame, _ = _normalize_history(raw, sym)
            frames.append(frame)
            status[sym] = "ok" if len(frame) else "missing"
        from watchlists.providers import empty_prices

        frame = pd.concat(frames, ignore_index=True) if frames else empty_prices()
        return FetchResult(frame=frame, status=status, provider=self.name,
                           fetched_at=dt.datetime.now(dt.UTC))

    def fetch_targets(self, symbol):  # pragma: no cover - not used in price tests
        raise NotImplementedError

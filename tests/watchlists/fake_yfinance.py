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
  ``(symbol, start, end) -> DataFrame``.
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

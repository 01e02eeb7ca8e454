"""Yahoo Finance adapter (yfinance 1.7): transport in :class:`YahooProvider`, parsing in
the pure :func:`_normalize_history` / :func:`_normalize_actions`.

* Prices: one ``yf.Ticker(sym).history(start=, end=, auto_adjust=False, raise_errors=True,
  timeout=)`` per symbol in a bounded thread pool, so a rate limit or a missing symbol is
  an exception we can tell apart (``yf.download`` swallows them into NaN columns).
* Session dates: yfinance's index is tz-aware in the exchange's zone; the session date is
  the *local* date (``tz_localize(None).normalize()``), never the UTC date.
* Retries: ``YFRateLimitError`` and transient network errors (timeouts, connection reset)
  are retried with exponential backoff and jitter, bounded in count (``retries``) and in
  total sleep (``max_total_sleep``). ``sleep`` and ``rng`` are injectable.
* Offline: the first symbol is fetched alone as a probe. A DNS failure (curl_cffi
  ``DNSError`` or a message saying "Could not resolve host" / "Failed to resolve" / name
  resolution) switches the provider offline at once: every remaining symbol gets
  ``'error: offline (DNS failure: ...)'`` without another call and ``.offline`` is True.
* yfinance is imported inside functions only; its tz/cookie cache is moved to
  ``cache_dir`` (default ``<store home>/yfinance-cache``) before first use.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from watchlists.errors import OfflineError
from watchlists.providers import (
    ACTION_COLUMNS,
    CONSENSUS_KEYS,
    PRICE_COLUMNS,
    AnalystData,
    FetchResult,
    empty_actions,
    empty_prices,
)
from watchlists.records import as_date

__all__ = ["YahooProvider"]

logger = logging.getLogger(__name__)

_YAHOO_COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}
_DNS_MARKERS = (
    "could not resolve host",
    "failed to resolve",
    "name resolution",
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo failed",
)
_TRANSIENT_MARKERS = (
    "timed out",
    "timeout",
    "connection reset",
    "connection aborted",
    "connection refused",
    "remote end closed",
    "temporarily unavailable",
    "recv failure",
    "send failure",
)


# --------------------------------------------------------------------------- parsing


def _normalize_history(raw: pd.DataFrame, symbol: str) -> tuple[pd.DataFrame, list[str]]:
    """Turn one ``Ticker.history(auto_adjust=False)`` frame into tidy rows.

    Returns ``(frame, notes)``: ``frame`` has :data:`PRICE_COLUMNS`, one row per
    exchange-local session date, sorted; ``notes`` lists what was repaired. Rules: the
    index is converted to the local session date (tz dropped after conversion, so a
    Shanghai bar stays on its Shanghai date); absent price columns become NaN; zero,
    negative or infinite prices (and negative volumes) become NaN; rows whose prices are
    all NaN are dropped; duplicate dates keep the last row; ``Adj Close``
    absent → ``adj_close = close`` (noted). The input is not modified.
    """
    notes: list[str] = []
    if raw is None or len(raw) == 0:
        return empty_prices(), notes
    frame = raw.copy()
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(pd.to_datetime(index))
    if index.tz is not None:
        index = index.tz_localize(None)  # wall-clock time in the exchange's zone
    dates = index.normalize().as_unit("ns")

    out = pd.DataFrame({"symbol": symbol, "date": dates})
    absent = [c for c in ("Open", "High", "Low", "Close", "Volume") if c not in frame.columns]
    if absent:
        notes.append(f"{symbol}: columns {absent} absent in Yahoo's data (stored as NaN)")
    for yahoo, ours in _YAHOO_COLUMNS.items():
        if yahoo in frame.columns:
            out[ours] = pd.to_numeric(frame[yahoo], errors="coerce").to_numpy(dtype="float64")
        else:
            out[ours] = np.nan
    if "Adj Close" not in frame.columns:
        out["adj_close"] = out["close"]
        notes.append(f"{symbol}: no Adj Close in Yahoo's data; adj_close = close")

    price_cols = ["open", "high", "low", "close", "adj_close"]
    prices = out[price_cols]
    impossible = ~np.isfinite(prices) | (prices <= 0)
    impossible &= prices.notna()
    if impossible.to_numpy().any():
        notes.append(f"{symbol}: {int(impossible.to_numpy().sum())} non-positive or infinite "
                     "price(s) set to NaN")
        out[price_cols] = prices.mask(impossible)
    volume = out["volume"]
    bad_volume = volume.notna() & (~np.isfinite(volume) | (volume < 0))
    if bad_volume.any():
        notes.append(f"{symbol}: {int(bad_volume.sum())} negative or infinite volume(s) "
                     "set to NaN")
        out["volume"] = volume.mask(bad_volume)
    all_nan = out[price_cols].isna().all(axis=1)
    if all_nan.any():
        notes.append(f"{symbol}: dropped {int(all_nan.sum())} all-NaN row(s)")
        out = out.loc[~all_nan]
    dup = out["date"].duplicated(keep="last")
    if dup.any():
        notes.append(f"{symbol}: {int(dup.sum())} duplicate date(s), kept the last")
        out = out.loc[~dup]
    out = out.sort_values("date", kind="stable").reset_index(drop=True)
    return out[list(PRICE_COLUMNS)], notes


def _normalize_actions(raw: pd.DataFrame | None) -> pd.DataFrame:
    """``Ticker.upgrades_downgrades`` → :data:`ACTION_COLUMNS` (targets NaN if absent)."""
    if raw is None or len(raw) == 0:
        return empty_actions()
    frame = raw.copy()
    index = pd.DatetimeIndex(pd.to_datetime(frame.index))
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    out = pd.DataFrame({"date": index.as_unit("ns")})
    for src, dst in (("Firm", "firm"), ("ToGrade", "to_grade"), ("FromGrade", "from_grade"),
                     ("Action", "action")):
        out[dst] = frame[src].astype(object).to_numpy() if src in frame.columns else None
    for src, dst in (("currentPriceTarget", "current_target"),
                     ("priorPriceTarget", "prior_target")):
        if src in frame.columns:
            out[dst] = pd.to_numeric(frame[src], errors="coerce").to_numpy(dtype="float64")
        else:
            out[dst] = np.nan
    return out[list(ACTION_COLUMNS)].sort_values("date", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- errors


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _caused_by(exc: BaseException, types: tuple[type[BaseException], ...],
               markers: tuple[str, ...]) -> bool:
    """True when ``exc`` or an exception in its chain is one of ``types`` or says one of
    ``markers`` (lower case) in its message."""
    return any(isinstance(e, types) or any(m in str(e).lower() for m in markers)
               for e in _chain(exc))


def _is_dns_error(exc: BaseException) -> bool:
    """True for an unreachable name server: curl_cffi ``DNSError`` or a resolver message."""
    import socket

    try:
        from curl_cffi.requests.exceptions import DNSError
        dns_types: tuple[type[BaseException], ...] = (DNSError, socket.gaierror)
    except ImportError:  # pragma: no cover - curl_cffi is a yfinance dependency
        dns_types = (socket.gaierror,)
    return _caused_by(exc, dns_types, _DNS_MARKERS)


def _is_rate_limit(exc: BaseException) -> bool:
    try:
        from yfinance.exceptions import YFRateLimitError
    except ImportError:  # pragma: no cover
        return False
    return _caused_by(exc, (YFRateLimitError,), ())


def _is_transient(exc: BaseException) -> bool:
    """Timeouts and dropped connections (not DNS failures, not HTTP errors)."""
    if _is_dns_error(exc):
        return False
    try:
        from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError
        from curl_cffi.requests.exceptions import Timeout as CurlTimeout
        curl_types: tuple[type[BaseException], ...] = (CurlTimeout, CurlConnectionError)
    except ImportError:  # pragma: no cover
        curl_types = ()
    return _caused_by(exc, (TimeoutError, ConnectionError, *curl_types), _TRANSIENT_MARKERS)


def _is_missing(exc: BaseException) -> bool:
    try:
        from yfinance.exceptions import YFPricesMissingError, YFTickerMissingError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, YFPricesMissingError | YFTickerMissingError)


def _is_not_found(exc: BaseException) -> bool:
    """Yahoo's HTTP 404 ("No data found", "No fundamentals data found"): the symbol has
    no data there, which is not a failure of the run. Judged by the response's status
    code, or by Yahoo's own wording when the exception carries no response."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is not None:
        return status == 404
    text = str(exc).lower()
    return "http error 404" in text or "no fundamentals data found" in text \
        or "no data found" in text


def _one_line(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- provider


class YahooProvider:
    """Daily prices and analyst data from Yahoo Finance through yfinance 1.7.

    Parameters (keyword-only): ``max_workers`` threads (default 4); ``timeout`` seconds
    per HTTP request (passed to yfinance explicitly); ``retries`` extra attempts after a
    rate limit or transient error; ``backoff`` base delay in seconds (doubles per attempt,
    capped at ``max_backoff``, "equal jitter": each delay is drawn in [cap/2, cap]);
    ``max_total_sleep`` bounds the sleep spent on one symbol; ``sleep`` and ``rng`` are
    injectable for tests; ``cache_dir`` receives yfinance's tz/cookie cache (default
    ``<store home>/yfinance-cache``).
    """

    name = "yahoo"

    def __init__(
        self,
        *,
        max_workers: int = 4,
        timeout: float = 10.0,
        retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_total_sleep: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        cache_dir: str | Path | None = None,
    ) -> None:
        if not isinstance(max_workers, int) or max_workers < 1:
            raise ValueError(f"max_workers must be an int >= 1, got {max_workers!r}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries!r}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        self.max_workers = max_workers
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.max_total_sleep = float(max_total_sleep)
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        self._rng_lock = threading.Lock()
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._offline_reason: str | None = None
        self._offline_lock = threading.Lock()
        self._prepared = False
        self.notes: list[str] = []

    # -- state -------------------------------------------------------------------

    @property
    def offline(self) -> bool:
        """True once a DNS failure was seen: no further calls are made."""
        return self._offline_reason is not None

    def _go_offline(self, exc: BaseException) -> None:
        with self._offline_lock:
            if self._offline_reason is None:
                self._offline_reason = f"offline (DNS failure: {_one_line(exc, 120)})"
                logger.warning("Yahoo unreachable, going offline: %s", self._offline_reason)

    def _yf(self):
        import yfinance as yf

        if not self._prepared:
            cache = self._cache_dir
            if cache is None:
                from watchlists.store import default_home

                cache = default_home() / "yfinance-cache"
            cache.mkdir(parents=True, exist_ok=True)
            yf.set_tz_cache_location(str(cache))
            self._prepared = True
        return yf

    def _delay(self, attempt: int) -> float:
        cap = min(self.max_backoff, self.backoff * (2.0**attempt))
        with self._rng_lock:
            u = self._rng.random()
        return cap / 2.0 + u * cap / 2.0

    def _call(self, fn: Callable[[], object], what: str) -> object:
        """Run ``fn`` with retries on rate limits and transient errors; DNS → OfflineError."""
        if self.offline:
            raise OfflineError(self._offline_reason)
        slept = 0.0
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                if _is_dns_error(exc):
                    self._go_offline(exc)
                    raise OfflineError(self._offline_reason) from exc
                retryable = _is_rate_limit(exc) or _is_transient(exc)
                if not retryable:
                    raise
                if attempt >= self.retries:
                    raise
                delay = self._delay(attempt)
                if slept + delay > self.max_total_sleep:
                    raise
                logger.info("%s: %s; retry %d in %.2fs", what, _one_line(exc), attempt + 1, delay)
                self._sleep(delay)
                slept += delay
                attempt += 1

    # -- prices ------------------------------------------------------------------

    def _history(self, symbol: str, start: dt.date, end: dt.date) -> tuple[pd.DataFrame, str]:
        if self.offline:
            return empty_prices(), f"error: {self._offline_reason}"
        yf = self._yf()

        def call() -> object:
            return yf.Ticker(symbol).history(
                start=start.isoformat(), end=end.isoformat(), interval="1d",
                auto_adjust=False, actions=True, raise_errors=True, timeout=self.timeout,
            )

        try:
            raw = self._call(call, symbol)
        except OfflineError:
            return empty_prices(), f"error: {self._offline_reason}"
        except Exception as exc:  # noqa: BLE001 - any failure is this symbol's status
            if _is_missing(exc) or _is_not_found(exc):
                # yfinance raises a 404 itself for an unknown symbol when its global
                # hide_exceptions setting is off: the same answer as "missing"
                return empty_prices(), "missing"
            kind = "rate limited" if _is_rate_limit(exc) else type(exc).__name__
            return empty_prices(), f"error: {kind}: {_one_line(exc)}"
        frame, notes = _normalize_history(raw, symbol)  # type: ignore[arg-type]
        self.notes.extend(notes)
        return frame, ("ok" if len(frame) else "missing")

    def fetch_prices(
        self, symbols: Sequence[str], start: dt.date, end: dt.date
    ) -> FetchResult:
        """Daily bars of ``symbols`` for sessions in ``[start, end)``; see module docs."""
        symbols = list(dict.fromkeys(symbols))
        start, end = as_date("start", start), as_date("end", end)
        if end <= start:
            raise ValueError(f"end must be after start (end is exclusive), got {start} .. {end}")
        fetched_at = dt.datetime.now(dt.UTC)
        results: dict[str, tuple[pd.DataFrame, str]] = {}
        if symbols:
            # The first symbol alone is a probe: offline is then known after one call.
            results[symbols[0]] = self._history(symbols[0], start, end)
            rest = symbols[1:]
            if rest and self.max_workers > 1 and not self.offline:
                with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
                    futures = {s: pool.submit(self._history, s, start, end) for s in rest}
                    results.update({s: f.result() for s, f in futures.items()})
            else:
                results.update({s: self._history(s, start, end) for s in rest})
        frames = [results[s][0] for s in symbols if len(results[s][0])]
        frame = pd.concat(frames, ignore_index=True) if frames else empty_prices()
        status = {s: results[s][1] for s in symbols}
        error = None
        if symbols and frame.empty:
            reasons = sorted({st for st in status.values()})
            error = f"no data for any of {len(symbols)} symbol(s): " + "; ".join(reasons)[:300]
        return FetchResult(
            frame=frame, status=status, provider=self.name, fetched_at=fetched_at,
            error=error, offline=self.offline,
        )

    # -- analyst data ------------------------------------------------------------

    def _attribute(self, ticker: object, attr: str, symbol: str, *, no_data: str = "") -> object:
        """``ticker.<attr>`` through :meth:`_call`; None when Yahoo has no such data (a 404,
        or an error message containing ``no_data``). Other failures raise."""
        try:
            return self._call(lambda: getattr(ticker, attr), symbol)
        except OfflineError:
            raise
        except Exception as exc:
            if _is_not_found(exc) or (no_data and no_data in str(exc).lower()):
                return None
            raise

    def fetch_targets(self, symbol: str) -> AnalystData:
        """Consensus targets, analyst count, trading currency and rating actions.

        Yahoo's 404 "No fundamentals data found" means no coverage: empty consensus and
        status ``'missing'``, not an error. Other failures give ``'error: <reason>'``.
        """
        fetched_at = dt.datetime.now(dt.UTC)

        def result(consensus, count, currency, actions, status) -> AnalystData:
            return AnalystData(
                symbol=symbol, consensus=consensus, analyst_count=count, currency=currency,
                actions=actions, status=status, fetched_at=fetched_at, provider=self.name,
            )

        if self.offline:
            return result({}, None, None, empty_actions(), f"error: {self._offline_reason}")
        try:
            ticker = self._yf().Ticker(symbol)
            targets = self._attribute(ticker, "analyst_price_targets", symbol) or {}
            info = self._attribute(ticker, "info", symbol) or {}
            raw_actions = self._attribute(ticker, "upgrades_downgrades", symbol,
                                          no_data="no upgrade/downgrade")
        except OfflineError:
            return result({}, None, None, empty_actions(), f"error: {self._offline_reason}")
        except Exception as exc:  # noqa: BLE001 - any failure is this symbol's status
            return result({}, None, None, empty_actions(),
                          f"error: {type(exc).__name__}: {_one_line(exc)}")
        consensus = {k: _float_or_none(targets.get(k)) for k in CONSENSUS_KEYS if k in targets}
        count = info.get("numberOfAnalystOpinions")
        count = int(count) if isinstance(count, int | float) and not pd.isna(count) else None
        currency = info.get("currency") or None
        actions = _normalize_actions(raw_actions)  # type: ignore[arg-type]
        has_data = any(v is not None for v in consensus.values()) or len(actions) > 0
        return result(consensus, count, currency, actions, "ok" if has_data else "missing")


def _float_or_none(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(out) else out

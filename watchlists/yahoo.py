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
* Units (one rule at the boundary, :func:`_quote_unit`): Yahoo quotes London in pence
  (``'GBp'``/``'GBX'``), Johannesburg in cents (``'ZAc'``/``'ZAC'``) and Tel Aviv in
  agorot (``'ILA'``), while its statements are in GBP/ZAR/ILS. Everything leaving this
  module is in the **major** unit: ``fetch_prices`` scales open/high/low/close/adj_close
  by the currency of the history call's own metadata (``Ticker.history_metadata``, read
  after ``history()``: no second request) and adds a note; ``fetch_targets`` scales the
  consensus and the actions' targets and reports the ISO code; ``fetch_profile`` gives
  ``currency`` (ISO, major) and ``quote_currency`` (exactly Yahoo's).
* Profiles (``fetch_profile``): one ``Ticker.info`` per symbol, cached in the provider
  (thread-safe, per symbol) so ``fetch_targets``/``fetch_fundamentals`` of the same run
  reuse it; :meth:`YahooProvider.clear_cache` forgets it. yfinance 1.7 answers an
  unknown symbol with ``{'trailingPegRatio': None}`` (its default ``hide_exceptions``)
  or an HTTP 404: both are ``'missing'``.
* Fundamentals (``fetch_fundamentals``): the public ``income_stmt``,
  ``quarterly_income_stmt``, ``balance_sheet``, ``quarterly_balance_sheet`` frames
  (rows :data:`_STATEMENT_ROWS`, columns period ends newest first, NaN holes). Empty and
  non-finite cells are dropped, nothing is filled in. Money rows carry ``info``'s
  ``financialCurrency``; when that is unknown they are dropped (noted), share counts
  kept. ``get_earnings_dates(limit=12)`` is tried once without retries; any failure
  leaves the earnings dates empty (yfinance 1.7 scrapes the finance.yahoo.com
  ``/calendar/earnings`` HTML page and parses its table with ``pandas.read_html``, which
  needs lxml or html5lib; no table → None). Only past dates are kept, merged with
  ``info['earningsTimestamp']`` when past. ADRs: ``shares_outstanding`` is
  per traded unit (BABA: per ADS), ``Ordinary Shares Number`` in ordinary shares; both
  are reported as they are.
* yfinance is imported inside functions only; its tz/cookie cache is moved to
  ``cache_dir`` (default ``<store home>/yfinance-cache``) before first use.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from watchlists.errors import OfflineError
from watchlists.providers import (
    ACTION_COLUMNS,
    CONSENSUS_KEYS,
    FUNDAMENTAL_COLUMNS,
    FUNDAMENTAL_METRICS,
    PRICE_COLUMNS,
    SHARES_UNIT,
    AnalystData,
    FetchResult,
    FundamentalsData,
    ProfileData,
    empty_actions,
    empty_fundamentals,
    empty_prices,
)
from watchlists.records import ISO_CURRENCIES, as_date

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


# Yahoo's minor-unit quote currencies → (ISO major currency, scale to major units).
# Case matters: 'GBp' is pence, 'GBP' pounds.
_MINOR_UNITS: dict[str, tuple[str, float]] = {
    "GBp": ("GBP", 0.01), "GBX": ("GBP", 0.01), "GBx": ("GBP", 0.01),
    "ZAc": ("ZAR", 0.01), "ZAC": ("ZAR", 0.01),
    "ILA": ("ILS", 0.01), "ILa": ("ILS", 0.01),
}
_PRICE_VALUE_COLUMNS = ["open", "high", "low", "close", "adj_close"]

# metric → statement row labels, in order of preference. Labels are compared without
# spaces and case ('Total Revenue' == 'TotalRevenue'), so yfinance's pretty and raw
# (camelCase) row names both match. The cash fallback is used only when the combined row
# is absent from that statement (noted).
_STATEMENT_ROWS: dict[str, tuple[str, ...]] = {
    "revenue": ("Total Revenue",),
    "operating_income": ("Operating Income",),
    "cash_and_short_term_investments": ("Cash Cash Equivalents And Short Term Investments",
                                        "Cash And Cash Equivalents"),
    "total_debt": ("Total Debt",),
    "ordinary_shares": ("Ordinary Shares Number",),
}
_STATEMENTS: tuple[tuple[str, str], ...] = (
    ("income_stmt", "annual"),
    ("quarterly_income_stmt", "quarterly"),
    ("balance_sheet", "annual"),
    ("quarterly_balance_sheet", "quarterly"),
)
# info keys that only an existing symbol has (an unknown one gets {'trailingPegRatio': None})
_IDENTITY_KEYS = ("quoteType", "longName", "shortName", "currency", "exchange",
                  "fullExchangeName", "financialCurrency", "regularMarketPrice")


def _quote_unit(yahoo_currency: object) -> tuple[str | None, float]:
    """Yahoo's quote currency → ``(ISO major currency, scale)``: values times ``scale``
    are in the major unit. ``'GBp'``/``'GBX'`` → ``('GBP', 0.01)``, ``'ZAc'``/``'ZAC'`` →
    ``('ZAR', 0.01)``, ``'ILA'`` → ``('ILS', 0.01)``, an ISO code → ``(code, 1.0)``,
    anything else (None, unknown) → ``(None, 1.0)``."""
    if not isinstance(yahoo_currency, str):
        return None, 1.0
    code = yahoo_currency.strip()
    if code in _MINOR_UNITS:
        return _MINOR_UNITS[code]
    return (code, 1.0) if code in ISO_CURRENCIES else (None, 1.0)


def _scale(values, scale: float):
    """``values`` in major units: divided by ``1/scale`` (exact for 0.01: 1234/100 is the
    float nearest 12.34, 1234*0.01 is not)."""
    return values if scale == 1.0 else values / (1.0 / scale)


def _iso(value: object) -> str | None:
    return value if isinstance(value, str) and value in ISO_CURRENCIES else None


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _known_symbol(info: Mapping | None) -> bool:
    """True when ``info`` describes a symbol Yahoo knows (not ``{'trailingPegRatio': None}``)."""
    return bool(info) and any(info.get(k) not in (None, "") for k in _IDENTITY_KEYS)


def _past_earnings_timestamp(info: Mapping, now: dt.datetime) -> tuple[dt.date, ...]:
    """``info['earningsTimestamp']`` (epoch seconds) as the exchange-local date, if past."""
    ts = info.get("earningsTimestamp")
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not np.isfinite(ts):
        return ()
    when = dt.datetime.fromtimestamp(float(ts), dt.UTC)
    if when > now:
        return ()
    tz_name = info.get("exchangeTimezoneName")
    if isinstance(tz_name, str):
        from zoneinfo import ZoneInfo

        try:
            when = when.astimezone(ZoneInfo(tz_name))
        except (KeyError, ValueError):  # an unknown zone: keep the UTC date
            logger.debug("unknown exchangeTimezoneName %r", tz_name)
    return (when.date(),)


def _past_earnings_dates(raw: object, now: dt.datetime) -> tuple[dt.date, ...]:
    """``Ticker.get_earnings_dates()`` frame (index ``Earnings Date``, tz-aware) → past
    dates, each the date in its own zone; anything unreadable → ()."""
    if not isinstance(raw, pd.DataFrame) or raw.empty:
        return ()
    try:
        index = pd.DatetimeIndex(pd.to_datetime(raw.index))
    except (TypeError, ValueError):
        return ()
    now_ts = pd.Timestamp(now)
    out = set()
    for ts in index:
        if pd.isna(ts):
            continue
        aware = ts if ts.tzinfo is not None else ts.tz_localize("UTC")
        if aware <= now_ts:
            out.add(ts.date())
    return tuple(sorted(out))


def _norm_label(label: object) -> str:
    return "".join(str(label).split()).lower()


def _normalize_statement(raw: object, freq: str, money_currency: str | None,
                         symbol: str, what: str) -> tuple[list[dict], list[str]]:
    """Rows of our metrics from one yfinance statement frame (labels × period ends)."""
    notes: list[str] = []
    if not isinstance(raw, pd.DataFrame) or raw.empty:
        return [], notes
    labels = {}
    for label in raw.index:
        labels.setdefault(_norm_label(label), label)
    rows: list[dict] = []
    for metric, candidates in _STATEMENT_ROWS.items():
        found = next((labels[_norm_label(c)] for c in candidates
                      if _norm_label(c) in labels), None)
        if found is None:
            continue
        if _norm_label(found) != _norm_label(candidates[0]):
            notes.append(f"{symbol}: {what} has no {candidates[0]!r} row; {metric} from "
                         f"{found!r}")
        if metric == "ordinary_shares":
            unit = SHARES_UNIT
        elif money_currency is None:
            continue
        else:
            unit = money_currency
        series = raw.loc[found]
        if isinstance(series, pd.DataFrame):  # duplicated label: the first one
            series = series.iloc[0]
        values = pd.to_numeric(series, errors="coerce")
        for period, value in values.items():
            try:
                end = pd.Timestamp(period)
            except (TypeError, ValueError):
                continue
            if pd.isna(end) or pd.isna(value) or not np.isfinite(value):
                continue
            if end.tzinfo is not None:
                end = end.tz_localize(None)
            rows.append({"metric": metric, "freq": freq, "period_end": end.normalize(),
                         "value": float(value), "currency": unit})
    return rows, notes


def _fundamentals_frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return empty_fundamentals()
    frame = pd.DataFrame(rows, columns=list(FUNDAMENTAL_COLUMNS))
    frame["period_end"] = pd.to_datetime(frame["period_end"]).astype("datetime64[ns]")
    frame["value"] = frame["value"].astype("float64")
    frame = frame.drop_duplicates(["metric", "freq", "period_end"], keep="first")
    order = {m: i for i, m in enumerate(FUNDAMENTAL_METRICS)}
    frame = frame.assign(_m=frame["metric"].map(order)).sort_values(
        ["_m", "freq", "period_end"], kind="stable").drop(columns="_m")
    frame = frame.reset_index(drop=True)
    for col in ("metric", "freq", "currency"):
        frame[col] = frame[col].astype(object)
    return frame


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
        # per-symbol caches of this provider's run: Ticker.info and past earnings dates
        self._cache_lock = threading.Lock()
        self._symbol_locks: dict[str, threading.Lock] = {}
        self._infos: dict[str, dict] = {}
        self._earnings: dict[str, tuple[dt.date, ...]] = {}

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
            ticker = yf.Ticker(symbol)
            frame = ticker.history(
                start=start.isoformat(), end=end.isoformat(), interval="1d",
                auto_adjust=False, actions=True, raise_errors=True, timeout=self.timeout,
            )
            return frame, ticker

        try:
            raw, ticker = self._call(call, symbol)  # type: ignore[misc]
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
        if len(frame):
            frame = self._to_major_units(frame, ticker, symbol, notes)
        self.notes.extend(notes)
        return frame, ("ok" if len(frame) else "missing")

    @staticmethod
    def _to_major_units(frame: pd.DataFrame, ticker: object, symbol: str,
                        notes: list[str]) -> pd.DataFrame:
        """Scale a pence/cents/agorot price frame to the major unit. The currency comes
        from the metadata the history call already received (no request is made)."""
        try:
            meta = ticker.history_metadata  # type: ignore[attr-defined]
            raw_currency = meta.get("currency") if meta is not None else None
        except Exception as exc:  # noqa: BLE001 - no metadata: prices as Yahoo sent them
            notes.append(f"{symbol}: no history metadata ({_one_line(exc, 80)}); prices "
                         "kept in Yahoo's unit")
            return frame
        iso, scale = _quote_unit(raw_currency)
        if scale != 1.0:
            frame = frame.copy()
            frame[_PRICE_VALUE_COLUMNS] = _scale(frame[_PRICE_VALUE_COLUMNS], scale)
            notes.append(f"{symbol}: Yahoo quotes in {raw_currency!r}; prices scaled by "
                         f"{scale:g} to {iso}")
        return frame

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
            info = self._info(symbol)  # shared with fetch_profile: one request per symbol
            raw_actions = self._attribute(ticker, "upgrades_downgrades", symbol,
                                          no_data="no upgrade/downgrade")
        except OfflineError:
            return result({}, None, None, empty_actions(), f"error: {self._offline_reason}")
        except Exception as exc:  # noqa: BLE001 - any failure is this symbol's status
            return result({}, None, None, empty_actions(),
                          f"error: {type(exc).__name__}: {_one_line(exc)}")
        raw_currency = info.get("currency") or None
        currency, scale = _quote_unit(raw_currency)
        consensus = {k: _float_or_none(targets.get(k)) for k in CONSENSUS_KEYS if k in targets}
        consensus = {k: (None if v is None else _scale(v, scale)) for k, v in consensus.items()}
        count = info.get("numberOfAnalystOpinions")
        count = int(count) if isinstance(count, int | float) and not pd.isna(count) else None
        actions = _normalize_actions(raw_actions)  # type: ignore[arg-type]
        if scale != 1.0:
            for col in ("current_target", "prior_target"):
                actions[col] = _scale(actions[col], scale)
            self.notes.append(f"{symbol}: Yahoo quotes targets in {raw_currency!r}; scaled "
                              f"by {scale:g} to {currency}")
        has_data = any(v is not None for v in consensus.values()) or len(actions) > 0
        return result(consensus, count, currency, actions, "ok" if has_data else "missing")


    # -- info cache --------------------------------------------------------------

    def clear_cache(self) -> None:
        """Forget the cached ``info`` dicts and earnings dates (the next call asks Yahoo)."""
        with self._cache_lock:
            self._infos.clear()
            self._earnings.clear()

    def _symbol_lock(self, symbol: str) -> threading.Lock:
        with self._cache_lock:
            return self._symbol_locks.setdefault(symbol, threading.Lock())

    def _info(self, symbol: str) -> dict:
        """``Ticker(symbol).info`` once per symbol per provider (thread-safe); ``{}`` when
        Yahoo answers 404. A fresh ``Ticker`` per attempt: yfinance marks its info as
        fetched before the request, so a retried ``.info`` on the same object would
        return None. Failures (after retries) raise and are not cached."""
        with self._symbol_lock(symbol):
            with self._cache_lock:
                if symbol in self._infos:
                    return self._infos[symbol]
            yf = self._yf()
            try:
                raw = self._call(lambda: yf.Ticker(symbol).info, symbol)
            except OfflineError:
                raise
            except Exception as exc:
                if not _is_not_found(exc):
                    raise
                raw = {}
            info = dict(raw) if isinstance(raw, Mapping) else {}
            with self._cache_lock:
                self._infos[symbol] = info
            return info

    def _cached_earnings(self, symbol: str) -> tuple[dt.date, ...]:
        with self._cache_lock:
            return self._earnings.get(symbol, ())

    # -- profile -----------------------------------------------------------------

    def fetch_profile(self, symbol: str) -> ProfileData:
        """Name, type, exchange, currencies, sector and share count from ``Ticker.info``.

        Unknown to Yahoo → ``'missing'``; other failures → ``'error: <reason>'``; never
        raises for the symbol. ``earnings_dates``: ``info['earningsTimestamp']`` when it
        is past, plus the dates :meth:`fetch_fundamentals` found earlier.
        """
        fetched_at = dt.datetime.now(dt.UTC)

        def result(status: str, **fields) -> ProfileData:
            return ProfileData(symbol=symbol, status=status, fetched_at=fetched_at,
                               provider=self.name, **fields)

        if self.offline:
            return result(f"error: {self._offline_reason}")
        try:
            info = self._info(symbol)
        except OfflineError:
            return result(f"error: {self._offline_reason}")
        except Exception as exc:  # noqa: BLE001 - any failure is this symbol's status
            kind = "rate limited" if _is_rate_limit(exc) else type(exc).__name__
            return result(f"error: {kind}: {_one_line(exc)}")
        if not _known_symbol(info):
            return result("missing")
        quote_currency = _text(info.get("currency"))
        currency, _ = _quote_unit(quote_currency)
        if quote_currency is not None and currency is None:
            self.notes.append(f"{symbol}: unknown quote currency {quote_currency!r}")
        financial = _text(info.get("financialCurrency"))
        if financial is not None and _iso(financial) is None:
            self.notes.append(f"{symbol}: unknown financialCurrency {financial!r}")
        shares = _float_or_none(info.get("sharesOutstanding"))
        if shares is not None and (not np.isfinite(shares) or shares <= 0):
            shares = None
        earnings = set(_past_earnings_timestamp(info, fetched_at))
        earnings.update(self._cached_earnings(symbol))
        return result(
            "ok",
            name=_text(info.get("longName")) or _text(info.get("shortName")),
            quote_type=_text(info.get("quoteType")),
            exchange=_text(info.get("exchange")),
            exchange_name=_text(info.get("fullExchangeName")),
            currency=currency,
            quote_currency=quote_currency,
            financial_currency=_iso(financial),
            country=_text(info.get("country")),
            sector=_text(info.get("sector")),
            industry=_text(info.get("industry")),
            shares_outstanding=shares,
            earnings_dates=tuple(sorted(earnings)),
        )

    # -- fundamentals ------------------------------------------------------------

    def _fetch_earnings_dates(self, ticker: object, symbol: str,
                              now: dt.datetime) -> tuple[dt.date, ...]:
        """Past dates of ``get_earnings_dates(limit=12)``: one attempt, no retries; any
        failure → () (a DNS failure still switches the provider offline)."""
        try:
            raw = ticker.get_earnings_dates(limit=12)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - earnings dates are optional
            if _is_dns_error(exc):
                self._go_offline(exc)
            logger.info("%s: no earnings dates: %s", symbol, _one_line(exc))
            return ()
        return _past_earnings_dates(raw, now)

    def fetch_fundamentals(self, symbol: str) -> FundamentalsData:
        """Revenue, operating income, cash, debt and ordinary shares, annual and quarterly.

        Four statement requests (``income_stmt``, ``quarterly_income_stmt``,
        ``balance_sheet``, ``quarterly_balance_sheet``) plus one for earnings dates; the
        currency is ``info['financialCurrency']`` (cached with :meth:`fetch_profile`).
        ``'missing'`` when Yahoo does not know the symbol or has no statement rows;
        ``'error: <reason>'`` when a statement failed (the frame then holds the rows of
        the statements that came back). Never raises for the symbol.
        """
        fetched_at = dt.datetime.now(dt.UTC)

        def result(status: str, frame: pd.DataFrame | None = None,
                   currency: str | None = None,
                   earnings: tuple[dt.date, ...] = ()) -> FundamentalsData:
            return FundamentalsData(
                symbol=symbol, frame=empty_fundamentals() if frame is None else frame,
                currency=currency, status=status, fetched_at=fetched_at,
                provider=self.name, earnings_dates=earnings)

        if self.offline:
            return result(f"error: {self._offline_reason}")
        info: dict = {}
        try:
            info = self._info(symbol)
        except OfflineError:
            return result(f"error: {self._offline_reason}")
        except Exception as exc:  # noqa: BLE001 - statements may still come
            self.notes.append(f"{symbol}: info failed ({_one_line(exc, 80)}); statement "
                              "currency unknown")
        else:
            if not _known_symbol(info):  # Yahoo's 404 / {'trailingPegRatio': None}
                return result("missing")
        currency = _iso(info.get("financialCurrency"))
        if currency is None:
            self.notes.append(f"{symbol}: statement currency unknown "
                              f"(financialCurrency {info.get('financialCurrency')!r}); "
                              "money rows dropped, share counts kept")
        ticker = self._yf().Ticker(symbol)
        rows: list[dict] = []
        errors: list[str] = []
        for attr, freq in _STATEMENTS:
            try:
                raw = self._attribute(ticker, attr, symbol)
            except OfflineError:
                return result(f"error: {self._offline_reason}", currency=currency)
            except Exception as exc:  # noqa: BLE001 - this statement's failure
                kind = "rate limited" if _is_rate_limit(exc) else type(exc).__name__
                errors.append(f"{attr}: {kind}: {_one_line(exc, 100)}")
                continue
            got, notes = _normalize_statement(raw, freq, currency, symbol, attr)
            rows.extend(got)
            self.notes.extend(notes)
        earnings = set(_past_earnings_timestamp(info, fetched_at))
        if not self.offline:
            found = self._fetch_earnings_dates(ticker, symbol, fetched_at)
            with self._cache_lock:
                self._earnings[symbol] = found
            earnings.update(found)
        frame = _fundamentals_frame(rows)
        if errors:
            status = "error: " + "; ".join(errors)[:300]
        else:
            status = "ok" if len(frame) else "missing"
        return result(status, frame, currency, tuple(sorted(earnings)))


def _float_or_none(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(out) else out

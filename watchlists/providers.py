"""The price-provider interface: one ``Protocol`` and the frozen records it returns.

Conventions (shared by every provider):

* ``symbols`` are Yahoo-style tickers (``688256.SS``, ``9988.HK``, ``BABA``, ``CNY=X``).
* ``start`` is inclusive and ``end`` is **exclusive** (like yfinance), both calendar dates.
* ``FetchResult.frame`` is *tidy*: one row per (symbol, session date) with the columns
  :data:`PRICE_COLUMNS`. ``date`` is the exchange-local session date, ``datetime64``
  normalised to midnight, without a time zone (a Shanghai close is dated in Shanghai).
* Partial failure is a value, not an exception: ``FetchResult.status`` maps every
  symbol asked to ``'ok'``, ``'missing'`` (the source has no data for the window) or
  ``'error: <reason>'``. When *no* symbol returned data, ``FetchResult.error`` holds a
  one-line reason (never a silent empty frame), and ``FetchResult.offline`` says whether
  the cause was an unreachable network.
* :class:`FundamentalsProvider` (``fetch_profile`` → :class:`ProfileData`,
  ``fetch_fundamentals`` → :class:`FundamentalsData`) follows the same status rules.
  Money is in major units everywhere (GBP, not Yahoo's pence 'GBp'); statement figures
  are in the statements' currency, share counts in ``'shares'``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from watchlists.records import check_currency, check_symbol

__all__ = [
    "ACTION_COLUMNS",
    "CONSENSUS_KEYS",
    "FUNDAMENTAL_COLUMNS",
    "FUNDAMENTAL_FREQS",
    "FUNDAMENTAL_METRICS",
    "PRICE_COLUMNS",
    "AnalystData",
    "FetchResult",
    "FundamentalsData",
    "FundamentalsProvider",
    "PriceProvider",
    "ProfileData",
    "empty_actions",
    "empty_fundamentals",
    "empty_prices",
]

PRICE_COLUMNS: tuple[str, ...] = (
    "symbol", "date", "open", "high", "low", "close", "adj_close", "volume",
)
ACTION_COLUMNS: tuple[str, ...] = (
    "date", "firm", "to_grade", "from_grade", "action", "current_target", "prior_target",
)
CONSENSUS_KEYS: tuple[str, ...] = ("current", "high", "low", "mean", "median")
FUNDAMENTAL_COLUMNS: tuple[str, ...] = ("metric", "freq", "period_end", "value", "currency")
FUNDAMENTAL_METRICS: tuple[str, ...] = (
    "revenue", "operating_income", "cash_and_short_term_investments", "total_debt",
    "ordinary_shares",
)
FUNDAMENTAL_FREQS: tuple[str, ...] = ("annual", "quarterly")
SHARES_UNIT = "shares"  # the ``currency`` of a share-count row


def empty_prices() -> pd.DataFrame:
    """A zero-row price frame with the tidy columns and dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in PRICE_COLUMNS})
    frame["symbol"] = frame["symbol"].astype(object)
    frame["date"] = pd.Series(dtype="datetime64[ns]")
    return frame


def empty_actions() -> pd.DataFrame:
    """A zero-row analyst-actions frame with :data:`ACTION_COLUMNS`."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ACTION_COLUMNS})
    frame["date"] = pd.Series(dtype="datetime64[ns]")
    frame["current_target"] = pd.Series(dtype="float64")
    frame["prior_target"] = pd.Series(dtype="float64")
    return frame


def empty_fundamentals() -> pd.DataFrame:
    """A zero-row fundamentals frame with :data:`FUNDAMENTAL_COLUMNS` and their dtypes."""
    return pd.DataFrame({
        "metric": pd.Series(dtype=object),
        "freq": pd.Series(dtype=object),
        "period_end": pd.Series(dtype="datetime64[ns]"),
        "value": pd.Series(dtype="float64"),
        "currency": pd.Series(dtype=object),
    })


def _utc(value: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}: {value!r}")
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value!r}")
    return value.astimezone(dt.UTC)


def _valid_status(symbol: str, status: str) -> None:
    if status in ("ok", "missing") or status.startswith("error: "):
        return
    raise ValueError(
        f"status of {symbol!r} must be 'ok', 'missing' or 'error: <reason>', got {status!r}"
    )


@dataclass(frozen=True)
class FetchResult:
    """What one ``fetch_prices`` call returned.

    ``frame``: tidy prices (:data:`PRICE_COLUMNS`); ``status``: symbol → ``'ok'`` |
    ``'missing'`` | ``'error: <reason>'`` for every symbol asked; ``provider``: the
    provider's name; ``fetched_at``: UTC time of the fetch; ``error``: set when no symbol
    returned any data (with the reason); ``offline``: the network was unreachable.
    """

    frame: pd.DataFrame
    status: Mapping[str, str]
    provider: str
    fetched_at: dt.datetime
    error: str | None = None
    offline: bool = False

    def __post_init__(self) -> None:
        missing = [c for c in PRICE_COLUMNS if c not in self.frame.columns]
        if missing:
            raise ValueError(f"FetchResult.frame lacks columns {missing}")
        for sym, st in self.status.items():
            _valid_status(sym, st)
        object.__setattr__(self, "status", MappingProxyType(dict(self.status)))
        object.__setattr__(self, "fetched_at", _utc(self.fetched_at, "fetched_at"))

    @property
    def ok(self) -> bool:
        """True when every symbol asked came back ``'ok'``."""
        return all(s == "ok" for s in self.status.values())


@dataclass(frozen=True)
class AnalystData:
    """Analyst consensus and rating actions of one symbol as fetched at ``fetched_at``.

    ``consensus``: keys :data:`CONSENSUS_KEYS` (float or None) – an empty mapping when
    the source has no coverage; ``analyst_count``: number of opinions or None;
    ``currency``: the listing's *trading* currency the targets are quoted in;
    ``actions``: :data:`ACTION_COLUMNS` (target columns NaN when the source lacks them);
    ``status``: ``'ok'`` | ``'missing'`` (no coverage) | ``'error: <reason>'``.
    """

    symbol: str
    consensus: Mapping[str, float | None]
    analyst_count: int | None
    currency: str | None
    actions: pd.DataFrame
    status: str
    fetched_at: dt.datetime
    provider: str = "unknown"

    def __post_init__(self) -> None:
        check_symbol("symbol", self.symbol)
        unknown = set(self.consensus) - set(CONSENSUS_KEYS)
        if unknown:
            raise ValueError(
                f"consensus keys must be among {CONSENSUS_KEYS}, got {sorted(unknown)}")
        missing = [c for c in ACTION_COLUMNS if c not in self.actions.columns]
        if missing:
            raise ValueError(f"AnalystData.actions lacks columns {missing}")
        _valid_status(self.symbol, self.status)
        object.__setattr__(self, "consensus", MappingProxyType(dict(self.consensus)))
        object.__setattr__(self, "fetched_at", _utc(self.fetched_at, "fetched_at"))


def _dates(name: str, values: object) -> tuple[dt.date, ...]:
    """``values`` as an ascending tuple of distinct ``datetime.date`` (not datetimes)."""
    out = []
    for v in values:  # type: ignore[attr-defined]
        if not isinstance(v, dt.date) or isinstance(v, dt.datetime):
            raise TypeError(f"{name} must hold datetime.date values, got {v!r}")
        out.append(v)
    return tuple(sorted(set(out)))


def _optional_currency(field: str, value: object) -> None:
    if value is not None:
        check_currency(field, value)


@dataclass(frozen=True)
class ProfileData:
    """What a provider knows about one symbol, as fetched at ``fetched_at``.

    ``status``: ``'ok'`` | ``'missing'`` (the source does not know the symbol) |
    ``'error: <reason>'``; every other field is optional. ``currency`` is the trading
    currency in **major** units (ISO: ``'GBP'`` for a London line Yahoo quotes in pence,
    ``'GBp'``), ``quote_currency`` exactly what the source said; ``financial_currency``
    is the statements' currency (BABA: USD trading, CNY statements).
    ``shares_outstanding`` counts traded units of *this* listing (an ADR: ADSs, not
    ordinary shares). ``earnings_dates``: past earnings announcement dates known,
    ascending.
    """

    symbol: str
    status: str
    fetched_at: dt.datetime
    provider: str = "unknown"
    name: str | None = None
    quote_type: str | None = None
    exchange: str | None = None
    exchange_name: str | None = None
    currency: str | None = None
    quote_currency: str | None = None
    financial_currency: str | None = None
    country: str | None = None
    sector: str | None = None
    industry: str | None = None
    shares_outstanding: float | None = None
    earnings_dates: tuple[dt.date, ...] = ()

    def __post_init__(self) -> None:
        check_symbol("symbol", self.symbol)
        _valid_status(self.symbol, self.status)
        object.__setattr__(self, "fetched_at", _utc(self.fetched_at, "fetched_at"))
        _optional_currency("currency", self.currency)
        _optional_currency("financial_currency", self.financial_currency)
        if self.shares_outstanding is not None:
            shares = float(self.shares_outstanding)
            if not np.isfinite(shares) or shares <= 0:
                raise ValueError(f"shares_outstanding of {self.symbol!r} must be a positive "
                                 f"finite number, got {self.shares_outstanding!r}")
            object.__setattr__(self, "shares_outstanding", shares)
        object.__setattr__(self, "earnings_dates", _dates("earnings_dates",
                                                          self.earnings_dates))


@dataclass(frozen=True)
class FundamentalsData:
    """Statement figures of one symbol as fetched at ``fetched_at``.

    ``frame``: :data:`FUNDAMENTAL_COLUMNS`, one row per (metric, freq, period_end):
    ``metric`` in :data:`FUNDAMENTAL_METRICS`, ``freq`` ``'annual'`` | ``'quarterly'``,
    ``period_end`` naive ``datetime64[ns]``, ``value`` finite float64 (as reported, never
    filled in), ``currency`` the statements' ISO currency for money rows and ``'shares'``
    for ``ordinary_shares``. ``currency``: the statements' currency (financialCurrency) or
    None. ``status``: ``'ok'`` (some rows) | ``'missing'`` (no statements) |
    ``'error: <reason>'`` (the frame then holds what was fetched before the failure).
    ``earnings_dates``: past earnings announcement dates known, ascending.
    """

    symbol: str
    frame: pd.DataFrame
    currency: str | None
    status: str
    fetched_at: dt.datetime
    provider: str = "unknown"
    earnings_dates: tuple[dt.date, ...] = ()

    def __post_init__(self) -> None:
        check_symbol("symbol", self.symbol)
        _valid_status(self.symbol, self.status)
        object.__setattr__(self, "fetched_at", _utc(self.fetched_at, "fetched_at"))
        _optional_currency("currency", self.currency)
        frame = self.frame
        missing = [c for c in FUNDAMENTAL_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"FundamentalsData.frame lacks columns {missing}")
        bad = set(frame["metric"]) - set(FUNDAMENTAL_METRICS)
        if bad:
            raise ValueError(f"metric must be among {FUNDAMENTAL_METRICS}, got {sorted(bad)}")
        bad = set(frame["freq"]) - set(FUNDAMENTAL_FREQS)
        if bad:
            raise ValueError(f"freq must be among {FUNDAMENTAL_FREQS}, got {sorted(bad)}")
        if str(frame["period_end"].dtype) != "datetime64[ns]":
            raise ValueError("period_end must be naive datetime64[ns], got "
                             f"{frame['period_end'].dtype}")
        if frame["value"].dtype != np.float64 or not np.isfinite(frame["value"]).all():
            raise ValueError("value must be finite float64")
        for metric, unit in zip(frame["metric"], frame["currency"]):
            if metric == "ordinary_shares":
                if unit != SHARES_UNIT:
                    raise ValueError(f"ordinary_shares rows must have currency "
                                     f"{SHARES_UNIT!r}, got {unit!r}")
            else:
                check_currency("currency", unit)
        object.__setattr__(self, "earnings_dates", _dates("earnings_dates",
                                                          self.earnings_dates))


@runtime_checkable
class FundamentalsProvider(Protocol):
    """A source of symbol profiles and statement figures.

    Neither method raises for a per-symbol problem: it is reported in ``status``.
    A provider may implement this and :class:`PriceProvider` both.
    """

    name: str

    def fetch_profile(self, symbol: str) -> ProfileData: ...

    def fetch_fundamentals(self, symbol: str) -> FundamentalsData: ...


@runtime_checkable
class PriceProvider(Protocol):
    """A source of daily prices and analyst data.

    ``fetch_prices`` never raises for a per-symbol problem: it reports it in
    ``FetchResult.status``. It may raise :class:`~watchlists.errors.ProviderError` for a
    failure of the whole call. ``offline`` is True once the provider knows the network
    is unreachable (it then answers without calling out).
    """

    name: str

    def fetch_prices(
        self, symbols: Sequence[str], start: dt.date, end: dt.date
    ) -> FetchResult: ...

    def fetch_targets(self, symbol: str) -> AnalystData: ...


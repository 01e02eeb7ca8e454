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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import pandas as pd

from watchlists.records import check_symbol

__all__ = [
    "ACTION_COLUMNS",
    "CONSENSUS_KEYS",
    "PRICE_COLUMNS",
    "AnalystData",
    "FetchResult",
    "PriceProvider",
    "empty_actions",
    "empty_prices",
]

PRICE_COLUMNS: tuple[str, ...] = (
    "symbol", "date", "open", "high", "low", "close", "adj_close", "volume",
)
ACTION_COLUMNS: tuple[str, ...] = (
    "date", "firm", "to_grade", "from_grade", "action", "current_target", "prior_target",
)
CONSENSUS_KEYS: tuple[str, ...] = ("current", "high", "low", "mean", "median")


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


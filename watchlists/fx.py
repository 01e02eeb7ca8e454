"""FX rates: Yahoo pairs in, conversions out.

Conventions: a rate ``from→to`` is the number of ``to`` units per one ``from`` unit; the
stored pair name is ``from + to`` (``'USDCNY'``). Yahoo names a pair ``'<FROM><TO>=X'``
except when FROM is USD, where it is just ``'<TO>=X'``: ``CNY=X`` is USD→CNY (CNY per
USD), ``HKDUSD=X`` is HKD→USD, ``CNYHKD=X`` is CNY→HKD. Rates are stored in ``fx_rates``
dated by the provider's session date (Yahoo's FX sessions are Mon–Fri).

:func:`convert` uses the last rate on or before the date (so a weekend uses Friday's),
trying the direct pair, then the inverse pair, then a cross through USD; offline, or
when the store lacks the pair, the bundled ECB reference rates (every ECB business day
from 2015, 29 currencies; :func:`watchlists.profiles.ecb_reference_rates`) crossed
through EUR. Each quote carries its own date and source, so an old rate is never used
without saying so. A missing rate raises :class:`~watchlists.errors.DataQualityError`
naming both currencies and the date.

Cross-listings: one unit of a depositary listing holds ``shares_per_unit`` underlying
shares (1 BABA ADS = 8 ordinary 9988.HK shares). :func:`cross_listing_parity` gives the
price per underlying share in another currency::

    per_share_hkd = convert(ads_price_usd, "USD", "HKD", on, store=store) / 8
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from watchlists.errors import DataQualityError
from watchlists.providers import PriceProvider
from watchlists.store import Store

__all__ = ["FxQuote", "convert", "cross_listing_parity", "fx_quote", "fx_rate", "fx_symbol",
           "parse_fx_symbol",
           "refresh_fx"]

_PIVOT = "USD"


def _ccy(value: str, name: str) -> str:
    """A currency argument (any case) checked by the one currency rule."""
    from watchlists.records import check_currency

    return check_currency(name, value.upper() if isinstance(value, str) else value)


def fx_symbol(from_ccy: str, to_ccy: str) -> str:
    """Yahoo symbol of the pair quoting ``to_ccy`` per ``from_ccy`` (``USD,CNY → 'CNY=X'``)."""
    f, t = _ccy(from_ccy, "from_ccy"), _ccy(to_ccy, "to_ccy")
    if f == t:
        raise ValueError(f"from_ccy and to_ccy are both {f}: no FX pair needed")
    return f"{t}=X" if f == _PIVOT else f"{f}{t}=X"


def parse_fx_symbol(symbol: str) -> tuple[str, str]:
    """Inverse of :func:`fx_symbol`: ``'CNY=X' → ('USD', 'CNY')``."""
    s = symbol.upper()
    if not s.endswith("=X") or len(s) not in (5, 8):
        raise ValueError(f"{symbol!r} is not a Yahoo FX symbol like 'CNY=X' or 'HKDUSD=X'")
    body = s[:-2]
    return (_PIVOT, body) if len(body) == 3 else (body[:3], body[3:])


def _pair(p: str | tuple[str, str]) -> tuple[str, str]:
    if isinstance(p, tuple):
        return _ccy(p[0], "from_ccy"), _ccy(p[1], "to_ccy")
    if isinstance(p, str) and p.upper().endswith("=X"):
        return parse_fx_symbol(p)
    if isinstance(p, str) and len(p) == 6:
        return _ccy(p[:3], "from_ccy"), _ccy(p[3:], "to_ccy")
    raise ValueError(f"pair must be like 'USDCNY', ('USD', 'CNY') or 'CNY=X', got {p!r}")


def refresh_fx(
    pairs: Iterable[str | tuple[str, str]],
    *,
    store: Store,
    provider: PriceProvider | None,
    now: dt.datetime,
    full: bool = False,
    offline: bool = False,
    progress: Callable[[str], None] | None = None,
):
    """Fetch FX pairs incrementally into fx_rates, exactly as
    :func:`watchlists.market.refresh` fetches prices (same revision window and history
    depth; ``full``, ``offline`` and ``progress`` as there).

    Returns a :class:`watchlists.market.RefreshResult` keyed by the Yahoo FX symbol.
    """
    from watchlists.market import _refresh_with

    symbols = list(dict.fromkeys(fx_symbol(*_pair(p)) for p in pairs))

    def last_dates(syms: Sequence[str]) -> dict[str, pd.Timestamp | None]:
        frame = store.read_fx(["".join(parse_fx_symbol(s)) for s in syms])
        last = frame.groupby("pair")["date"].max()
        return {s: last.get("".join(parse_fx_symbol(s))) for s in syms}

    def write_one(frame: pd.DataFrame, source: str) -> tuple[int, int]:
        ccys = [parse_fx_symbol(s) for s in frame["symbol"]]
        rates = pd.DataFrame({
            "from_ccy": [c[0] for c in ccys], "to_ccy": [c[1] for c in ccys],
            "date": frame["date"].to_numpy(), "rate": frame["close"].to_numpy(),
        })
        before = len(store.read_fx(sorted({f + t for f, t in ccys})))
        n = store.upsert_fx(rates, source=source)
        after = len(store.read_fx(sorted({f + t for f, t in ccys})))
        return after - before, n - (after - before)

    def write(frame: pd.DataFrame, source: str, fetched_at: dt.datetime
              ) -> dict[str, tuple[int, int]]:
        return {str(sym): write_one(part, source)
                for sym, part in frame.groupby("symbol", sort=False)}

    return _refresh_with(symbols, store=store, provider=provider, now=now, full=full,
                         offline=offline, progress=progress, last_dates=last_dates,
                         write=write)


@dataclass(frozen=True)
class FxQuote:
    """An FX rate with its own date and source: ``rate`` units of ``to_ccy`` per
    ``from_ccy``, observed on ``date`` (on or before the day asked), from ``source``
    (``'store: <provider>'`` for a rate the provider or a user feed stored, or the bundled
    ECB reference rates)."""

    from_ccy: str
    to_ccy: str
    rate: float
    date: pd.Timestamp
    source: str

    @property
    def basis(self) -> str:
        """``'HKD/CNY 0.9102 of 2026-11-30 (ECB reference, bundled)'``."""
        return (f"{self.from_ccy}/{self.to_ccy} {self.rate:.6g} of {self.date.date()} "
                f"({self.source})")


_Hit = tuple[float, pd.Timestamp, str]


def _direct(store: Store, f: str, t: str, on: object) -> _Hit | None:
    hit = store.last_fx_quote(f, t, on)
    if hit is not None:
        return hit
    hit = store.last_fx_quote(t, f, on)
    if hit is not None:
        return 1.0 / hit[0], hit[1], hit[2]
    return None


def _from_store(store: Store, f: str, t: str, on: object) -> _Hit | None:
    """Direct, inverse, or a cross via USD (dated by its older leg)."""
    hit = _direct(store, f, t, on)
    if hit is None and _PIVOT not in (f, t):
        a, b = _direct(store, f, _PIVOT, on), _direct(store, _PIVOT, t, on)
        if a is not None and b is not None:
            sources = a[2] if a[2] == b[2] else f"{a[2]} and {b[2]}"
            hit = a[0] * b[0], min(a[1], b[1]), f"{sources}, cross via {_PIVOT}"
    return hit


def _from_ecb(f: str, t: str, on: object) -> tuple[float, pd.Timestamp] | None:
    """The bundled ECB reference rates (EUR → X, every ECB business day), crossed through
    EUR on the latest day on or before ``on`` that has both legs."""
    from watchlists.profiles import _ecb_wide

    wide = _ecb_wide()
    legs = []
    for c in (f, t):
        if c == "EUR":
            legs.append(None)
        elif c in wide.columns:
            legs.append(wide[c])
        else:
            return None
    known = wide.index <= pd.Timestamp(on)
    both = pd.concat([leg if leg is not None else pd.Series(1.0, index=wide.index)
                      for leg in legs], axis=1)[known].dropna()
    if both.empty:
        return None
    day = both.index[-1]
    return float(both.iloc[-1, 1] / both.iloc[-1, 0]), pd.Timestamp(day)


def fx_quote(from_ccy: str, to_ccy: str, on: dt.date, *, store: Store) -> FxQuote:
    """The latest rate on or before ``on`` with its date and source.

    From the store (filled by ``refresh``: direct, inverse, or a cross via USD) and the
    bundled ECB reference rates (crossed through EUR); the more recent wins, ties go to
    the store. Raises :class:`DataQualityError` naming the pair when neither has one.
    """
    f, t = _ccy(from_ccy, "from_ccy"), _ccy(to_ccy, "to_ccy")
    day = pd.Timestamp(on)
    if f == t:
        return FxQuote(f, t, 1.0, day, "same currency")
    stored, ecb = _from_store(store, f, t, on), _from_ecb(f, t, on)
    if stored is not None and (ecb is None or stored[1] >= ecb[1]):
        return FxQuote(f, t, stored[0], pd.Timestamp(stored[1]), f"store: {stored[2]}")
    if ecb is not None:
        return FxQuote(f, t, ecb[0], ecb[1], "ECB reference, bundled")
    raise DataQualityError(
        f"no FX rate from {f} to {t} on or before {day.date()} (tried {f}{t}, {t}{f}, a "
        f"cross via {_PIVOT} in the store and the bundled ECB reference rates); run "
        f"`watchlists refresh` online or add the pair {fx_symbol(f, t)}"
    )


def fx_rate(from_ccy: str, to_ccy: str, on: dt.date, *, store: Store) -> float:
    """Units of ``to_ccy`` per ``from_ccy`` from the latest rate on or before ``on``
    (see :func:`fx_quote` for where it comes from)."""
    return fx_quote(from_ccy, to_ccy, on, store=store).rate


def convert(amount, from_ccy: str, to_ccy: str, on: dt.date, *, store: Store):
    """``amount`` (scalar, ndarray or Series) in ``from_ccy`` → ``to_ccy`` on ``on``.

    Same currency → the amount unchanged. The input is not modified; a Series keeps its
    index and name.
    """
    rate = fx_rate(from_ccy, to_ccy, on, store=store)
    if isinstance(amount, pd.Series | pd.DataFrame):
        return amount * rate
    if isinstance(amount, np.ndarray):
        return np.asarray(amount, dtype="float64") * rate
    if isinstance(amount, list | tuple):
        return np.asarray(amount, dtype="float64") * rate
    return float(amount) * rate


def cross_listing_parity(price, from_listing_ccy: str, to_ccy: str, shares_per_unit: float,
                         on: dt.date, store: Store):
    """Price per *underlying share* in ``to_ccy`` of a unit priced ``price`` in
    ``from_listing_ccy`` holding ``shares_per_unit`` shares (BABA: USD ADS, 8 → HKD/share).
    """
    if not shares_per_unit or shares_per_unit <= 0:
        raise ValueError(f"shares_per_unit must be > 0, got {shares_per_unit!r}")
    return convert(price, from_listing_ccy, to_ccy, on, store=store) / shares_per_unit

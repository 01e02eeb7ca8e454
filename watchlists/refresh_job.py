"""The refresh job: one call that brings the store up to date for the given targets.

:func:`refresh_all` is what ``watchlists refresh``, ``watchlists report --refresh`` and
the example jobs run. It resolves its targets to Yahoo symbols, then, in order:

1. **prices** of every symbol (members, then the watchlists' benchmarks) —
   :func:`watchlists.market.refresh`;
2. **FX** rates of the pairs :func:`fx_pairs_for` derives from the currencies in play —
   :func:`watchlists.fx.refresh_fx`;
3. **analyst data** (:meth:`PriceProvider.fetch_targets` stored with
   :meth:`Store.upsert_analyst`) of every symbol that is a company's listing (indices,
   benchmarks and FX symbols have none) — skipped with ``analyst=False``, when the run
   is or went offline, or without a provider.

Partial failure is a value: every symbol and pair gets a row in
:attr:`RefreshReport.table` with its status, and one failing symbol never stops the
others. Only a caller mistake (an unknown target, a bad argument) raises, before any
call is made.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from watchlists import profiles
from watchlists.definitions import Watchlist, _is_path, bundled_watchlists, load_watchlist
from watchlists.errors import OfflineError
from watchlists.fx import _ccy, parse_fx_symbol, refresh_fx
from watchlists.market import _utc_now, refresh
from watchlists.providers import PriceProvider
from watchlists.store import Store

__all__ = ["TABLE_COLUMNS", "RefreshReport", "fx_pairs_for", "refresh_all"]

TABLE_COLUMNS: tuple[str, ...] = ("symbol", "kind", "status", "rows_added", "last_date")
"""Columns of :attr:`RefreshReport.table`."""

_PIVOT = "USD"


@dataclass(frozen=True)
class RefreshReport:
    """Outcome of :func:`refresh_all`.

    ``table`` has one row per symbol and step, in the order run, with the columns
    :data:`TABLE_COLUMNS`:

    - ``symbol``: the Yahoo symbol (an FX row carries the pair's Yahoo symbol, ``CNY=X``);
    - ``kind``: ``'price'``, ``'fx'`` or ``'analyst'`` (analyst rows only for the
      symbols whose analyst data was asked);
    - ``status``: ``'ok'``, ``'missing'`` (the source has no data; for analyst data: no
      coverage), ``'skipped: offline'`` or ``'error: <reason>'`` (``'error: offline
      (…)'`` once the network proved unreachable);
    - ``rows_added``: new rows stored (prices, rates, or consensus + rating actions);
    - ``last_date``: the last stored session (prices, FX) or the latest rating action
      (analyst), ``NaT`` when none.

    ``offline`` is True when no provider was given (an offline run) or the run went
    offline (DNS failure); ``provider`` is the provider's ``name`` (None offline);
    ``now`` is the run's UTC time.
    """

    table: pd.DataFrame
    offline: bool
    provider: str | None
    now: dt.datetime

    @property
    def failures(self) -> pd.DataFrame:
        """The rows that failed: an ``'error: …'`` anywhere, or a price or FX ``'missing'``.

        Not failures: ``'skipped: …'`` rows (an offline run asked for nothing, which
        :attr:`offline` says) and an analyst ``'missing'`` (no analyst covers it).
        """
        status = self.table["status"].astype(str)
        bad = status.str.startswith("error") | (
            (status == "missing") & (self.table["kind"] != "analyst"))
        return self.table[bad]

    @property
    def failed(self) -> int:
        """How many rows failed (see :attr:`failures`)."""
        return len(self.failures)

    @property
    def ok(self) -> bool:
        """True when the run was online and nothing :attr:`failed`."""
        return not self.offline and self.failed == 0

    @property
    def summary(self) -> str:
        """One line: ``'9 symbol(s), 3 FX pair(s), 8 analyst from yahoo: 0 failed'``."""
        kinds = self.table["kind"]
        via = "offline" if self.provider is None else f"from {self.provider}"
        went = " (went offline)" if self.offline and self.provider is not None else ""
        return (f"{int((kinds == 'price').sum())} symbol(s), {int((kinds == 'fx').sum())} FX "
                f"pair(s), {int((kinds == 'analyst').sum())} analyst {via}{went}: "
                f"{self.failed} failed")

    def _repr_html_(self) -> str:
        head = (f"<p>refresh at {html.escape(self.now.isoformat(timespec='seconds'))}: "
                f"{html.escape(self.summary)}</p>")
        return head + self.table._repr_html_()  # type: ignore[operator]


# --------------------------------------------------------------------------- FX pairs


def fx_pairs_for(
    listings: Iterable[tuple[str, str | None]],
    *,
    base_currencies: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """The FX pairs a refresh fetches so every currency in play converts to every other.

    ``listings`` holds one ``(listing currency, reporting currency or None)`` per listed
    company symbol; ``base_currencies`` the watchlists' base currencies. Pairs are
    ``(from, to)`` quoting ``to`` per ``from`` (see :mod:`watchlists.fx`). The rule:

    1. every currency in play other than USD, against USD as ``('USD', X)`` (Yahoo's
       ``X=X``), so any two convert through USD;
    2. for a listing whose currency and reporting currency are different and neither
       is USD, the direct pair ``(listing, reporting)`` (``HKDCNY=X`` for a Hong Kong
       listing reporting in CNY), so the snapshot converts revenue to the price
       currency without a cross; when both directions of such a pair are called for,
       only the one whose from-currency sorts first is kept.

    The result is de-duplicated and sorted, so the same currencies always ask the same
    pairs whatever the input order.

    >>> fx_pairs_for([("HKD", "CNY"), ("USD", "CNY"), ("CNY", "CNY")], base_currencies=["USD"])
    [('HKD', 'CNY'), ('USD', 'CNY'), ('USD', 'HKD')]
    """
    if isinstance(base_currencies, str):
        raise TypeError("base_currencies must be a sequence of currency codes, not a string")
    in_play: set[str] = {_ccy(c, "base_currencies") for c in base_currencies}
    direct: set[tuple[str, str]] = set()
    for item in listings:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError(
                f"listings must hold (listing currency, reporting currency) tuples, "
                f"got {item!r}")
        listed = _ccy(item[0], "listing currency")
        in_play.add(listed)
        if item[1] is None:
            continue
        reported = _ccy(item[1], "reporting currency")
        in_play.add(reported)
        if _PIVOT not in (listed, reported) and listed != reported:
            direct.add((listed, reported))
    pairs = {(_PIVOT, c) for c in in_play if c != _PIVOT}
    pairs |= {(f, t) for f, t in direct if (t, f) not in direct or f < t}
    return sorted(pairs)


def _reporting_currencies(company: str) -> list[str]:
    """Currencies of a company's bundled or user revenue facts, sorted."""
    revenue = profiles.facts(company, metric="revenue")
    return sorted({c for c in revenue["currency"] if isinstance(c, str)})


def _listing_currencies(symbols: Iterable[str]) -> list[tuple[str, str | None]]:
    """``(listing currency, reporting currency)`` per company listing among ``symbols``."""
    out: list[tuple[str, str | None]] = []
    for sym in symbols:
        try:
            comp, listing = profiles.listing(sym)
        except KeyError:  # an index, a benchmark or a non-company symbol
            continue
        reporting = _reporting_currencies(comp.slug)
        out.extend((listing.currency, r) for r in reporting)
        if not reporting:
            out.append((listing.currency, None))
    return out


# --------------------------------------------------------------------------- targets


class _Targets(NamedTuple):
    symbols: list[str]  # price symbols, in order, unique
    fx: list[tuple[str, str]]  # FX pairs asked for explicitly (``CNY=X``)
    watchlists: list[Watchlist]


def _is_fx(symbol: str) -> bool:
    try:
        parse_fx_symbol(symbol)
    except ValueError:
        return False
    return True


def _resolve(targets: Watchlist | Sequence[str | os.PathLike[str] | Watchlist]) -> _Targets:
    """Watchlists (objects, bundled names, TOML paths), company keys or Yahoo symbols →
    symbols to refresh. Unknown targets raise ``ValueError`` with close matches."""
    if isinstance(targets, Watchlist):
        targets = [targets]
    if isinstance(targets, str | bytes) or not isinstance(targets, Sequence):
        raise TypeError(
            "targets must be a Watchlist or a sequence of watchlist names, TOML paths, "
            f"companies or symbols (a list, even of one), got {targets!r}")
    symbols: list[str] = []
    fx: list[tuple[str, str]] = []
    lists: list[Watchlist] = []
    bundled = bundled_watchlists()
    for item in targets:
        if isinstance(item, Watchlist | os.PathLike):
            wl = item if isinstance(item, Watchlist) else load_watchlist(item)
        elif not isinstance(item, str):
            raise TypeError(f"each target must be a str, a path or a Watchlist, got {item!r}")
        elif item in bundled or _is_path(item):
            wl = load_watchlist(item)
        else:
            found = _company_symbols(item, bundled)
            if found is None:  # not a company: an FX pair or an index, still fetchable
                if _is_fx(item):
                    fx.append(parse_fx_symbol(item))
                else:
                    symbols.append(item)
            else:
                symbols.extend(found)
            continue
        lists.append(wl)
        symbols.extend(wl.price_symbols)
    return _Targets(list(dict.fromkeys(symbols)), list(dict.fromkeys(fx)), lists)


def _company_symbols(item: str, bundled: list[str]) -> list[str] | None:
    """The listings of company ``item`` (None for an index or FX symbol)."""
    try:
        comp = profiles.company(item)
    except KeyError as exc:
        if item.startswith("^") or "=" in item:
            return None
        close = difflib.get_close_matches(item[:100], bundled, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"{exc.args[0]} (nor a bundled watchlist{hint}: "
                         f"{', '.join(bundled)})") from None
    if not comp.listings:
        raise ValueError(f"{comp.name} is unlisted: there is no price to refresh")
    matching = [lst.symbol for lst in comp.listings if lst.symbol.upper() == item.upper()]
    return matching or [lst.symbol for lst in comp.listings]


# --------------------------------------------------------------------------- the job


def refresh_all(
    targets: Watchlist | Sequence[str | os.PathLike[str] | Watchlist],
    *,
    store: Store,
    provider: PriceProvider | None,
    now: dt.datetime,
    full: bool = False,
    analyst: bool = True,
    progress: Callable[[str], None] | None = None,
) -> RefreshReport:
    """Refresh prices, FX and analyst data of ``targets`` into ``store`` (see the module).

    Parameters
    ----------
    targets : Watchlist or sequence
        A :class:`~watchlists.Watchlist`, or a sequence of: bundled watchlist names, TOML
        paths or Watchlist objects (their listed members and benchmark), company keys
        (every listing; a listing's own symbol means that listing only), index symbols
        (``^GSPC``) and FX symbols (``CNY=X``, refreshed as an FX pair).
    store : Store
        Where rows are written.
    provider : PriceProvider or None
        The source; ``None`` is an offline run: no call, every row
        ``'skipped: offline'``.
    now : datetime
        The run's time (windows end on its exchange-local date).
    full : bool
        Re-download the whole history instead of the incremental window.
    analyst : bool
        Also fetch and store analyst consensus and rating actions.
    progress : callable, optional
        Receives a one-line message before each provider call.

    Returns
    -------
    RefreshReport

    Raises
    ------
    ValueError
        An unknown target (the message names close matches and the bundled
        watchlists) or an unlisted company; nothing is fetched then.
    DefinitionError
        A watchlist file is invalid.
    """
    now_utc = _utc_now(now)
    wanted = _resolve(targets)
    pairs = sorted({*fx_pairs_for(_listing_currencies(wanted.symbols),
                                  base_currencies=[wl.base_currency for wl in wanted.watchlists]),
                    *wanted.fx})
    asked_offline = provider is None
    went_offline = asked_offline
    parts: list[pd.DataFrame] = []
    if wanted.symbols:
        prices = refresh(wanted.symbols, store=store, provider=provider, now=now_utc,
                         full=full, offline=asked_offline, progress=progress)
        went_offline = went_offline or prices.offline
        parts.append(prices.table.assign(kind="price"))
    if pairs:
        fx = refresh_fx(pairs, store=store, provider=provider, now=now_utc,  # type: ignore[arg-type]
                        full=full, offline=went_offline, progress=progress)
        went_offline = went_offline or fx.offline
        parts.append(fx.table.assign(kind="fx"))
    if analyst and not went_offline and provider is not None:
        rows, analyst_offline = _refresh_analyst(
            [s for s in wanted.symbols if _is_listing(s)], store, provider, progress)
        went_offline = analyst_offline
        parts.append(pd.DataFrame(rows, columns=list(TABLE_COLUMNS)))
    return RefreshReport(table=_table(parts), offline=went_offline,
                         provider=None if provider is None else str(provider.name),
                         now=now_utc)


def _is_listing(symbol: str) -> bool:
    try:
        profiles.listing(symbol)
    except KeyError:
        return False
    return True


def _refresh_analyst(symbols: list[str], store: Store, provider: PriceProvider,
                     progress: Callable[[str], None] | None) -> tuple[list[dict], bool]:
    rows: list[dict] = []
    offline_reason: str | None = None
    for sym in symbols:
        row = {"symbol": sym, "kind": "analyst", "status": "", "rows_added": 0,
               "last_date": pd.NaT}
        rows.append(row)
        if offline_reason is None and getattr(provider, "offline", False):
            offline_reason = "error: offline (provider is offline)"
        if offline_reason is not None:
            row["status"] = offline_reason
            continue
        if progress is not None:
            progress(f"analyst data {sym}")
        try:
            data = provider.fetch_targets(sym)
        except OfflineError as exc:
            row["status"] = offline_reason = f"error: offline ({exc})"
            continue
        except Exception as exc:  # noqa: BLE001 - a provider breaking its contract fails one symbol
            row["status"] = f"error: {type(exc).__name__}: {exc}"
            continue
        row["status"] = data.status
        if data.status.startswith("error"):
            continue
        row["rows_added"] = store.upsert_analyst(data)
        dates = pd.to_datetime(data.actions["date"], errors="coerce")
        row["last_date"] = dates.max() if len(dates) else pd.NaT
    return rows, offline_reason is not None


def _table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p.reindex(columns=list(TABLE_COLUMNS)) for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({"symbol": pd.Series(dtype=object), "kind": pd.Series(dtype=object),
                             "status": pd.Series(dtype=object),
                             "rows_added": pd.Series(dtype="int64"),
                             "last_date": pd.Series(dtype="datetime64[ns]")})
    table = pd.concat(parts, ignore_index=True)
    table["rows_added"] = table["rows_added"].astype("int64")
    table["last_date"] = pd.to_datetime(table["last_date"]).astype("datetime64[ns]")
    return table

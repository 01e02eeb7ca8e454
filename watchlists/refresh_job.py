"""The refresh job: one call that brings the store up to date for the given targets.

:func:`refresh_all` is what ``watchlists refresh``, ``watchlists report --refresh`` and
the example jobs run. It resolves its targets to Yahoo symbols (any symbol on any
exchange: a member needs no profile of ours), then, in order:

1. **prices** of every symbol (members, then the watchlists' benchmarks) —
   :func:`watchlists.market.refresh`; the first call is also the offline probe;
2. **company data** of every member symbol (indices, benchmarks and FX symbols have
   none), in a bounded thread pool (the provider's ``max_workers``), stored from the
   main thread as each symbol completes:

   - its **profile** (name, exchange, currencies, sector, shares) when the provider has
     ``fetch_profile`` (:class:`~watchlists.providers.FundamentalsProvider`);
   - its **statements** when they are due (:func:`watchlists.fundamentals.fetch_due`: not
     on every daily run), each figure stored with the day it was public
     (:func:`watchlists.fundamentals.with_known_from`);
   - its **analyst data** (:meth:`PriceProvider.fetch_targets` stored with
     :meth:`Store.upsert_analyst`) — skipped with ``analyst=False``;

   all skipped when the run is or went offline, or without a provider;
3. **FX** rates of the pairs :func:`fx_pairs_for` derives from the currencies in play
   (bundled listings and facts, and the stored profiles' trading and statement
   currencies) — :func:`watchlists.fx.refresh_fx`.

Partial failure is a value: every symbol and pair gets a row in
:attr:`RefreshReport.table` with its status, and one failing symbol never stops the
others. Only a caller mistake (a bad argument, a company key of ours that is unlisted, a
broken watchlist file) raises, before any call is made.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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
    - ``kind``: ``'price'``, ``'profile'``, ``'fundamentals'``, ``'analyst'`` or
      ``'fx'`` (company rows only for member symbols, and only the kinds asked for and
      the provider offers);
    - ``status``: ``'ok'``, ``'missing'`` (the source has no data: for a price, the
      symbol is unknown there; for analyst data, no coverage; for statements, none
      published), ``'skipped: <why>'`` (offline, or statements not due yet) or
      ``'error: <reason>'`` (``'error: offline (…)'`` once the network proved
      unreachable);
    - ``rows_added``: new rows stored (prices, rates, a profile, statement figures, or
      consensus + rating actions);
    - ``last_date``: the last stored session (prices, FX), the latest statement period
      end (fundamentals) or the latest rating action (analyst), ``NaT`` when none.

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
        :attr:`offline` says; statements not due) and a company-data ``'missing'`` (no
        analyst covers it, no statements published: the price row says whether the
        symbol exists).
        """
        status = self.table["status"].astype(str)
        bad = status.str.startswith("error") | (
            (status == "missing") & self.table["kind"].isin(["price", "fx"]))
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
        """One line: ``'9 symbol(s), 3 FX pair(s), 8 analyst from yahoo: 0 failed'``
        (``8 profile(s), 2 statement fetch(es)`` join it when the provider offers them)."""
        kinds, status = self.table["kind"], self.table["status"].astype(str)
        via = "offline" if self.provider is None else f"from {self.provider}"
        went = " (went offline)" if self.offline and self.provider is not None else ""
        company = ""
        if (kinds == "profile").any():
            fetched = (kinds == "fundamentals") & ~status.str.startswith("skipped")
            company = (f", {int((kinds == 'profile').sum())} profile(s), "
                       f"{int(fetched.sum())} statement fetch(es)")
        return (f"{int((kinds == 'price').sum())} symbol(s), {int((kinds == 'fx').sum())} FX "
                f"pair(s), {int((kinds == 'analyst').sum())} analyst{company} {via}{went}: "
                f"{self.failed} failed")

    def _repr_html_(self) -> str:
        import html

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


def _listing_currencies(symbols: Iterable[str], store: Store | None = None
                        ) -> list[tuple[str, str | None]]:
    """``(listing currency, reporting currency)`` per company listing among ``symbols``:
    from our profiles and facts, and from the profiles stored in ``store`` (trading and
    statement currency), so a bare Yahoo symbol's currencies are in play too."""
    out: list[tuple[str, str | None]] = []
    syms = list(symbols)
    for sym in syms:
        try:
            comp, listing = profiles.listing(sym)
        except KeyError:  # an index, a benchmark, a bare symbol or a non-company symbol
            continue
        reporting = _reporting_currencies(comp.slug)
        out.extend((listing.currency, r) for r in reporting)
        if not reporting:
            out.append((listing.currency, None))
    if store is not None and syms:
        from watchlists.records import ISO_CURRENCIES

        stored = store.read_profiles(syms)
        for listed, reported in zip(stored["currency"], stored["financial_currency"],
                                    strict=True):
            if listed in ISO_CURRENCIES:
                out.append((listed, reported if reported in ISO_CURRENCIES else None))
    return out


# --------------------------------------------------------------------------- targets


class _Targets(NamedTuple):
    symbols: list[str]  # price symbols, in order, unique
    members: list[str]  # symbols with company data (listings and bare member symbols)
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
    symbols to refresh. A string that is none of ours is a Yahoo symbol (``MSFT``,
    ``7203.T``): the provider says whether it exists."""
    if isinstance(targets, Watchlist):
        targets = [targets]
    if isinstance(targets, str | bytes) or not isinstance(targets, Sequence):
        raise TypeError(
            "targets must be a Watchlist or a sequence of watchlist names, TOML paths, "
            f"companies or symbols (a list, even of one), got {targets!r}")
    symbols: list[str] = []
    members: list[str] = []
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
            if found is not None:
                symbols.extend(found)
                members.extend(found)
            elif _is_fx(item):
                fx.append(parse_fx_symbol(item))
            else:  # any Yahoo symbol: the provider says whether it exists
                symbols.append(item.upper())
                if not item.startswith("^"):
                    members.append(item.upper())
            continue
        lists.append(wl)
        symbols.extend(wl.price_symbols)
        members.extend(wl.symbols)
    return _Targets(list(dict.fromkeys(symbols)), list(dict.fromkeys(members)),
                    list(dict.fromkeys(fx)), lists)


def _company_symbols(item: str, bundled: list[str]) -> list[str] | None:
    """The listings of our company ``item``; None when it is none of ours (then it is a
    Yahoo symbol, an index or an FX pair). A malformed symbol raises ``ValueError``."""
    from watchlists.records import check_symbol

    try:
        comp = profiles.company(item)
    except KeyError as exc:
        if item.startswith("^") or "=" in item:
            return None
        import difflib

        close = difflib.get_close_matches(item[:100], bundled, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        ours = str(exc.args[0]) if exc.args else f"unknown company {item!r}"
        try:
            check_symbol("target", item)
        except ValueError as bad:
            raise ValueError(f"{bad}; it is none of our companies nor a bundled watchlist"
                             f"{hint} ({', '.join(bundled)})") from None
        # Written in lower case and close to one of ours: a typo, not a Yahoo ticker.
        if item != item.upper() and (close or "did you mean" in ours):
            raise ValueError(f"{ours} (nor a bundled watchlist{hint}: {', '.join(bundled)}); "
                             f"to refresh it as a Yahoo symbol, write {item.upper()!r}"
                             ) from None
        return None
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
    """Refresh prices, company data, analyst data and FX of ``targets`` into ``store``.

    Parameters
    ----------
    targets : Watchlist or sequence
        A :class:`~watchlists.Watchlist`, or a sequence of: bundled watchlist names, TOML
        paths or Watchlist objects (their listed members and benchmark), company keys
        (every listing; a listing's own symbol means that listing only), any Yahoo
        symbol (``MSFT``, ``7203.T``, ``OCDO.L``), index symbols (``^GSPC``) and FX
        symbols (``CNY=X``, refreshed as an FX pair).
    store : Store
        Where rows are written.
    provider : PriceProvider or None
        The source; ``None`` is an offline run: no call, every row
        ``'skipped: offline'``. Profiles and statements are fetched only when it also
        implements :class:`~watchlists.providers.FundamentalsProvider`.
    now : datetime
        The run's time (windows end on its exchange-local date).
    full : bool
        Re-download the whole price history, and the statements even when not due.
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
        A target that is neither ours nor a well-formed Yahoo symbol, or an unlisted
        company; nothing is fetched then.
    DefinitionError
        A watchlist file is invalid.
    """
    now_utc = _utc_now(now)
    wanted = _resolve(targets)
    asked_offline = provider is None
    went_offline = asked_offline
    parts: list[pd.DataFrame] = []
    if wanted.symbols:
        prices = refresh(wanted.symbols, store=store, provider=provider, now=now_utc,
                         full=full, offline=asked_offline, progress=progress)
        went_offline = went_offline or prices.offline
        parts.append(prices.table.assign(kind="price"))
    if not went_offline and provider is not None and wanted.members:
        rows, went_offline = _refresh_company(wanted.members, store, provider, now_utc,
                                              full=full, analyst=analyst, progress=progress)
        parts.append(pd.DataFrame(rows, columns=list(TABLE_COLUMNS)))
    pairs = sorted({*fx_pairs_for(_listing_currencies(wanted.symbols, store),
                                  base_currencies=[wl.base_currency for wl in wanted.watchlists]),
                    *wanted.fx})
    if pairs:
        fx = refresh_fx(pairs, store=store, provider=provider, now=now_utc,  # type: ignore[arg-type]
                        full=full, offline=went_offline, progress=progress)
        went_offline = went_offline or fx.offline
        parts.append(fx.table.assign(kind="fx"))
    return RefreshReport(table=_table(parts), offline=went_offline,
                         provider=None if provider is None else str(provider.name),
                         now=now_utc)


# --------------------------------------------------------------------------- company data


@dataclass
class _Fetched:
    """What one worker fetched for one symbol (stored later, from the main thread)."""

    symbol: str
    profile: Any = None
    fundamentals: Any = None
    fundamentals_skip: str = ""
    analyst: Any = None
    failures: dict[str, str] = field(default_factory=dict)  # kind -> 'error: ...'


def _guarded(kind: str, got: _Fetched, call: Callable[[], Any]) -> Any:
    """Run one provider call; a provider breaking its contract fails this kind only."""
    try:
        return call()
    except OfflineError as exc:
        got.failures[kind] = f"error: offline ({exc})"
    except Exception as exc:  # noqa: BLE001 - one symbol's failure is its status
        got.failures[kind] = f"error: {type(exc).__name__}: {exc}"
    return None


def _fetch_company(provider: Any, sym: str, *, company_data: bool, due: tuple[bool, str],
                   analyst: bool) -> _Fetched:
    got = _Fetched(sym)
    if company_data:
        got.profile = _guarded("profile", got, lambda: provider.fetch_profile(sym))
        if due[0] and "profile" not in got.failures and not getattr(provider, "offline", False):
            got.fundamentals = _guarded("fundamentals", got,
                                        lambda: provider.fetch_fundamentals(sym))
        elif not due[0]:
            got.fundamentals_skip = f"skipped: {due[1]}"
    if analyst and not getattr(provider, "offline", False):
        got.analyst = _guarded("analyst", got, lambda: provider.fetch_targets(sym))
    return got


def _refresh_company(symbols: list[str], store: Store, provider: PriceProvider,
                     now: dt.datetime, *, full: bool, analyst: bool,
                     progress: Callable[[str], None] | None) -> tuple[list[dict], bool]:
    """Profiles, statements (when due) and analyst data of ``symbols``: fetched in a
    bounded pool, stored here as each completes. Returns the rows and the offline flag."""
    from concurrent.futures import ThreadPoolExecutor

    from watchlists.fundamentals import fetch_due
    from watchlists.providers import FundamentalsProvider

    company_data = isinstance(provider, FundamentalsProvider)
    if not company_data and not analyst:
        return [], False
    last = store.fundamentals_fetches(symbols) if company_data else {}
    due = {s: (True, "full refresh") if full else fetch_due(last.get(s), now) for s in symbols}
    workers = max(1, int(getattr(provider, "max_workers", 4) or 1))
    what = "company" if company_data else "analyst"
    rows: list[dict] = []

    def job(sym: str) -> _Fetched:
        return _fetch_company(provider, sym, company_data=company_data, due=due[sym],
                              analyst=analyst)

    def stored(got: _Fetched) -> None:  # on the main thread: the store and progress
        if progress is not None:
            progress(f"{what} data {got.symbol}")
        rows.extend(_store_company(got, store, provider, company_data, analyst))

    # The first symbol alone: if the network is gone, the rest are not even tried.
    first = job(symbols[0])
    stored(first)
    rest = symbols[1:]
    if rest and not _went_offline(first, provider):
        with ThreadPoolExecutor(max_workers=min(workers, len(rest))) as pool:
            for got in pool.map(job, rest):
                stored(got)
    elif rest:
        reason = next((v for v in first.failures.values() if v.startswith("error: offline")),
                      "error: offline (provider is offline)")
        kinds = (["profile", "fundamentals"] if company_data else []) + (
            ["analyst"] if analyst else [])
        rows += [_row(sym, k, reason) for sym in rest for k in kinds]
    offline = any(str(r["status"]).startswith("error: offline") for r in rows)
    return rows, offline or bool(getattr(provider, "offline", False))


def _went_offline(got: _Fetched, provider: Any) -> bool:
    return bool(getattr(provider, "offline", False)) or any(
        v.startswith("error: offline") for v in got.failures.values())


def _row(sym: str, kind: str, status: str, added: int = 0, last: object = pd.NaT) -> dict:
    return {"symbol": sym, "kind": kind, "status": status, "rows_added": added,
            "last_date": last}


def _store_company(got: _Fetched, store: Store, provider: Any, company_data: bool,
                   analyst: bool) -> list[dict]:
    from watchlists import exchanges
    from watchlists.fundamentals import with_known_from

    sym, rows = got.symbol, []
    profile = got.profile
    if company_data:
        if "profile" in got.failures:
            rows.append(_row(sym, "profile", got.failures["profile"]))
        else:
            added = store.upsert_profile(profile) if profile.status == "ok" else 0
            rows.append(_row(sym, "profile", profile.status, added))
        data = got.fundamentals
        if got.fundamentals_skip:
            rows.append(_row(sym, "fundamentals", got.fundamentals_skip))
        elif "fundamentals" in got.failures:
            rows.append(_row(sym, "fundamentals", got.failures["fundamentals"]))
        elif data is None:
            rows.append(_row(sym, "fundamentals", "skipped: no profile"))
        else:
            frame = data.frame if data.status == "ok" else data.frame.iloc[0:0]
            if len(frame):
                known = {*getattr(data, "earnings_dates", ()),
                         *getattr(profile, "earnings_dates", ())}
                frame = with_known_from(
                    frame, earnings_dates=sorted(known),
                    lags=exchanges.reporting_lags(sym, getattr(profile, "country", None)),
                    fetched=data.fetched_at.date())
            # Recorded even when it failed or found nothing: that decides when it is due.
            added = store.upsert_fundamentals(
                sym, frame, source=str(getattr(data, "provider", provider.name)),
                fetched_at=data.fetched_at, status=data.status)
            last = pd.to_datetime(frame["period_end"]).max() if len(frame) else pd.NaT
            rows.append(_row(sym, "fundamentals", data.status, added, last))
    if analyst:
        data = got.analyst
        if "analyst" in got.failures:
            rows.append(_row(sym, "analyst", got.failures["analyst"]))
        elif data is None:
            rows.append(_row(sym, "analyst", "error: offline (provider is offline)"))
        elif data.status.startswith("error"):
            rows.append(_row(sym, "analyst", data.status))
        else:
            dates = pd.to_datetime(data.actions["date"], errors="coerce")
            rows.append(_row(sym, "analyst", data.status, store.upsert_analyst(data),
                             dates.max() if len(dates) else pd.NaT))
    return rows


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

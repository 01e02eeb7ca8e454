"""Incremental refresh of the store, and point-in-time price lookup with a fallback chain.

:func:`refresh` asks the provider only for what is new: from the last stored session minus
``revision_sessions`` exchange sessions (re-fetched to pick up late corrections) up to
today; a symbol never seen is fetched ``history_years`` back. Symbols with the same window
share one provider call; each call's rows are committed in one transaction, so a crash
loses nothing committed before, and two processes refreshing at once leave no duplicates
(rows are keyed by symbol and date).

:func:`latest_prices` answers "what is the price of X as of ``asof``" from, in order:
fresh store data → a Yahoo refresh (only online, with a provider, and when ``asof`` is
recent) → stale store data or a bundled reference close (the more recent of the two;
ties go to the store; both flagged stale if stale) → ``unavailable: <reason>``. Nothing
dated after ``asof`` is ever used.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from watchlists import calendars
from watchlists.errors import OfflineError, ProviderError
from watchlists.providers import FetchResult, PriceProvider
from watchlists.store import PriceField, Store

__all__ = ["RefreshResult", "latest_prices", "price_history", "refresh"]

logger = logging.getLogger(__name__)

_TABLE_COLUMNS = ["symbol", "status", "rows_added", "rows_updated", "last_date",
                  "requested_start"]
_RECENT_DAYS = 7  # a refresh is only attempted when asof is within this many days of now
_MAX_BATCH = 50
_RECENT_WINDOW_DAYS = 45  # latest_prices reads this far back before scanning all history


@dataclass(frozen=True)
class RefreshResult:
    """Outcome of :func:`refresh`: one row per symbol in ``table`` (columns symbol, status,
    rows_added, rows_updated, last_date, requested_start); ``offline`` when the run was or
    went offline; ``ok`` when every symbol's status is ``'ok'``."""

    table: pd.DataFrame
    offline: bool
    now: dt.datetime

    @property
    def ok(self) -> bool:
        return bool((self.table["status"] == "ok").all())

    @property
    def status(self) -> dict[str, str]:
        return dict(zip(self.table["symbol"], self.table["status"]))

    def _repr_html_(self) -> str:
        return self.table._repr_html_()  # type: ignore[operator]


def _utc_now(now: dt.datetime) -> dt.datetime:
    if not isinstance(now, dt.datetime):
        raise TypeError(f"now must be a datetime, got {type(now).__name__}: {now!r}")
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)


def refresh(
    symbols: Sequence[str],
    *,
    store: Store,
    provider: PriceProvider | None,
    now: dt.datetime,
    full: bool = False,
    revision_sessions: int = 5,
    history_years: int = 10,
    offline: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RefreshResult:
    """Bring the stored prices of ``symbols`` up to ``now`` (see the module docs).

    ``full=True`` re-downloads ``history_years``; ``offline=True`` (or ``provider=None``)
    makes no call and reports every symbol ``'skipped: offline'``. ``progress`` receives a
    one-line message per provider call.
    """
    return _refresh_with(
        symbols, store=store, provider=provider, now=now, full=full,
        revision_sessions=revision_sessions, history_years=history_years, offline=offline,
        progress=progress, last_dates=store.last_dates,
        write=lambda frame, source, fetched_at: store.merge_prices(
            frame, source=source, fetched_at=fetched_at),
    )


def _refresh_with(
    symbols: Sequence[str],
    *,
    store: Store,
    provider: PriceProvider | None,
    now: dt.datetime,
    full: bool,
    revision_sessions: int,
    history_years: int,
    offline: bool,
    progress: Callable[[str], None] | None,
    last_dates: Callable[[Sequence[str]], dict],
    write: Callable[[pd.DataFrame, str, dt.datetime], tuple[int, int]],
) -> RefreshResult:
    if isinstance(symbols, str):
        raise TypeError("symbols must be a sequence of symbols, not a single string")
    if not isinstance(revision_sessions, int) or revision_sessions < 0:
        raise ValueError(f"revision_sessions must be an int >= 0, got {revision_sessions!r}")
    if not isinstance(history_years, int) or history_years < 1:
        raise ValueError(f"history_years must be an int >= 1, got {history_years!r}")
    now_utc = _utc_now(now)
    syms = list(dict.fromkeys(symbols))
    last = last_dates(syms)
    rows: dict[str, dict] = {}
    windows: dict[tuple[dt.date, dt.date], list[str]] = {}
    for sym in syms:
        tz = calendars.exchange_timezone(sym)
        today = pd.Timestamp(now_utc).tz_convert(tz).date()
        end = today + dt.timedelta(days=1)  # exclusive: today's bar included if any
        if full or last.get(sym) is None:
            start = (pd.Timestamp(today) - pd.DateOffset(years=history_years)).date()
        else:
            start = calendars.sessions_back(sym, last[sym], revision_sessions).date()
        rows[sym] = {"symbol": sym, "status": "pending", "rows_added": 0, "rows_updated": 0,
                     "last_date": last.get(sym), "requested_start": pd.Timestamp(start)}
        windows.setdefault((start, end), []).append(sym)

    went_offline = bool(offline or provider is None)
    skip_reason = "skipped: offline" if offline else "skipped: no provider"
    for (start, end), group in windows.items():
        for i in range(0, len(group), _MAX_BATCH):
            batch = group[i:i + _MAX_BATCH]
            if not went_offline and getattr(provider, "offline", False):
                went_offline = True
                skip_reason = "error: offline (provider is offline)"
            if went_offline:
                for sym in batch:
                    rows[sym]["status"] = skip_reason
                continue
            if progress is not None:
                progress(f"fetching {len(batch)} symbol(s) {start} .. {end}")
            result, failure = _fetch(provider, batch, start, end)  # type: ignore[arg-type]
            if failure is not None:
                for sym in batch:
                    rows[sym]["status"] = failure
                if failure.startswith("error: offline"):
                    went_offline, skip_reason = True, failure
                continue
            _write_batch(result, batch, rows, store, write, start, end)
            if result.offline or getattr(provider, "offline", False):
                went_offline = True
                skip_reason = next((s for s in result.status.values()
                                    if s.startswith("error: offline")),
                                   "error: offline (provider is offline)")
    table = pd.DataFrame([rows[s] for s in syms], columns=_TABLE_COLUMNS)
    table["last_date"] = pd.to_datetime(table["last_date"]).astype("datetime64[ns]")
    table["requested_start"] = pd.to_datetime(table["requested_start"]).astype("datetime64[ns]")
    return RefreshResult(table=table, offline=went_offline, now=now_utc)


def _fetch(provider: PriceProvider, batch: list[str], start: dt.date, end: dt.date
           ) -> tuple[FetchResult | None, str | None]:
    try:
        return provider.fetch_prices(batch, start, end), None
    except OfflineError as exc:
        return None, f"error: offline ({exc})"
    except ProviderError as exc:
        return None, f"error: {exc}"
    except Exception as exc:  # noqa: BLE001 - a provider breaking its contract fails its batch only
        return None, f"error: {type(exc).__name__}: {exc}"


def _write_batch(result: FetchResult, batch: list[str], rows: dict, store: Store,
                 write, start: dt.date, end: dt.date) -> None:
    started = dt.datetime.now(dt.UTC)
    frame = result.frame
    frame = frame[frame["symbol"].isin(batch)]
    for sym in batch:
        rows[sym]["status"] = result.status.get(sym, "missing")
    # One transaction per symbol-batch: a failure here leaves earlier batches committed.
    added_by: dict[str, tuple[int, int]] = {}
    for sym, part in frame.groupby("symbol", sort=False):
        added_by[str(sym)] = write(part, result.provider, result.fetched_at)
    for sym, (added, updated) in added_by.items():
        rows[sym]["rows_added"] = added
        rows[sym]["rows_updated"] = updated
        rows[sym]["last_date"] = max(
            [d for d in (rows[sym]["last_date"], frame.loc[frame["symbol"] == sym, "date"].max())
             if d is not None and not pd.isna(d)],
            default=None,
        )
    store.log_fetch(provider=result.provider, symbols=batch, start=start, end=end,
                    rows=len(frame), status=result.status, started_at=started)


# --------------------------------------------------------------------------- lookups


def _listing_currency(symbol: str) -> str | None:
    """Trading currency from ``watchlists.profiles.listing`` if that module is available."""
    try:
        from watchlists import profiles  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        _company, listing = profiles.listing(symbol)
    except (KeyError, LookupError, ValueError):
        return None
    return getattr(listing, "currency", None)


def _reference_closes(symbols: Sequence[str]) -> pd.DataFrame:
    """Bundled reference quotes of kind 'close' for ``symbols`` (empty if unavailable)."""
    cols = ["symbol", "date", "value", "currency", "source_url", "note"]
    try:
        from watchlists import profiles  # type: ignore[attr-defined]
    except ImportError:
        return pd.DataFrame(columns=cols)
    frame = profiles.reference_quotes()
    frame = frame[(frame["kind"] == "close") & frame["symbol"].isin(list(symbols))]
    return frame.reindex(columns=cols)


def latest_prices(
    symbols: Sequence[str],
    asof: dt.date,
    *,
    store: Store,
    provider: PriceProvider | None = None,
    offline: bool = False,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """One row per symbol: symbol, price, price_date, currency, source, stale, status, note.

    ``source`` ∈ {'store', 'yahoo', 'reference', 'unavailable'}; ``status`` ∈ {'ok',
    'stale', 'unavailable: <reason>'}. ``now`` defaults to the end of ``asof`` in each
    exchange's zone (point in time) and is capped there, so staleness is judged as of
    ``asof``. A Yahoo refresh is tried only for symbols whose store data is missing or
    stale, when online with a provider and ``asof`` is within a week of ``now``.
    """
    if isinstance(symbols, str):
        raise TypeError("symbols must be a sequence of symbols, not a single string")
    syms = list(dict.fromkeys(symbols))
    asof_ts = pd.Timestamp(asof).normalize()
    judge_at = {}
    for sym in syms:
        eod = calendars.end_of_day(sym, asof_ts)
        judge_at[sym] = eod if now is None else min(eod, pd.Timestamp(_utc_now(now)))

    def from_store() -> dict[str, tuple[pd.Timestamp, float]]:
        # The last close on or before asof: look at recent weeks first (the daily
        # path), and scan the whole history only for symbols with nothing recent.
        found: dict[str, tuple[pd.Timestamp, float]] = {}
        for start in (asof_ts - pd.Timedelta(days=_RECENT_WINDOW_DAYS), None):
            todo = [s for s in syms if s not in found]
            if not todo:
                break
            frame = store.read_prices(todo, start=start, end=asof_ts)
            last = frame.dropna(subset=["close"]).groupby("symbol").tail(1)
            found.update({r.symbol: (r.date, float(r.close)) for r in last.itertuples()})
        return found

    stored = from_store()
    fresh = {s for s, (d, _) in stored.items() if not calendars.is_stale(s, d, judge_at[s])}
    refreshed: set[str] = set()
    refresh_note = ""
    need = [s for s in syms if s not in fresh]
    recent = now is not None and (pd.Timestamp(_utc_now(now)).tz_localize(None).normalize()
                                  - asof_ts) <= pd.Timedelta(days=_RECENT_DAYS)
    if need and provider is not None and not offline and recent:
        result = refresh(need, store=store, provider=provider, now=_utc_now(now))  # type: ignore[arg-type]
        if result.offline:
            refresh_note = "refresh failed: offline"
        stored = from_store()
        for s in need:
            if s in stored and not calendars.is_stale(s, stored[s][0], judge_at[s]):
                refreshed.add(s)
    elif need and offline:
        refresh_note = "offline: no refresh"

    refs = _reference_closes(syms) if any(s not in fresh | refreshed for s in syms) else None
    out = []
    for sym in syms:
        row = {"symbol": sym, "price": float("nan"), "price_date": pd.NaT,
               "currency": _listing_currency(sym), "source": "unavailable", "stale": False,
               "status": "", "note": ""}
        if sym in fresh or sym in refreshed:
            d, p = stored[sym]
            via = getattr(provider, "name", "provider")
            row.update(price=p, price_date=d, source=via if sym in refreshed else "store",
                       status="ok", note=f"refreshed from {via}" if sym in refreshed else "")
            out.append(row)
            continue
        candidates = []
        if sym in stored:
            d, p = stored[sym]
            candidates.append((d, 1, p, "store", None, ""))
        if refs is not None and len(refs):
            mine = refs[(refs["symbol"] == sym)
                        & (pd.to_datetime(refs["date"]) <= asof_ts)].copy()
            if len(mine):
                mine["date"] = pd.to_datetime(mine["date"])
                r = mine.sort_values("date").iloc[-1]
                note = f"reference close ({r['source_url']})" if pd.notna(r["source_url"]) else \
                    "reference close"
                candidates.append((pd.Timestamp(r["date"]).normalize(), 0, float(r["value"]),
                                   "reference", r["currency"], note))
        if candidates:
            d, _, p, source, ccy, note = max(candidates, key=lambda c: (c[0], c[1]))
            stale = calendars.is_stale(sym, d, judge_at[sym])
            last_session = calendars.last_completed_session(sym, judge_at[sym]).date()
            notes = [n for n in (note, refresh_note) if n]
            if stale:
                notes.append(f"last price is from {d.date()}, last completed session "
                             f"{last_session}; run `watchlists refresh` online")
            row.update(price=p, price_date=d, source=source, stale=stale,
                       status="stale" if stale else "ok", note="; ".join(notes))
            if row["currency"] is None and isinstance(ccy, str):
                row["currency"] = ccy
        else:
            reason = f"no price on or before {asof_ts.date()}"
            row.update(status=f"unavailable: {reason}",
                       note="; ".join(n for n in (refresh_note,) if n))
        out.append(row)
    frame = pd.DataFrame(out, columns=["symbol", "price", "price_date", "currency", "source",
                                       "stale", "status", "note"])
    frame["price_date"] = pd.to_datetime(frame["price_date"]).astype("datetime64[ns]")
    frame["price"] = frame["price"].astype("float64")
    frame["stale"] = frame["stale"].astype(bool)
    return frame


def price_history(
    symbols: Sequence[str],
    asof: dt.date,
    *,
    store: Store,
    years: int = 1,
    field: PriceField = "close",
) -> pd.DataFrame:
    """Wide ``field`` prices (dates × symbols) for ``years`` up to ``asof`` (inclusive)."""
    if not isinstance(years, int | float) or years <= 0:
        raise ValueError(f"years must be > 0, got {years!r}")
    end = pd.Timestamp(asof).normalize()
    start = end - pd.DateOffset(days=round(365.25 * years))
    return store.price_table(list(symbols), start=start, end=end, field=field)

"""Incremental refresh of the store, and point-in-time price lookup with a fallback chain.

:func:`refresh` asks the provider only for what is new: from the last stored session minus
``revision_sessions`` exchange sessions (re-fetched to pick up late corrections) up to
today; a symbol never seen is fetched ``history_years`` back. Symbols with the same window
share one provider call; each call's rows are committed in one transaction, so a crash
loses nothing committed before, and two processes refreshing at once leave no duplicates
(rows are keyed by symbol and date).

:func:`latest_prices` answers "what is the price of X as of ``asof``" by reading only:
the store's last close or a sourced reference close (bundled or user data), the more
recent of the two (ties go to the store), flagged stale if stale, else
``unavailable: <reason>``. It never fetches: refreshing is a separate, explicit step.
Nothing dated after ``asof`` is ever used.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
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
            frame, source=source, fetched_at=fetched_at).by_symbol,
    )


def _refresh_with(
    symbols: Sequence[str],
    *,
    store: Store,
    provider: PriceProvider | None,
    now: dt.datetime,
    full: bool,
    offline: bool,
    progress: Callable[[str], None] | None,
    last_dates: Callable[[Sequence[str]], dict],
    revision_sessions: int = 5,
    history_years: int = 10,
    write: Callable[[pd.DataFrame, str, dt.datetime], Mapping[str, tuple[int, int]]],
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
    # One write per provider batch (one transaction: a failure here leaves earlier
    # batches committed); the writer returns (added, updated) per symbol.
    added_by: dict[str, tuple[int, int]] = {}
    if not frame.empty:
        added_by = dict(write(frame, result.provider, result.fetched_at))
        last_by = frame.groupby("symbol", sort=False)["date"].max()
    for sym, (added, updated) in added_by.items():
        rows[sym]["rows_added"] = added
        rows[sym]["rows_updated"] = updated
        rows[sym]["last_date"] = max(
            [d for d in (rows[sym]["last_date"], last_by.get(sym))
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
    """Sourced reference quotes of kind 'close' for ``symbols`` (bundled and user data),
    with their ``origin`` ('bundled' or 'user'); empty if unavailable."""
    cols = ["symbol", "date", "value", "currency", "source_url", "note", "origin"]
    try:
        from watchlists import profiles  # type: ignore[attr-defined]
    except ImportError:
        return pd.DataFrame(columns=cols)
    frame = profiles.reference_quotes()
    frame = frame[(frame["kind"] == "close") & frame["symbol"].isin(list(symbols))]
    return frame.reindex(columns=cols)


PRICE_COLUMNS: tuple[str, ...] = ("symbol", "price", "price_date", "currency", "source",
                                  "source_url", "stale", "status", "note")
"""Columns of :func:`latest_prices`."""


def latest_prices(
    symbols: Sequence[str],
    asof: dt.date,
    *,
    store: Store,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """The last known price of each symbol on or before ``asof``; reads, never fetches.

    Candidates are the last stored close on or before ``asof`` and the latest sourced
    reference close (bundled or user data) on or before it; the more recent wins, ties
    go to the store. Nothing dated after ``asof`` is used. To bring the store up to
    date, refresh first (:func:`watchlists.refresh_all`).

    Returns one row per symbol with the columns of :data:`PRICE_COLUMNS`:

    - ``source``: where the price really came from: the provider name the store
      recorded for that row (e.g. ``'yahoo'``), ``'bundled'`` or ``'user'`` for a
      reference quote, ``'unavailable'`` when there is none;
    - ``source_url``: the reference quote's URL(s) (None for stored prices);
    - ``stale``: older than the exchange's last completed session at ``asof``
      (judged at the end of ``asof`` in the exchange's zone, or at ``now`` if earlier);
    - ``status``: ``'ok'``, ``'stale'`` or ``'unavailable: <reason>'``; ``note`` says why.
    """
    if isinstance(symbols, str):
        raise TypeError("symbols must be a sequence of symbols, not a single string")
    syms = list(dict.fromkeys(symbols))
    asof_ts = pd.Timestamp(asof).normalize()
    judge_at = {}
    for sym in syms:
        eod = calendars.end_of_day(sym, asof_ts)
        judge_at[sym] = eod if now is None else min(eod, pd.Timestamp(_utc_now(now)))

    # The last close on or before asof: look at recent weeks first (the daily path),
    # and scan the whole history only for symbols with nothing recent.
    stored: dict[str, tuple[pd.Timestamp, float, str]] = {}
    for start in (asof_ts - pd.Timedelta(days=_RECENT_WINDOW_DAYS), None):
        todo = [s for s in syms if s not in stored]
        if not todo:
            break
        frame = store.read_prices(todo, start=start, end=asof_ts)
        last = frame.dropna(subset=["close"]).groupby("symbol").tail(1)
        stored.update({r.symbol: (r.date, float(r.close), str(r.source))
                       for r in last.itertuples()})
    # Trading currency: our listing's, else the provider profile stored for the symbol
    # (already in major units: pence-quoted London lines are stored in GBP).
    stored_ccy = {str(r.symbol).upper(): r.currency
                  for r in store.read_profiles(syms).itertuples() if isinstance(r.currency, str)}
    refs = _reference_closes(syms)
    refs = refs[pd.to_datetime(refs["date"]) <= asof_ts].copy()
    refs["date"] = pd.to_datetime(refs["date"])
    refs = refs.sort_values("date", kind="stable").groupby("symbol").tail(1).set_index("symbol")
    out = []
    for sym in syms:
        row = {"symbol": sym, "price": float("nan"), "price_date": pd.NaT,
               "currency": _listing_currency(sym) or stored_ccy.get(sym.upper()),
               "source": "unavailable", "source_url": None,
               "stale": False, "status": "", "note": ""}
        candidates = []
        if sym in stored:
            d, p, origin = stored[sym]
            candidates.append((d, 1, p, origin, None, None, f"stored {origin} close"))
        if sym in refs.index:
            r = refs.loc[sym]
            url = r["source_url"] if isinstance(r["source_url"], str) else None
            candidates.append((pd.Timestamp(r["date"]).normalize(), 0, float(r["value"]),
                               str(r["origin"]), r["currency"], url,
                               f"{r['origin']} reference close"))
        if candidates:
            d, _, p, source, ccy, url, note = max(candidates, key=lambda c: (c[0], c[1]))
            stale = calendars.is_stale(sym, d, judge_at[sym])
            notes = [note]
            if stale:
                last_session = calendars.last_completed_session(sym, judge_at[sym]).date()
                notes.append(f"last price is from {d.date()}, last completed session "
                             f"{last_session}; run `watchlists refresh` online")
            row.update(price=p, price_date=d, source=source, source_url=url, stale=stale,
                       status="stale" if stale else "ok", note="; ".join(notes))
            if row["currency"] is None and isinstance(ccy, str):
                row["currency"] = ccy
        else:
            row["status"] = f"unavailable: no price on or before {asof_ts.date()}"
        out.append(row)
    frame = pd.DataFrame(out, columns=list(PRICE_COLUMNS))
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

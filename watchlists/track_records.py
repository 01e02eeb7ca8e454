"""Analyst target track record: every dated price target we know, scored against the
prices that followed it, per broker and per company.

``track_record(targets_of, asof=...)`` only *reads*: the bundled and user sourced
targets (:func:`watchlists.profiles.targets`), the rating actions with a price target
that ``refresh`` stored (Yahoo's upgrades/downgrades, with their date and firm), and
the stored daily prices. It never fetches. The maths is
:func:`valuation.track_record.score_targets` and :func:`valuation.track_record.aggregate`;
their docstrings (and ``docs/track-record.md``) define the window, the touch rule and
every column.

Point in time: only targets published on or before ``asof`` and prices dated on or
before it are used, so the record as of a date does not change when later data is
stored. Currencies: a target is only compared with prices of the same currency; a
target quoted in another currency than the listing trades in is left out, with a
warning.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._display import MISSING, date_text, num, pct, text
from ._display import md_escape as _md_escape
from ._display import md_table as _md_table
from .definitions import Member, Watchlist
from .snapshots import HIGH_MIN_COVERAGE, _Highs, _utc, parse_asof

__all__ = ["TRACK_COLUMNS", "WARNING_COLUMNS", "TrackRecord", "main_headers", "main_rows",
           "to_html", "to_markdown", "track_record"]

_SOURCE_COLUMNS: tuple[str, ...] = (
    "company", "symbol", "broker", "rating", "kind", "target", "min_upside", "reference",
    "reference_value", "currency", "published", "previous_target", "source", "source_url",
    "confidence",
)

TRACK_COLUMNS: tuple[str, ...] = (
    *_SOURCE_COLUMNS, "level", "direction", "p0", "p0_date", "horizon_end", "window_end",
    "sessions", "touch_basis", "touched", "touch_date", "days_to_touch", "price_at_horizon",
    "horizon_price_date", "error_at_horizon", "return_at_horizon", "mfe", "mae", "status",
)
"""Columns of :attr:`TrackRecord.targets`: the target as sourced (``source`` is
``bundled``, ``user`` or the provider, e.g. ``yahoo``; ``reference_value`` the price a
min-upside claim refers to) and its score (see
:func:`valuation.track_record.score_targets`)."""

WARNING_COLUMNS: tuple[str, ...] = ("symbol", "broker", "message")
"""Columns of :attr:`TrackRecord.warnings`: the symbol and broker concerned (None when
the warning is about more than one) and what was left out or unresolved."""



@dataclass(frozen=True)
class TrackRecord:
    """How analysts' price targets fared, as of a date (see :func:`track_record`).

    Attributes
    ----------
    asof : datetime.date
        Point in time: nothing published or priced later was used.
    horizon : str
        The horizon each target was given (``"12m"``).
    min_scored : int
        Brokers and companies with fewer scored targets are flagged.
    symbols : tuple of str
        The listings looked at.
    targets : pandas.DataFrame
        Every dated target known at ``asof`` for those listings, one row each, columns
        :data:`TRACK_COLUMNS`, sorted by symbol, published date and broker.
    by_broker, by_company : pandas.DataFrame
        :func:`valuation.track_record.aggregate` of ``targets`` by ``broker`` and by
        ``company`` (the slug; the symbol for a listing without a profile of ours).
    warnings : pandas.DataFrame
        What was left out and why, columns :data:`WARNING_COLUMNS`.
    """

    asof: dt.date
    horizon: str
    min_scored: int
    symbols: tuple[str, ...]
    targets: pd.DataFrame = field(repr=False)
    by_broker: pd.DataFrame = field(repr=False)
    by_company: pd.DataFrame = field(repr=False)
    warnings: pd.DataFrame = field(repr=False)

    def _repr_html_(self) -> str:
        return to_html(self, chart=False)


# --------------------------------------------------------------------------- inputs


def _listings(targets_of: Any) -> list[str]:
    """Watchlists (objects, bundled names, TOML paths), company keys or symbols → the
    listings whose targets are scored (the refresh job's one resolution rule)."""
    from .refresh_job import _resolve

    if isinstance(targets_of, str | os.PathLike):
        targets_of = [targets_of]
    return list(_resolve(targets_of).members)


def _company_and_currency(symbol: str, stored: dict[str, dict[str, Any]]
                          ) -> tuple[str | None, str | None]:
    """``(company slug or None, trading currency or None)`` of a listing: our profile
    first, else the profile ``refresh`` stored."""
    from . import profiles

    try:
        comp, lst = profiles.listing(symbol)
    except KeyError:
        ccy = (stored.get(symbol.upper()) or {}).get("currency")
        return None, ccy if isinstance(ccy, str) and ccy else None
    return comp.slug, lst.currency


def _high_before(symbol: str, highs: pd.DataFrame, closes: pd.DataFrame, t0: pd.Timestamp
                 ) -> float:
    """The 52-week high to ``t0`` by the snapshot's rule (``snapshots._high_52w``: stored
    highs, or closes, on at least ``HIGH_MIN_COVERAGE`` of the exchange's sessions);
    else NaN."""
    if symbol not in closes.columns:
        return float("nan")
    stored = _Highs(highs, closes, [symbol], t0)
    try:
        covered, sessions = stored.covered_sessions(symbol, t0)
    except (KeyError, ValueError):
        return float("nan")
    if not sessions or covered / sessions < HIGH_MIN_COVERAGE:
        return float("nan")
    return float(stored.top[0])


def _rows_for(symbol: str, company: str | None, currency: str | None, sourced: pd.DataFrame,
              actions: pd.DataFrame, warn: Any) -> pd.DataFrame:
    """Sourced and stored-provider targets of one listing, deduplicated, as raw rows."""
    from ._snapshot_targets import _provider_targets

    t = sourced[sourced["symbol"].str.upper() == symbol.upper()].copy()
    t["source"] = t["origin"]
    notes: list[str] = []
    member = Member(key=symbol, company=company, symbol=symbol)
    extra = _provider_targets(member, actions, currency, t, notes)
    for note in notes:
        warn(note, symbol=symbol)
    if len(extra):
        t = pd.concat([t.astype(object), extra.astype(object)], ignore_index=True)
    return t


def _read(symbols: list[str], day: dt.date, store: Any) -> tuple[pd.DataFrame, dict, Any]:
    stored = store.read_profiles(symbols)
    by_symbol = {str(r["symbol"]).upper(): r for r in stored.to_dict("records")}
    try:
        actions = store.read_actions(symbols, asof=pd.Timestamp(day))
    except Exception as exc:  # noqa: BLE001 - an old or partial store must not sink the record
        return pd.DataFrame(), by_symbol, f"stored analyst actions unreadable ({exc})"
    return actions, by_symbol, None


def track_record(
    targets_of: Watchlist | str | os.PathLike[str] | Sequence[str | os.PathLike[str] | Watchlist],
    *,
    asof: dt.date | str | None = None,
    horizon: str = "12m",
    store: Any = None,
    now: dt.datetime | None = None,
    min_scored: int = 5,
) -> TrackRecord:
    """Score every dated analyst price target known at ``asof`` for some listings.

    Parameters
    ----------
    targets_of : Watchlist, str, path or a sequence of them
        Watchlists (objects, bundled names, TOML paths), company keys (slug, name,
        alias: all their listings) or Yahoo symbols.
    asof : date or ISO string, optional
        Point in time (default: today in UTC, from ``now``). Targets published later
        and prices dated later are not used; a target whose horizon ends later is
        ``open``.
    horizon : str
        ``"12m"`` (default), ``"1y"``, ``"365d"``… from each target's published date.
    store : Store, optional
        Read only (default: :func:`watchlists.store.open_store`, closed on return).
    now : datetime, optional
        The current time (default: the clock), only to default and check ``asof``.
    min_scored : int
        Brokers and companies with fewer scored (hit or miss) targets are flagged.

    Returns
    -------
    TrackRecord
        ``targets`` holds, per target: the sourced fields, ``source`` (``bundled``,
        ``user`` or ``yahoo``) and the score columns. Left out, with a warning: targets
        without a published date (they cannot be placed in time), targets in another
        currency than the listing trades in, every target of a listing whose trading
        currency is unknown. A min-upside claim (``kind == "min_upside"``) is scored
        as a bound: did the price exceed ``reference × (1 + min_upside)``, with the
        reference the close at ``t0`` (``reference == "close"``) or the 52-week high
        to ``t0`` from stored history (``"high"``; status ``no target`` and a warning
        when the history does not cover it).

    Raises
    ------
    ValueError
        A bad ``asof`` (future, before 2000, not a date), ``horizon`` or
        ``min_scored``, an unknown watchlist or company.
    """
    from valuation.track_record import aggregate, parse_horizon, score_targets

    from . import profiles
    from .store import open_store

    _, horizon_text = parse_horizon(horizon)
    if isinstance(min_scored, bool) or not isinstance(min_scored, int) or min_scored < 1:
        raise ValueError(f"min_scored must be an integer of at least 1, got {min_scored!r}")
    day = parse_asof(asof, _utc(now))
    asof_ts = pd.Timestamp(day)
    symbols = _listings(targets_of)
    warn_rows: list[tuple[str | None, str | None, str]] = []

    def warn(message: str, *, symbol: str | None = None, broker: str | None = None) -> None:
        warn_rows.append((symbol, broker, message))

    sourced = profiles.targets()
    own = store is None
    if own:
        store = open_store()
    try:
        with store.read_snapshot():
            actions, stored, problem = _read(symbols, day, store)
            if problem:
                warn(f"{problem}; sourced targets only")
            parts = []
            for sym in symbols:
                company, ccy = _company_and_currency(sym, stored)
                rows = _rows_for(sym, company, ccy, sourced, actions, warn)
                if rows.empty:
                    continue
                rows["company"] = company or sym
                parts.append(_keep(rows, sym, ccy, asof_ts, warn))
            frame = (pd.concat(parts, ignore_index=True) if parts
                     else pd.DataFrame(columns=list(_SOURCE_COLUMNS)))
            frame = _typed(frame)
            closes, highs, lows = _prices(store, frame, day)
    finally:
        if own:
            store.close()

    frame = _bounds(frame, closes, highs, warn)
    scored = score_targets(
        frame.assign(t0=frame["published"]), closes, highs=highs, lows=lows, asof=asof_ts,
        horizon=horizon_text)
    for sym, n in scored.loc[scored["status"] == "no price", "symbol"].value_counts(
            sort=False).items():
        warn(f"{n} target(s) have no stored price at their date or at their horizon end: "
             "not scored; run `watchlists refresh` online to fill the price history",
             symbol=str(sym))
    close_ref = (scored["kind"] == "min_upside") & (scored["reference"] == "close")
    scored.loc[close_ref, "reference_value"] = scored.loc[close_ref, "p0"]
    scored = scored.sort_values(["symbol", "published", "broker"], kind="stable")
    table = scored.reindex(columns=list(TRACK_COLUMNS)).reset_index(drop=True)
    return TrackRecord(
        asof=day, horizon=horizon_text, min_scored=min_scored, symbols=tuple(symbols),
        targets=table,
        by_broker=aggregate(table, by="broker", min_scored=min_scored),
        by_company=aggregate(table, by="company", min_scored=min_scored),
        warnings=pd.DataFrame(warn_rows, columns=list(WARNING_COLUMNS)),
    )


def _keep(rows: pd.DataFrame, sym: str, ccy: str | None, asof: pd.Timestamp, warn: Any
          ) -> pd.DataFrame:
    """The rows that can be scored: dated, known at ``asof``, in the listing's currency."""
    published = pd.to_datetime(rows["published"])
    rows = rows.assign(published=published)
    undated = rows["published"].isna()
    if undated.any():
        brokers = ", ".join(sorted({str(b) for b in rows.loc[undated, "broker"]}))
        warn(f"{int(undated.sum())} target(s) without a published date cannot be placed in "
             f"time and are not scored ({brokers})", symbol=sym)
    rows = rows[~undated & (rows["published"] <= asof)]
    if ccy is None:
        if len(rows):
            warn(f"the trading currency of {sym} is unknown (no profile stored): its "
                 f"{len(rows)} target(s) are not scored", symbol=sym)
        return rows.iloc[0:0]
    row_ccy = rows["currency"].where(rows["currency"].notna() & (rows["currency"] != ""), ccy)
    other = row_ccy != ccy
    for r in rows[other].itertuples():
        warn(f"{r.source} target from {r.broker} is in {r.currency}, the listing trades in "
             f"{ccy}; not scored", symbol=sym, broker=str(r.broker))
    return rows[~other].assign(currency=ccy)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=list(_SOURCE_COLUMNS)).reset_index(drop=True)
    for col in ("target", "min_upside", "previous_target", "reference_value"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["published"] = pd.to_datetime(frame["published"]).astype("datetime64[ns]")
    frame["kind"] = frame["kind"].fillna("price")
    return frame


def _prices(store: Any, frame: pd.DataFrame, day: dt.date
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Closes, highs and lows (dates × symbols) from a year before the first target to
    ``day``: nothing later is read."""
    syms = list(dict.fromkeys(frame["symbol"]))
    if not syms:
        empty = pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype=float)
        return empty, empty, empty
    start = (frame["published"].min() - pd.Timedelta(days=380)).date()
    closes, highs, lows = (store.price_table(syms, start=start, end=day, field=f)
                           for f in ("close", "high", "low"))
    return closes, highs, lows


def _bounds(frame: pd.DataFrame, closes: pd.DataFrame, highs: pd.DataFrame, warn: Any
            ) -> pd.DataFrame:
    """Resolve min-upside claims on the 52-week high: their implied level in ``target``."""
    frame = frame.copy()
    on_high = (frame["kind"] == "min_upside") & (frame["reference"] == "high")
    for i in np.flatnonzero(on_high.to_numpy()):
        r = frame.iloc[i]
        high = _high_before(r["symbol"], highs, closes, r["published"])
        frame.iloc[i, frame.columns.get_loc("reference_value")] = high
        if math.isfinite(high):
            frame.iloc[i, frame.columns.get_loc("target")] = high * (1.0 + r["min_upside"])
        else:
            warn(f"{r['broker']} claims at least {r['min_upside']:.0%} above the 52-week high "
                 f"on {r['published'].date()}, but the stored history does not give that high:"
                 " not scored", symbol=r["symbol"], broker=str(r["broker"]))
    # a claim on the close with no min_upside cannot be scored either; valuation says so
    return frame


# --------------------------------------------------------------------------- display

_AGG_HEADERS = ("Scored", "Hits", "Hit rate", "95% interval", "Median error at horizon",
                "Median days to touch", "Open", "Flag")
_TARGET_HEADERS = ("Symbol", "Broker", "Source", "Published", "Target", "p0", "Status",
                   "Basis", "Touched on", "Days", "Price at horizon", "Error at horizon",
                   "MFE", "MAE")
_NUMERIC_AGG = {1, 2, 3, 4, 5, 6, 7}  # the broker or company name (0) and the flag are text
_NUMERIC_TARGET = {4, 5, 9, 10, 11, 12, 13}


def main_headers(by: Literal["broker", "company"] = "broker") -> list[str]:
    """Headers of :func:`main_rows`."""
    return [by.capitalize(), *_AGG_HEADERS]


def _interval(lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return MISSING
    return f"{lo:.0%}–{hi:.0%}"


def _days(value: Any) -> str:
    return MISSING if value is None or not math.isfinite(float(value)) else f"{float(value):.0f}"


def _rate(value: Any) -> str:
    return MISSING if not math.isfinite(float(value)) else f"{float(value):.0%}"


def main_rows(tr: TrackRecord, *, by: Literal["broker", "company"] = "broker"
              ) -> list[list[str]]:
    """The per-broker (or per-company) table as text rows, :func:`main_headers` order."""
    table = {"broker": tr.by_broker, "company": tr.by_company}.get(by)
    if table is None:
        raise ValueError(f"by must be one of ['broker', 'company'], got {by!r}")
    rows = []
    for key, r in table.iterrows():
        rows.append([
            text(key), str(int(r["scored"])), str(int(r["hits"])), _rate(r["hit_rate"]),
            _interval(r["wilson_low"], r["wilson_high"]), pct(float(r["median_error"])),
            _days(r["median_days_to_touch"]), str(int(r["open"])),
            f"fewer than {tr.min_scored} scored" if r["flag"] else "",
        ])
    return rows


def _target_rows(tr: TrackRecord) -> list[list[str]]:
    rows = []
    for r in tr.targets.itertuples():
        if r.kind == "min_upside":
            what = "high" if r.reference == "high" else "close"
            shown = (f"≥{num(r.level)} (≥{r.min_upside:.0%} above the {what})"
                     if math.isfinite(r.level) else f"≥{r.min_upside:.0%} above the {what}")
        else:
            shown = num(r.target)
        rows.append([
            text(r.symbol), text(r.broker), text(r.source), date_text(r.published), shown,
            num(r.p0), text(r.status), text(r.touch_basis), date_text(r.touch_date),
            _days(r.days_to_touch), num(r.price_at_horizon), pct(float(r.error_at_horizon)),
            pct(float(r.mfe)), pct(float(r.mae)),
        ])
    return rows


def _intro(tr: TrackRecord) -> str:
    return (f"as of {tr.asof.isoformat()} · horizon {tr.horizon} from each published date · "
            f"a target is hit when the daily high (the low for a target below the price; the "
            f"close where no high or low is stored) reaches it within the horizon · open "
            f"targets (horizon not over, not reached) are never counted · fewer than "
            f"{tr.min_scored} scored targets are flagged · error at horizon = target / price "
            f"at horizon − 1")






def to_markdown(tr: TrackRecord) -> str:
    """The report section: ``## Analyst target track record`` with the per-broker and
    per-company tables, the target table and the warnings (text from data escaped)."""
    lines = ["## Analyst target track record", "", _md_escape(_intro(tr)), ""]
    if tr.targets.empty:
        lines += ["No dated target is known for these listings at this date.", ""]
    for title, by in (("By broker", "broker"), ("By company", "company")):
        lines += [f"### {title}", "", *_md_table(main_headers(by), main_rows(tr, by=by)), ""]
    if len(tr.targets):
        lines += ["### Targets", "", *_md_table(_TARGET_HEADERS, _target_rows(tr)), ""]
    if len(tr.warnings):
        lines += ["### Track record warnings", ""]
        lines += [f"- {_md_escape(_warning(w))}" for w in tr.warnings.itertuples()]
        lines.append("")
    return "\n".join(lines)


def _warning(w: Any) -> str:
    return f"{w.symbol}: {w.message}" if isinstance(w.symbol, str) else str(w.message)


_HTML = """<section class="track-record">
<h2>Analyst target track record</h2>
<p>{{ intro }}</p>
{% if empty %}<p>No dated target is known for these listings at this date.</p>{% endif %}
{% for t in tables %}<h3>{{ t.title }}</h3>
<table>
<thead><tr>{% for h in t.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr>{% for c in row -%}
<td{% if c.num %} class="num"{% endif %}>{{ c.text }}</td>
{%- endfor %}</tr>
{% endfor %}</tbody>
</table>
{% endfor %}{% if chart %}<figure><img src="{{ chart }}"
 alt="Hit rate per broker with its 95% Wilson interval">
<figcaption>Hit rate per broker (hits / scored targets) with its 95% Wilson interval;
open targets are not counted.</figcaption></figure>
{% endif %}{% if warnings %}<h3>Track record warnings</h3>
<ul>{% for w in warnings %}<li>{{ w }}</li>{% endfor %}</ul>
{% endif %}</section>
"""


def _cells(rows: list[list[str]], numeric: set[int]) -> list[list[dict[str, Any]]]:
    return [[{"text": c, "num": i in numeric} for i, c in enumerate(row)] for row in rows]


def to_html(tr: TrackRecord, *, chart: bool = True) -> str:
    """The report section as an HTML fragment: a ``<section>`` with an ``<h2>``, the
    tables (numeric cells ``class="num"``) and, with ``chart``, the hit rate per broker
    as an inline SVG image. Rendered by jinja2 with autoescape: every text from data is
    escaped; no script, link or iframe."""
    import jinja2

    tables = [
        {"title": "By broker", "headers": main_headers("broker"),
         "rows": _cells(main_rows(tr, by="broker"), _NUMERIC_AGG)},
        {"title": "By company", "headers": main_headers("company"),
         "rows": _cells(main_rows(tr, by="company"), _NUMERIC_AGG)},
    ]
    if len(tr.targets):
        tables.append({"title": "Targets", "headers": list(_TARGET_HEADERS),
                       "rows": _cells(_target_rows(tr), _NUMERIC_TARGET)})
    from .charts import data_uri

    svg = hit_rate_chart(tr) if chart else None
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_HTML).render(
        intro=_intro(tr), empty=tr.targets.empty, tables=tables,
        chart=data_uri(svg),
        warnings=[_warning(w) for w in tr.warnings.itertuples()],
    )


def hit_rate_chart(tr: TrackRecord) -> bytes | None:
    """SVG: hit rate per broker with its 95 % Wilson interval (brokers with a scored
    target); flagged brokers drawn lighter. None when nothing was scored."""
    agg = tr.by_broker[tr.by_broker["scored"] > 0]
    if agg.empty:
        return None
    from ._svg import BASE, Chart, Panel, numeric_ticks, text_width

    n = len(agg)
    rate = agg["hit_rate"].to_numpy(dtype=float)
    low = agg["wilson_low"].to_numpy(dtype=float)
    high = agg["wilson_high"].to_numpy(dtype=float)
    labels = [f"{b} (n={int(k)})" for b, k in zip(agg.index, agg["scored"])]
    width = 700.0
    room = min(240.0, max(text_width(x, BASE) for x in labels) + 4)
    left, top, plot_h = room + 18, 14.0, 34.0 * n
    chart = Chart(width, top + plot_h + 66, alt="Hit rate per broker with its 95% Wilson "
                                                "interval")
    panel = Panel(chart, left, top, width - left - 24, plot_h, x=(0.0, 1.0),
                  y=(-0.6, n - 0.4))
    for k in range(n):
        y = n - 1 - k  # the first broker on top
        fill = "#9bb7d4" if agg["flag"].iloc[k] else "#2f6db5"
        panel.hbar(y, 0.0, rate[k], 0.32, fill,
                   tip=f"{labels[k]}: {rate[k]:.0%} (95% interval {low[k]:.0%}–{high[k]:.0%})")
        panel.error_h(y, low[k], high[k])
        panel.note(float(panel.px(high[k])) - panel.left + 6, y - 0.15,
                   f"{rate[k]:.0%} ({int(agg['hits'].iloc[k])}/{int(agg['scored'].iloc[k])})")
    ticks = numeric_ticks(0.0, 1.0, 5)
    panel.axes(xticks=(ticks[0], [f"{v:.0%}" for v in ticks[0]]),
               ylabels=[(n - 1 - k, x) for k, x in enumerate(labels)], label_room=room,
               xlabel=f"hit rate within {tr.horizon} (95% Wilson interval); lighter: fewer "
                      f"than {tr.min_scored} scored")
    return chart.svg()

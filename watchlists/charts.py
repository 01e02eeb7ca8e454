"""Matplotlib charts for reports, rendered to PNG bytes (no pyplot global state).

matplotlib is imported inside each function so ``import watchlists`` stays light.
Charts read only the :class:`~watchlists.snapshots.Snapshot`. Every chart says what it
shows and how old its data is; a chart with nothing to show returns ``None`` and the
report says so instead. Sizes are for display at 100 % zoom: figures are drawn at
100 dpi and shown at their pixel size, and no text is smaller than 9 pt (12.5 px);
legends sit outside the data. Text from data is drawn as text (a ``$`` in a name is
not math).
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import pandas as pd

from ._snapshot_targets import current_views

if TYPE_CHECKING:
    from .snapshots import Snapshot

__all__ = ["basket_chart", "chart_notes", "drawdown_chart", "price_target_chart",
           "upside_chart"]

_SMALL, _BASE, _TITLE = 9, 10, 12  # points; at 100 dpi 9 pt is 12.5 px


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    # Fixed margins instead of a layout engine: constrained layout doubled the
    # drawing time of the small multiples (measured on 11 panels: 1.24 s vs 0.68 s).
    return Figure(figsize=(width, height), dpi=100)


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    # A figure's artists point back at it (reference cycles), so it would wait for the
    # cyclic collector; clearing it frees the axes, lines and text at once.
    fig.clf()
    return buf.getvalue()


def _plain(text: object) -> str:
    """Text from data, drawn literally (matplotlib would parse ``$...$`` as math)."""
    return str(text).replace("$", r"\$")


def _date_axis(ax) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _label(row: pd.Series) -> str:
    name = f"{row['name']} ({row['symbol']})" if row["symbol"] else str(row["name"])
    return _plain(name)


def _legend_below(fig, ax, ncol: int = 2) -> None:  # type: ignore[no-untyped-def]
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=_SMALL,
                   frameon=False)


MAX_BARS = 40
"""The upside chart draws at most this many bars: beyond it, the half with the highest
and the half with the lowest consensus upside (every member is in the tables)."""
MAX_PANELS = 12
"""The price/target chart draws at most this many panels: the members with the most
current broker views (ties in watchlist order); every target is in the targets table."""
MAX_LINES = 12
"""The drawdown chart draws one line per member up to this many; beyond it, the median
and the 10th–90th percentile band of every member, plus the deepest few as lines."""
_DEEPEST = 8


def _upside_data(snap: Snapshot) -> tuple[pd.DataFrame, int]:
    t = snap.table
    data = t[t["consensus_upside"].notna() | t["min_target_bound_upside"].notna()]
    total = len(data)
    data = data.sort_values("consensus_upside", na_position="first")
    if total > MAX_BARS:
        half = MAX_BARS // 2
        data = pd.concat([data.iloc[:half], data.iloc[-half:]])
    return data, total


def _panels(snap: Snapshot) -> tuple[list, int]:
    """The price/target panels to draw (at most :data:`MAX_PANELS`) and how many members
    have one. Quotes and targets are grouped by symbol once (no member × row filters)."""
    asof = pd.Timestamp(snap.asof)
    all_quotes = snap.reference_points
    views = current_views(snap.targets)
    views_of = dict(iter(views.groupby("symbol", sort=False))) if len(views) else {}
    quotes = all_quotes[(all_quotes["date"] <= asof)
                        & all_quotes["kind"].isin(["close", "intraday_high"])]
    quotes_of = dict(iter(quotes.groupby("symbol", sort=False))) if len(quotes) else {}
    no_quotes = quotes.iloc[0:0]
    history = snap.history
    panels = []
    for _, row in snap.table[snap.table["symbol"].isin(list(views_of))].iterrows():
        sym = row["symbol"]
        tg = views_of[sym]
        hist = history[sym].dropna() if sym in history.columns else pd.Series(dtype=float)
        q = quotes_of.get(sym, no_quotes) if len(hist) < 2 else pd.DataFrame()
        if len(hist) < 2 and q.empty:
            continue  # a panel per company with named targets; the rest are in the table
        panels.append((row, hist, q, tg))
    total = len(panels)
    if total > MAX_PANELS:
        order = sorted(range(total), key=lambda k: -len(panels[k][3]))[:MAX_PANELS]
        panels = [panels[k] for k in sorted(order)]
    return panels, total


def chart_notes(snap: Snapshot) -> dict[str, str | None]:
    """What each chart leaves out of a large watchlist, for the report's captions
    (``None`` when the chart shows every member it could)."""
    _, bars = _upside_data(snap)
    _, panels = _panels(snap)
    lines = len(_drawdown_members(snap))
    half = MAX_BARS // 2
    return {
        "upside": None if bars <= MAX_BARS else
        f"{MAX_BARS} of {bars} members shown: the {half} with the lowest and the {half} "
        "with the highest consensus upside; every member is in the tables.",
        "price_target": None if panels <= MAX_PANELS else
        f"{MAX_PANELS} of {panels} members with current targets shown: those with the most "
        "current broker views (ties in watchlist order); every target is in the table "
        "below.",
        "drawdown": None if lines <= MAX_LINES else
        f"{lines} members: the median and the 10th–90th percentile band of their drawdowns, "
        f"with the {_DEEPEST} deepest current drawdowns as lines.",
    }


def upside_chart(snap: Snapshot) -> bytes | None:
    """Horizontal bars: consensus upside and the min-upside bound, per member (at most
    :data:`MAX_BARS`, see :func:`chart_notes`)."""
    data, _ = _upside_data(snap)
    if data.empty:
        return None
    height = 0.5 * len(data) + 1.9
    fig = _figure(10, height)
    ax = fig.add_subplot()
    y = range(len(data))
    cons = data["consensus_upside"].astype(float) * 100
    bound = data["min_target_bound_upside"].astype(float) * 100
    ax.barh([v + 0.2 for v in y], cons.fillna(0), height=0.4, color="#2b6cb0",
            label="consensus mean target vs price")
    ax.barh([v - 0.2 for v in y], bound.fillna(0), height=0.4, color="#dd6b20", hatch="//",
            label="lower bound of a min-upside claim (at least this much)")
    ax.set_yticks(list(y), [_label(r) for _, r in data.iterrows()], fontsize=_BASE)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("upside from price (%)", fontsize=_BASE)
    ax.tick_params(axis="x", labelsize=_SMALL)
    ax.set_title(f"Upside to analyst targets as of {snap.asof.isoformat()}", fontsize=_TITLE)
    _legend_below(fig, ax)
    fig.subplots_adjust(left=0.3, right=0.97, top=1 - 0.45 / height, bottom=1.0 / height)
    return _png(fig)


def price_target_chart(snap: Snapshot) -> bytes | None:
    """Small multiples: closes of each member with named targets, against each broker's
    current target (a target aged out, superseded or undated is not drawn); at most
    :data:`MAX_PANELS` panels (see :func:`chart_notes`).

    Without stored history, the snapshot's sourced reference quotes (all dated on or
    before ``asof``) are drawn as dated points (closes as dots, intraday highs as
    triangles), and the panel says so. Reads only the snapshot.
    """
    asof = pd.Timestamp(snap.asof)
    panels, _ = _panels(snap)
    if not panels:
        return None
    cols = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / cols)
    height = 3.9 * rows + 1.4
    fig = _figure(12, height)
    for k, (row, hist, quotes, tg) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, k + 1)
        if len(hist) >= 2:
            ax.plot(hist.index, hist.to_numpy(), color="#2d3748", linewidth=1.2, label="close")
            what = "daily closes from the store"
        else:
            for kind, marker, label in (("close", "o", "sourced reference close"),
                                        ("intraday_high", "^", "sourced intraday high")):
                q = quotes[quotes["kind"] == kind]
                if len(q):
                    ax.plot(q["date"], q["value"], marker, color="#2d3748", label=label,
                            markersize=6, linestyle="none")
            lo, hi = quotes["date"].min(), max(quotes["date"].max(), asof)
            ax.set_xlim(lo - pd.Timedelta(days=10), hi + pd.Timedelta(days=10))
            what = "sourced quotes only (no daily history)"
        for tr in tg.itertuples():
            level = tr.target if tr.kind == "price" else tr.implied_min_target
            if level is None or not pd.notna(level):
                continue
            when = ("undated" if pd.isna(tr.effective_date)
                    else tr.effective_date.date().isoformat())
            prefix = "≥" if tr.kind == "min_upside" else ""
            ax.axhline(float(level), linestyle="--" if tr.kind == "price" else ":",
                       linewidth=1.0, color="#c53030" if tr.kind == "price" else "#dd6b20")
            ax.annotate(_plain(f"{tr.broker} {prefix}{float(level):,.0f} ({when})"),
                        xy=(0.01, float(level)), xycoords=("axes fraction", "data"),
                        fontsize=_SMALL, va="bottom", clip_on=True)
        ax.margins(y=0.15)
        ax.set_title(f"{_label(row)} [{row['currency']}]\n{what}", fontsize=_BASE)
        _date_axis(ax)
        ax.tick_params(labelsize=_SMALL)
        if k == 0:
            _legend_below(fig, ax, ncol=3)
    fig.suptitle(f"Price against each broker's current target, to {snap.asof.isoformat()}\n"
                 "dashed: price targets; dotted: lower bounds of min-upside claims",
                 fontsize=_TITLE, y=1 - 0.1 / height, va="top")
    fig.subplots_adjust(left=0.07, right=0.98, top=1 - 1.05 / height, bottom=0.75 / height,
                        hspace=0.55, wspace=0.18)
    return _png(fig)


def _drawdown_members(snap: Snapshot) -> list[str]:
    hist = snap.history
    if not len(hist.columns):
        return []
    counts = hist.notna().sum()
    return [s for s in snap.watchlist.symbols if s in hist.columns and counts[s] >= 20]


def drawdown_chart(snap: Snapshot) -> bytes | None:
    """Drawdown from the running high (price / highest close so far − 1) of every member
    with at least 20 stored closes in the year to ``asof``: one line each up to
    :data:`MAX_LINES` members, else the median and the 10th–90th percentile band, with
    the deepest current drawdowns as lines."""
    hist = snap.history
    members = _drawdown_members(snap)
    if not members:
        return None
    closes = hist[members]
    dd = closes / closes.cummax() - 1.0
    names = snap.table.set_index("symbol")["name"].to_dict()
    fig = _figure(10, 4.6)
    ax = fig.add_subplot()
    drawn = members
    if len(members) > MAX_LINES:
        pct = dd * 100
        ax.fill_between(pct.index, pct.quantile(0.1, axis=1).to_numpy(),
                        pct.quantile(0.9, axis=1).to_numpy(), color="#bee3f8",
                        label=f"10th–90th percentile of {len(members)} members")
        ax.plot(pct.index, pct.median(axis=1).to_numpy(), color="#2b6cb0", linewidth=1.6,
                label="median member")
        drawn = list(dd.ffill().iloc[-1].sort_values(kind="stable").index[:_DEEPEST])
    for sym in drawn:
        s = dd[sym].dropna() * 100
        ax.plot(s.index, s.to_numpy(), linewidth=1.1, label=_plain(f"{names.get(sym, sym)}"))
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel("drawdown from running high (%)", fontsize=_BASE)
    ax.set_title(f"Drawdown from the running high, year to {snap.asof.isoformat()}",
                 fontsize=_TITLE)
    _date_axis(ax)
    ax.tick_params(labelsize=_SMALL)
    entries = len(ax.get_legend_handles_labels()[0])
    _legend_below(fig, ax, ncol=min(4, entries))
    rows = math.ceil(entries / min(4, entries))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.14 + 0.06 * rows)
    return _png(fig)


def basket_chart(snap: Snapshot) -> bytes | None:
    """Equal-weight basket of members with history, normalised to 100, with the benchmark."""
    hist = snap.history
    members = [s for s in snap.watchlist.symbols if s in hist.columns]
    closes = hist[members].dropna(how="all") if members else pd.DataFrame()
    if closes.shape[0] < 2:
        return None
    rebased = closes.ffill().div(closes.bfill().iloc[0]) * 100
    basket = rebased.mean(axis=1)
    fig = _figure(10, 4.2)
    ax = fig.add_subplot()
    ax.plot(basket.index, basket.to_numpy(), color="#2b6cb0", linewidth=1.6,
            label=f"equal-weight basket ({len(members)} listings, local currency)")
    bench = snap.watchlist.benchmark
    if bench and bench in hist.columns and hist[bench].notna().sum() > 1:
        b = hist[bench].dropna()
        ax.plot(b.index, (b / b.iloc[0] * 100).to_numpy(), color="#718096", linewidth=1.1,
                label=_plain(f"benchmark {bench}"))
    ax.axhline(100, color="black", linewidth=0.6)
    ax.set_title(f"Basket against the benchmark (start = 100), to {snap.asof.isoformat()}",
                 fontsize=_TITLE)
    _date_axis(ax)
    ax.tick_params(labelsize=_SMALL)
    _legend_below(fig, ax)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.2)
    return _png(fig)

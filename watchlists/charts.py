"""Charts for reports, as SVG bytes (drawn by :mod:`watchlists._svg`, no matplotlib).

Charts read only the :class:`~watchlists.snapshots.Snapshot`. Every chart says what it
shows and how old its data is; a chart with nothing to show returns ``None`` and the
report says so instead. Sizes are CSS pixels at 100 % zoom, no text is smaller than
12.5 px, and legends sit below the data. Text from data is escaped and drawn as it is
(a ``$`` in a name is a dollar sign). The HTML report embeds each chart as an
``<img>`` data URI (``data:image/svg+xml;base64,...``): no script runs there and
nothing is loaded; :func:`data_uri` builds it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._display import member_label
from ._snapshot_targets import current_views
from ._svg import (
    BASE,
    CYCLE,
    SMALL,
    TITLE,
    Chart,
    Legend,
    Panel,
    data_range,
    date_ticks,
    days,
    numeric_ticks,
    text_width,
    y_tick_room,
)

if TYPE_CHECKING:
    from .snapshots import Snapshot

__all__ = ["basket_chart", "chart_notes", "data_uri", "drawdown_chart",
           "price_target_chart", "report_charts", "upside_chart"]


def data_uri(svg: bytes | None) -> str | None:
    """An SVG chart as an ``<img src>`` data URI (None stays None)."""
    import base64

    return None if svg is None else \
        "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


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
    return _notes(_upside_data(snap)[1], _panels(snap)[1], len(_drawdown_members(snap)))


def _notes(bars: int, panels: int, lines: int) -> dict[str, str | None]:
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


def report_charts(snap: Snapshot) -> dict[str, tuple[bytes | None, str | None]]:
    """Every chart of the watchlist report with its caption note, keyed ``upside``,
    ``price_target``, ``drawdown`` and ``basket``: the same as calling each chart and
    :func:`chart_notes`, with what they share (which members each draws) worked out
    once."""
    upside, bars = _upside_data(snap)
    panels, n_panels = _panels(snap)
    members = _drawdown_members(snap)
    notes = _notes(bars, n_panels, len(members))
    return {
        "upside": (_upside_svg(snap, upside), notes["upside"]),
        "price_target": (_price_target_svg(snap, panels), notes["price_target"]),
        "drawdown": (_drawdown_svg(snap, members), notes["drawdown"]),
        "basket": (basket_chart(snap), None),
    }


def upside_chart(snap: Snapshot) -> bytes | None:
    """Horizontal bars: consensus upside and the min-upside bound, per member (at most
    :data:`MAX_BARS`, see :func:`chart_notes`), each bar labelled with its value."""
    return _upside_svg(snap, _upside_data(snap)[0])


def _upside_svg(snap: Snapshot, data: pd.DataFrame) -> bytes | None:
    if data.empty:
        return None
    n = len(data)
    labels = [member_label(r) for _, r in data.iterrows()]
    cons = data["consensus_upside"].astype(float).to_numpy() * 100
    bound = data["min_target_bound_upside"].astype(float).to_numpy() * 100
    lo, hi = data_range(cons, bound, include=[0.0], margin=0.12)
    if lo < 0 <= min(float(np.nanmin(v)) if np.isfinite(v).any() else 0.0
                     for v in (cons, bound)):
        lo = -0.02 * (hi - lo)  # no room for bars that cannot be there
    xticks = numeric_ticks(lo, hi, 6, "%")
    width = 1000.0
    room = min(330.0, max(text_width(s, BASE) for s in labels) + 4)
    left, right, top = room + 18, 24.0, 50.0
    kinds = [(e, v) for e, v in ((Legend("consensus mean target vs price", "bar", "#2b6cb0"),
                                  cons),
                                 (Legend("lower bound of a min-upside claim (at least this "
                                         "much)", "bar", "#dd6b20", hatch=True), bound))
             if np.isfinite(v).any()]  # only what is drawn
    entries = [e for e, _ in kinds]
    pair = len(kinds) == 2  # two bars per member; else one, centred
    plot_h = (46.0 if pair else 30.0) * n
    chart = Chart(width, 0, alt=f"Upside to analyst targets as of {snap.asof.isoformat()}")
    chart.text(width / 2, 30, f"Upside to analyst targets as of {snap.asof.isoformat()}",
               size=TITLE, anchor="middle", weight="600")
    panel = Panel(chart, left, top, width - left - right, plot_h, x=(lo, hi),
                  y=(-0.6, n - 0.4))
    hatch = f"url(#{chart.hatch('#dd6b20')})"
    for k in range(n):
        for value, dy, fill, what in ((cons[k], 0.2, "#2b6cb0", "consensus upside"),
                                      (bound[k], -0.2, hatch, "min-upside bound")):
            if not math.isfinite(value):
                continue
            dy, half = (dy, 0.19) if pair else (0.0, 0.3)
            text = f"{value:+.1f}%".replace("-", "−")
            panel.hbar(k + dy, 0.0, value, half, fill, tip=f"{labels[k]}: {what} {text}")
            x = float(panel.px(value)) - panel.left
            shift = 4 if value >= 0 else -4 - text_width(text, SMALL)
            # the value's label level with its bar
            panel.note(x + shift, k + dy - (0.12 if pair else 0.2), text)
    panel.vline(0.0, "#000000", width=0.8)
    panel.axes(xticks=xticks, ylabels=[(k, s) for k, s in enumerate(labels)],
               xlabel="upside from price (%)", label_room=room)
    chart.height = chart.legend(entries, top + plot_h + 62)  # the legend ends the image
    return chart.svg()


_PRICE, _BOUND = "#c53030", "#dd6b20"


def price_target_chart(snap: Snapshot) -> bytes | None:
    """Small multiples: closes of each member with named targets, against each broker's
    current target (a target aged out, superseded or undated is not drawn); at most
    :data:`MAX_PANELS` panels (see :func:`chart_notes`).

    Without stored history, the snapshot's sourced reference quotes (all dated on or
    before ``asof``) are drawn as dated points (closes as dots, intraday highs as
    triangles), and the panel says so. Reads only the snapshot.
    """
    return _price_target_svg(snap, _panels(snap)[0])


def _price_target_svg(snap: Snapshot, panels: list) -> bytes | None:
    asof = pd.Timestamp(snap.asof)
    if not panels:
        return None
    cols = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / cols)
    width = 1200.0 if cols == 2 else 760.0
    cell_h, plot_h = 370.0, 270.0
    kinds: set[str] = set()
    drawn = []
    for row, hist, quotes, tg in panels:  # the data and ranges of each panel first
        levels = []
        for tr in tg.itertuples():
            level = tr.target if tr.kind == "price" else tr.implied_min_target
            if level is None or not pd.notna(level):
                continue
            when = ("undated" if pd.isna(tr.effective_date)
                    else tr.effective_date.date().isoformat())
            prefix = "≥" if tr.kind == "min_upside" else ""
            levels.append((float(level), tr.kind, f"{tr.broker} {prefix}{float(level):,.0f} "
                                                  f"({when})"))
            kinds.add(tr.kind)
        if len(hist) >= 2:
            x, y = days(hist.index), hist.to_numpy(dtype=float)
            xr = data_range(x, margin=0.02)
            what = "daily closes from the store"
            kinds.add("history")
        else:
            x, y = days(quotes["date"]), quotes["value"].to_numpy(dtype=float)
            lo_d = float(days([quotes["date"].min()])[0]) - 10
            hi_d = float(days([max(quotes["date"].max(), asof)])[0]) + 10
            xr = (lo_d, hi_d)
            what = "sourced quotes only (no daily history)"
            kinds.update("q_" + k for k in quotes["kind"])
        yr = data_range(y, [lv for lv, _, _ in levels], margin=0.15)
        drawn.append((row, hist, quotes, levels, x, y, xr, yr, what, numeric_ticks(*yr, 5)))
    left_room = max(y_tick_room(d[9]) for d in drawn) + 6
    entries = []
    if "history" in kinds:
        entries.append(Legend("daily close", "line", "#2d3748"))
    if "q_close" in kinds:
        entries.append(Legend("sourced reference close", "o", "#2d3748"))
    if "q_intraday_high" in kinds:
        entries.append(Legend("sourced intraday high", "^", "#2d3748"))
    if "price" in kinds:
        entries.append(Legend("a broker's current price target", "line", _PRICE, dash="6 3"))
    if "min_upside" in kinds:
        entries.append(Legend("lower bound of a min-upside claim", "line", _BOUND,
                              dash="2 3"))
    title = f"Price against each broker's current target, to {snap.asof.isoformat()}"
    chart = Chart(width, 0, alt=title)
    chart.text(width / 2, 28, title, size=TITLE, anchor="middle", weight="600")
    top0 = chart.legend(entries, 46.0)  # the panels start below the legend
    chart.height = top0 + rows * cell_h + 10
    cell_w = (width - 20) / cols
    for k, (row, hist, quotes, levels, x, y, xr, yr, what, yticks) in enumerate(drawn):
        cx, cy = 10 + (k % cols) * cell_w, top0 + (k // cols) * cell_h
        pl = cx + left_room
        pw = cell_w - left_room - 16
        ccy = row["currency"] if isinstance(row["currency"], str) else "currency unknown"
        chart.lines_of_text(pl + pw / 2, cy + 22, [f"{member_label(row)} [{ccy}]", what],
                            size=BASE, room=pw)
        panel = Panel(chart, pl, cy + 56, pw, plot_h, x=xr, y=yr)
        if len(hist) >= 2:
            panel.line(x, y, "#2d3748", width=1.3)
        else:
            for kind, marker in (("close", "o"), ("intraday_high", "^")):
                sel = (quotes["kind"] == kind).to_numpy()
                panel.points(x[sel], y[sel], marker, "#2d3748")
        for level, kind, text in levels:
            color = _PRICE if kind == "price" else _BOUND
            panel.hline(level, color, width=1.1, dash="6 3" if kind == "price" else "2 3")
            panel.note(6, level, text, color=color)
        panel.axes(xticks=date_ticks(*panel.x, 6 if cols == 1 else 5), yticks=yticks)
    return chart.svg()


def _drawdown_members(snap: Snapshot) -> list[str]:
    hist = snap.history
    if not len(hist.columns):
        return []
    counts = hist.notna().sum()
    return [s for s in snap.watchlist.symbols if s in hist.columns and counts[s] >= 20]


def _line_chart(title: str, alt: str, x_days: Any, series: list[tuple[Any, Any, Legend]],
                *, band: tuple[Any, Any, Legend] | None = None, ref: float,
                ylabel: str | None, width: float = 1000.0, plot_h: float = 300.0,
                ref_color: str = "#000000", title_size: float = TITLE) -> bytes:
    """One panel of lines over dates (with an optional band), a reference line at
    ``ref``, the title above and the legend below. ``series`` holds ``(x_days, values,
    legend)``; a legend entry's colour and dash draw its line."""
    values = [v for _, v, _ in series] + ([band[0], band[1]] if band else [])
    yr = data_range(*values, include=[ref])
    yticks = numeric_ticks(*yr, 6)
    left = y_tick_room(yticks) + (34 if ylabel else 12)
    entries = [e for _, _, e in series] + ([band[2]] if band else [])
    chart = Chart(width, 0, alt=alt)
    top = 46.0
    chart.text(width / 2, 28, title, size=title_size, anchor="middle", weight="600",
               room=width - 20)
    xs = [x for x, _, _ in series] + ([x_days] if band else [])
    panel = Panel(chart, left, top, width - left - 20, plot_h,
                  x=data_range(*xs, margin=0.02), y=yr)
    if band:
        panel.band(x_days, band[0], band[1], band[2].color, opacity=band[2].opacity)
    for x, v, e in series:
        panel.line(x, v, e.color, width=e.width, dash=e.dash)
    panel.hline(ref, ref_color, width=0.7)
    panel.axes(xticks=date_ticks(*panel.x), yticks=yticks, ylabel=ylabel)
    chart.height = chart.legend(entries, top + plot_h + 44)  # the legend ends the image
    return chart.svg()


def drawdown_chart(snap: Snapshot) -> bytes | None:
    """Drawdown from the running high (price / highest close so far − 1) of every member
    with at least 20 stored closes in the year to ``asof``: one line each up to
    :data:`MAX_LINES` members, else the median and the 10th–90th percentile band, with
    the deepest current drawdowns as lines."""
    return _drawdown_svg(snap, _drawdown_members(snap))


def _drawdown_svg(snap: Snapshot, members: list[str]) -> bytes | None:
    hist = snap.history
    if not members:
        return None
    closes = hist[members]
    dd = closes / closes.cummax() - 1.0
    names = snap.table.set_index("symbol")["name"].to_dict()
    drawn = members
    band = None
    series = []
    pct = dd * 100
    if len(members) > MAX_LINES:
        band = (pct.quantile(0.1, axis=1).to_numpy(), pct.quantile(0.9, axis=1).to_numpy(),
                Legend(f"10th–90th percentile of {len(members)} members", "band", "#bee3f8"))
        series.append((days(pct.index), pct.median(axis=1).to_numpy(),
                       Legend("median member", "line", "#1a202c", width=2.0)))  # no cycle colour
        drawn = list(dd.ffill().iloc[-1].sort_values(kind="stable").index[:_DEEPEST])
    for k, sym in enumerate(drawn):
        s = pct[sym].dropna()
        series.append((days(s.index), s.to_numpy(),
                       Legend(str(names.get(sym, sym)), "line", CYCLE[k % len(CYCLE)])))
    title = f"Drawdown from the running high, year to {snap.asof.isoformat()}"
    return _line_chart(title, title, days(pct.index), series, band=band, ref=0.0,
                       ylabel="drawdown from running high (%)")


def basket_chart(snap: Snapshot) -> bytes | None:
    """Equal-weight basket of members with history, normalised to 100, with the benchmark."""
    hist = snap.history
    members = [s for s in snap.watchlist.symbols if s in hist.columns]
    closes = hist[members].dropna(how="all") if members else pd.DataFrame()
    if closes.shape[0] < 2:
        return None
    rebased = closes.ffill().div(closes.bfill().iloc[0]) * 100
    basket = rebased.mean(axis=1)
    series = [(days(basket.index), basket.to_numpy(),
               Legend(f"equal-weight basket ({len(members)} listings, local currency)",
                      "line", "#2b6cb0", width=1.6))]
    bench = snap.watchlist.benchmark
    if bench and bench in hist.columns and hist[bench].notna().sum() > 1:
        b = hist[bench].dropna()
        series.append((days(b.index), (b / b.iloc[0] * 100).to_numpy(),
                       Legend(f"benchmark {bench}", "line", "#718096")))
    title = f"Basket against the benchmark (start = 100), to {snap.asof.isoformat()}"
    return _line_chart(title, title, days(basket.index), series, ref=100.0, ylabel=None,
                       plot_h=280.0)

"""A small SVG plotting kit for the reports' charts: panels with linear or date axes,
lines, bands, bars, markers, reference lines, titles and a legend below the data.

Why not matplotlib: a report's charts are a handful of lines and bars, and importing
matplotlib and rendering PNGs took about 0.5 s of a first report's 1.3 s. SVG text
is drawn by the browser (crisp at any zoom, selectable, searchable) and the files are
small. Every string from data is XML-escaped here, in :func:`esc`; the SVG is meant to
be embedded as an ``<img>`` data URI, where a browser runs no script and loads nothing.

Sizes are CSS pixels at 100 % zoom; no text is smaller than :data:`SMALL` (12.5 px,
the 9 pt at 100 dpi of the matplotlib charts this replaces). Text widths are
estimated from per-character classes of a Helvetica/Arial-like face, rounded up, so
layout leaves room; a label longer than its room is shortened with an ellipsis and
keeps its full text as a tooltip (``<title>``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SMALL, BASE, TITLE = 12.5, 14.0, 16.5  # font sizes, px
FONT = "Helvetica,Arial,'Liberation Sans','DejaVu Sans',sans-serif"
INK, MUTED, GRID = "#1a202c", "#4a5568", "#e2e8f0"
CYCLE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
         "#7f7f7f", "#bcbd22", "#17becf")
"""Line colours in order (the matplotlib/Tableau 10 cycle)."""

_NARROW = set("il.,:;|!'`ijtfI[]()/\\ ")
_WIDE = set("mwMW@%")


def esc(text: object) -> str:
    """``text`` as XML character data or an attribute value (``& < > " '`` escaped;
    control characters other than tab and newline, which XML forbids, dropped)."""
    s = str(text)
    s = "".join(c for c in s if c >= " " or c in "\t\n")
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def text_width(text: str, size: float) -> float:
    """Estimated width in px of ``text`` at font ``size`` (rounded up: a wide face)."""
    em = 0.0
    for c in text:
        if c in _NARROW:
            em += 0.32
        elif c in _WIDE:
            em += 0.9
        elif c.isdigit():
            em += 0.58
        elif c.isupper():
            em += 0.7
        elif ord(c) < 0x2E80:
            em += 0.58
        else:  # CJK and other wide scripts
            em += 1.0
    return em * size


def fit(text: str, size: float, room: float) -> str:
    """``text`` shortened with an ellipsis to fit ``room`` px (unchanged if it fits)."""
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _num(v: float) -> str:
    """A coordinate, to 0.1 px."""
    r = round(float(v), 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


# --------------------------------------------------------------------------- scales


def nice_ticks(lo: float, hi: float, target: int = 5) -> np.ndarray:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) inside ``[lo, hi]``,
    about ``target`` of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.array([lo]) if math.isfinite(lo) else np.array([])
    raw = (hi - lo) / max(target, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = np.arange(start, hi + step * 1e-9, step)
    return np.round(ticks, 12)


def tick_format(ticks: np.ndarray, suffix: str = "") -> list[str]:
    """Labels for numeric ticks: thousands separators, as many decimals as the step
    needs, and ``suffix`` (e.g. ``%``)."""
    decimals = 0
    if len(ticks) > 1:
        step = float(np.min(np.diff(ticks)))
        while decimals < 10 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
            decimals += 1
    elif len(ticks) and abs(ticks[0]) < 10:
        decimals = 2
    # a true minus sign; 0.0 never as "−0"
    return [f"{v + 0.0:,.{decimals}f}{suffix}".replace("-", "−") for v in ticks]


def days(values: Any) -> np.ndarray:
    """Dates (a DatetimeIndex, Series or array of datetime64 or dates) as float days
    since 1970-01-01, the x coordinate of date axes."""
    arr = np.asarray(values)
    if arr.dtype.kind != "M":
        arr = np.asarray(arr, dtype="datetime64[s]")
    return arr.astype("datetime64[s]").astype(np.int64) / 86400.0


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_ticks(lo: float, hi: float, max_ticks: int = 6) -> tuple[np.ndarray, list[str]]:
    """Ticks for a date axis from ``lo`` to ``hi`` (float days): the smallest calendar
    step (days, weeks, 1/2/3/6 months, years) with at most ``max_ticks`` ticks, labelled
    concisely (``Mar``, with the year at January and at the first tick)."""
    start = dt.date(1970, 1, 1) + dt.timedelta(days=math.ceil(lo))
    end = dt.date(1970, 1, 1) + dt.timedelta(days=math.floor(hi))
    span = (end - start).days
    for step in (1, 2, 7, 14):
        if span / step < max_ticks:
            out = [start + dt.timedelta(days=k) for k in range(0, span + 1, step)]
            labels = [f"{d.day} {_MONTHS[d.month - 1]}" + (f" {d.year}" if i == 0 else "")
                      for i, d in enumerate(out)]
            return days(np.array(out, dtype="datetime64[D]")), labels
    for months in (1, 2, 3, 6, 12, 24, 60):
        first = start.year * 12 + start.month - 1 + (start.day > 1)
        first += -first % months
        last = end.year * 12 + end.month - 1
        if (last - first) // months + 1 <= max_ticks:
            out = [dt.date(m // 12, m % 12 + 1, 1) for m in range(first, last + 1, months)]
            if months >= 12:
                labels = [str(d.year) for d in out]
            else:
                labels = [f"{_MONTHS[d.month - 1]} {d.year}" if i == 0 or d.month == 1
                          else _MONTHS[d.month - 1] for i, d in enumerate(out)]
            return days(np.array(out, dtype="datetime64[D]")), labels
    return np.array([]), []


def data_range(*arrays: Any, margin: float = 0.05, include: Sequence[float] = ()
               ) -> tuple[float, float]:
    """The finite range of ``arrays`` (and ``include``), widened by ``margin`` of its
    span each side; a single value gets ±5 % (or ±1 at zero)."""
    vals = [np.asarray(a, dtype=float).ravel() for a in arrays]
    vals.append(np.asarray(list(include), dtype=float))
    v = np.concatenate(vals) if vals else np.array([])
    v = v[np.isfinite(v)]
    if not v.size:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    if hi == lo:
        pad = abs(lo) * 0.05 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * margin
    return lo - pad, hi + pad


# --------------------------------------------------------------------------- drawing


@dataclass
class Legend:
    """One legend entry: its label and how its swatch is drawn (``line``, ``bar``,
    ``band`` or a marker ``o``/``^``), with colour, dash, hatch and line width."""

    label: str
    kind: str
    color: str
    dash: str | None = None
    hatch: bool = False
    opacity: float = 1.0
    width: float = 1.2
    """Stroke width of the line the entry stands for (px)."""


@dataclass
class Chart:
    """An SVG image ``width`` × ``height`` px, built from panels and text; :meth:`svg`
    returns its bytes."""

    width: float
    height: float
    alt: str = ""
    parts: list[str] = field(default_factory=list)
    defs: list[str] = field(default_factory=list)
    _ids: int = 0
    _hatches: dict[str, str] = field(default_factory=dict)

    def new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids}"

    def hatch(self, color: str) -> str:
        """The id of a diagonal-hatch fill pattern in ``color`` (one per colour: the bars
        and their legend swatch share it)."""
        if color in self._hatches:
            return self._hatches[color]
        pid = self._hatches[color] = self.new_id("h")
        self.defs.append(
            f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{color}" '
            f'fill-opacity="0.35"/><line x1="0" y1="0" x2="0" y2="6" stroke="{color}" '
            'stroke-width="2.5"/></pattern>')
        return pid

    def text(self, x: float, y: float, s: str, *, size: float = SMALL,
             anchor: str = "start", weight: str | None = None, color: str = INK,
             room: float | None = None, rotate: bool = False) -> None:
        """Text with its baseline at ``y``; shortened to ``room`` px if given (the full
        text as a tooltip)."""
        shown = fit(s, size, room) if room is not None else s
        attrs = f'x="{_num(x)}" y="{_num(y)}" font-size="{size:g}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if weight:
            attrs += f' font-weight="{weight}"'
        if color != INK:
            attrs += f' fill="{color}"'
        if rotate:
            attrs += f' transform="rotate(-90 {_num(x)} {_num(y)})"'
        tip = f"<title>{esc(s)}</title>" if shown != s else ""
        self.parts.append(f"<text {attrs}>{tip}{esc(shown)}</text>")

    def lines_of_text(self, x: float, y: float, lines: Sequence[str], *, size: float,
                      anchor: str = "middle", weight: str | None = None,
                      color: str = INK, room: float | None = None) -> float:
        """Several lines from baseline ``y`` down; returns the baseline after the last."""
        for line in lines:
            self.text(x, y, line, size=size, anchor=anchor, weight=weight, color=color,
                      room=room)
            y += size * 1.3
        return y

    def legend(self, entries: Sequence[Legend], top: float, *, left: float = 10,
               right: float | None = None) -> float:
        """Entries in rows, centred between ``left`` and ``right`` px, from ``top``;
        returns the y below the last row."""
        right = self.width - 10 if right is None else right
        room = right - left
        widths = [34 + text_width(e.label, SMALL) + 18 for e in entries]
        rows: list[list[int]] = [[]]
        used = 0.0
        for k, w in enumerate(widths):
            if rows[-1] and used + w > room:
                rows.append([])
                used = 0.0
            rows[-1].append(k)
            used += w
        y = top
        for row in rows:
            total = sum(widths[k] for k in row)
            x = left + max(0.0, (room - total) / 2)
            for k in row:
                e = entries[k]
                self._swatch(e, x, y)
                self.text(x + 34, y + 4.5, e.label, room=min(widths[k], room) - 52)
                x += widths[k]
            y += SMALL * 1.6
        return y

    def _swatch(self, e: Legend, x: float, y: float) -> None:
        if e.kind == "line":
            self.parts.append(_segment(x, y, x + 28, y, e.color, width=2, dash=e.dash))
        elif e.kind in ("bar", "band"):
            fill = f"url(#{self.hatch(e.color)})" if e.hatch else e.color
            op = f' fill-opacity="{e.opacity:g}"' if e.opacity < 1 else ""
            self.parts.append(f'<rect x="{_num(x)}" y="{_num(y - 6)}" width="28" '
                              f'height="12" fill="{fill}"{op}/>')
        else:
            self.parts.append(_marker(e.kind, x + 14, y, e.color, 5.0))

    def svg(self) -> bytes:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(self.width)}" '
                f'height="{_num(self.height)}" viewBox="0 0 {_num(self.width)} '
                f'{_num(self.height)}" font-family="{FONT}" fill="{INK}" role="img">')
        title = f"<title>{esc(self.alt)}</title>" if self.alt else ""
        defs = f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""
        body = "\n".join(self.parts)
        return (f'{head}{title}{defs}<rect width="100%" height="100%" fill="#fff"/>\n'
                f"{body}\n</svg>\n").encode()


def _segment(x1: float, y1: float, x2: float, y2: float, color: str, *,
             width: float | None = None, dash: str | None = None) -> str:
    """An SVG ``<line>`` from ``(x1, y1)`` to ``(x2, y2)`` px."""
    extra = f' stroke-width="{width:g}"' if width is not None else ""
    if dash:
        extra += f' stroke-dasharray="{dash}"'
    return (f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
            f'stroke="{color}"{extra}/>')


def _marker(kind: str, x: float, y: float, color: str, r: float) -> str:
    if kind == "^":
        pts = f"{_num(x)},{_num(y - r)} {_num(x - r)},{_num(y + r * 0.8)} " \
              f"{_num(x + r)},{_num(y + r * 0.8)}"
        return f'<polygon points="{pts}" fill="{color}"/>'
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r * 0.8)}" fill="{color}"/>'


@dataclass
class Panel:
    """A plotting area at ``(left, top)``, ``width`` × ``height`` px inside a chart,
    mapping data ``x`` and ``y`` ranges onto it (y grows upwards). Data marks are
    clipped to the area."""

    chart: Chart
    left: float
    top: float
    width: float
    height: float
    x: tuple[float, float]
    y: tuple[float, float]
    marks: list[str] = field(default_factory=list)

    def px(self, v: Any) -> np.ndarray:
        lo, hi = self.x
        return self.left + (np.asarray(v, dtype=float) - lo) / (hi - lo) * self.width

    def py(self, v: Any) -> np.ndarray:
        lo, hi = self.y
        return self.top + self.height - (np.asarray(v, dtype=float) - lo) / (hi - lo) * \
            self.height

    # ---- marks (clipped)

    def line(self, x: Any, y: Any, color: str, *, width: float = 1.4,
             dash: str | None = None, opacity: float = 1.0) -> None:
        """A polyline through the points; a NaN breaks it."""
        xs, ys = self.px(x), self.py(y)
        ok = np.isfinite(xs) & np.isfinite(ys)
        if not ok.any():
            return
        cmds: list[str] = []
        pen = False
        for xv, yv, good in zip(xs.tolist(), ys.tolist(), ok.tolist()):
            if good:
                cmds.append(f"{'L' if pen else 'M'}{_num(xv)} {_num(yv)}")
            pen = good
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        if opacity < 1:
            extra += f' stroke-opacity="{opacity:g}"'
        self.marks.append(f'<path d="{"".join(cmds)}" fill="none" stroke="{color}" '
                          f'stroke-width="{width:g}" stroke-linejoin="round"{extra}/>')

    def band(self, x: Any, lo: Any, hi: Any, color: str, *, opacity: float = 1.0) -> None:
        """The area between ``lo`` and ``hi`` over the points where both are known
        (one polygon per unbroken run)."""
        xs, ls, hs = self.px(x), self.py(lo), self.py(hi)
        ok = np.isfinite(xs) & np.isfinite(ls) & np.isfinite(hs)
        op = f' fill-opacity="{opacity:g}"' if opacity < 1 else ""
        edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
        for a, b in zip(edges[::2], edges[1::2]):
            pts = [f"{_num(xs[k])},{_num(hs[k])}" for k in range(a, b)]
            pts += [f"{_num(xs[k])},{_num(ls[k])}" for k in range(b - 1, a - 1, -1)]
            self.marks.append(f'<polygon points="{" ".join(pts)}" fill="{color}"{op}/>')

    def points(self, x: Any, y: Any, kind: str, color: str, *, r: float = 5.0) -> None:
        for xv, yv in zip(self.px(x).tolist(), self.py(y).tolist()):
            if math.isfinite(xv) and math.isfinite(yv):
                self.marks.append(_marker(kind, xv, yv, color, r))

    def hline(self, y: float, color: str, *, width: float = 1.0,
              dash: str | None = None) -> None:
        yv = float(self.py(y))
        self.marks.append(_segment(self.left, yv, self.left + self.width, yv, color,
                                   width=width, dash=dash))

    def vline(self, x: float, color: str, *, width: float = 1.0,
              dash: str | None = None) -> None:
        xv = float(self.px(x))
        self.marks.append(_segment(xv, self.top, xv, self.top + self.height, color,
                                   width=width, dash=dash))

    def hbar(self, y: float, x0: float, x1: float, half: float, fill: str, *,
             tip: str | None = None) -> None:
        """A horizontal bar from ``x0`` to ``x1`` (data) centred on ``y``, ``half`` data
        units high each side."""
        a, b = sorted((float(self.px(x0)), float(self.px(x1))))
        top, bottom = float(self.py(y + half)), float(self.py(y - half))
        title = f"<title>{esc(tip)}</title>" if tip else ""
        self.marks.append(f'<rect x="{_num(a)}" y="{_num(top)}" width="{_num(b - a)}" '
                          f'height="{_num(bottom - top)}" fill="{fill}">{title}</rect>')

    def error_h(self, y: float, x0: float, x1: float, *, cap: float = 4.0,
                color: str = "#333333") -> None:
        """A horizontal error bar from ``x0`` to ``x1`` at ``y`` with end caps."""
        a, b, yv = float(self.px(x0)), float(self.px(x1)), float(self.py(y))
        self.marks.append(
            f'<path d="M{_num(a)} {_num(yv)}H{_num(b)}M{_num(a)} {_num(yv - cap)}'
            f'V{_num(yv + cap)}M{_num(b)} {_num(yv - cap)}V{_num(yv + cap)}" '
            f'stroke="{color}" stroke-width="1.2" fill="none"/>')

    def note(self, x: float, y: float, s: str, *, size: float = SMALL,
             color: str = INK) -> None:
        """Text in the panel at pixel ``x`` from the left edge and data ``y`` (baseline
        3 px above the level), clipped to the panel."""
        room = self.width - x - 4
        self.marks.append(
            f'<text x="{_num(self.left + x)}" y="{_num(float(self.py(y)) - 3)}" '
            f'font-size="{size:g}" fill="{color}">{esc(fit(s, size, room))}</text>')

    # ---- axes and frame

    def axes(self, *, xticks: tuple[Iterable[float], Sequence[str]] | None = None,
             yticks: tuple[Iterable[float], Sequence[str]] | None = None,
             ylabels: Sequence[tuple[float, str]] | None = None,
             xlabel: str | None = None, ylabel: str | None = None,
             grid: bool = True, label_room: float | None = None) -> None:
        """Draw the frame, grid, ticks and their labels, then the clipped marks.
        ``ylabels`` are category labels at data y (bar charts), shortened to
        ``label_room`` px."""
        c, L, T, W, H = self.chart, self.left, self.top, self.width, self.height
        out = c.parts
        if xticks is not None:
            for v, label in zip(*xticks):
                xv = float(self.px(v))
                if not (L - 0.5 <= xv <= L + W + 0.5):
                    continue
                if grid:
                    out.append(_segment(xv, T, xv, T + H, GRID))
                out.append(_segment(xv, T + H, xv, T + H + 4, MUTED))
                c.text(xv, T + H + 4 + SMALL, label, anchor="middle", color=MUTED)
        if yticks is not None:
            for v, label in zip(*yticks):
                yv = float(self.py(v))
                if not (T - 0.5 <= yv <= T + H + 0.5):
                    continue
                if grid:
                    out.append(_segment(L, yv, L + W, yv, GRID))
                out.append(_segment(L - 4, yv, L, yv, MUTED))
                c.text(L - 6, yv + SMALL * 0.35, label, anchor="end", color=MUTED)
        for v, label in ylabels or ():
            yv = float(self.py(v))
            c.text(L - 8, yv + BASE * 0.35, label, size=BASE, anchor="end",
                   room=label_room)
        clip = c.new_id("c")
        c.defs.append(f'<clipPath id="{clip}"><rect x="{_num(L)}" y="{_num(T)}" '
                      f'width="{_num(W)}" height="{_num(H)}"/></clipPath>')
        out.append(f'<g clip-path="url(#{clip})">' + "".join(self.marks) + "</g>")
        out.append(f'<rect x="{_num(L)}" y="{_num(T)}" width="{_num(W)}" height="{_num(H)}" '
                   f'fill="none" stroke="{MUTED}" stroke-width="0.8"/>')
        if xlabel:
            c.text(L + W / 2, T + H + 8 + SMALL * 2.2, xlabel, size=BASE, anchor="middle",
                   room=W)
        if ylabel:
            widest = max((text_width(lab, SMALL) for lab in (yticks or ((), ()))[1]),
                         default=0.0)
            c.text(L - 14 - widest, T + H / 2, ylabel, size=BASE, anchor="middle",
                   rotate=True)
        self.marks = []


def y_tick_room(ticks: tuple[Iterable[float], Sequence[str]]) -> float:
    """The px a panel needs left of it for these y tick labels (and the tick)."""
    return max((text_width(label, SMALL) for label in ticks[1]), default=0.0) + 12


def numeric_ticks(lo: float, hi: float, target: int = 5, suffix: str = ""
                  ) -> tuple[np.ndarray, list[str]]:
    """:func:`nice_ticks` with their labels."""
    t = nice_ticks(lo, hi, target)
    return t, tick_format(t, suffix)

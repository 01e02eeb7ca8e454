"""Display helpers shared by the snapshot's notebook view and the report writers.

They sit below both :mod:`watchlists.snapshots` and :mod:`watchlists.reporting` (and
import neither), so the result object and its reports never import each other. They
take plain values, rows and tables; a missing value shows as ``–``.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

MISSING = "–"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_num(value: Any) -> str:
    """A number as short text: ``2,104``, ``1,915.06`` (trailing zeros dropped); ``n/a``."""
    if _is_missing(value) or not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):,.2f}".rstrip("0").rstrip(".")


def num(value: Any, digits: int = 2) -> str:
    """``1,369.00`` with ``digits`` decimals; ``–`` when missing."""
    if _is_missing(value) or not math.isfinite(float(value)):
        return MISSING
    return f"{float(value):,.{digits}f}"


def pct(value: Any) -> str:
    """A signed percentage, ``+46.1%``; ``–`` when missing."""
    if _is_missing(value) or not isinstance(value, int | float) or not math.isfinite(value):
        return MISSING
    return f"{value:+.1%}"


def date_text(value: Any) -> str:
    """An ISO date; ``–`` when missing."""
    if _is_missing(value):
        return MISSING
    return pd.Timestamp(value).date().isoformat()


def text(value: Any, empty: str = MISSING) -> str:
    """A cell's text: ``empty`` for None/NaN/empty strings."""
    return empty if _is_missing(value) else str(value)


def price_cell(row: Any) -> str:
    """``1,369.00 CNY ⚠stale``, ``unknown`` or ``unlisted``."""
    if not isinstance(row["symbol"], str):
        return "unlisted"
    if not math.isfinite(row["price"]):
        return "unknown"
    flag = " ⚠stale" if row["stale"] else ""
    return f"{num(row['price'])} {row['currency'] or ''}{flag}".strip()


def header_lines(snap: Any) -> list[str]:
    """The two header lines of every report (``**`` marks the as-of date in Markdown)."""
    wl = snap.watchlist
    mode = ("OFFLINE (store and bundled reference data only)" if snap.offline
            else "refreshed online before this snapshot")
    stale = int(snap.table["stale"].sum())
    return [
        f"as of **{snap.asof.isoformat()}** · generated {snap.generated_at:%Y-%m-%d %H:%M} UTC"
        f" · {mode}",
        f"benchmark {wl.benchmark or MISSING} · base currency {wl.base_currency} · "
        f"{len(wl.members)} members · {stale} stale price(s)",
    ]


MAIN_HEADERS = ("Company", "Symbol", "Price", "Price date", "Source", "Status", "1M", "YTD",
                "52w high", "Consensus (n)", "Upside", "Min-upside bound", "DCF value",
                "Implied growth")


def main_rows(table: pd.DataFrame) -> list[list[str]]:
    """The snapshot table as the rows of the main report table (:data:`MAIN_HEADERS`)."""
    rows = []
    for _, r in table.iterrows():
        n = r["consensus_count"]
        cons = MISSING if not math.isfinite(r["consensus_mean"]) else \
            f"{num(r['consensus_mean'])} ({int(n) if math.isfinite(n) else '?'})"
        if math.isfinite(r["min_target_bound"]):
            bound = f"≥{num(r['min_target_bound'])} ({pct(r['min_target_bound_upside'])})"
        else:
            bound = r["min_target_bound_note"] or MISSING
        rows.append([
            r["name"], text(r["symbol"]), price_cell(r), date_text(r["price_date"]),
            text(r["price_source"]), r["status"], pct(r["ret_1m"]), pct(r["ret_ytd"]),
            num(r["high_52w"]), cons, pct(r["consensus_upside"]), bound,
            num(r["dcf_value"]),
            pct(r["implied_growth"]) if math.isfinite(r["implied_growth"])
            else (r["implied_growth_status"] or MISSING),
        ])
    return rows


def styled_table(table: pd.DataFrame) -> str:
    """The main table as HTML (pandas Styler, cells escaped), stale rows shaded."""
    frame = pd.DataFrame(main_rows(table), columns=list(MAIN_HEADERS))
    stale = table["stale"].astype(bool).to_numpy()
    status = table["status"].astype(str).to_numpy()

    def highlight(row: pd.Series) -> list[str]:
        i = row.name
        if stale[i]:
            color = "background-color:#fffaf0"
        elif status[i].startswith(("error", "unavailable", "no data")):
            color = "background-color:#fff5f5"
        else:
            color = ""
        return [color] * len(row)

    styler = frame.style.apply(highlight, axis=1).format(escape="html").hide(axis="index")
    return styler.to_html()


def html_fragment(snap: Any) -> str:
    """The table part of the HTML report (``Snapshot._repr_html_`` in notebooks)."""
    header = "".join(f"<div class='meta'>{html.escape(h.replace('**', ''))}</div>"
                     for h in header_lines(snap))
    return f"<h3>{html.escape(snap.watchlist.name)}</h3>{header}{styled_table(snap.table)}"

"""Display helpers shared by the snapshot's notebook view and the report writers.

They sit below both :mod:`watchlists.snapshots` and :mod:`watchlists.reporting` (and
import neither), so the result object and its reports never import each other. They
take plain values, rows and tables; a missing value shows as ``–``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
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


def member_label(row: Any) -> str:
    """``Name (SYMBOL)`` of a snapshot row, or the name alone for an unlisted member."""
    return f"{row['name']} ({row['symbol']})" if isinstance(row["symbol"], str) else \
        str(row["name"])


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
    import html

    header = "".join(f"<div class='meta'>{html.escape(h.replace('**', ''))}</div>"
                     for h in header_lines(snap))
    return f"<h3>{html.escape(snap.watchlist.name)}</h3>{header}{styled_table(snap.table)}"


# --------------------------------------------------------------------------- field formats

def _count_text(value: Any) -> str:
    return MISSING if _is_missing(value) or not math.isfinite(float(value)) else \
        f"{int(value)}"


def _big(value: Any) -> str:
    """1.174e9 → '1,174.00 m'; share counts and revenue in millions."""
    if _is_missing(value) or not math.isfinite(float(value)):
        return MISSING
    return f"{float(value) / 1e6:,.2f} m"


#: How each numeric or date column of the snapshot table is shown in reports:
#: ``column: (label, formatter)``. Text columns are shown as they are.
FIELDS: dict[str, tuple[str, Any]] = {
    "price": ("Price", num), "price_date": ("Price date", date_text),
    "ret_1d": ("1D", pct), "ret_1m": ("1M", pct), "ret_3m": ("3M", pct),
    "ret_ytd": ("YTD", pct), "ret_1y": ("1Y", pct), "volatility": ("Volatility", pct),
    "sharpe": ("Sharpe", num), "max_drawdown": ("Max drawdown", pct),
    "high_52w": ("52w high", num), "high_52w_date": ("52w high date", date_text),
    "drawdown_from_high": ("From high", pct), "beta": ("Beta", num),
    "consensus_count": ("Analysts", _count_text), "consensus_mean": ("Consensus mean", num),
    "consensus_median": ("Consensus median", num), "consensus_high": ("Consensus high", num),
    "consensus_low": ("Consensus low", num), "consensus_upside": ("Upside", pct),
    "consensus_upside_from_high": ("Upside from high", pct),
    "min_target_bound": ("Min-upside bound", num),
    "min_target_bound_upside": ("Bound upside", pct), "dcf_value": ("DCF value", num),
    "dcf_upside": ("DCF upside", pct), "implied_growth": ("Implied growth", pct),
    "revenue": ("Revenue", _big), "shares": ("Shares", _big),
    "operating_margin": ("Operating margin", pct), "net_cash": ("Net cash", _big),
}


def field_text(column: str, value: Any) -> str:
    """A table value as the reports show it (:data:`FIELDS`; text as it is)."""
    if column in FIELDS:
        return FIELDS[column][1](value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return text(value)


#: The key-metrics table of the HTML report, in order.
KEY_METRICS = ("price", "price_date", "ret_1m", "ret_3m", "ret_ytd", "ret_1y", "volatility",
               "sharpe", "max_drawdown", "beta", "consensus_mean", "consensus_count",
               "consensus_upside", "dcf_value", "implied_growth")


def md_escape(text: Any) -> str:
    """Text from data as inert Markdown: ``& < >`` as HTML entities (no raw HTML reaches
    a renderer), ``|`` escaped (a cell cannot break its table), line breaks as spaces."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def md_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table; every cell escaped with :func:`md_escape`."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return out

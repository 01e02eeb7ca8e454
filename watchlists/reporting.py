"""Reports of a :class:`~watchlists.snapshots.Snapshot`: Markdown, HTML, CSV and JSON.

Reports only format and write what the snapshot holds; they never fetch data.
Files are written atomically (temp file + rename) into ``out_dir`` under names
derived from the watchlist name by :func:`~watchlists.definitions.safe_filename`,
so a crash leaves the previous report intact and no name can leave ``out_dir``.
Every string that comes from data is escaped in HTML.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ._io import atomic_write_text, ensure_dir
from .definitions import safe_filename
from .snapshots import TABLE_COLUMNS, Snapshot

__all__ = ["FORMATS", "render_html", "render_json", "render_markdown", "report_payload",
           "write_report"]

Format = Literal["md", "html", "csv", "json"]
FORMATS: tuple[str, ...] = ("md", "html", "csv", "json")
JSON_SCHEMA = 1


# --------------------------------------------------------------------------- formatting


def _num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    try:
        if pd.isna(value):
            return "–"
    except (TypeError, ValueError):
        pass
    return f"{float(value):,.{digits}f}"


def _pct(value: Any) -> str:
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "–"
    return f"{value:+.1%}"


def _date(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    return pd.Timestamp(value).date().isoformat()


def _text(value: Any, empty: str = "–") -> str:
    """A cell's text: ``empty`` for None/NaN/empty strings."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or value == "":
        return empty
    return str(value)


def _price_cell(row: pd.Series) -> str:
    if not isinstance(row["symbol"], str):
        return "unlisted"
    if not math.isfinite(row["price"]):
        return "unknown"
    flag = " ⚠stale" if row["stale"] else ""
    return f"{_num(row['price'])} {row['currency'] or ''}{flag}".strip()


def _header(snap: Snapshot) -> list[str]:
    wl = snap.watchlist
    mode = "OFFLINE (store and bundled reference data only)" if snap.offline else "online"
    stale = int(snap.table["stale"].sum())
    return [
        f"as of **{snap.asof.isoformat()}** · generated {snap.generated_at:%Y-%m-%d %H:%M} UTC"
        f" · {mode}",
        f"benchmark {wl.benchmark or '–'} · base currency {wl.base_currency} · "
        f"{len(wl.members)} members · {stale} stale price(s)",
    ]


# --------------------------------------------------------------------------- payload (JSON)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/NaT → null, dates → ISO 8601, numpy scalars → Python."""
    if value is None or value is pd.NaT:  # NaT is a datetime: isoformat() would give 'NaT'
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _count(value: Any) -> int | None:
    """A count column (float because of NaN) as an int, or None when unknown."""
    try:
        return None if pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None


def report_payload(snap: Snapshot) -> dict[str, Any]:
    """The JSON document of a snapshot (``schema`` 1); also what the store keeps per run."""
    rows = []
    for _, r in snap.table.iterrows():
        sym = r["symbol"] if isinstance(r["symbol"], str) else None
        tg = snap.targets[snap.targets["symbol"] == sym] if sym else snap.targets.iloc[0:0]
        rows.append({
            "company": r["company"], "name": r["name"], "symbol": sym,
            "currency": r["currency"], "price": r["price"], "price_date": r["price_date"],
            "price_source": r["price_source"], "stale": bool(r["stale"]), "status": r["status"],
            "returns": {w: r[f"ret_{w}"] for w in ("1d", "1m", "3m", "ytd", "1y")},
            "high_52w": r["high_52w"], "high_52w_date": r["high_52w_date"],
            "drawdown_from_high": r["drawdown_from_high"], "volatility": r["volatility"],
            "beta": r["beta"],
            "consensus": {
                "count": _count(r["consensus_count"]), "mean": r["consensus_mean"],
                "median": r["consensus_median"], "high": r["consensus_high"],
                "low": r["consensus_low"], "upside": r["consensus_upside"],
                "upside_from_high": r["consensus_upside_from_high"],
                "source": r["consensus_source"] or None,
            },
            "targets": [
                {"broker": t.broker, "rating": t.rating, "kind": t.kind, "target": t.target,
                 "min_upside": t.min_upside, "reference": t.reference,
                 "reference_value": t.reference_value,
                 "implied_min_target": t.implied_min_target, "currency": t.currency,
                 "published": t.published, "date_unknown": bool(t.date_unknown),
                 "previous_target": t.previous_target, "upside": t.upside,
                 "in_consensus": bool(t.in_consensus), "source_url": t.source_url,
                 "confidence": t.confidence}
                for t in tg.itertuples()
            ],
            "min_target_bound": r["min_target_bound"],
            "dcf_value": r["dcf_value"], "dcf_upside": r["dcf_upside"],
            "implied_growth": r["implied_growth"],
            "implied_growth_status": r["implied_growth_status"] or None,
            "inputs": {"revenue": r["revenue"], "revenue_currency": r["revenue_currency"],
                       "revenue_basis": r["revenue_basis"] or None, "shares": r["shares"],
                       "shares_basis": r["shares_basis"] or None,
                       "assumptions": r["assumptions"]},
            "note": r["note"] or None,
            "warnings": [w for w in str(r["warnings"] or "").split("; ") if w],
        })
    return _clean({
        "schema": JSON_SCHEMA,
        "watchlist": snap.watchlist.name,
        "asof": snap.asof,
        "generated_at": snap.generated_at,
        "offline": snap.offline,
        "rows": rows,
        "changes": list(snap.changes),
        "warnings": list(snap.warnings),
        "sources": list(snap.sources),
    })


def render_json(snap: Snapshot) -> str:
    """JSON report text (NaN written as null, dates ISO 8601)."""
    return json.dumps(report_payload(snap), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- CSV


def render_csv(snap: Snapshot) -> str:
    """The snapshot table, one row per member, columns in :data:`TABLE_COLUMNS` order."""
    return snap.table.reindex(columns=list(TABLE_COLUMNS)).to_csv(index=False,
                                                                 lineterminator="\n")


# --------------------------------------------------------------------------- Markdown


def _md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return out


_MAIN_HEADERS = ("Company", "Symbol", "Price", "Price date", "Source", "Status", "1M", "YTD",
                 "52w high", "Consensus (n)", "Upside", "Min-upside bound", "DCF value",
                 "Implied growth")


def _main_rows(snap: Snapshot) -> list[list[str]]:
    rows = []
    for _, r in snap.table.iterrows():
        n = r["consensus_count"]
        cons = "–" if not math.isfinite(r["consensus_mean"]) else \
            f"{_num(r['consensus_mean'])} ({int(n) if math.isfinite(n) else '?'})"
        bound = "–" if not math.isfinite(r["min_target_bound"]) else \
            f"≥{_num(r['min_target_bound'])} ({_pct(r['min_target_bound_upside'])})"
        rows.append([
            r["name"], _text(r["symbol"]), _price_cell(r), _date(r["price_date"]),
            _text(r["price_source"]), r["status"], _pct(r["ret_1m"]), _pct(r["ret_ytd"]),
            _num(r["high_52w"]), cons, _pct(r["consensus_upside"]), bound,
            _num(r["dcf_value"]),
            _pct(r["implied_growth"]) if math.isfinite(r["implied_growth"])
            else (r["implied_growth_status"] or "–"),
        ])
    return rows


def render_markdown(snap: Snapshot) -> str:
    """A Markdown report a person reads in a terminal or a pull request."""
    wl = snap.watchlist
    lines = [f"# {wl.name}", ""]
    if wl.description:
        lines += [wl.description, ""]
    lines += [*(f"{h}  " for h in _header(snap)), ""]
    lines += _md_table(_MAIN_HEADERS, _main_rows(snap))
    lines += ["", "## Named analyst targets", ""]
    if len(snap.targets):
        rows = []
        for t in snap.targets.itertuples():
            level = (_num(t.target) if t.kind == "price"
                     else f"≥{_num(t.implied_min_target)} (≥{t.min_upside:.0%} above "
                          f"{t.reference} {_num(t.reference_value)})")
            rows.append([t.symbol, t.broker, t.rating if isinstance(t.rating, str) else "–",
                         level, t.currency, "date unknown" if t.date_unknown or pd.isna(t.published)
                         else _date(t.published), _pct(t.upside),
                         "yes" if t.in_consensus else "no", t.confidence, t.source_url])
        lines += _md_table(("Symbol", "Broker", "Rating", "Target", "Ccy", "Published", "Upside",
                            "In consensus", "Confidence", "Source"), rows)
    else:
        lines.append("No named-broker targets known at this date.")
    lines += ["", "## Valuation inputs", ""]
    lines += _md_table(
        ("Company", "Revenue", "Basis", "Shares", "Assumptions"),
        [[r["name"], f"{_num(r['revenue'], 0)} {_text(r['revenue_currency'], '')}".strip(),
          _text(r["revenue_basis"]), _num(r["shares"], 0), r["assumptions"]]
         for _, r in snap.table.iterrows()])
    lines += ["", "## Changes since the last run", ""]
    lines += [f"- **{c['kind']}** {c['symbol'] or c['company']}: {c['detail']}"
              for c in snap.changes] or ["No previous run of this watchlist, or no changes."]
    lines += ["", "## Data sources", ""] + [f"- {s}" for s in snap.sources]
    lines += ["", "## Warnings", ""]
    lines += [f"- {_md_escape(w)}" for w in snap.warnings] or ["None."]
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;color:#1a202c}
h1{margin-bottom:0} .meta{color:#4a5568;margin:.3em 0 1em}
table{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:right}
th{background:#f7fafc} td:first-child,th:first-child{text-align:left}
.offline{background:#fffaf0;border:1px solid #dd6b20;padding:.5em 1em;display:inline-block}
img{max-width:100%} li{margin:.15em 0}
"""


def _img(png: bytes | None, alt: str) -> str:
    if png is None:
        return f"<p><em>{html.escape(alt)}: not enough data to draw.</em></p>"
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _styled_table(snap: Snapshot) -> str:
    frame = pd.DataFrame(_main_rows(snap), columns=list(_MAIN_HEADERS))
    stale = snap.table["stale"].astype(bool).to_numpy()
    status = snap.table["status"].astype(str).to_numpy()

    def highlight(row: pd.Series) -> list[str]:
        i = row.name
        if stale[i]:
            color = "background-color:#fffaf0"
        elif status[i].startswith(("error", "unavailable")):
            color = "background-color:#fff5f5"
        else:
            color = ""
        return [color] * len(row)

    styler = frame.style.apply(highlight, axis=1).format(escape="html").hide(axis="index")
    return styler.to_html()


def _links(urls: Any) -> str:
    """``a ; b`` source URLs as short escaped links (the host is the link text)."""
    from urllib.parse import urlsplit

    out = []
    for url in str(urls or "").split(" ; "):
        url = url.strip()
        if url.startswith(("http://", "https://")):
            host = urlsplit(url).netloc or url
            out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(host)}</a>')
    return ", ".join(out) or "–"


def _targets_html(targets: pd.DataFrame) -> str:
    """The named-target table: one row per target, bounds shown as bounds, sources linked."""
    e = html.escape
    head = ("Symbol", "Broker", "Rating", "Target", "Ccy", "Published", "Upside",
            "In consensus", "Source", "Confidence", "Links")
    rows = []
    for t in targets.itertuples():
        if t.kind == "min_upside":
            level = (f"≥{_num(t.implied_min_target)} (≥{t.min_upside:.0%} above "
                     f"{t.reference} {_num(t.reference_value)})")
        else:
            level = _num(t.target)
        when = "date unknown" if pd.isna(t.published) else _date(t.published)
        cells = (t.symbol, t.broker, t.rating if isinstance(t.rating, str) else "–", level,
                 t.currency, when, _pct(t.upside), "yes" if t.in_consensus else "no",
                 _text(t.source), t.confidence)
        rows.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in cells)
                    + f"<td>{_links(t.source_url)}</td></tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def render_html_fragment(snap: Snapshot) -> str:
    """The table part of the HTML report (used by ``Snapshot._repr_html_`` in notebooks)."""
    header = "".join(f"<div class='meta'>{html.escape(h.replace('**', ''))}</div>"
                     for h in _header(snap))
    return f"<h3>{html.escape(snap.watchlist.name)}</h3>{header}{_styled_table(snap)}"


def render_html(snap: Snapshot, *, charts: bool = True) -> str:
    """One self-contained HTML file: styled table, charts as embedded PNG, no network."""
    from . import charts as ch

    wl = snap.watchlist
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(wl.name)} — {snap.asof.isoformat()}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(wl.name)}</h1>",
    ]
    if wl.description:
        parts.append(f"<p>{e(wl.description)}</p>")
    parts += [f"<div class='meta'>{e(h.replace('**', ''))}</div>" for h in _header(snap)]
    if snap.offline:
        parts.append("<p class='offline'>Offline: prices come from the local store and the "
                     "bundled reference quotes, each with its own date.</p>")
    parts += ["<h2>Snapshot</h2>", _styled_table(snap)]
    if charts:
        parts += ["<h2>Upside</h2>", _img(ch.upside_chart(snap), "upside chart"),
                  "<h2>Price against named targets</h2>",
                  _img(ch.price_target_chart(snap), "price and targets"),
                  "<h2>Basket performance</h2>", _img(ch.basket_chart(snap), "basket chart")]
    parts.append("<h2>Named analyst targets</h2>")
    if len(snap.targets):
        parts.append(_targets_html(snap.targets))
    else:
        parts.append("<p>No named-broker targets known at this date.</p>")
    parts.append("<h2>Notes</h2><ul>")
    parts += [f"<li><b>{e(r['name'])}</b>: {e(r['note'])}</li>"
              for _, r in snap.table.iterrows() if r["note"]]
    parts.append("</ul><h2>Changes since the last run</h2><ul>")
    parts += [f"<li><b>{e(c['kind'])}</b> {e(str(c['symbol'] or c['company']))}: "
              f"{e(c['detail'])}</li>" for c in snap.changes] or ["<li>None.</li>"]
    parts.append("</ul><h2>Data sources</h2><ul>")
    parts += [f"<li>{e(s)}</li>" for s in snap.sources]
    parts.append("</ul><h2>Warnings</h2><ul>")
    parts += [f"<li>{e(w)}</li>" for w in snap.warnings] or ["<li>None.</li>"]
    parts.append("</ul></body></html>\n")
    return "".join(parts)


# --------------------------------------------------------------------------- writing

_RENDERERS = {"md": render_markdown, "html": render_html, "csv": render_csv, "json": render_json}


def parse_formats(formats: str | Iterable[str]) -> tuple[str, ...]:
    """``"md,html"`` or ``["md", "html"]`` → ``("md", "html")``.

    Unknown names raise ``ValueError`` listing the valid ones.
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out = tuple(dict.fromkeys(f.strip().lower() for f in items if f.strip()))
    bad = [f for f in out if f not in _RENDERERS]
    if bad or not out:
        raise ValueError(f"format {','.join(bad) or repr(formats)} is not one of "
                         f"{', '.join(FORMATS)}")
    return out


def write_report(
    snapshot: Snapshot,
    formats: str | Iterable[str] = FORMATS,
    out_dir: str | os.PathLike[str] = "reports",
    *,
    store: Any = None,
) -> dict[str, Path]:
    """Write the snapshot's reports into ``out_dir``; return ``{format: path}``.

    File names are ``<safe watchlist name>-<asof>.<ext>`` (see
    :func:`~watchlists.definitions.safe_filename`), written atomically. With a
    ``store``, the run's JSON payload is recorded there so the next report can list
    what changed.
    """
    fmts = parse_formats(formats)
    directory = ensure_dir(out_dir).resolve()
    stem = f"{safe_filename(snapshot.watchlist.name)}-{snapshot.asof.isoformat()}"
    written: dict[str, Path] = {}
    for fmt in fmts:
        path = (directory / f"{stem}.{fmt}").resolve()
        if path.parent != directory:  # defence in depth: safe_filename already prevents it
            raise ValueError(f"report name {stem!r} would leave {directory}")
        text = _RENDERERS[fmt](snapshot)
        written[fmt] = atomic_write_text(path, text)
    if store is not None:
        store.record_run(snapshot.watchlist.name, snapshot.asof, snapshot.generated_at,
                         report_payload(snapshot))
    return written


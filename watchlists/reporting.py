"""Reports of a :class:`~watchlists.snapshots.Snapshot`: Markdown, HTML, CSV and JSON.

Reports only format and write what the snapshot holds; they never fetch data.
Files are written atomically (temp file + rename) into ``out_dir`` under names
derived from the watchlist name by :func:`~watchlists.definitions.safe_filename`,
so a crash leaves the previous report intact and no name can leave ``out_dir``.
Every string that comes from data is escaped in HTML.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ._display import (
    FIELDS,
    KEY_METRICS,
    MAIN_HEADERS,
    date_text,
    field_text,
    header_lines,
    main_rows,
    member_label,
    num,
    pct,
    text,
)
from ._display import md_escape as _md_escape
from ._display import md_table as _md_table
from ._io import atomic_write_set, atomic_write_text, csv_safe, ensure_dir, json_safe
from .definitions import safe_filename
from .snapshots import TABLE_COLUMNS, Snapshot

__all__ = ["FORMATS", "render_html", "render_json", "render_markdown", "report_payload",
           "write_report"]

Format = Literal["md", "html", "csv", "json"]
FORMATS: tuple[str, ...] = ("md", "html", "csv", "json")
JSON_SCHEMA = 2


# --------------------------------------------------------------------------- payload (JSON)


def _count(value: Any) -> int | None:
    """A count column (float because of NaN) as an int, or None when unknown."""
    try:
        return None if pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None


def report_payload(snap: Snapshot) -> dict[str, Any]:
    """The JSON document of a snapshot (``schema`` 2)."""
    rows = []
    warned: dict[tuple[Any, Any], list[str]] = {}
    for w in snap.warnings.itertuples():
        warned.setdefault((w.company, w.symbol), []).append(w.message)
    targets_of = (dict(iter(snap.targets.groupby("symbol", sort=False)))
                  if len(snap.targets) else {})  # grouped once: no member × target filter
    no_targets = snap.targets.iloc[0:0]
    for _, r in snap.table.iterrows():
        sym = r["symbol"] if isinstance(r["symbol"], str) else None
        tg = targets_of.get(sym, no_targets) if sym else no_targets
        rows.append({
            "company": r["company"], "name": r["name"], "symbol": sym,
            "currency": r["currency"], "price": r["price"], "price_date": r["price_date"],
            "price_source": r["price_source"], "stale": bool(r["stale"]), "status": r["status"],
            "calendar": r["calendar"] or None,
            "returns": {w: r[f"ret_{w}"] for w in ("1d", "1m", "3m", "ytd", "1y")},
            "high_52w": r["high_52w"], "high_52w_date": r["high_52w_date"],
            "high_52w_basis": r["high_52w_basis"] or None,
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
                 "effective_date": t.effective_date,
                 "previous_target": t.previous_target, "upside": t.upside,
                 "consensus_status": t.consensus_status,
                 "in_consensus": bool(t.in_consensus), "source": t.source,
                 "source_url": t.source_url, "confidence": t.confidence}
                for t in tg.itertuples()
            ],
            "min_target_bound": r["min_target_bound"],
            "min_target_bound_note": r["min_target_bound_note"] or None,
            "dcf_value": r["dcf_value"], "dcf_upside": r["dcf_upside"],
            "implied_growth": r["implied_growth"],
            "implied_growth_status": r["implied_growth_status"] or None,
            "inputs": {"revenue": r["revenue"], "revenue_currency": r["revenue_currency"],
                       "revenue_basis": r["revenue_basis"] or None,
                       "revenue_source": r["revenue_source"] or None, "shares": r["shares"],
                       "shares_basis": r["shares_basis"] or None,
                       "shares_source": r["shares_source"] or None,
                       "revenue_fx": r["revenue_fx"] or None,
                       "operating_margin": r["operating_margin"],
                       "operating_margin_source": r["operating_margin_source"] or None,
                       "net_cash": r["net_cash"],
                       "net_cash_source": r["net_cash_source"] or None,
                       "assumptions": r["assumptions"]},
            "note": r["note"] or None,
            "warnings": warned.get((r["company"], sym), []),
        })
    return json_safe({
        "schema": JSON_SCHEMA,
        "watchlist": snap.watchlist.name,
        "asof": snap.asof,
        "generated_at": snap.generated_at,
        "offline": snap.offline,
        "rows": rows,
        "changes": snap.changes.to_dict("records"),
        "warnings": snap.warnings.to_dict("records"),
        "sources": list(snap.sources),
    })


def render_json(snap: Snapshot) -> str:
    """JSON report text (NaN written as null, dates ISO 8601)."""
    return json.dumps(report_payload(snap), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- CSV


def render_csv(snap: Snapshot) -> str:
    """The snapshot table, one row per member, columns in :data:`TABLE_COLUMNS` order.

    Text cells starting with ``= + - @``, tab or CR get a leading ``'`` (OWASP: a
    spreadsheet shows them as text instead of running a formula); numbers are unchanged.
    """
    table = csv_safe(snap.table.reindex(columns=list(TABLE_COLUMNS)))
    return table.to_csv(index=False, lineterminator="\n")


# --------------------------------------------------------------------------- Markdown






def target_level(t: Any) -> str:
    """A target's level: ``2,000.00``; a bound as ``≥1,915.06 (≥20% above the high
    1,595.88)``; an unresolved bound as ``≥20% above the high (high unknown)``."""
    if t.kind != "min_upside":
        return num(t.target)
    what = "52-week high" if t.reference == "high" else "price"
    if pd.isna(t.implied_min_target):
        return f"≥{t.min_upside:.0%} above the {what} ({what.split()[-1]} unknown)"
    return f"≥{num(t.implied_min_target)} (≥{t.min_upside:.0%} above the {what} " \
        f"{num(t.reference_value)})"


def consensus_cell(t: Any) -> str:
    """``yes``, or ``no`` with the reason (``no (stale)``, ``no (bound)``)."""
    if t.in_consensus:
        return "yes"
    status = t.consensus_status
    if status == "used":  # eligible, but the table shows a provider's consensus
        return "no (provider consensus shown)"
    return f"no ({status})" if isinstance(status, str) and status else "no"


def _warning_text(w: Any) -> str:
    who = w.symbol or w.company
    return f"{who}: {w.message}" if isinstance(who, str) and who else str(w.message)


def _analytics_markdown(snap: Snapshot) -> list[str]:
    """The cross-listing and track-record sections, when the snapshot has them."""
    out: list[str] = []
    if snap.cross_listings:
        from .cross_listings import to_markdown

        out += [to_markdown(list(snap.cross_listings)), ""]
    if snap.track_record is not None and len(snap.track_record.targets):
        from .track_records import to_markdown as track_markdown

        out += [track_markdown(snap.track_record), ""]
    return out


def _analytics_html(snap: Snapshot, charts: bool) -> list[str]:
    """The same sections as HTML fragments (escaped by their modules, charts as data URIs)."""
    out: list[str] = []
    if snap.cross_listings:
        from .cross_listings import to_html

        out.append(to_html(list(snap.cross_listings), charts=charts))
    if snap.track_record is not None and len(snap.track_record.targets):
        from .track_records import to_html as track_html

        out.append(track_html(snap.track_record, chart=charts))
    return out


def render_markdown(snap: Snapshot) -> str:
    """A Markdown report a person reads in a terminal or a pull request."""
    wl = snap.watchlist
    lines = [f"# {_md_escape(wl.name)}", ""]
    if wl.description:
        lines += [_md_escape(wl.description), ""]
    lines += [*(f"{_md_escape(h)}  " for h in header_lines(snap)), ""]
    lines += _md_table(MAIN_HEADERS, main_rows(snap.table))
    lines += ["", "## Named analyst targets", ""]
    if len(snap.targets):
        rows = []
        for t in snap.targets.itertuples():
            rows.append([t.symbol, t.broker, t.rating if isinstance(t.rating, str) else "–",
                         target_level(t), t.currency,
                         "date unknown" if pd.isna(t.published) else date_text(t.published),
                         pct(t.upside), consensus_cell(t), text(t.source), t.confidence,
                         t.source_url])
        lines += _md_table(("Symbol", "Broker", "Rating", "Target", "Ccy", "Published", "Upside",
                            "In consensus", "Source", "Confidence", "Links"), rows)
    else:
        lines.append("No named-broker targets known at this date.")
    extra = _analytics_markdown(snap)
    if extra:
        lines += ["", *extra[:-1]]
    lines += ["", "## Valuation inputs", ""]
    lines += _md_table(
        ("Company", "Revenue", "Basis", "Source", "Shares", "Op. margin", "Net cash",
         "Assumptions"),
        [[r["name"], f"{num(r['revenue'], 0)} {text(r['revenue_currency'], '')}".strip(),
          text(r["revenue_basis"]), text(r["revenue_source"]), num(r["shares"], 0),
          pct(r["operating_margin"]), num(r["net_cash"], 0), r["assumptions"]]
         for _, r in snap.table.iterrows()])
    lines += ["", "## Changes since the last earlier run", ""]
    lines += [f"- **{_md_escape(c.kind)}** {_md_escape(c.symbol or c.company)}: "
              f"{_md_escape(c.detail)} (previous run: as of {_md_escape(c.previous_asof)})"
              for c in snap.changes.itertuples()] or [
        "No earlier run of this watchlist, or no changes."]
    lines += ["", "## Data sources", ""] + [f"- {_md_escape(s)}" for s in snap.sources]
    lines += ["", "## Warnings", ""]
    lines += [f"- {_md_escape(_warning_text(w))}" for w in snap.warnings.itertuples()] or [
        "None."]
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML


def _links(urls: Any) -> list[dict[str, str]]:
    """``a ; b`` source URLs as ``[{"href", "host"}]`` (http(s) only)."""
    from urllib.parse import urlsplit

    out = []
    for url in str(urls or "").split(" ; "):
        url = url.strip()
        if url.startswith(("http://", "https://")):
            out.append({"href": url, "host": urlsplit(url).netloc or url})
    return out


def _cell(value: str, kind: str = "text") -> dict[str, str]:
    """A table cell for the template: its text and its CSS class (``num`` cells are
    right-aligned, ``date`` cells never wrap, ``text`` cells are left-aligned)."""
    return {"text": value, "cls": kind}


def _kind(column: str) -> str:
    if column.endswith("_date"):
        return "date"
    return "num" if column in FIELDS else "text"


def _html_view(snap: Snapshot, charts: bool) -> dict[str, Any]:
    """The view model the HTML template renders (plain strings, lists, dicts; the
    per-member rows as generators, so it renders once)."""
    table = snap.table
    key_head = ["Company", "Symbol", *(FIELDS[c][0] for c in KEY_METRICS)]
    # The per-member rows are generators: the template renders them one member at a
    # time (see write_report), so a large watchlist never holds every cell dict at once.
    key_rows = (
        [_cell(str(r["name"])), _cell(text(r["symbol"])),
         *(_cell(field_text(c, r[c]) + (" ⚠stale" if c == "price_date" and r["stale"] else ""),
                 _kind(c)) for c in KEY_METRICS)]
        for _, r in table.iterrows()
    )
    status_head = ["Company", "Symbol", "Ccy", "Price source", "Status", "Calendar",
                   "52w high", "52w high basis", "Min-upside bound", "Bound note"]
    status_rows = (
        [_cell(str(r["name"])), _cell(text(r["symbol"])), _cell(text(r["currency"])),
         _cell(text(r["price_source"])), _cell(text(r["status"])), _cell(text(r["calendar"])),
         _cell(num(r["high_52w"]), "num"), _cell(text(r["high_52w_basis"])),
         _cell(num(r["min_target_bound"]), "num"), _cell(text(r["min_target_bound_note"]))]
        for _, r in table.iterrows()
    )
    inputs_head = ["Company", "Revenue", "Ccy", "Basis", "Revenue source", "FX used", "Shares",
                   "Shares basis", "Shares source", "Op. margin", "Margin source", "Net cash",
                   "Net cash source", "Assumptions (value and where it came from)"]
    inputs_rows = (
        [_cell(str(r["name"])), _cell(field_text("revenue", r["revenue"]), "num"),
         _cell(text(r["revenue_currency"])), _cell(text(r["revenue_basis"])),
         _cell(text(r["revenue_source"])), _cell(text(r["revenue_fx"])),
         _cell(field_text("shares", r["shares"]), "num"),
         _cell(text(r["shares_basis"])), _cell(text(r["shares_source"])),
         _cell(field_text("operating_margin", r["operating_margin"]), "num"),
         _cell(text(r["operating_margin_source"])),
         _cell(field_text("net_cash", r["net_cash"]), "num"),
         _cell(text(r["net_cash_source"])), _cell(text(r["assumptions"]))]
        for _, r in table.iterrows()
    )
    detail_columns = [c for c in TABLE_COLUMNS if c not in ("warnings", "note")]
    details = (
        {"label": member_label(r),
         "rows": [(c, _cell(field_text(c, r[c]), _kind(c))) for c in detail_columns]}
        for _, r in table.iterrows()
    )
    targets = [
        {"cells": [_cell(text(t.symbol)), _cell(str(t.broker)),
                   _cell(t.rating if isinstance(t.rating, str) else "–"),
                   _cell(target_level(t), "num"), _cell(text(t.currency)),
                   _cell("date unknown" if pd.isna(t.published) else date_text(t.published),
                         "date"),
                   _cell(pct(t.upside), "num"), _cell(consensus_cell(t)), _cell(text(t.source)),
                   _cell(str(t.confidence))],
         "links": _links(t.source_url)}
        for t in snap.targets.itertuples()
    ]
    groups: dict[tuple[Any, Any], list[str]] = {}
    for w in snap.warnings.itertuples():
        groups.setdefault((w.company, w.symbol), []).append(str(w.message))
    names = {r["company"]: r["name"] for _, r in table.iterrows() if r["company"]}
    names.update({r["symbol"]: r["name"] for _, r in table.iterrows() if r["symbol"]})
    warning_groups = [
        {"label": (f"{names.get(symbol, company)} ({symbol})" if isinstance(symbol, str)
                   else str(names.get(company, company)) if isinstance(company, str)
                   else "Whole watchlist"),
         "messages": messages}
        for (company, symbol), messages in groups.items()
    ]
    figures = []
    if charts:
        from . import charts as ch

        drawn = ch.report_charts(snap)  # with what a chart of a large watchlist leaves out
        figures = [
            {"title": title, "alt": alt, "src": ch.data_uri(drawn[key][0]),
             "note": drawn[key][1]}
            for key, title, alt in (
                ("upside", "Upside to analyst targets", "upside chart"),
                ("price_target", "Price against each broker's current target",
                 "price and targets"),
                ("drawdown", "Drawdown from the running high", "drawdown chart"),
                ("basket", "Basket against the benchmark", "basket chart"),
            )
        ]
    listed = table[table["symbol"].notna()]
    summary = (f"{len(table)} members · {int(listed['stale'].sum())} stale · "
               f"{int(listed['price'].isna().sum())} without a price · "
               f"{len(snap.changes)} change(s) · {len(snap.warnings)} warning(s) for "
               f"{len(warning_groups)} group(s)")
    return {
        "name": snap.watchlist.name,
        "description": snap.watchlist.description,
        "asof": snap.asof.isoformat(),
        "header": [h.replace("**", "") for h in header_lines(snap)],
        "summary": summary,
        "offline": snap.offline,
        "key_head": key_head, "key_rows": key_rows,
        "status_head": status_head, "status_rows": status_rows,
        "inputs_head": inputs_head, "inputs_rows": inputs_rows,
        "details": details,
        "figures": figures,
        "analytics": [_markup(f) for f in _analytics_html(snap, charts)],
        "target_headers": ["Symbol", "Broker", "Rating", "Target", "Ccy", "Published", "Upside",
                           "In consensus", "Source", "Confidence", "Links"],
        "targets": targets,
        "notes": [{"name": r.name, "note": r.note} for r in table.itertuples() if r.note],
        "changes": [{"kind": c.kind, "who": c.symbol or c.company, "detail": c.detail,
                     "since": str(c.previous_asof)} for c in snap.changes.itertuples()],
        "sources": list(snap.sources),
        "warning_groups": warning_groups,
    }


def _markup(fragment: str) -> Any:
    """An HTML fragment already escaped by the module that built it (jinja2 autoescape)."""
    import markupsafe

    return markupsafe.Markup(fragment)  # noqa: S704 - escaped where it was built


def render_html(snap: Snapshot, *, charts: bool = True) -> str:
    """One self-contained HTML file: styled table, charts as embedded SVG images, no
    network.

    Rendered from the ``templates/report.html.j2`` jinja2 template with autoescape on,
    so every string that comes from data is escaped.
    """
    return _template().render(_html_view(snap, charts))


_CHUNK = 4096
"""Template output pieces joined per encode in :func:`_html_bytes` (a report has
hundreds of thousands of small pieces; one encode each would be slow)."""


def _html_bytes(snap: Snapshot) -> bytes:
    """The bytes of :func:`render_html` (charts on), encoded as the template streams
    them: neither the whole page's list of pieces nor its text is ever held."""
    out = bytearray()
    batch: list[str] = []
    for piece in _template().generate(_html_view(snap, True)):
        batch.append(piece)
        if len(batch) >= _CHUNK:
            out += "".join(batch).encode("utf-8")
            batch.clear()
    out += "".join(batch).encode("utf-8")
    return bytes(out)


@functools.cache
def _template() -> Any:
    """The compiled report template (compiled once per process)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("watchlists", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    return env.get_template("report.html.j2")


# --------------------------------------------------------------------------- writing

_RENDERERS = {
    "md": lambda snap: render_markdown(snap).encode("utf-8"),
    "html": _html_bytes,
    "csv": lambda snap: render_csv(snap).encode("utf-8"),
    "json": lambda snap: render_json(snap).encode("utf-8"),
}
"""Each format's UTF-8 bytes, as :func:`write_report` writes them."""


class _RenderedSet(Mapping):  # type: ignore[type-arg]
    """``{path: bytes}`` for :func:`~watchlists._io.atomic_write_set` that renders each
    format only when the set asks for it (the set stages each file as it gets it, so a
    format is rendered, hashed, staged and dropped before the next is rendered)."""

    def __init__(self, snapshot: Snapshot, paths: dict[str, Path]) -> None:
        self._snapshot = snapshot
        self._formats = {path: fmt for fmt, path in paths.items()}
        self.digests: dict[str, str] = {}

    def __iter__(self) -> Iterator[Path]:
        return iter(self._formats)

    def __len__(self) -> int:
        return len(self._formats)

    def __getitem__(self, path: Path) -> bytes:
        import hashlib

        fmt = self._formats[path]
        data = _RENDERERS[fmt](self._snapshot)
        self.digests[fmt] = hashlib.sha256(data).hexdigest()
        return data


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
    """Write the snapshot's reports into ``out_dir`` as one set; return ``{format: path}``.

    File names are ``<safe watchlist name>-<asof>.<ext>`` (see
    :func:`~watchlists.definitions.safe_filename`). Each format is rendered and staged
    to its temp file before the next is rendered (only one is in memory at a time), and
    only when all are staged are they renamed into place
    (:func:`watchlists._io.atomic_write_set`); a crash while rendering or staging
    leaves the previous set whole. Last, ``<stem>.manifest.json`` is written: the run id
    (the snapshot's ``generated_at``), the as-of date and the SHA-256 of every file of
    the set, so a reader can tell a complete set from one cut short between two renames
    (a file whose hash differs from the manifest's is not of this run). A link planted
    at a report's name is replaced, never written through. With a ``store``, the
    snapshot's own table is recorded there as a run of its ``asof``, so the next report
    of a later date can list what changed.
    """

    fmts = parse_formats(formats)
    directory = ensure_dir(out_dir).resolve()
    stem = f"{safe_filename(snapshot.watchlist.name)}-{snapshot.asof.isoformat()}"
    paths = {fmt: directory / f"{stem}.{fmt}" for fmt in fmts}  # never resolve(): links
    if any(p.parent != directory for p in paths.values()):  # safe_filename prevents it
        raise ValueError(f"report name {stem!r} would leave {directory}")
    rendered = _RenderedSet(snapshot, paths)
    atomic_write_set(rendered)  # each format rendered, staged and dropped in turn
    manifest = {
        "run_id": snapshot.generated_at.isoformat(),
        "watchlist": snapshot.watchlist.name,
        "asof": snapshot.asof.isoformat(),
        "files": {paths[f].name: rendered.digests[f] for f in fmts},
    }
    atomic_write_text(directory / f"{stem}.manifest.json",
                      json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if store is not None:
        store.record_run(snapshot.watchlist.name, snapshot.asof, snapshot.generated_at,
                         snapshot.run_record())
    return dict(paths)

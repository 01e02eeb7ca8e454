"""The HTML report's structure: the tables and charts a reader expects, no external
resources, and every figure of the CSV shown for its member. Offline; the price history
is SYNTHETIC (seeded), so the charts have something to draw."""

from __future__ import annotations

import csv
import html
import io
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _snapshot_fixtures import ASOF, NOW, seed_store
from _svg_checks import PREFIX, parse_svg

from watchlists._display import FIELDS, field_text
from watchlists.reporting import render_csv, render_html
from watchlists.snapshots import snapshot
from watchlists.store import open_store

WL = "china-ai-compute"


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.h2: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2 and data.strip():
            self.h2.append(data.strip())


@pytest.fixture(scope="module")
def seeded_snap(tmp_path_factory):
    with open_store(tmp_path_factory.mktemp("html") / "store") as s:
        seed_store(s)
        return snapshot(WL, ASOF, store=s, now=NOW)


@pytest.fixture(scope="module")
def page(seeded_snap):
    return render_html(seeded_snap)


def test_sections_tables_and_charts(page):
    p = _Structure()
    p.feed(page)
    for heading in ("Key metrics", "Prices, status and bounds", "Upside to analyst targets",
                    "Price against each broker's current target",
                    "Drawdown from the running high", "Basket against the benchmark",
                    "Named analyst targets", "Valuation inputs and assumptions",
                    "Every figure, per member", "Data sources", "Warnings"):
        assert heading in p.h2, heading
    tags = [t for t, _ in p.tags]
    assert tags.count("table") >= 5
    images = [a for t, a in p.tags if t == "img"]
    # upside, price/targets, drawdown and basket all drawn, plus the track record's hit
    # rates (the seeded store has prices at the bundled targets' dates)
    assert len(images) == 5
    assert "Analyst target track record" in p.h2
    assert all(a["src"].startswith(PREFIX) for a in images)
    for a in images:
        parse_svg(a["src"][len(PREFIX):])
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in p.tags)
    assert tags.count("details") >= 9  # one per member, plus warning groups


def test_no_external_resources(page):
    p = _Structure()
    p.feed(page)
    for tag, attrs in p.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        if tag in ("img", "source", "video", "audio"):
            assert attrs["src"].startswith("data:"), attrs["src"][:40]
    assert "url(" not in page  # no CSS fetches either


def test_every_csv_figure_appears_for_its_member(seeded_snap, page):
    rows = list(csv.DictReader(io.StringIO(render_csv(seeded_snap))))
    blocks = re.split(r"<details><summary>", page)
    for r, (_, trow) in zip(rows, seeded_snap.table.iterrows()):
        label = (f"{trow['name']} ({trow['symbol']})" if isinstance(trow["symbol"], str)
                 else trow["name"])
        block = next(b for b in blocks if b.startswith(html.escape(label) + "</summary>"))
        block = block.split("</details>")[0]
        for column, (_label, _fmt) in FIELDS.items():
            if r[column] in ("", None):
                continue
            shown = field_text(column, trow[column])
            assert html.escape(shown) in block, (label, column, r[column], shown)
            assert f"<th>{column}</th>" in block


def test_numbers_right_aligned_and_dates_never_wrap(seeded_snap, page):
    assert re.search(r"td\.num\{[^}]*text-align:right", page)
    assert re.search(r"td\.date\{[^}]*white-space:nowrap", page)
    cam = seeded_snap.table.set_index("company").loc["cambricon"]
    assert f'<td class="num">{field_text("price", cam["price"])}</td>' in page
    assert '<td class="date">2025-12-04' in page


def test_warnings_grouped_per_member(seeded_snap, page):
    groups = re.findall(r"<summary>([^<]*) — (\d+) warning\(s\)</summary>", page)
    assert groups
    counts = seeded_snap.warnings.groupby(["company", "symbol"], dropna=False).size()
    assert sum(int(n) for _, n in groups) == len(seeded_snap.warnings) == int(counts.sum())
    assert f"{len(seeded_snap.warnings)} warning(s)" in page


def test_text_from_data_is_escaped_in_charts_and_tables(seeded_snap):
    import dataclasses

    wl = dataclasses.replace(seeded_snap.watchlist, description="<b>$x$ & y</b>")
    snap = dataclasses.replace(seeded_snap, watchlist=wl)
    out = render_html(snap, charts=False)
    assert "&lt;b&gt;$x$ &amp; y&lt;/b&gt;" in out and "<b>$x$" not in out

"""Reports of a snapshot: JSON schema, Markdown, self-contained HTML, CSV, atomic writing."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _snapshot_fixtures import ASOF, CAMBRICON, NOW, seed_store
from _svg_checks import PREFIX, parse_svg, svg_sources

from watchlists.definitions import safe_filename
from watchlists.reporting import (
    FORMATS,
    parse_formats,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    report_payload,
    write_report,
)
from watchlists.snapshots import TABLE_COLUMNS, snapshot
from watchlists.store import open_store

WL = "china-ai-compute"
ROW_KEYS = {"company", "symbol", "currency", "price", "price_date", "price_source", "stale",
            "status", "returns", "high_52w", "drawdown_from_high", "volatility", "beta",
            "consensus", "targets", "dcf_value", "dcf_upside", "implied_growth", "warnings"}
CONSENSUS_KEYS = {"count", "mean", "median", "high", "low", "upside"}
TARGET_KEYS = {"broker", "rating", "kind", "target", "min_upside", "implied_min_target",
               "currency", "published", "upside"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _no_nan(text: str) -> object:
    def refuse(token):
        raise AssertionError(f"non-JSON constant {token} in the report")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    with open_store(tmp_path_factory.mktemp("rep") / "store") as s:
        return snapshot(WL, "2025-12-04", store=s, now=NOW)


@pytest.fixture(scope="module")
def seeded_snap(tmp_path_factory):
    with open_store(tmp_path_factory.mktemp("seeded") / "store") as s:
        seed_store(s)  # SYNTHETIC history, so the charts have something to draw
        return snapshot(WL, ASOF, store=s, now=NOW)


# --------------------------------------------------------------------------- JSON


def test_json_schema_and_required_keys(snap):
    doc = _no_nan(render_json(snap))
    assert doc["schema"] == 2
    assert {"watchlist", "asof", "generated_at", "rows", "changes", "warnings"} <= set(doc)
    assert doc["watchlist"] == WL
    assert doc["asof"] == "2025-12-04"
    assert doc["generated_at"].startswith("2025-12-04T20:00:00")
    assert doc["offline"] is True
    assert len(doc["rows"]) == 9
    for row in doc["rows"]:
        assert ROW_KEYS <= set(row), ROW_KEYS - set(row)
        assert set(row["returns"]) == {"1d", "1m", "3m", "ytd", "1y"}
        assert CONSENSUS_KEYS <= set(row["consensus"])
        assert isinstance(row["warnings"], list)
        for t in row["targets"]:
            assert TARGET_KEYS <= set(t), TARGET_KEYS - set(t)
            assert t["published"] is None or ISO_DATE.match(t["published"])
        assert row["price_date"] is None or ISO_DATE.match(row["price_date"])


def test_json_rows_acceptance_values(snap):
    rows = {r["company"]: r for r in _no_nan(render_json(snap))["rows"]}
    cam = rows["cambricon"]
    assert cam["symbol"] == CAMBRICON and cam["currency"] == "CNY"
    assert cam["price"] == 1369.0 and cam["price_date"] == "2025-12-04"
    assert cam["price_source"] == "bundled" and cam["stale"] is False
    bern = [t for t in cam["targets"] if t["broker"] == "Bernstein" and t["target"] == 2000.0]
    assert len(bern) == 1 and round(bern[0]["upside"], 4) == 0.4609
    assert bern[0]["published"] == "2025-12-04"
    hsbc = next(t for t in cam["targets"] if t["broker"] == "HSBC")
    assert hsbc["kind"] == "min_upside" and hsbc["target"] is None
    assert hsbc["implied_min_target"] == pytest.approx(1915.056)
    assert rows["huawei"]["symbol"] is None
    assert rows["huawei"]["status"] == "unlisted"
    assert rows["moore-threads"]["price"] is None  # NaN written as null
    assert rows["moore-threads"]["status"].startswith("unavailable")


def test_report_payload_matches_json(snap):
    assert report_payload(snap) == json.loads(render_json(snap))


# --------------------------------------------------------------------------- Markdown


def test_markdown_contents(snap):
    md = render_markdown(snap)
    assert md.startswith(f"# {WL}")
    assert "2025-12-04" in md
    assert "OFFLINE" in md
    assert "## Data sources" in md and "bundled data reference quotes" in md
    assert "## Warnings" in md
    assert "688795.SS: unavailable: not trading yet" in md
    assert "1,369.00 CNY" in md
    assert "Bernstein" in md and "2,000.00" in md
    assert "No earlier run of this watchlist" in md


# --------------------------------------------------------------------------- HTML


def _assert_self_contained(html_text: str) -> None:
    assert "<script" not in html_text.lower()
    assert "<link" not in html_text.lower()
    for src in re.findall(r"""src\s*=\s*["']?([^"'\s>]+)""", html_text, flags=re.I):
        assert not src.lower().startswith(("http", "//")), src
        assert src.startswith(PREFIX), src[:40]
        parse_svg(src[len(PREFIX):])


def test_html_self_contained_without_history(snap):
    page = render_html(snap)
    _assert_self_contained(page)
    assert page.startswith("<!DOCTYPE html>")
    assert "Offline" in page
    assert "2025-12-04" in page
    assert "<h2>Key metrics</h2>" in page and '<td class="num">' in page


def test_html_embeds_svg_charts_with_history(seeded_snap):
    page = render_html(seeded_snap)
    _assert_self_contained(page)
    images = svg_sources(page)
    assert len(images) == 5  # upside, price vs targets, drawdown, basket; track record
    for data in images:
        parse_svg(data)
    assert "not enough data to draw" not in page


def test_html_without_charts(snap):
    page = render_html(snap, charts=False)
    assert "data:image/" not in page
    _assert_self_contained(page)


def test_repr_html_is_a_fragment(snap):
    frag = snap._repr_html_()
    assert "<table" in frag and "<html" not in frag


# --------------------------------------------------------------------------- CSV


def test_csv_one_row_per_member_in_column_order(snap):
    text = render_csv(snap)
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == list(TABLE_COLUMNS)
    body = list(reader)
    assert len(body) == len(snap.watchlist.members) == 9
    assert [r[0] for r in body] == [m.company for m in snap.watchlist.members]


# --------------------------------------------------------------------------- writing


def test_write_report_all_formats(snap, tmp_path):
    out = tmp_path / "reports" / "nested"
    paths = write_report(snap, out_dir=out)
    assert list(paths) == list(FORMATS)
    stem = f"{safe_filename(WL)}-2025-12-04"
    for fmt, path in paths.items():
        assert path == out.resolve() / f"{stem}.{fmt}"
        assert path.stat().st_size > 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*(f"{stem}.{f}" for f in FORMATS), f"{stem}.manifest.json"])
    _no_nan(paths["json"].read_text(encoding="utf-8"))


def test_write_report_overwrites_atomically_leaving_no_temp_files(snap, tmp_path):
    write_report(snap, "md,json", tmp_path)
    paths = write_report(snap, "md,json", tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    stem = paths["md"].name.removesuffix(".md")
    assert names == sorted([*(p.name for p in paths.values()), f"{stem}.manifest.json"])
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]


def test_write_report_parses_formats(snap, tmp_path):
    paths = write_report(snap, " MD , json,md ", tmp_path)
    assert list(paths) == ["md", "json"]
    paths = write_report(snap, ["csv"], tmp_path / "b")
    assert list(paths) == ["csv"]


def test_unknown_format_is_a_value_error_naming_it(snap, tmp_path):
    with pytest.raises(ValueError, match="xls"):
        write_report(snap, "md,xls", tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing written before validation
    with pytest.raises(ValueError, match="md, html, csv, json"):
        parse_formats("pdf")
    with pytest.raises(ValueError, match="format"):
        parse_formats("")


def test_write_report_records_the_run(snap, tmp_path):
    with open_store(tmp_path / "store") as store:
        assert store.last_run(WL) is None
        write_report(snap, "md", tmp_path / "out", store=store)
        run = store.last_run(WL)
    # the run keeps the snapshot's own table, not the rendered report
    stored = pd.DataFrame(run["payload"]["table"])[list(snap.table.columns)]
    assert stored["company"].tolist() == snap.table["company"].tolist()
    assert np.allclose(stored["price"].astype(float), snap.table["price"].astype(float),
                       equal_nan=True)
    assert run["payload"]["format"] == 2


def test_snapshot_not_mutated_by_rendering(snap):
    before = snap.table.copy()
    targets_before = snap.targets.copy()
    render_markdown(snap), render_html(snap, charts=False), render_csv(snap), render_json(snap)
    assert snap.table.equals(before)
    assert snap.targets.equals(targets_before)


def test_report_charts_equal_each_chart_and_its_note(seeded_snap):
    from watchlists import charts as ch

    drawn = ch.report_charts(seeded_snap)
    notes = ch.chart_notes(seeded_snap)
    single = {"upside": ch.upside_chart, "price_target": ch.price_target_chart,
              "drawdown": ch.drawdown_chart, "basket": ch.basket_chart}
    assert list(drawn) == list(single)
    for key, draw in single.items():
        assert drawn[key] == (draw(seeded_snap), notes.get(key)), key
    assert all(svg is not None for svg, _ in drawn.values())

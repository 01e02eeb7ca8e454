"""Faults while writing reports: the previous report survives, errors are clear."""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "watchlists"))
from _snapshot_fixtures import NOW

import watchlists._io
import watchlists.reporting
from watchlists.cli import main
from watchlists.reporting import write_report
from watchlists.snapshots import snapshot
from watchlists.store import open_store

WL = "china-ai-compute"
STEM = "china-ai-compute-2025-12-04"


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    with open_store(tmp_path_factory.mktemp("faults") / "store") as s:
        return snapshot(WL, "2025-12-04", store=s, now=NOW)


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def test_crash_in_os_replace_keeps_previous_report(snap, tmp_path, monkeypatch):
    write_report(snap, "md,json", tmp_path)
    before = _files(tmp_path)

    def crash(src, dst):
        raise OSError(28, "No space left on device (simulated)")

    monkeypatch.setattr(watchlists._io.os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        write_report(snap, "md,json", tmp_path)
    assert _files(tmp_path) == before  # old bytes intact, no temp file left behind


def test_crash_in_renderer_keeps_previous_report(snap, tmp_path, monkeypatch):
    write_report(snap, "md,html,json", tmp_path)
    before = _files(tmp_path)

    def boom(_snap, **_kw):
        raise RuntimeError("renderer crashed (simulated)")

    monkeypatch.setitem(watchlists.reporting._RENDERERS, "html", boom)
    with pytest.raises(RuntimeError, match="simulated"):
        write_report(snap, "md,html,json", tmp_path)
    after = _files(tmp_path)
    assert set(after) == set(before)
    assert after[f"{STEM}.html"] == before[f"{STEM}.html"]
    assert after[f"{STEM}.json"] == before[f"{STEM}.json"]


def test_crash_mid_write_removes_temp_file(snap, tmp_path, monkeypatch):
    real_fsync = os.fsync

    def failing_fsync(fd):
        real_fsync(fd)
        raise OSError(5, "I/O error (simulated)")

    monkeypatch.setattr(watchlists._io.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="simulated"):
        write_report(snap, "md", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_out_dir_under_a_regular_file_library(snap, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    target = blocker / "reports"
    with pytest.raises(OSError) as info:
        write_report(snap, "md", target)
    assert str(target) in str(info.value)
    assert blocker.read_text(encoding="utf-8") == "x"


def test_out_dir_is_a_regular_file_library(snap, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OSError, match=r"file\.txt"):
        write_report(snap, "md", blocker)


def test_out_dir_under_a_regular_file_cli(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    err = io.StringIO()
    code = main(["report", WL, "--offline", "--asof", "2025-12-04", "--format", "md",
                 "--out", str(blocker / "reports"), "--home", str(tmp_path / "h")],
                stdout=io.StringIO(), stderr=err)
    assert code == 2
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err.getvalue()
    assert str(blocker / "reports") in lines[0]


def test_odd_watchlist_name_stays_inside_out_dir(tmp_path):
    wl = tmp_path / "odd.toml"
    wl.write_text('name = " My  Watch_List v2.0 - BETA. "\n[[members]]\ncompany = "cambricon"\n',
                  encoding="utf-8")
    out_dir = tmp_path / "out"
    with open_store(tmp_path / "store") as s:
        snap = snapshot(wl, "2025-12-04", store=s, now=NOW)
    paths = write_report(snap, "md,json", out_dir)
    for path in paths.values():
        assert path.parent == out_dir.resolve()
        # a readable slug plus a hash of the exact name (the mapping is injective)
        assert re.fullmatch(r"my-watch-list-v2-0-beta-[0-9a-f]{10}-2025-12-04\.(md|json)",
                            path.name), path.name
    reports = sorted(p.name for p in out_dir.iterdir() if not p.name.endswith(".manifest.json"))
    assert reports == sorted(p.name for p in paths.values())


def test_unicode_name_is_folded_to_ascii(snap, tmp_path):
    wl = snap.watchlist
    object.__setattr__(wl, "name", "Ärger/../Übel: 半导体")  # bypass __post_init__
    try:
        paths = write_report(snap, "md", tmp_path)
    finally:
        object.__setattr__(wl, "name", WL)
    assert paths["md"].parent == tmp_path.resolve()
    assert re.fullmatch(r"arger-ubel-[0-9a-f]{10}-2025-12-04\.md", paths["md"].name)


def test_hostile_name_cannot_escape_even_if_validation_is_bypassed(snap, tmp_path):
    hostile = snap.watchlist
    object.__setattr__(hostile, "name", "../../etc/passwd")  # bypass __post_init__
    try:
        out_dir = tmp_path / "a" / "b"
        paths = write_report(snap, "md", out_dir)
    finally:
        object.__setattr__(hostile, "name", WL)
    assert paths["md"].parent == out_dir.resolve()
    assert re.fullmatch(r"etc-passwd-[0-9a-f]{10}-2025-12-04\.md", paths["md"].name)
    files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert files == sorted([paths["md"].name,
                            paths["md"].name.removesuffix(".md") + ".manifest.json"])

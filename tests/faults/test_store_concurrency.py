"""Store faults, round two: consistent reads while another process writes, a foreign
SQLite file left untouched, the real schema version reported, a run that cannot be
recorded is exit 1 naming the store. Real processes where concurrency is the point
(bounded in count and time); prices are SYNTHETIC."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from watchlists import cli
from watchlists.errors import StoreError
from watchlists.snapshots import snapshot
from watchlists.store import Store, open_store

CAMBRICON = "688256.SS"
NOW = dt.datetime(2025, 12, 4, 20, 0, tzinfo=dt.UTC)

_WRITER = textwrap.dedent('''
    import sys, time
    import pandas as pd
    from watchlists.store import open_store
    home, rounds, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    dates = pd.bdate_range("2024-12-02", "2025-12-04")
    with open_store(home) as s:
        for i in range(rounds):
            level = 100.0 + i
            frame = pd.DataFrame({"symbol": "688256.SS", "date": dates, "open": level,
                                  "high": level * 1.01, "low": level * 0.99, "close": level,
                                  "adj_close": level, "volume": 1.0})
            s.upsert_prices(frame, source="synthetic-writer")  # one transaction per round
            if i == 0:
                open(ready, "w").close()
''')


def test_snapshot_reads_one_committed_state_while_a_process_writes(tmp_path):
    """Every snapshot's price and 52-week high come from the same round of the writer:
    price / high == 1 / 1.01 exactly, never a price from one round and a high from
    another."""
    home, ready = tmp_path / "home", tmp_path / "ready"
    open_store(home).close()
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(home), "200", str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert writer.poll() is None, "the writer died"
            assert time.monotonic() < deadline, "the writer never wrote"
            time.sleep(0.05)
        seen = set()
        with open_store(home) as store:
            for _ in range(12):
                cam = snapshot("china-ai-compute", "2025-12-04", store=store,
                               now=NOW).table.set_index("symbol").loc[CAMBRICON]
                assert cam["price_source"] == "synthetic-writer"
                assert cam["high_52w"] == pytest.approx(cam["price"] * 1.01, rel=1e-12)
                seen.add(cam["price"])
                if writer.poll() is not None:
                    break
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0
    assert seen


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_foreign_sqlite_database_is_refused_untouched(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    path = home / "watchlists.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    con.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    con.commit()
    con.close()
    before = _digest(path)
    with pytest.raises(StoreError, match=r"another application's SQLite database.*invoices"):
        Store(home)
    assert _digest(path) == before
    assert not (home / "watchlists.sqlite-wal").exists()  # no WAL switch either


def test_future_and_unreadable_versions_are_reported_as_they_are(tmp_path):
    for value, pattern in (("99", "schema version 99, newer"),
                           ("v-next", "unreadable schema version 'v-next'")):
        home = tmp_path / value
        open_store(home).close()
        path = home / "watchlists.sqlite"
        con = sqlite3.connect(path)
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
        con.commit()
        con.close()
        before = _digest(path)
        with pytest.raises(StoreError, match=pattern):
            Store(home)
        assert _digest(path) == before


def test_a_run_the_store_cannot_record_is_partial_and_names_the_store(tmp_path, monkeypatch):
    import io

    def locked(self, *args, **kwargs):
        raise StoreError("cannot start a write transaction: database is locked")

    monkeypatch.setattr(Store, "record_run", locked)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", "china-ai-compute", "--asof", "2025-12-04", "--format", "md",
                     "--out", str(tmp_path / "r"), "--home", str(tmp_path / "h")],
                    stdout=out, stderr=err)
    assert code == cli.EXIT_PARTIAL, err.getvalue()
    assert (tmp_path / "r" / "china-ai-compute-2025-12-04.md").exists()
    message = err.getvalue()
    assert "was not recorded" in message and "database is locked" in message
    assert str(tmp_path / "h" / "watchlists.sqlite") in message


# --------------------------------------------------------------------------- report sets


def _seeded_snapshot(tmp_path):
    with open_store(tmp_path / "s") as s:
        return snapshot("china-ai-compute", "2025-12-04", store=s, now=NOW)


def test_report_set_is_staged_then_renamed_with_a_manifest(tmp_path, monkeypatch):
    """A failure while staging the set leaves the previous set whole; a complete set has
    a manifest whose hashes match every file."""
    import json
    import os

    from watchlists import _io
    from watchlists.reporting import write_report

    snap = _seeded_snapshot(tmp_path)
    out = tmp_path / "out"
    paths = write_report(snap, "md,html,csv,json", out)
    before = {p.name: _digest(p) for p in paths.values()}
    manifest = json.loads((out / "china-ai-compute-2025-12-04.manifest.json").read_text())
    assert manifest["files"] == before and manifest["run_id"] == snap.generated_at.isoformat()

    real_stage, calls = _io._stage, []

    def dies_on_third(target, data):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_stage(target, data)

    monkeypatch.setattr(_io, "_stage", dies_on_third)
    with pytest.raises(OSError, match="No space"):
        write_report(snap, "md,html,csv,json", out)
    assert {p.name: _digest(p) for p in paths.values()} == before  # old set intact
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]  # no leftovers


def test_stale_leftovers_of_a_killed_run_are_cleaned(tmp_path):
    import os
    import time

    from watchlists.reporting import write_report

    snap = _seeded_snapshot(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    old = out / ".china-ai-compute-2025-12-04.html.k1ll3d.tmp"
    old.write_text("half a report")
    ancient = time.time() - 3600
    os.utime(old, (ancient, ancient))
    fresh = out / ".china-ai-compute-2025-12-04.md.c0ncur.tmp"  # another writer, now
    fresh.write_text("being written")
    write_report(snap, "md,html", out)
    assert not old.exists() and fresh.exists()

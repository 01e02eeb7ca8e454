"""The README's Python quick start runs as written (offline, in a temp home)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quick_start_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "the README has a Python quick start"
    monkeypatch.chdir(tmp_path)  # write_report's reports/ lands in the temp dir
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert (tmp_path / "reports").is_dir()
    assert 0.46 < namespace["v"].upside(1369.0, 2000.0) < 0.4610

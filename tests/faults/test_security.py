"""Security: hostile strings are escaped, names cannot leave the output directory,
and the package source uses no pickle, eval/exec or SQL built from formatted values."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "watchlists"))
from _snapshot_fixtures import NOW

from watchlists.definitions import load_watchlist, parse_watchlist, safe_filename
from watchlists.errors import DefinitionError
from watchlists.reporting import render_html, render_markdown, write_report
from watchlists.snapshots import snapshot
from watchlists.store import open_store

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture
def hostile_snap(tmp_path):
    wl = tmp_path / "hostile.toml"
    wl.write_text(
        'name = "hostile"\n'
        f'description = "{IMG}"\n'
        "[[members]]\n"
        'company = "cambricon"\n'
        f'note = "{SCRIPT}"\n'
        "[[members]]\n"
        'company = "huawei"\n'
        f'note = "{IMG} & {SCRIPT}"\n',
        encoding="utf-8",
    )
    with open_store(tmp_path / "store") as s:
        return snapshot(wl, "2025-12-04", store=s, now=NOW)


def test_html_escapes_strings_from_data(hostile_snap):
    page = render_html(hostile_snap, charts=False)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "onerror=alert(1)>" not in page


def test_html_fragment_escapes(hostile_snap):
    frag = hostile_snap._repr_html_()
    assert "<script" not in frag.lower() and "<img src=x" not in frag


def test_markdown_table_cells_cannot_break_the_table(hostile_snap):
    lines = render_markdown(hostile_snap).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Company | Symbol"))
    table = lines[start:lines.index("", start)]
    assert len(table) == 2 + 2  # header, rule, two members
    assert {line.count(" | ") for line in table if not line.startswith("|---")} == {13}


@pytest.mark.parametrize("name", ["../evil", "../../etc/passwd", "a/../../b", ".hidden",
                                  "a\\..\\b", "x" * 101, ""])
def test_hostile_watchlist_name_rejected(name):
    text = f'name = "{name.replace(chr(92), chr(92) * 2)}"\n[[members]]\ncompany = "cambricon"\n'
    with pytest.raises(DefinitionError):
        parse_watchlist(text, source="test.toml")


def test_hostile_name_in_file_rejected(tmp_path):
    wl = tmp_path / "evil.toml"
    wl.write_text('name = "../../outside"\n[[members]]\ncompany = "cambricon"\n',
                  encoding="utf-8")
    with pytest.raises(DefinitionError, match="name"):
        load_watchlist(wl)


@pytest.mark.parametrize("name", ["../../etc/passwd", "..", "/abs/path", "C:\\Windows\\x",
                                  "con", "NUL", "a\x00b", "....//....//", "ünïcödé/../x",
                                  "x" * 500, "\n\r\t"])
def test_safe_filename_never_leaves_the_directory(name, tmp_path):
    stem = safe_filename(name)
    assert re.fullmatch(r"[a-z0-9-]{1,80}", stem), stem
    assert stem not in {"con", "nul"}
    assert (tmp_path / f"{stem}.md").resolve().parent == tmp_path.resolve()


def test_report_file_names_come_from_safe_filename(hostile_snap, tmp_path):
    paths = write_report(hostile_snap, "md", tmp_path)
    assert paths["md"].name == f"{safe_filename('hostile')}-2025-12-04.md"


# --------------------------------------------------------------------------- source audit


def _sources() -> list[Path]:
    files = sorted([*(REPO / "watchlists").rglob("*.py"), *(REPO / "valuation").rglob("*.py")])
    assert len(files) > 10
    return files


def _code_only(text: str) -> str:
    """Source with comments removed (a docstring may mention pickle as a thing to avoid)."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def test_no_pickle_eval_exec_in_package_source():
    bad = []
    for path in _sources():
        code = _code_only(path.read_text(encoding="utf-8"))
        for pattern in (r"^\s*(import|from)\s+(c?pickle|marshal|shelve|dill)\b",
                        r"\bpickle\.", r"(?<![\w.])eval\(", r"(?<![\w.])exec\(",
                        r"\bread_pickle\(", r"\bto_pickle\("):
            for m in re.finditer(pattern, code, flags=re.M):
                bad.append(f"{path.relative_to(REPO)}: {m.group(0).strip()}")
    assert bad == []


_SAFE_FRAGMENT = re.compile(
    r"(where|field|marks|cond|sym_col|date_col|', '\.join\(cols\)"
    r"|_placeholders\(len\(\w+\)\)|int\(\w+\))"
)


def test_no_execute_with_fstring_of_values():
    store_py = (REPO / "watchlists" / "store.py").read_text(encoding="utf-8")
    calls = re.findall(r"\.execute(?:many)?\(\s*(f?)(\"\"\"|\"|')(.*?)\2", store_py, flags=re.S)
    assert calls, "expected execute() calls in store.py"
    offenders = []
    for is_f, _, sql in calls:
        if is_f:  # an f-string straight into execute(): placeholders and fixed names only
            offenders += [f for f in re.findall(r"\{([^}]*)\}", sql)
                          if not _SAFE_FRAGMENT.fullmatch(f)]
        if re.search(r"%\(?\w*\)?[sd]", sql):
            offenders.append(sql)
    assert offenders == []
    # %-formatting or .format() applied to a SQL literal passed to execute()
    assert not re.search(r"\.execute(?:many)?\(\s*(\"|')[^\"']*\1\s*%", store_py)
    assert not re.search(r"\.execute(?:many)?\(\s*(\"|')[^\"']*\1\.format\(", store_py)


def test_sql_fstrings_interpolate_only_placeholders_and_whitelisted_names():
    """``sql = f"... {where}"``: each interpolated piece is a ``?`` list or a fixed name."""
    store_py = (REPO / "watchlists" / "store.py").read_text(encoding="utf-8")
    pieces = set()
    for m in re.finditer(r"f(\"\"\"|\"|')(.*?)\1", store_py, flags=re.S):
        text = m.group(2)
        if re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|PRAGMA)\b|\bIN \(", text):
            pieces.update(re.findall(r"\{([^}]*)\}", text))
    assert pieces, "expected some composed SQL"
    assert {p for p in pieces if not _SAFE_FRAGMENT.fullmatch(p)} == set()

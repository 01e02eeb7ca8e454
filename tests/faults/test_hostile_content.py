"""Hostile content in shared user data and watchlist files (issue 15).

Each class is reproduced over several payloads and every field it can enter by:
CSV formula injection, raw HTML in Markdown, loose source URLs, control characters and
terminal escapes, symlinks at a report's name, file-name collisions, homoglyph
spoofing of bundled companies and ``$...$`` in chart labels.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
import stat
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchlists import profiles
from watchlists._io import atomic_write_text, csv_safe
from watchlists._profile_loading import _parse_companies
from watchlists.cli import main
from watchlists.definitions import (
    bundled_watchlists,
    load_watchlist,
    parse_watchlist,
    safe_filename,
)
from watchlists.errors import DataFileError, DefinitionError
from watchlists.records import check_source_url
from watchlists.reporting import render_csv, render_html, render_markdown, write_report
from watchlists.snapshots import snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "watchlists"))
from _svg_checks import svg_sources, svg_text

ASOF = "2025-12-04"
FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3",
            "@SUM(A1:A9)", "\tx=1", "\rx=1"]
HTML = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "<b>&amp;</b>"]
CONTROLS = ["\x00", "\x1b", "\r", "\n", "\t", "\x07", "\x7f", "\x85", "\x9b"]


def _toml_str(text: str) -> str:
    """``text`` as a TOML basic string (control characters as \\uXXXX escapes)."""
    body = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in '"\\'
                   else c for c in text)
    return f'"{body}"'


def _company(name: str, *, slug: str = "acme-robotics", aliases: str = '["Acme"]',
             description: str = "Robots.") -> str:
    return (
        "[[company]]\n"
        f'slug = "{slug}"\n'
        f"name = {_toml_str(name)}\n"
        'legal_name = "Acme Robotics, Inc."\n'
        'country = "US"\n'
        'role = "applications"\n'
        f"aliases = {aliases}\n"
        f"description = {_toml_str(description)}\n"
        'source_url = "https://example.com/acme"\n\n'
        "[[company.listing]]\n"
        'symbol = "ACME"\n'
        'exchange = "NASDAQ"\n'
        'board = "Global Select"\n'
        'currency = "USD"\n'
        "primary = true\n"
    )


TARGET_HEADER = ("company,symbol,broker,rating,kind,target,min_upside,reference,currency,"
                 "published,date_unknown,previous_target,source_url,confidence,note\n")
QUOTES = ("symbol,date,kind,value,currency,source_url,confidence,note\n"
          "ACME,2025-12-04,close,120,USD,https://example.com/acme/quote,confirmed,\n")


def _user_data(home: Path, *, name: str = "Acme Robotics", broker: str = "Example Securities",
               note: str = "initiation") -> Path:
    d = home / "data"
    d.mkdir(parents=True, exist_ok=True)
    (d / "companies.toml").write_text(_company(name), encoding="utf-8")
    row = io.StringIO()
    csv.writer(row, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(
        ["acme-robotics", "ACME", broker, "Buy", "price", "150", "", "", "USD", "2025-11-20",
         "false", "", "https://example.com/acme/target", "confirmed", note])
    (d / "targets.csv").write_text(TARGET_HEADER + row.getvalue(), encoding="utf-8")
    (d / "reference_quotes.csv").write_text(QUOTES, encoding="utf-8")
    return d


def _watchlist(tmp_path: Path, *, name: str = "mine", description: str = "",
               note: str = "") -> Path:
    path = tmp_path / f"wl-{abs(hash((name, description, note)))}.toml"
    path.write_text(
        f'name = "{name}"\ndescription = {_toml_str(description)}\nbase_currency = "USD"\n'
        f'[[members]]\ncompany = "acme-robotics"\nnote = {_toml_str(note)}\n'
        '[[members]]\nsymbol = "688256.SS"\n',
        encoding="utf-8")
    return path


# --------------------------------------------------------------------------- CSV injection


def _text_cells(csv_text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(csv_text)) for cell in row]


@pytest.mark.parametrize("payload", FORMULAS)
def test_csv_report_neutralises_formulas_in_every_text_column(payload, _isolated_home,
                                                              tmp_path):
    _user_data(_isolated_home)
    snap = snapshot(_watchlist(tmp_path), ASOF)
    table = snap.table.copy()
    text_columns = [c for c in table.columns if table[c].dtype == object]
    for column in text_columns:  # the payload in every text column at once
        table[column] = payload
    table["consensus_upside"] = -0.25  # a negative number stays a number
    out = render_csv(dataclasses.replace(snap, table=table))
    rows = list(csv.DictReader(io.StringIO(out)))
    for row in rows:
        for column in text_columns:
            if column in row:
                assert row[column] == "'" + payload.replace("\r", "\n"), (column, row[column])
        assert row["consensus_upside"] == "-0.25"


@pytest.mark.parametrize("payload", ["=1+1", "+SUM(1)", "-1+2", "@cmd"])
def test_csv_report_neutralises_formulas_from_user_data(payload, _isolated_home, tmp_path):
    _user_data(_isolated_home, name=payload + " Robotics", broker=payload, note=payload)
    snap = snapshot(_watchlist(tmp_path), ASOF)
    cells = _text_cells(render_csv(snap))
    assert not [c for c in cells if c.startswith(payload)]
    assert "'" + payload + " Robotics" in cells


def test_screen_csv_neutralises_formulas(tmp_path):
    pytest.importorskip("pyarrow")
    from watchlists.screen import write_screen

    table = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "ok", "@x"], "upside": [-0.5, 0.1, 2.0]},
                         index=pd.Index(["+a", "b", "-c"], name="company"))
    paths = write_screen(table, tmp_path, "u")
    rows = list(csv.reader(io.StringIO(paths["csv"].read_text(encoding="utf-8"))))
    assert rows[1] == ["'+a", "'=cmd|' /C calc'!A0", "-0.5"]
    assert rows[3] == ["'-c", "'@x", "2.0"]


def test_csv_safe_leaves_numbers_and_plain_text_alone():
    frame = pd.DataFrame({"x": [-1.0, 2.0], "s": ["a-b", "-x"],
                          "d": pd.to_datetime(["2025-01-01"] * 2)})
    out = csv_safe(frame)
    assert out["x"].tolist() == [-1.0, 2.0] and out["s"].tolist() == ["a-b", "'-x"]
    assert out["d"].equals(frame["d"])


# --------------------------------------------------------------------------- Markdown


@pytest.mark.parametrize("payload", HTML)
def test_markdown_escapes_html_from_every_data_field(payload, _isolated_home, tmp_path):
    _user_data(_isolated_home, name=f"Acme {payload}", broker=f"Broker {payload}",
               note=f"note {payload}")
    snap = snapshot(_watchlist(tmp_path, description=f"desc {payload}", note=payload), ASOF)
    md = render_markdown(snap)
    assert payload not in md
    assert "<img" not in md and "<script" not in md and "<b>" not in md
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f"Acme {escaped}" in md and f"desc {escaped}" in md


@pytest.mark.parametrize(
    "url",
    ["https://x.org/<script>", "https://x.org/a>b", 'https://x.org/"onmouseover=alert(1)',
     "https://x.org/a'b", "https://x.org/a`b", "javascript:alert(1)", "ftp://x.org/a",
     "https://x.org/a\x1bb", "https://x.org/a\u00a0b", "https://x.org/a\u2028b"],
)
def test_source_url_grammar_refuses_markup_quotes_and_whitespace(url):
    with pytest.raises(ValueError, match="source_url"):
        check_source_url("source_url", url)
    with pytest.raises(ValueError, match="source_url"):
        check_source_url("source_url", f"https://ok.example/a ; {url}")


def test_source_url_grammar_accepts_real_urls():
    for url in ("https://example.com/a?b=1&c=%20#x", "http://wp.juanha.com/2025/08/06/1",
                "https://例子.cn/路径"):
        assert check_source_url("source_url", url) == url


# --------------------------------------------------------------------------- control chars


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize("field", ["name", "description"])
def test_company_text_fields_refuse_control_characters(char, field):
    kwargs = {"name": "Acme", "description": "Robots."}
    kwargs[field] = f"A{char}B"
    with pytest.raises(DataFileError) as info:
        _parse_companies(_company(**kwargs), "companies.toml")
    message = str(info.value)
    assert field in message and repr(f"A{char}B") in message and "control character" in message


@pytest.mark.parametrize("char", CONTROLS)
def test_user_target_fields_refuse_control_characters(char, _isolated_home):
    _user_data(_isolated_home, broker=f"Evil{char}Broker")
    with pytest.raises(DataFileError, match=r"broker.*control character"):
        profiles.targets()


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize("field", ["description", "note"])
def test_watchlist_text_fields_refuse_control_characters(char, field):
    bad = _toml_str(f"a{char}b")
    text = (f"name = 'x'\n{'description = ' + bad if field == 'description' else ''}\n"
            f"[[members]]\ncompany = 'cambricon'\n"
            f"{'note = ' + bad if field == 'note' else ''}\n")
    with pytest.raises(DefinitionError, match=f"{field}.*control character"):
        parse_watchlist(text, source="t.toml")


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\rfake\x9b31m\x00"


def _fake_company(name: str) -> types.SimpleNamespace:
    return types.SimpleNamespace(slug="evil", name=name, legal_name=name, local_name=name,
                                 country="US", role="x", description=name, listings=())


def test_cli_show_escapes_terminal_controls(monkeypatch):
    monkeypatch.setattr(profiles, "company", lambda key: _fake_company(ESCAPES))
    monkeypatch.setattr(profiles, "facts", lambda slug: pd.DataFrame())
    monkeypatch.setattr(profiles, "targets", lambda slug: pd.DataFrame())
    out, err = io.StringIO(), io.StringIO()
    main(["show", "evil", "--asof", ASOF], stdout=out, stderr=err)
    text = out.getvalue()
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text), repr(text)
    assert "\\x1b]0;pwned\\x07" in text


def test_cli_list_escapes_terminal_controls(monkeypatch):
    monkeypatch.setattr(profiles, "company_records", lambda: [_fake_company(ESCAPES)])
    out, err = io.StringIO(), io.StringIO()
    main(["list"], stdout=out, stderr=err)
    text = out.getvalue()
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text), repr(text)
    assert "\\x1b[2J\\x0dfake" in text


# --------------------------------------------------------------------------- symlinks


def test_symlink_at_the_name_is_replaced_not_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("secret", encoding="utf-8")
    victim.chmod(0o600)
    link = tmp_path / "report.md"
    link.symlink_to(victim)
    atomic_write_text(link, "report")
    assert victim.read_text(encoding="utf-8") == "secret"
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "report"
    mode = stat.S_IMODE(link.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # a new file's mode, not the link target's


@pytest.mark.parametrize("kind", ["loop", "dangling", "directory"])
def test_other_symlinks_at_the_name(kind, tmp_path):
    link = tmp_path / "report.md"
    outside = tmp_path / "elsewhere"
    if kind == "loop":
        link.symlink_to(link)
    elif kind == "dangling":
        link.symlink_to(outside / "created.md")
    else:
        outside.mkdir()
        link.symlink_to(outside, target_is_directory=True)
    atomic_write_text(link, "report")
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "report"
    assert not (outside / "created.md").exists()
    assert not outside.exists() or list(outside.iterdir()) == []


def test_write_report_replaces_planted_links(_isolated_home, tmp_path):
    _user_data(_isolated_home)
    snap = snapshot(_watchlist(tmp_path), ASOF)
    out = tmp_path / "out"
    out.mkdir()
    victim = out / "victim.txt"  # another file in the same directory
    victim.write_text("secret", encoding="utf-8")
    for ext in ("md", "csv", "json"):
        (out / f"mine-{ASOF}.{ext}").symlink_to("victim.txt")
    paths = write_report(snap, "md,csv,json", out)
    assert victim.read_text(encoding="utf-8") == "secret"
    assert all(not p.is_symlink() and p.stat().st_size > 0 for p in paths.values())


# --------------------------------------------------------------------------- collisions


@pytest.mark.parametrize(
    "names",
    [("My List", "my_list", "my-list", "MY LIST", "my  list", "my.list"),
     ("a" * 81, "a" * 82, "a" * 80 + "b", "a" * 80),
     ("CON", "con-list", "con"),
     ("", "...", "中国算力", "日本", "watchlist")],
)
def test_distinct_names_get_distinct_file_names(names):
    stems = [safe_filename(n) for n in names]
    assert len(set(stems)) == len(names), dict(zip(names, stems))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) and len(s) <= 80 for s in stems)


@given(st.text(max_size=120), st.text(max_size=120))
def test_safe_filename_is_injective(a, b):
    if a != b:
        assert safe_filename(a) != safe_filename(b)


def test_plain_slug_names_keep_their_file_names():
    for name in bundled_watchlists():
        assert safe_filename(load_watchlist(name).name) == name
    assert safe_filename("china-ai-compute") == "china-ai-compute"


def test_two_watchlists_whose_names_fold_alike_write_two_reports(_isolated_home, tmp_path):
    _user_data(_isolated_home)
    out = tmp_path / "out"
    names = []
    for name in ("My List", "my_list"):
        snap = snapshot(_watchlist(tmp_path, name=name), ASOF)
        names.append(write_report(snap, "md", out)["md"].name)
    reports = [p for p in out.iterdir() if p.suffix == ".md"]
    assert len(set(names)) == 2 and len(reports) == 2


# --------------------------------------------------------------------------- homoglyphs


@pytest.mark.parametrize(
    ("name", "aliases"),
    [("Ｃａｍｂｒｉｃｏｎ", '["Acme"]'),  # fullwidth
     ("CAMBRİCON", '["Acme"]'),  # dotted capital I
     ("Acme", '["Ｃambricon Technologies"]'),
     ("Acme", '["Ａｌｉｂａｂａ"]'),
     ("Ｋｕａｉｓｈｏｕ", '["Acme"]'),
     ("Cambrícon", '["Acme"]')],  # combining/accented look-alike
)
def test_user_company_cannot_spoof_a_bundled_name(name, aliases, _isolated_home):
    d = _isolated_home / "data"
    d.mkdir(parents=True)
    (d / "companies.toml").write_text(_company(name, aliases=aliases), encoding="utf-8")
    with pytest.raises(DataFileError, match="bundled company"):
        profiles.company_records()


def test_a_genuinely_new_company_is_still_accepted(_isolated_home):
    d = _isolated_home / "data"
    d.mkdir(parents=True)
    (d / "companies.toml").write_text(_company("Ａcme Ｒobotics"), encoding="utf-8")
    assert "acme-robotics" in {c.slug for c in profiles.company_records()}


# --------------------------------------------------------------------------- charts


def test_dollar_signs_in_a_company_name_render_in_charts(_isolated_home, tmp_path):
    _user_data(_isolated_home, name="A$B$C")
    snap = snapshot(_watchlist(tmp_path), ASOF)
    page = render_html(snap, charts=True)
    assert "A$B$C" in page
    assert any("A$B$C" in svg_text(data) for data in svg_sources(page))


@pytest.mark.parametrize("payload", HTML)
def test_markup_in_data_is_text_in_the_svg_charts(payload, _isolated_home, tmp_path):
    """A name or broker with markup is drawn as its literal text: every chart is a
    well-formed SVG with no script, handler or outside link, whatever the data says."""
    _user_data(_isolated_home, name=f"Acme {payload}", broker=f"Broker {payload}")
    snap = snapshot(_watchlist(tmp_path), ASOF)
    images = svg_sources(render_html(snap, charts=True))
    assert images
    drawn = "\n".join(svg_text(data) for data in images)  # parse_svg checks each one
    assert f"Acme {payload}" in drawn

"""Bad watchlist files: every problem is one clean DefinitionError naming file, line and field.

The loader is fuzzed with hypothesis: random text, mutations of a bundled file, random
dicts serialised to TOML and random bytes give a Watchlist or a DefinitionError, never
another exception.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import pytest
from conftest import FAKE_PROFILES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchlists import definitions
from watchlists.definitions import (
    ASSUMPTION_KEYS,
    MAX_FILE_BYTES,
    Watchlist,
    load_watchlist,
    parse_watchlist,
)
from watchlists.errors import DefinitionError, WatchlistError


@pytest.fixture(autouse=True)
def _resolve_against_fake_profiles(fake_profiles):
    """Every test here resolves members against tests/conftest.py's FAKE_PROFILES."""


# A valid file; each fault row below changes one thing. Line numbers are pinned in the rows.
VALID = """\
name = "test list"
description = "a test"
benchmark = "^GSPC"
base_currency = "USD"

[assumptions]
discount_rate = 0.09
terminal_growth = 0.03

[[members]]
company = "nvidia"
note = "GPUs"

[[members]]
company = "cambricon"

[members.assumptions]
revenue_growth = 0.6

[[members]]
company = "huawei"
"""


def edit(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def top(line: str) -> str:
    """VALID without its [[members]] tables and with ``line`` added to the top-level keys."""
    head = VALID.split("[[members]]")[0]
    return head.replace("\n[assumptions]", f"{line}\n\n[assumptions]", 1)


SYNTAX = edit("terminal_growth = 0.03", "terminal_growth = 0.03 0.04")
MEMBER2 = r"member #2 'cambricon'"

# (id, text, fragments the message must contain, in order; plain strings, not regexes)
FAULTS = [
    ("toml-syntax", SYNTAX, ["t.toml, line 8:", "TOML syntax error"]),
    ("toml-unterminated", VALID + '[[members]]\ncompany = "amd\n', ["line 23", "syntax"]),
    (
        "type-discount-str",
        edit("0.09", '"ten"'),
        ["line 7", "discount_rate must be a number, got str 'ten'"],
    ),
    (
        "type-bool",
        edit("0.09", "true"),
        ["line 7", "discount_rate must be a number, got bool True"],
    ),
    (
        "type-years-float",
        edit("terminal_growth = 0.03", "terminal_growth = 0.03\nhigh_years = 5.5"),
        ["line 9", "high_years must be an integer", "5.5"],
    ),
    (
        "type-years-bool",
        edit("revenue_growth = 0.6", "high_years = false"),
        ["line 18", MEMBER2, "high_years must be an integer, got bool False"],
    ),
    ("type-date", edit("0.09", "2025-01-01"), ["line 7", "discount_rate", "date"]),
    ("type-name", edit('"test list"', "42"), ["line 1", "name must be a string, got int 42"]),
    ("type-note", edit('"GPUs"', "[1]"), ["line 12", "member #1 'nvidia'", "note", "[1]"]),
    (
        "type-assumptions",
        edit("[assumptions]\ndiscount_rate = 0.09\nterminal_growth = 0.03\n", "assumptions = 3\n"),
        ["line 6", "assumptions must be a table", "3"],
    ),
    ("type-members", top('members = "nvidia"'), ["line 5", "members must be an array", "'nvidia'"]),
    ("type-member-entry", top("members = [1]"), ["member #1", "must be a table", "1"]),
    (
        "unknown-top-key",
        edit("benchmark", "benchmrk"),
        ["line 3", "unknown key 'benchmrk'", "did you mean 'benchmark'"],
    ),
    (
        "unknown-assumption",
        edit("discount_rate", "discount"),
        ["line 7", "unknown assumption 'discount'", "did you mean 'discount_rate'"],
    ),
    (
        "unknown-member-assumption",
        edit("revenue_growth", "revenue_grwth"),
        ["line 18", MEMBER2, "unknown assumption 'revenue_grwth'", "did you mean 'revenue_growth'"],
    ),
    (
        "unknown-member-key",
        edit('company = "cambricon"', 'company = "cambricon"\nsymbl = "X"'),
        ["line 16", MEMBER2, "unknown member key 'symbl'", "did you mean 'symbol'"],
    ),
    (
        "range-tax",
        edit("terminal_growth = 0.03", "terminal_growth = 0.03\ntax_rate = 0.9"),
        ["line 9", "tax_rate 0.9 is out of range", "<= 0.6"],
    ),
    ("range-discount-5", edit("0.09", "5"), ["line 7", "discount_rate 5 is out of range", "< 0.5"]),
    ("range-discount-0", edit("0.09", "0"), ["line 7", "discount_rate 0 is out of range", "> 0"]),
    (
        "range-negative-years",
        edit("revenue_growth = 0.6", "fade_years = -3"),
        ["line 18", MEMBER2, "fade_years -3 is out of range", ">= 0"],
    ),
    (
        "range-growth",
        edit("revenue_growth = 0.6", "revenue_growth = 6"),
        ["line 18", MEMBER2, "revenue_growth 6 is out of range"],
    ),
    ("range-nan", edit("0.09", "nan"), ["line 7", "discount_rate nan is not a number"]),
    ("range-inf", edit("0.09", "inf"), ["line 7", "discount_rate inf must be finite"]),
    (
        "range-sales-to-capital",
        edit("revenue_growth = 0.6", "sales_to_capital = -1"),
        ["line 18", MEMBER2, "sales_to_capital -1 is out of range", "> 0"],
    ),
    (
        "type-sales-to-capital",
        edit("revenue_growth = 0.6", 'sales_to_capital = "infinite"'),
        ["line 18", MEMBER2, 'sales_to_capital must be a number or the string "inf"', "'infinite'"],
    ),
    (
        "terminal-growth-vs-discount",
        edit("0.09", "0.05").replace("0.03", "0.06", 1),
        ["t.toml, line 7", "[assumptions] discount_rate 0.05 must exceed terminal_growth 0.06"],
    ),
    (
        "member-terminal-growth",
        edit("revenue_growth = 0.6", "terminal_growth = 0.09"),
        ["line 18", MEMBER2, "terminal_growth 0.09 is out of range", "<= 0.08"],
    ),
    (
        "member-terminal-growth-ge-discount",
        edit("revenue_growth = 0.6", "discount_rate = 0.03"),
        ["line 18", MEMBER2, "discount_rate 0.03 must exceed terminal_growth 0.03"],
    ),
    (
        "terminal-roic",
        edit("revenue_growth = 0.6", "terminal_roic = 0.02"),
        ["line 18", MEMBER2, "terminal_roic 0.02 must exceed terminal_growth 0.03"],
    ),
    (
        "net-cash-watchlist",
        edit("terminal_growth = 0.03", "terminal_growth = 0.03\nnet_cash = 1e9"),
        ["line 9", "net_cash 1000000000.0 is a per-company amount"],
    ),
    ("missing-name", edit('name = "test list"\n', ""), ["t.toml: missing required field 'name'"]),
    ("missing-members", VALID.split("[[members]]")[0], ["missing required field 'members'"]),
    ("empty-members", top("members = []"), ["line 5", "members is empty"]),
    (
        "member-without-key",
        edit('company = "cambricon"', 'note = "no key"'),
        ["line 14", "member #2", "missing field: give company", "or symbol"],
    ),
    (
        "member-empty-company",
        edit('"cambricon"', '"  "'),
        ["line 15", "company must be a non-empty string", "'  '"],
    ),
    (
        "unknown-company",
        edit('"cambricon"', '"cambricorn"'),
        ["line 15", "member #2 'cambricorn'", "unknown company 'cambricorn'", "cambricon"],
    ),
    (
        "invalid-symbol",
        edit('company = "cambricon"', 'symbol = "688 257.SS"'),
        ["line 15", "member #2 '688 257.SS'", "symbol '688 257.SS'", "not a Yahoo"],
    ),
    (
        "symbol-not-a-listing-of-company",
        edit('company = "cambricon"', 'company = "cambricon"\nsymbol = "688257.SS"'),
        ["line 16", "member #2 '688257.SS'", "symbol '688257.SS' is not a listing of company",
         "bare Yahoo symbol"],
    ),
    (
        "duplicate-symbol",
        edit('company = "huawei"', 'symbol = "nvda"'),
        ["line 21", "member #3 'nvda'", "duplicate member: symbol 'NVDA'", "member #1 'nvidia'"],
    ),
    (
        "duplicate-unlisted",
        VALID + '\n[[members]]\ncompany = "Huawei Technologies"\n',
        ["line 24", "member #4", "unlisted company 'huawei'", "member #3 'huawei'"],
    ),
    (
        "company-symbol-disagree",
        edit('company = "cambricon"', 'company = "kuaishou"\nsymbol = "BABA"'),
        [
            "line 16",
            "member #2 'BABA'",
            "company 'kuaishou' and symbol 'BABA' disagree",
            "listing of 'alibaba'",
        ],
    ),
    ("name-dotdot", edit('"test list"', '"../evil"'), ["line 1", "name '../evil'", "file name"]),
    ("name-separator", edit('"test list"', '"a/b"'), ["line 1", "name 'a/b'", "path separators"]),
    ("name-backslash", edit('"test list"', r'"a\\b"'), ["line 1", "name 'a\\\\b'"]),
    ("name-charset", edit('"test list"', '"list*"'), ["line 1", "name 'list*'"]),
    ("name-dot", edit('"test list"', '".hidden"'), ["line 1", "name '.hidden'"]),
    ("name-empty", edit('"test list"', '""'), ["line 1", "name '' must not be empty"]),
    ("currency", edit('"USD"', '"usd"'), ["line 4", "base_currency 'usd'", "ISO 4217"]),
    ("benchmark", edit('"^GSPC"', '"S&P 500"'), ["line 3", "benchmark 'S&P 500'"]),
]


@pytest.mark.parametrize(("text", "fragments"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_bad_definition_names_file_line_member_and_field(text, fragments):
    with pytest.raises(DefinitionError) as info:
        parse_watchlist(text, source="t.toml")
    message = str(info.value)
    assert message.startswith("t.toml"), message
    position = 0
    for fragment in fragments:
        found = message.find(fragment, position)
        assert found >= 0, f"{fragment!r} not in {message!r}"
        position = found + len(fragment)
    assert isinstance(info.value, WatchlistError) and isinstance(info.value, ValueError)


def test_the_valid_base_file_is_valid():
    wl = parse_watchlist(VALID, source="t.toml")
    assert [m.symbol for m in wl.members] == ["NVDA", "688256.SS", None]


def test_inline_members_report_member_without_a_wrong_line():
    text = top('members = [{company = "nvidia"}, {company = "x"}]')
    with pytest.raises(DefinitionError, match=r"^t\.toml, member #2 'x': unknown company 'x'"):
        parse_watchlist(text, source="t.toml")


# --------------------------------------------------------------------------- files


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(VALID.replace("a test", "caf\xe9").encode("latin-1"))
    with pytest.raises(DefinitionError, match=re.escape(f"{path}, line 2: not UTF-8")):
        load_watchlist(path)


def test_file_too_large(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text(VALID + "#" * MAX_FILE_BYTES, encoding="utf-8")
    with pytest.raises(DefinitionError, match=re.escape(f"{path}: file too large")):
        load_watchlist(str(path))


def test_text_too_large():
    with pytest.raises(DefinitionError, match=r"^t\.toml: file too large"):
        parse_watchlist(VALID + "#" * MAX_FILE_BYTES, source="t.toml")


def test_path_does_not_exist(tmp_path):
    path = tmp_path / "nope" / "missing.toml"
    with pytest.raises(DefinitionError, match=re.escape(f"{path}: watchlist file does not exist")):
        load_watchlist(str(path))


def test_relative_toml_name_does_not_exist(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DefinitionError, match=r"mine\.toml: watchlist file does not exist"):
        load_watchlist("mine.toml")


def test_path_is_a_directory(tmp_path):
    with pytest.raises(DefinitionError, match="not a regular file"):
        load_watchlist(tmp_path)


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("china-ai-compue", ["'china-ai-compue'", "did you mean 'china-ai-compute'"]),
        ("western", ["'western'", "western-ai-compute"]),
        ("nothing-like-it", ["'nothing-like-it'", "available: ai-compute-global"]),
        ("  ", ["empty"]),
    ],
)
def test_unknown_bundled_name_suggests(name, fragments):
    with pytest.raises(DefinitionError) as info:
        load_watchlist(name)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_bundled_error_names_the_bundled_source(monkeypatch):
    def unknown(key, *, kind):
        raise KeyError(f"unknown {kind} {key!r}")

    monkeypatch.setattr(definitions, "_resolve_member", unknown)
    with pytest.raises(DefinitionError, match=r"^bundled:western-ai-compute, line \d+, member #1"):
        load_watchlist("western-ai-compute")


# --------------------------------------------------------------------------- fuzzing

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BASE_TEXT = (definitions._bundled_dir() / "china-ai-compute.toml").read_text(encoding="utf-8")


def outcome(load) -> None:
    """A Watchlist or a DefinitionError; any other exception fails the test."""
    try:
        result = load()
    except DefinitionError as exc:
        assert str(exc)
        return
    assert isinstance(result, Watchlist)
    assert result.members and all(
        m.assumptions.terminal_growth < m.assumptions.discount_rate for m in result.members
    )


@FUZZ
@given(st.text(max_size=2000))
def test_fuzz_random_text(text):
    outcome(lambda: parse_watchlist(text, source="fuzz.toml"))


TOKENS = st.sampled_from(
    [
        "[",
        "]",
        "[[",
        "]]",
        "=",
        '"',
        "'",
        '"""',
        "\n",
        "#",
        ",",
        "{",
        "}",
        ".",
        "-",
        "inf",
        "nan",
        "true",
        "0",
        "-1",
        "1e400",
        "members",
        "assumptions",
        "company",
        "symbol",
        "discount_rate",
        "huawei",
        "NVDA",
        "\x00",
        "\ufeff",
        "é",
        "\\",
        "\\u0000",
    ]
)


@st.composite
def mutated(draw):
    text = BASE_TEXT
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        if op == "insert":
            piece = draw(st.one_of(TOKENS, st.text(max_size=8)))
            text = text[:pos] + piece + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 40)) :]
        elif op == "replace":
            text = text[:pos] + draw(TOKENS) + text[pos + 1 :]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
            text = "".join(lines)
    return text


@FUZZ
@given(mutated())
def test_fuzz_mutations_of_a_bundled_file(text):
    outcome(lambda: parse_watchlist(text, source="fuzz.toml"))


def toml_value(value) -> str:
    """A tiny TOML writer for the value types hypothesis generates below."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(data: dict) -> str:
    return "".join(f"{toml_value(k)} = {toml_value(v)}\n" for k, v in data.items())


SCALARS = st.one_of(
    st.none(),  # dropped below: TOML has no null
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["inf", "nvidia", "huawei", "NVDA", "9988.HK", "cambricon", "USD", "^GSPC"]),
    st.dates(),
)
VALUES = st.recursive(
    SCALARS.filter(lambda v: v is not None),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
ASSUMPTION_TABLE = st.dictionaries(
    st.one_of(st.sampled_from(ASSUMPTION_KEYS), st.text(max_size=10)), VALUES, max_size=4
) | st.dictionaries(
    st.sampled_from(ASSUMPTION_KEYS), st.floats(-1, 1) | st.integers(0, 40), max_size=4
)
MEMBER = st.fixed_dictionaries(
    {},
    optional={
        "company": st.sampled_from([*FAKE_PROFILES, "Huawei Technologies", "nvidai", ""]) | VALUES,
        "symbol": st.sampled_from(["NVDA", "BABA", "9988.HK", "688981.SS", "XXXX"]) | VALUES,
        "note": st.text(max_size=20) | VALUES,
        "assumptions": ASSUMPTION_TABLE | VALUES,
        "extra": VALUES,
    },
)
DOCUMENT = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["ok", "../x", "a/b", ".", "", "x" * 200])
        | st.text(max_size=10)
        | VALUES,
        "description": st.text(max_size=20) | VALUES,
        "benchmark": st.sampled_from(["^GSPC", "000300.SS"]) | VALUES,
        "base_currency": st.sampled_from(["USD", "CNY", "usd", "US"]) | VALUES,
        "assumptions": ASSUMPTION_TABLE | VALUES,
        "members": st.lists(MEMBER, max_size=4) | VALUES,
        "benchmrk": VALUES,
    },
)


@FUZZ
@given(DOCUMENT)
def test_fuzz_random_dicts_serialised_to_toml(data):
    outcome(lambda: parse_watchlist(toml_document(data), source="fuzz.toml"))


@FUZZ
@given(st.lists(MEMBER, min_size=1, max_size=4), ASSUMPTION_TABLE)
def test_fuzz_random_members_of_a_named_list(members, assumptions):
    doc = {"name": "fuzz", "assumptions": assumptions, "members": members}
    outcome(lambda: parse_watchlist(toml_document(doc), source="fuzz.toml"))


@FUZZ
@given(st.binary(max_size=2000) | mutated().map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_fuzz_random_bytes_from_a_file(tmp_path, data):
    path = tmp_path / "fuzz.toml"
    path.write_bytes(data)
    outcome(lambda: load_watchlist(path))


def test_deeply_nested_toml_is_a_clean_error():
    text = "name = 'x'\nmembers = " + "[" * 50_000 + "]" * 50_000 + "\n"
    # refused before parsing (the line is too long) or by the parser (nested too deeply)
    with pytest.raises(DefinitionError, match=r"nested too deeply|characters long"):
        parse_watchlist(text, source="t.toml")

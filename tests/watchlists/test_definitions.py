"""Watchlist definitions: bundled files, merging and provenance, user files, file names."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchlists import definitions
from watchlists.definitions import (
    ASSUMPTION_KEYS,
    Assumptions,
    Member,
    Watchlist,
    bundled_watchlists,
    load_watchlist,
    parse_watchlist,
    safe_filename,
)
from watchlists.errors import DefinitionError

BUNDLED = ("ai-compute-global", "china-ai-compute", "western-ai-compute")
DATA_DIR = Path(definitions.__file__).parent / "data" / "watchlists"



MINIMAL = """
name = "mini"
[[members]]
company = "nvidia"
"""


def test_public_api_is_pinned():
    assert definitions.__all__ == [
        "ASSUMPTION_KEYS",
        "MAX_FILE_BYTES",
        "Assumptions",
        "Member",
        "Watchlist",
        "bundled_watchlists",
        "load_watchlist",
        "parse_watchlist",
        "safe_filename",
    ]


# --------------------------------------------------------------------------- assumptions


def test_assumption_defaults_are_documented_values():
    a = Assumptions()
    assert a.as_dict() == {
        "discount_rate": 0.10,
        "terminal_growth": 0.03,
        "revenue_growth": None,
        "high_years": 5,
        "fade_years": 5,
        "operating_margin": None,
        "target_margin": 0.25,
        "margin_years": 5,
        "tax_rate": 0.25,
        "sales_to_capital": 1.5,
        "terminal_roic": None,
        "net_cash": None,
        "upside_alert": 0.10,
    }
    assert tuple(a.as_dict()) == ASSUMPTION_KEYS
    assert all(a.source_of(k) == "default" for k in ASSUMPTION_KEYS)
    assert a.effective_terminal_roic == 0.10


def test_merged_layers_values_and_provenance_without_mutating_input():
    overrides = {"discount_rate": 0.12, "sales_to_capital": "inf"}
    snapshot = dict(overrides)
    wl = Assumptions().merged(overrides, source="watchlist")
    member = wl.merged({"revenue_growth": 0.6, "net_cash": 1_000})
    assert overrides == snapshot
    assert member.discount_rate == 0.12
    assert member.sales_to_capital == math.inf
    assert member.revenue_growth == 0.6
    assert member.net_cash == 1000.0 and isinstance(member.net_cash, float)
    assert member.source_of("discount_rate") == "watchlist"
    assert member.source_of("revenue_growth") == "member"
    assert member.source_of("net_cash") == "member"
    assert member.source_of("tax_rate") == "default"
    assert wl.revenue_growth is None  # the base record is unchanged
    with pytest.raises(TypeError):
        member.provenance["tax_rate"] = "member"  # read-only


def test_member_override_replaces_watchlist_value_and_provenance():
    wl = Assumptions().merged({"revenue_growth": 0.2}, source="watchlist")
    member = wl.merged({"revenue_growth": 0.6}, source="member")
    assert (member.revenue_growth, member.source_of("revenue_growth")) == (0.6, "member")


def test_equality_and_hash_ignore_provenance():
    explicit = Assumptions().merged({"discount_rate": 0.10}, source="watchlist")
    assert explicit == Assumptions()
    assert hash(explicit) == hash(Assumptions())
    assert explicit.source_of("discount_rate") == "watchlist"


def test_direct_construction_marks_changed_values_as_caller_chosen():
    a = Assumptions(discount_rate=0.12, high_years=5)
    assert a.source_of("discount_rate") == "watchlist"
    assert a.source_of("high_years") == "default"


def test_merged_validates_the_combination():
    wl = Assumptions().merged({"discount_rate": 0.07}, source="watchlist")
    with pytest.raises(
        ValueError, match=r"^discount_rate 0\.07 must exceed terminal_growth 0\.08$"
    ):
        wl.merged({"terminal_growth": 0.08})


def test_net_cash_is_member_only():
    with pytest.raises(ValueError, match="net_cash 5 is a per-company amount"):
        Assumptions().merged({"net_cash": 5}, source="watchlist")


def test_source_of_unknown_key_suggests():
    with pytest.raises(ValueError, match="did you mean 'discount_rate'"):
        Assumptions().source_of("discount")


def test_merged_rejects_unknown_source_label():
    with pytest.raises(ValueError, match="source 'file'"):
        Assumptions().merged({}, source="file")


def test_int_rates_become_floats_and_years_stay_ints():
    a = Assumptions().merged({"tax_rate": 0, "high_years": 10}, source="watchlist")
    assert a.tax_rate == 0.0 and isinstance(a.tax_rate, float)
    assert a.high_years == 10 and isinstance(a.high_years, int)


# --------------------------------------------------------------------------- bundled files


def test_bundled_watchlist_names():
    assert bundled_watchlists() == list(BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_watchlists_load(fake_profiles, name):
    wl = load_watchlist(name)
    assert wl.name == name
    assert wl.source == f"bundled:{name}"
    assert wl.description
    assert re.fullmatch(r"[A-Z]{3}", wl.base_currency)
    assert wl.benchmark in {"000300.SS", "^GSPC"}
    assert all(m.note for m in wl.members)
    assert wl.symbols == tuple(m.symbol for m in wl.members if m.symbol)
    assert wl.price_symbols == (*wl.symbols, wl.benchmark)


def test_china_list_members(fake_profiles):
    wl = load_watchlist("china-ai-compute")
    assert [(m.company, m.symbol) for m in wl.members] == [
        ("alibaba", "9988.HK"),
        ("kuaishou", "1024.HK"),
        ("cambricon", "688256.SS"),
        ("moore-threads", "688795.SS"),
        ("huawei", None),
        ("innolight", "300308.SZ"),
        ("hygon", "688041.SS"),
        ("smic", "0981.HK"),
        ("tencent", "0700.HK"),
    ]
    assert (wl.benchmark, wl.base_currency) == ("000300.SS", "CNY")
    assert [m.company for m in wl.unlisted] == ["huawei"]
    assert "huawei" not in wl.symbols and None not in wl.symbols
    cambricon = wl.members[2]
    assert cambricon.key == "cambricon"
    assert dict(cambricon.overrides) == {"revenue_growth": 0.6}
    assert cambricon.assumptions.revenue_growth == 0.6
    assert wl.members[0].key == "9988.HK"


def test_western_and_global_lists(fake_profiles):
    western = load_watchlist("western-ai-compute")
    assert western.symbols == ("NVDA", "AMD", "GOOGL")
    assert (western.benchmark, western.base_currency) == ("^GSPC", "USD")
    china = load_watchlist("china-ai-compute")
    world = load_watchlist("ai-compute-global")
    assert [m.key for m in world.members] == [m.key for m in china.members + western.members]
    assert [m.note for m in world.members] == [m.note for m in china.members + western.members]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_provenance_matches_the_file(fake_profiles, name):
    raw = tomllib.loads((DATA_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    wl = load_watchlist(name)
    for member, raw_member in zip(wl.members, raw["members"], strict=True):
        for key in ASSUMPTION_KEYS:
            if key in raw_member.get("assumptions", {}):
                expected = "member"
            elif key in raw["assumptions"]:
                expected = "watchlist"
            else:
                expected = "default"
            assert member.assumptions.source_of(key) == expected, (member.key, key)
    assert wl.assumptions.revenue_growth is None  # unknown unless a member says otherwise


def test_bundled_notes_are_short_and_assumptions_commented():
    for name in BUNDLED:
        text = (DATA_DIR / f"{name}.toml").read_text(encoding="utf-8")
        assert "OUR MODELLING ASSUMPTIONS, not data" in text
        if "[members.assumptions]" in text:
            assert text.count("ILLUSTRATIVE ASSUMPTION") == text.count("[members.assumptions]")
        for member in tomllib.loads(text)["members"]:
            assert len(member["note"]) <= 120


@pytest.mark.skipif(
    importlib.util.find_spec("watchlists.profiles") is None,
    reason="watchlists.profiles is not available yet",
)
@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_watchlists_load_against_real_profiles(name):
    from watchlists import profiles

    wl = load_watchlist(name)
    for member in wl.members:
        company = profiles.company(member.company)
        assert company.slug == member.company
        if member.symbol is None:
            assert company.primary_listing is None
        else:
            assert member.symbol in {listing.symbol for listing in company.listings}


# --------------------------------------------------------------------------- parsing


def test_minimal_file_uses_defaults(fake_profiles):
    wl = parse_watchlist(MINIMAL, source="mini.toml")
    assert (wl.description, wl.benchmark, wl.base_currency) == ("", None, "USD")
    assert wl.assumptions == Assumptions()
    assert wl.members == (
        Member(key="nvidia", company="nvidia", symbol="NVDA", assumptions=Assumptions()),
    )
    assert wl.price_symbols == ("NVDA",)


def test_company_key_may_be_a_name_and_symbol_picks_the_listing(fake_profiles):
    text = """
name = "alibaba lines"
[[members]]
company = "Alibaba Group"
[[members]]
symbol = "9988.HK"
[[members]]
company = "alibaba"
symbol = "9988.hk"
note = "  both given and agreeing: the symbol wins  "
"""
    with pytest.raises(DefinitionError, match=r"duplicate member: symbol '9988\.HK'"):
        parse_watchlist(text, source="x.toml")
    wl = parse_watchlist(text.rsplit("[[members]]", 1)[0], source="x.toml")
    assert [(m.key, m.company, m.symbol) for m in wl.members] == [
        ("Alibaba Group", "alibaba", "BABA"),
        ("9988.HK", "alibaba", "9988.HK"),
    ]


def test_member_fields_are_read_only(fake_profiles):
    wl = parse_watchlist(
        MINIMAL + "[members.assumptions]\nrevenue_growth = 0.3\n", source="mini.toml"
    )
    member = wl.members[0]
    with pytest.raises(TypeError):
        member.overrides["revenue_growth"] = 0.9
    with pytest.raises(dataclasses.FrozenInstanceError):
        member.symbol = "AMD"
    with pytest.raises(dataclasses.FrozenInstanceError):
        wl.name = "other"
    assert isinstance(hash(wl), int)  # hashable despite the mapping of overrides


def test_utf8_bom_is_accepted(fake_profiles, tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_watchlist(path).name == "mini"


def test_watchlist_constructor_rejects_duplicates_directly():
    member = Member(key="NVDA", company="nvidia", symbol="NVDA")
    with pytest.raises(DefinitionError, match="duplicate member: symbol 'NVDA'"):
        Watchlist("x", "", None, "USD", Assumptions(), (member, member), "test")


def test_watchlist_constructor_accepts_a_list_and_stores_a_tuple():
    member = Member(key="huawei", company="huawei", symbol=None)
    wl = Watchlist("x", "", "^GSPC", "USD", Assumptions(), [member], "test")
    assert wl.members == (member,) and wl.symbols == () and wl.price_symbols == ("^GSPC",)
    assert not member.listed and member.identity == "company:huawei"


# --------------------------------------------------------------------------- user files


def test_user_file_by_path_str_and_pathlike(fake_profiles, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    by_str = load_watchlist(str(path))
    by_path = load_watchlist(path)
    assert by_str == by_path
    assert by_str.source == str(path)


def test_bare_name_ending_in_toml_is_a_relative_path(fake_profiles, tmp_path, monkeypatch):
    (tmp_path / "china-ai-compute.toml").write_text(MINIMAL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_watchlist("china-ai-compute.toml").name == "mini"  # the user's, not bundled
    assert load_watchlist("./china-ai-compute.toml").name == "mini"
    assert load_watchlist("china-ai-compute").name == "china-ai-compute"


def test_tilde_in_a_path_string_is_expanded(fake_profiles, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "mine.toml").write_text(MINIMAL, encoding="utf-8")
    assert load_watchlist("~/mine.toml").source == str(tmp_path / "mine.toml")


def test_format_reference_example_is_valid(fake_profiles):
    doc = (Path(__file__).parents[2] / "docs" / "watchlist-format.md").read_text(encoding="utf-8")
    short, example = re.findall(r"```toml\n(.*?)```", doc, re.DOTALL)[:2]
    assert parse_watchlist(short, source="docs").symbols == (
        "MSFT", "AAPL", "TSM", "ASML.AS", "7203.T", "OCDO.L", "BABA", "0700.HK", "688256.SS")
    wl = parse_watchlist(example, source="docs")
    assert wl.symbols == ("NVDA", "9988.HK")
    assert [m.company for m in wl.unlisted] == ["huawei"]
    assert wl.members[0].assumptions.source_of("net_cash") == "member"
    assert wl.members[1].assumptions.source_of("discount_rate") == "watchlist"


def test_load_rejects_non_string_argument():
    with pytest.raises(TypeError, match="name_or_path"):
        load_watchlist(42)


# --------------------------------------------------------------------------- safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("china-ai-compute", "china-ai-compute"),
        ("China AI compute (v2)", "china-ai-compute-v2-a3c6d7e220"),
        ("../../etc/passwd", "etc-passwd-3754d6cb3a"),
        ("C:\\Users\\me\\x", "c-users-me-x-"),
        (".hidden", "hidden-"),
        ("", "watchlist-"),
        ("...", "watchlist-ab5df625bc"),
        ("中国算力", "watchlist-"),
        ("Zhōngjì Innolight", "zhongji-innolight-"),
        ("CON", "con-a3dbc4b644"),
        ("a" * 200, "a" * 69 + "-"),
    ],
)
def test_safe_filename_examples(name, expected):
    # a name that is not a plain slug keeps a readable slug plus a hash of the exact name
    out = safe_filename(name)
    assert out == expected if not expected.endswith("-") else (
        out.startswith(expected) and re.fullmatch(r"[0-9a-f]{10}", out[len(expected):]))


@given(st.text())
def test_safe_filename_is_always_safe(name):
    out = safe_filename(name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", out)
    assert 0 < len(out) <= 80
    # a plain slug is its own stem; a hashed stem is hashed again (injectivity)
    assert safe_filename(out) == out or re.search(r"-[0-9a-f]{10}$", out)


def test_safe_filename_rejects_non_strings():
    with pytest.raises(TypeError, match="name must be a str"):
        safe_filename(None)

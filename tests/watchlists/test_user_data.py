"""User data: companies, targets, facts and quotes in ``<home>/data`` merged with the bundle."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pytest

from watchlists import profiles
from watchlists._profile_loading import COMPANY_COLUMNS, FACT_COLUMNS, QUOTE_COLUMNS, TARGET_COLUMNS
from watchlists._user_data import _bundle
from watchlists.cli import main
from watchlists.definitions import load_watchlist
from watchlists.errors import DataFileError
from watchlists.snapshots import snapshot

ASOF = "2025-12-04"

COMPANIES = """\
# my companies (the bundled format)
[[company]]
slug = "acme-robotics"
name = "Acme Robotics"
legal_name = "Acme Robotics, Inc."
country = "US"
role = "applications"
aliases = ["Acme"]
description = "A fictional robotics maker used in the tests."
source_url = "https://example.com/acme/annual-report"

[[company.listing]]
symbol = "ACME"
exchange = "NASDAQ"
board = "Global Select"
currency = "USD"
primary = true
"""

TARGETS = """\
company,symbol,broker,rating,kind,target,min_upside,reference,currency,published,date_unknown,previous_target,source_url,confidence,note
acme-robotics,ACME,Example Securities,Buy,price,150,,,USD,2025-11-20,false,,https://example.com/acme/target,confirmed,initiation
"""

FACTS = """\
company,metric,value,unit,currency,period,asof,source_url,confidence,note
acme-robotics,revenue,2000000000,USD,USD,FY2024,2025-02-15,https://example.com/acme/10-k,confirmed,
acme-robotics,shares_outstanding,100000000,shares,,2025-02-15,2025-02-15,https://example.com/acme/10-k,confirmed,
"""

QUOTES = """\
symbol,date,kind,value,currency,source_url,confidence,note
ACME,2025-12-04,close,120,USD,https://example.com/acme/quote,confirmed,
"""

WATCHLIST = """\
name = "my-robots"
description = "A user watchlist with a user company and a bundled one"
base_currency = "USD"

[[members]]
company = "Acme Robotics"

[[members]]
symbol = "688256.SS"
"""

FILES = {
    "companies.toml": COMPANIES,
    "targets.csv": TARGETS,
    "facts.csv": FACTS,
    "reference_quotes.csv": QUOTES,
}


def _write(path: Path, text: str) -> Path:
    """Write ``text`` and move the mtime on, so a rewrite within one clock tick is seen."""
    old = path.stat().st_mtime_ns if path.exists() else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    mtime = max(path.stat().st_mtime_ns, old + 1_000_000)
    os.utime(path, ns=(mtime, mtime))
    return path


@pytest.fixture
def data_dir(_isolated_home: Path) -> Path:
    d = _isolated_home / "data"
    for name, text in FILES.items():
        _write(d / name, text)
    return d


@pytest.fixture
def watchlist_path(tmp_path: Path) -> Path:
    return _write(tmp_path / "my-robots.toml", WATCHLIST)


# ------------------------------------------------------------------ lookups and frames
def test_user_data_dir_follows_home_and_env(_isolated_home, tmp_path, monkeypatch):
    assert profiles.user_data_dir() == _isolated_home / "data"
    monkeypatch.setenv("WATCHLISTS_DATA", str(tmp_path / "elsewhere"))
    assert profiles.user_data_dir() == tmp_path / "elsewhere"


def test_user_company_is_found(data_dir):
    comp = profiles.company("Acme Robotics")
    assert comp.slug == "acme-robotics"
    assert profiles.company("acme") is comp and profiles.company("ACME") is comp
    found, lst = profiles.listing("acme")
    assert found is comp
    assert (lst.symbol, lst.exchange, lst.currency, lst.primary) == ("ACME", "NASDAQ", "USD", True)
    assert profiles.company_records()[-1] is comp
    assert profiles.company("cambricon").slug == "cambricon"  # bundled still there


def test_frames_gain_origin_as_last_column(data_dir):
    comps = profiles.companies()
    assert list(comps.columns) == [*COMPANY_COLUMNS, "origin"]
    assert comps.set_index("symbol").loc["ACME", "origin"] == "user"
    assert set(comps.loc[comps["company"] != "acme-robotics", "origin"]) == {"bundled"}

    for frame, columns in (
        (profiles.targets(), TARGET_COLUMNS),
        (profiles.facts(), FACT_COLUMNS),
        (profiles.reference_quotes(), QUOTE_COLUMNS),
    ):
        assert list(frame.columns) == [*columns, "origin"]
        assert frame["origin"].iloc[-1] == "user"
        assert frame["origin"].iloc[0] == "bundled"
        assert set(frame["origin"]) == {"bundled", "user"}

    acme = profiles.targets("acme")
    assert acme[["broker", "target", "origin"]].values.tolist() == [
        ["Example Securities", 150.0, "user"]
    ]
    assert profiles.targets("cambricon")["origin"].eq("bundled").all()
    q = profiles.reference_quotes("ACME")
    assert q["date"].tolist() == [pd.Timestamp(ASOF)] and q["value"].tolist() == [120.0]


def test_no_user_data_means_bundled_rows_only():
    assert not profiles.user_data_dir().exists()
    for frame, columns in ((profiles.companies(), COMPANY_COLUMNS),
                           (profiles.targets(), TARGET_COLUMNS),
                           (profiles.facts(), FACT_COLUMNS),
                           (profiles.reference_quotes(), QUOTE_COLUMNS)):
        assert list(frame.columns) == [*columns, "origin"]
        assert frame["origin"].eq("bundled").all()
    with pytest.raises(KeyError, match="unknown company"):
        profiles.company("Acme Robotics")


def test_user_facts_feed_derived_queries(data_dir):
    assert profiles.ttm_revenue("acme", ASOF) == (2e9, "USD", "FY2024")
    shares = profiles.latest_fact("ACME", "shares_outstanding", ASOF)
    assert shares is not None and shares.value == 1e8
    assert profiles.latest_fact("ACME", "revenue", "2025-01-01") is None  # not yet known
    assert [f.metric for f in profiles.fact_records("acme-robotics")] == [
        "revenue",
        "shares_outstanding",
    ]
    assert [t.broker for t in profiles.target_records("acme")] == ["Example Securities"]
    assert [q.value for q in profiles.quote_records("ACME")] == [120.0]


def test_load_functions_validate_against_user_companies(data_dir, tmp_path):
    extra = _write(tmp_path / "more.csv", TARGETS.replace("Example Securities", "Other Bank"))
    (t,) = profiles.load_targets(extra)
    assert (t.company, t.symbol, t.broker) == ("acme-robotics", "ACME", "Other Bank")
    (q,) = profiles.load_reference_quotes(_write(tmp_path / "q.csv", QUOTES))
    assert q.symbol == "ACME"
    assert len(profiles.load_facts(_write(tmp_path / "f.csv", FACTS))) == 2


def test_only_companies_file_is_enough(_isolated_home):
    _write(_isolated_home / "data" / "companies.toml", COMPANIES)
    assert profiles.listing("ACME")[0].slug == "acme-robotics"
    assert profiles.targets()["origin"].eq("bundled").all()  # no user targets
    assert profiles.reference_quotes("ACME").empty


def test_comment_only_companies_file_adds_nothing(_isolated_home):
    _write(_isolated_home / "data" / "companies.toml", "# nothing yet\n")
    assert len(profiles.company_records()) == len(_bundle().universe.companies)


def test_watchlists_data_env_points_elsewhere(tmp_path, monkeypatch):
    other = tmp_path / "shared-data"
    _write(other / "companies.toml", COMPANIES)
    monkeypatch.setenv("WATCHLISTS_DATA", str(other))
    assert profiles.company("acme").slug == "acme-robotics"


# ------------------------------------------------------------------ watchlists and snapshots
def test_user_company_in_a_user_watchlist(data_dir, watchlist_path):
    wl = load_watchlist(watchlist_path)
    assert [(m.company, m.symbol) for m in wl.members] == [
        ("acme-robotics", "ACME"),
        ("cambricon", "688256.SS"),
    ]


def test_snapshot_prices_and_values_a_user_company(data_dir, watchlist_path):
    snap = snapshot(watchlist_path, ASOF)
    row = snap.table.set_index("symbol").loc["ACME"]
    assert row["company"] == "acme-robotics" and row["name"] == "Acme Robotics"
    assert row["price"] == 120.0 and row["price_source"] == "user"
    assert row["currency"] == "USD"
    assert row["consensus_upside"] == pytest.approx(150 / 120 - 1)
    assert row["revenue"] == 2e9 and row["shares"] == 1e8
    assert row["implied_growth_status"] == "ok"
    (target,) = snap.targets[snap.targets["symbol"] == "ACME"].itertuples()
    assert target.broker == "Example Securities"
    assert target.upside == pytest.approx(0.25)


def test_changed_file_is_picked_up_without_restart(data_dir, watchlist_path):
    assert profiles.reference_quotes("ACME")["value"].tolist() == [120.0]
    _write(data_dir / "reference_quotes.csv", QUOTES.replace(",120,", ",125,"))
    assert profiles.reference_quotes("ACME")["value"].tolist() == [125.0]
    snap = snapshot(watchlist_path, ASOF)
    assert snap.table.set_index("symbol").loc["ACME", "price"] == 125.0

    renamed = COMPANIES.replace('aliases = ["Acme"]', 'aliases = ["Acme", "Acme Bots"]')
    _write(data_dir / "companies.toml", renamed)
    assert profiles.company("acme bots").slug == "acme-robotics"

    (data_dir / "targets.csv").unlink()
    assert profiles.targets("acme").empty
    assert profiles.targets()["origin"].eq("bundled").all()


def test_each_home_sees_its_own_data(data_dir, tmp_path, monkeypatch):
    assert profiles.company("acme").slug == "acme-robotics"
    monkeypatch.setenv("WATCHLISTS_HOME", str(tmp_path / "another-home"))
    with pytest.raises(KeyError, match="unknown company 'acme'"):
        profiles.company("acme")
    monkeypatch.setenv("WATCHLISTS_HOME", str(data_dir.parent))
    assert profiles.company("acme").slug == "acme-robotics"


# ------------------------------------------------------------------ users extend, never override
BUNDLED_TARGET_ROW = (
    "cambricon,688256.SS,Goldman Sachs,Buy,price,1835,,,CNY,2025-08-24,false,1223,"
    "https://example.com/copy,confirmed,copied\n"
)
BUNDLED_FACT_ROW = (
    "cambricon,revenue,2881000000,CNY,CNY,H1-2025,2025-08-26,https://example.com/copy,confirmed,\n"
)
BUNDLED_QUOTE_ROW = "688256.SS,2025-12-04,close,1369,CNY,https://example.com/copy,confirmed,\n"


@pytest.mark.parametrize(
    ("fname", "header", "row", "rid"),
    [
        ("targets.csv", TARGETS, BUNDLED_TARGET_ROW, "cambricon/Goldman Sachs"),
        ("facts.csv", FACTS, BUNDLED_FACT_ROW, "cambricon/revenue/H1-2025"),
        ("reference_quotes.csv", QUOTES, BUNDLED_QUOTE_ROW, "688256.SS/close/2025-12-04"),
    ],
    ids=["target", "fact", "quote"],
)
def test_duplicate_of_a_bundled_record_names_both_files(data_dir, fname, header, row, rid):
    path = _write(data_dir / fname, header + row)
    n = len(header.splitlines()) + 1
    query = {
        "targets.csv": profiles.targets,
        "facts.csv": profiles.facts,
        "reference_quotes.csv": profiles.reference_quotes,
    }[fname]
    with pytest.raises(DataFileError) as err:
        query()
    msg = str(err.value)
    assert msg.startswith(f"{path} row {n} ({rid}): duplicates row ")
    assert f"of the bundled watchlists/data/{fname}" in msg


def test_bad_user_file_is_loud_and_recovers_when_fixed(data_dir):
    """Any lookup validates the whole user folder: a bad file is never silently skipped."""
    bad = FACTS + "acme-robotics,revenue,lots,USD,USD,FY2023,2025-02-15,https://x.org,confirmed,\n"
    path = _write(data_dir / "facts.csv", bad)
    expected = f"{path} row 4 (acme-robotics/revenue/FY2023): value 'lots' is not a number"
    for lookup in (lambda: profiles.company("cambricon"), profiles.targets, profiles.facts):
        with pytest.raises(DataFileError) as err:
            lookup()
        assert str(err.value) == expected
    _write(data_dir / "facts.csv", FACTS)
    assert len(profiles.facts("acme")) == 2


# ------------------------------------------------------------------ malformed files in the CLI
def _report(watchlist_path: Path, out: Path) -> tuple[int, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["report", str(watchlist_path), "--offline", "--asof", ASOF, "--out", str(out)],
        stdout=stdout,
        stderr=stderr,
    )
    return code, stderr.getvalue()


def test_cli_report_with_user_data_succeeds(data_dir, watchlist_path, tmp_path):
    code, err = _report(watchlist_path, tmp_path / "out")
    assert code in (0, 1), err  # 1: offline, so prices may be partial
    assert "Acme Robotics" in next((tmp_path / "out").glob("*.md")).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fname", "text", "message"),
    [
        ("companies.toml", COMPANIES + "[[company\n", "invalid TOML"),
        ("companies.toml", COMPANIES.replace('"USD"', '"US$"'), "currency 'US$'"),
        ("targets.csv", TARGETS.replace(",USD,", ",CNY,"), "currency 'CNY' does not match"),
        ("facts.csv", FACTS.replace("FY2024", "2024"), "period '2024' does not match"),
        ("reference_quotes.csv", QUOTES.replace(",120,", ",-1,"), "value -1.0 must be > 0"),
        ("reference_quotes.csv", "symbol,date\nACME,2025-12-04\n", "row 1 (header)"),
    ],
    ids=["toml syntax", "company currency", "target currency", "fact period", "quote value",
         "quote header"],
)
def test_malformed_user_file_is_bad_input_when_used(
    data_dir, watchlist_path, tmp_path, fname, text, message
):
    path = _write(data_dir / fname, text)
    import valuation
    import watchlists  # importing never reads user data

    assert "china-ai-compute" in watchlists.bundled_watchlists()
    assert valuation.upside(100.0, 125.0) == pytest.approx(0.25)
    code, err = _report(watchlist_path, tmp_path / "out")
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert str(path) in err and message in err
    with pytest.raises(ValueError) as exc:  # DataFileError, or DefinitionError naming it
        snapshot(watchlist_path, ASOF)
    assert fname in str(exc.value)


def test_cli_home_option_moves_the_user_data_folder_too(tmp_path):
    import io

    from watchlists.cli import main

    other = tmp_path / "other-home"
    _write(other / "data" / "companies.toml", COMPANIES)
    out = io.StringIO()
    assert main(["show", "acme", "--home", str(other)], stdout=out, stderr=io.StringIO()) == 0
    assert "ACME" in out.getvalue()
    err = io.StringIO()  # without --home the default (isolated, empty) home is used
    assert main(["show", "acme"], stdout=io.StringIO(), stderr=err) == 2
    assert "unknown company" in err.getvalue()


def test_every_problem_of_a_user_file_is_reported_at_once(data_dir, watchlist_path, tmp_path):
    """Three bad rows and a bad company: one run names all of them, a line each."""
    bad_facts = (FACTS
                 + "acme-robotics,revenue,lots,USD,USD,FY2023,2025-02-15,https://x.org,confirmed,\n"
                 + "acme-robotics,revenue,1,USD,USD,2023,2025-02-15,https://x.org,confirmed,\n"
                 + "nobody,revenue,1,USD,USD,FY2022,2025-02-15,https://x.org,confirmed,\n")
    path = _write(data_dir / "facts.csv", bad_facts)
    with pytest.raises(DataFileError) as err:
        profiles.facts()
    assert len(err.value.problems) == 3
    assert [p.split(":")[0] for p in err.value.problems] == [
        f"{path} row 4 (acme-robotics/revenue/FY2023)",
        f"{path} row 5 (acme-robotics/revenue/2023)", f"{path} row 6 (nobody/revenue/FY2022)"]
    code, err_text = _report(watchlist_path, tmp_path / "out")
    assert code == 2
    lines = err_text.strip().splitlines()
    assert lines[0].startswith(f"error: {path}: 3 problems") and len(lines) == 4, err_text
    _write(data_dir / "facts.csv", FACTS)
    two_bad = COMPANIES.replace('country = "US"', 'country = "usa"') + COMPANIES.replace(
        "acme-robotics", "acme-two").replace('"ACME"', '"ACME2"').replace(
        'aliases = ["Acme"]', 'aliases = ["Acme Two"]').replace('"USD"', '"US$"')
    _write(data_dir / "companies.toml", two_bad)
    with pytest.raises(DataFileError) as err:
        profiles.company("cambricon")
    assert len(err.value.problems) == 2
    assert "country 'usa'" in err.value.problems[0] and "'US$'" in err.value.problems[1]


def test_a_minimal_user_company_needs_slug_name_country_and_a_listing(_isolated_home):
    _write(_isolated_home / "data" / "companies.toml", """\
[[company]]
slug = "synthetic-grocer"
name = "Synthetic Grocer"
country = "GB"

[[company.listing]]
symbol = "SYNG.L"
currency = "GBP"
""")
    comp = profiles.company("synthetic-grocer")
    assert (comp.legal_name, comp.role) == ("Synthetic Grocer", None)
    listing = comp.listings[0]
    assert (listing.exchange, listing.board, listing.primary) == ("LSE", "main", True)

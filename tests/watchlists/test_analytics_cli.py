"""The analytics commands end to end, offline, on stores seeded with SYNTHETIC data
(the seeders of the spheres and cross-listing tests)."""

from __future__ import annotations

import io

import pytest

from tests.watchlists import test_cross_listings as xl
from tests.watchlists import test_spheres_data as sp
from watchlists.cli import main
from watchlists.store import Store


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def spheres_home(tmp_path):
    with Store(tmp_path / "h") as store:
        sp._seed(store)
    return str(tmp_path / "h")


def test_spheres_command_prints_the_summary_and_writes_a_report(spheres_home, tmp_path):
    code, out, err = run("--home", spheres_home, "spheres", "--asof", str(sp.ASOF),
                         "--break", "2025-01-02", "--out", str(tmp_path / "r"))
    assert code == 0, err
    assert "Beta of a on b, whole period           1.50" in out  # the planted 1.5
    assert "Chow test" in out and "no evidence of a change at 2025-01-02" in out
    assert f"warning: {sp.MISSING_SYMBOL} (china-ai-compute): no stored close" in err
    html = next((tmp_path / "r").glob("spheres-china-ai-compute-vs-western-ai-compute-*.html"))
    text = html.read_text(encoding="utf-8")
    assert "<script" not in text and "data:image/svg+xml;base64," in text
    assert next((tmp_path / "r").glob("*.md")).read_text(encoding="utf-8").count(
        "## The two spheres") == 1


def test_spheres_bad_input(spheres_home):
    assert run("--home", spheres_home, "spheres", "china-ai-compute")[0] == 2
    code, _, err = run("--home", spheres_home, "spheres", "--break", "2025-13-01")
    assert code == 2 and "--break '2025-13-01'" in err  # the option named, not "asof"
    code, _, err = run("--home", spheres_home, "spheres", "--break", "notadate")
    assert code == 2 and "--break 'notadate' is not a date" in err
    code, _, err = run("--home", spheres_home, "spheres", "--window", "1")
    assert code == 2 and "window" in err


def test_spheres_on_an_empty_store_says_what_to_do(tmp_path):
    code, _, err = run("--home", str(tmp_path / "empty"), "spheres")
    assert code == 1 and "watchlists refresh" in err


def test_cross_listing_command(tmp_path):
    with Store(tmp_path / "h") as store:
        xl._seed(store)
    code, out, err = run("--home", str(tmp_path / "h"), "cross-listing", "alibaba", "--asof",
                         str(xl.ASOF), "--window", "60", "--out", str(tmp_path / "r"),
                         "--format", "html")
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("BABA"))
    assert "9988.HK" in line and "+5.00%" in line
    assert list((tmp_path / "r").glob("cross-listing-*.html"))
    assert not list((tmp_path / "r").glob("*.md"))
    assert run("--home", str(tmp_path / "h"), "cross-listing", "nvidia")[0] == 2
    assert run("--home", str(tmp_path / "h"), "cross-listing", "no-such-company")[0] == 2


def test_track_record_command(tmp_path):
    from tests.watchlists import test_track_records as trk

    home = tmp_path / "h"
    with Store(home) as st:
        st.upsert_prices(trk._cambricon_prices(), source=trk.SYNTHETIC)
    code, out, err = run("--home", str(home), "track-record", "cambricon", "--asof", trk.ASOF,
                         "--out", str(tmp_path / "r"))
    assert code == 0, err
    assert out.startswith(f"analyst target track record as of {trk.ASOF}, horizon 12m")
    assert "Goldman Sachs" in out
    assert "without a published date" in err  # the undated bundled targets, named
    assert {p.suffix for p in (tmp_path / "r").iterdir()} == {".md", ".html"}
    code, _, err = run("--home", str(home), "track-record", "--horizon=-3m")
    assert code == 2 and "horizon" in err

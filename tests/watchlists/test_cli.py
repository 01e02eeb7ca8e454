"""The CLI: exit codes, one-line errors, and the ``python -m watchlists`` entry point.

``main`` uses the real clock; every ``--asof`` here is in the past, so results do not
depend on the day the tests run.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _snapshot_fixtures import CAMBRICON, StaticProvider, seed_store
from fake_yfinance import FakeProvider

from watchlists.cli import main
from watchlists.store import open_store

WL = "china-ai-compute"
REPO = Path(__file__).resolve().parents[2]


def run(argv, home: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = list(argv) + (["--home", str(home)] if home is not None else [])
    code = main(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- help, list, show


@pytest.mark.parametrize("argv", [["--help"], ["report", "--help"], ["refresh", "--help"],
                                  ["list", "--help"], ["show", "--help"]])
def test_help_exits_zero(argv, capsys):
    assert main(argv) == 0
    assert "usage:" in capsys.readouterr().out


def test_no_command_is_bad_input(capsys):
    assert main([]) == 2


def test_list_prints_watchlists_and_companies():
    code, out, _ = run(["list"])
    assert code == 0
    for name in ("china-ai-compute", "western-ai-compute", "ai-compute-global"):
        assert name in out
    for text in ("cambricon", "688256.SS (CNY)", "huawei", "unlisted", "moore-threads"):
        assert text in out


def test_show_cambricon(tmp_path):
    code, out, err = run(["show", "cambricon", "--asof", "2025-12-04"], home=tmp_path / "h")
    assert code == 0, err
    lines = out.splitlines()
    assert "Listings:" in out and "688256.SS" in out and "STAR" in out
    assert "1,369.00 CNY" in out and "source=reference" in out
    # facts with their sources
    assert any(line.startswith("revenue") and "https://" in line for line in lines)
    # Goldman Sachs 1,223 → 1,835 → 2,104
    goldman = [line for line in lines if "Goldman Sachs" in line]
    assert any("607.8 → 1,223" in line and "2025-04-22" in line for line in goldman)
    assert any("1,223 → 1,835" in line and "2025-08-24" in line for line in goldman)
    assert any("1,835 → 2,104" in line and "date unknown" in line for line in goldman)
    assert any("Bernstein" in line and "→ 2,000" in line and "2025-12-04" in line
               for line in lines)
    assert any("Macquarie" in line and "2,060" in line and "date unknown" in line
               for line in lines)
    assert any("HSBC" in line and "≥20% above high" in line for line in lines)


def test_show_typo_suggests_in_one_line():
    code, _out, err = run(["show", "cambricn"])
    assert code == 2
    line = _one_line_error(err)
    assert "did you mean" in line and "cambricon" in line


# --------------------------------------------------------------------------- report


def test_report_acceptance(tmp_path):
    out_dir = tmp_path / "out"
    code, _out, err = run(["report", WL, "--asof", "2025-12-04", "--offline",
                          "--out", str(out_dir)], home=tmp_path / "h")
    assert code == 0, err
    stem = "china-ai-compute-2025-12-04"
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        f"{stem}.{ext}" for ext in ("md", "html", "csv", "json"))

    def refuse(token):
        raise AssertionError(f"{token} in JSON")

    doc = json.loads((out_dir / f"{stem}.json").read_text(encoding="utf-8"),
                     parse_constant=refuse)
    assert doc["schema"] == 1 and doc["asof"] == "2025-12-04"
    rows = {r["company"]: r for r in doc["rows"]}
    assert rows["cambricon"]["price"] == 1369.0
    assert rows["huawei"]["symbol"] is None
    assert "(offline)" in err
    assert "OFFLINE" in (out_dir / f"{stem}.md").read_text(encoding="utf-8")


def test_report_unknown_watchlist(tmp_path):
    code, _, err = run(["report", "no-such-list", "--offline", "--out", str(tmp_path)])
    assert code == 2
    assert "no-such-list" in _one_line_error(err)


@pytest.mark.parametrize("asof", ["2999-01-01", "1999-12-31", "2025-13-45", "yesterday"])
def test_report_bad_asof(asof, tmp_path):
    code, _, err = run(["report", WL, "--offline", "--asof", asof, "--out", str(tmp_path)])
    assert code == 2
    assert asof in _one_line_error(err)
    assert list(tmp_path.iterdir()) == []


def test_report_bad_format(tmp_path):
    code, _, err = run(["report", WL, "--offline", "--asof", "2025-12-04", "--format", "xls",
                        "--out", str(tmp_path)])
    assert code == 2
    assert "xls" in _one_line_error(err)


def test_strict_with_stale_price(tmp_path):
    # 2025-12-05: Cambricon's last reference close is 2025-12-04 → stale
    base = ["report", WL, "--offline", "--asof", "2025-12-05", "--format", "json"]
    code, _, err = run([*base, "--out", str(tmp_path / "a")], home=tmp_path / "h")
    assert code == 0, err
    doc = json.loads((tmp_path / "a" / "china-ai-compute-2025-12-05.json").read_text())
    cam = next(r for r in doc["rows"] if r["symbol"] == CAMBRICON)
    assert cam["stale"] is True and cam["price_date"] == "2025-12-04"
    code, _, _ = run([*base, "--strict", "--out", str(tmp_path / "b")], home=tmp_path / "h")
    assert code == 1


def test_strict_all_fresh_is_zero(tmp_path):
    # a one-member watchlist whose price is fresh as of its date
    wl = tmp_path / "one.toml"
    wl.write_text('name = "one"\n[[members]]\ncompany = "cambricon"\n', encoding="utf-8")
    code, _, err = run(["report", str(wl), "--offline", "--strict", "--asof", "2025-12-04",
                        "--format", "md", "--out", str(tmp_path / "o")], home=tmp_path / "h")
    assert code == 0, err


# --------------------------------------------------------------------------- refresh


def _price_rows(home: Path) -> int:
    with open_store(home) as s:
        return len(s.read_prices())


def test_refresh_offline_leaves_store_unchanged(tmp_path):
    home = tmp_path / "h"
    with open_store(home) as s:
        seed_store(s)  # SYNTHETIC rows
        before = s.read_prices()
        log_before = len(s.read_fetch_log())
    code, _out, err = run(["refresh", "--offline", CAMBRICON], home=home)
    assert code == 1
    assert "offline" in err
    with open_store(home) as s:
        assert s.read_prices().equals(before)
        assert len(s.read_fetch_log()) == log_before


def test_refresh_with_fake_provider_stores_rows(monkeypatch, tmp_path):
    import watchlists.yahoo

    monkeypatch.setattr(watchlists.yahoo, "YahooProvider", lambda *a, **k: FakeProvider())
    home = tmp_path / "h"
    code, out, err = run(["refresh", "--no-analyst", CAMBRICON], home=home)
    assert code == 0, err
    assert CAMBRICON in out and "ok" in out
    with open_store(home) as s:
        rows = s.read_prices([CAMBRICON])
    assert len(rows) > 200
    assert set(rows["source"]) == {"fake"}


def test_refresh_with_analyst_data(monkeypatch, tmp_path):
    from _snapshot_fixtures import synthetic_closes, tidy

    import watchlists.yahoo

    closes = synthetic_closes(CAMBRICON, "2020-01-01", "2030-12-31", level=100.0, seed=1)
    provider = StaticProvider({CAMBRICON: tidy(CAMBRICON, closes)})
    monkeypatch.setattr(watchlists.yahoo, "YahooProvider", lambda *a, **k: provider)
    code, _out, err = run(["refresh", CAMBRICON], home=tmp_path / "h")
    assert code == 0, err
    assert _price_rows(tmp_path / "h") > 0


def test_refresh_unknown_symbol_suggests(tmp_path):
    code, _, err = run(["refresh", "nosuchsymbol"], home=tmp_path / "h")
    assert code == 2
    line = _one_line_error(err)
    assert "nosuchsymbol" in line and "china-ai-compute" in line
    code, _, err = run(["refresh", "cambricn"], home=tmp_path / "h")
    assert code == 2
    assert "did you mean: cambricon" in _one_line_error(err)


# --------------------------------------------------------------------------- entry point


def test_module_entry_point(tmp_path):
    env = {**os.environ, "WATCHLISTS_HOME": str(tmp_path / "home"), "MPLBACKEND": "Agg"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    helped = subprocess.run([sys.executable, "-m", "watchlists", "--help"], env=env,
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert helped.returncode == 0 and "usage: watchlists" in helped.stdout
    out_dir = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "watchlists", "report", WL, "--offline",
                           "--asof", "2025-12-04", "--out", str(out_dir)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out_dir / "china-ai-compute-2025-12-04.html").is_file()
    assert (tmp_path / "home").is_dir()  # the store went where WATCHLISTS_HOME said

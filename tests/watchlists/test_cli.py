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
from types import SimpleNamespace

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _snapshot_fixtures import CAMBRICON, RaisingProvider, StaticProvider, seed_store
from fake_yfinance import FakeProvider
from test_refresh_job import AnalystFake

from watchlists.cli import main
from watchlists.refresh_job import RefreshReport
from watchlists.reporting import JSON_SCHEMA
from watchlists.store import STORE_FILENAME, open_store

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
    assert "1,369.00 CNY" in out and "source=bundled" in out  # a bundled reference close
    # facts with their sources
    assert any(line.startswith("revenue") and "https://" in line for line in lines)
    # Goldman Sachs 1,223 → 1,835 → 2,104
    goldman = [line for line in lines if "Goldman Sachs" in line]
    assert any("607.8 → 1,223" in line and "2025-04-22" in line for line in goldman)
    assert any("1,223 → 1,835" in line and "2025-08-24" in line for line in goldman)
    # dated 2025-09-01 since the 2026 research (bjwjmy + sentifin)
    assert any("1,835 → 2,104" in line and "2025-09-01" in line for line in goldman)
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
        f"{stem}.{ext}" for ext in ("md", "html", "csv", "json", "manifest.json"))

    def refuse(token):
        raise AssertionError(f"{token} in JSON")

    doc = json.loads((out_dir / f"{stem}.json").read_text(encoding="utf-8"),
                     parse_constant=refuse)
    assert doc["schema"] == JSON_SCHEMA and doc["asof"] == "2025-12-04"
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
    code, _, err = run([*base, "--strict", "--out", str(tmp_path / "b")], home=tmp_path / "h")
    assert code == 1
    strict = [line for line in err.splitlines() if line.startswith("strict: exit 1 because of")]
    assert len(strict) == 1 and f"{CAMBRICON} (stale)" in strict[0]  # names the members


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
    rates = synthetic_closes("CNY=X", "2020-01-01", "2030-12-31", level=7.1, seed=2)
    provider = StaticProvider({CAMBRICON: tidy(CAMBRICON, closes),
                               "CNY=X": tidy("CNY=X", rates)})  # no analyst coverage
    monkeypatch.setattr(watchlists.yahoo, "YahooProvider", lambda *a, **k: provider)
    code, out, err = run(["refresh", CAMBRICON], home=tmp_path / "h")
    assert code == 0, err  # an analyst 'missing' (no coverage) is not a failure
    assert _price_rows(tmp_path / "h") > 0
    assert any(line.startswith("CNY=X") and " ok " in line for line in out.splitlines())
    with open_store(tmp_path / "h") as s:
        assert set(s.read_fx()["pair"]) == {"USDCNY"}


def test_refresh_unknown_symbol_suggests(tmp_path):
    code, _, err = run(["refresh", "no such symbol"], home=tmp_path / "h")
    assert code == 2
    line = _one_line_error(err)
    assert "'no such symbol' is not a Yahoo symbol" in line and "china-ai-compute" in line
    code, _, err = run(["refresh", "cambricn"], home=tmp_path / "h")
    assert code == 2
    assert "did you mean: cambricon" in _one_line_error(err)


def _use_provider(monkeypatch, provider) -> None:
    import watchlists.yahoo

    monkeypatch.setattr(watchlists.yahoo, "YahooProvider", lambda *a, **k: provider)


def test_refresh_table_lists_prices_then_the_derived_fx_pairs(tmp_path):
    code, out, err = run(["refresh", "--offline", "alibaba"], home=tmp_path / "h")
    assert code == 1 and "offline: nothing was fetched" in err
    lines = out.splitlines()
    assert lines[0].split() == ["symbol", "kind", "status", "rows", "added", "last", "date"]
    # 9988.HK (HKD) and BABA (USD) report in CNY: HKD→CNY, USD→CNY, USD→HKD
    assert [line.split()[:2] for line in lines[2:-1]] == [
        ["9988.HK", "price"], ["BABA", "price"], ["HKDCNY=X", "fx"], ["CNY=X", "fx"],
        ["HKD=X", "fx"]]
    assert all("skipped: offline" in line for line in lines[2:-1])
    assert lines[-1] == "2 symbol(s), 3 FX pair(s), 0 analyst offline: 0 failed"


def test_refresh_failed_fx_or_analyst_data_is_partial(monkeypatch, tmp_path):
    from _snapshot_fixtures import synthetic_closes, tidy

    closes = synthetic_closes(CAMBRICON, "2020-01-01", "2030-12-31", level=100.0, seed=1)
    _use_provider(monkeypatch, StaticProvider({CAMBRICON: tidy(CAMBRICON, closes)}))
    code, out, _err = run(["refresh", "--no-analyst", CAMBRICON], home=tmp_path / "h")
    assert code == 1  # the price came, its FX pair (CNY=X) did not
    assert any(line.startswith("CNY=X") and "missing" in line for line in out.splitlines())

    _use_provider(monkeypatch, AnalystFake(broken={CAMBRICON}))
    code, out, err = run(["refresh", CAMBRICON], home=tmp_path / "h2")
    assert code == 1
    assert "analyst data: 1 symbol(s) failed" in err
    # the table shows prices and FX, and company data only where it failed
    failed = [line.split()[:3] for line in out.splitlines() if line.startswith(CAMBRICON)
              and " analyst " in line]
    assert failed == [[CAMBRICON, "analyst", "error:"]]


def test_refresh_that_goes_offline(monkeypatch, tmp_path):
    _use_provider(monkeypatch, RaisingProvider())
    code, out, err = run(["refresh", CAMBRICON], home=tmp_path / "h")
    assert code == 1
    assert "error: offline" in out and "network became unreachable" in err


def test_refresh_without_targets_refreshes_every_bundled_watchlist(tmp_path):
    code, out, _ = run(["refresh", "--offline"], home=tmp_path / "h")
    assert code == 1
    for symbol in ("688256.SS", "NVDA", "^GSPC", "000300.SS", "CNY=X"):
        assert symbol in out


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


# --------------------------------------------------------------------------- report --refresh


class _Recorder:
    """Stand-ins for ``snapshot`` and ``write_report`` recording what the CLI passes: these
    tests check the wiring only (the real pipeline is covered above)."""

    def __init__(self, monkeypatch, *, stale: bool = False):
        import watchlists.reporting
        import watchlists.snapshots

        self.calls: list[dict] = []
        self.stale = stale
        monkeypatch.setattr(watchlists.snapshots, "snapshot", self.snapshot)
        monkeypatch.setattr(watchlists.reporting, "write_report",
                            lambda snap, formats, out, **kw: {"md": Path(out) / "x.md"})

    def snapshot(self, watchlist, asof=None, *, store=None, now=None, refresh=None):
        self.calls.append({"watchlist": watchlist, "asof": asof, "store": store, "now": now,
                           "refresh": refresh})
        table = pd.DataFrame({"symbol": [CAMBRICON], "stale": [self.stale],
                              "status": ["stale" if self.stale else "ok"]})
        return SimpleNamespace(table=table, asof=asof, changes=[], warnings=[],
                               offline=refresh is None or refresh.offline,
                               watchlist=watchlist, generated_at=now,
                               run_record=lambda: {"format": 2, "table": [], "targets": []})


def _no_network(monkeypatch) -> None:
    import watchlists.yahoo

    def refuse(*a, **k):
        raise AssertionError("report without --refresh built a provider")

    monkeypatch.setattr(watchlists.yahoo, "YahooProvider", refuse)


@pytest.mark.parametrize("flags", [[], ["--offline"]])
def test_report_without_refresh_never_touches_the_network(flags, monkeypatch, tmp_path):
    rec = _Recorder(monkeypatch)
    _no_network(monkeypatch)
    code, _out, err = run(["report", WL, "--asof", "2025-12-04", "--out", str(tmp_path / "o"),
                           *flags], home=tmp_path / "h")
    assert code == 0, err
    (call,) = rec.calls
    assert call["refresh"] is None and call["watchlist"].name == WL
    assert str(call["asof"]) == "2025-12-04" and call["now"] is not None
    assert "(offline)" in err and "refreshed" not in err


def test_report_refresh_runs_the_refresh_job_first(monkeypatch, tmp_path):
    rec = _Recorder(monkeypatch)
    _use_provider(monkeypatch, AnalystFake())
    code, _out, err = run(["report", WL, "--refresh", "--asof", "2025-12-04",
                           "--out", str(tmp_path / "o")], home=tmp_path / "h")
    assert code == 0, err
    (call,) = rec.calls
    report = call["refresh"]
    assert isinstance(report, RefreshReport) and report.ok and report.provider == "fake"
    assert set(report.table["kind"]) == {"price", "fx", "analyst"}
    assert "refreshed 9 symbol(s), 3 FX pair(s), 8 analyst from fake: 0 failed" in err
    assert "(offline)" not in err
    with open_store(tmp_path / "h") as s:  # the snapshot got the store the refresh filled
        assert len(s.read_prices([CAMBRICON])) > 200


def test_report_refresh_end_to_end(monkeypatch, tmp_path):
    _use_provider(monkeypatch, AnalystFake())
    out_dir = tmp_path / "o"
    code, _out, err = run(["report", WL, "--refresh", "--format", "md", "--out", str(out_dir)],
                         home=tmp_path / "h")
    assert code == 0, err
    assert "refreshed 9 symbol(s), 3 FX pair(s), 8 analyst from fake: 0 failed" in err
    assert "(offline)" not in err
    (md,) = out_dir.glob("*.md")
    assert "OFFLINE" not in md.read_text(encoding="utf-8")


def test_report_refresh_that_went_offline_fails_only_under_strict(monkeypatch, tmp_path):
    rec = _Recorder(monkeypatch)
    _use_provider(monkeypatch, RaisingProvider())
    base = ["report", WL, "--refresh", "--asof", "2025-12-04", "--out", str(tmp_path / "o")]
    code, _out, err = run(base, home=tmp_path / "h")
    assert code == 0, err  # the report was written, from the store
    assert "(went offline)" in err and "(offline)" in err
    assert rec.calls[0]["refresh"].offline
    code, _out, err = run([*base, "--strict"], home=tmp_path / "h")
    assert code == 1, err


def test_report_strict_still_judges_the_snapshot(monkeypatch, tmp_path):
    _Recorder(monkeypatch, stale=True)
    _use_provider(monkeypatch, AnalystFake())
    code, _, err = run(["report", WL, "--refresh", "--strict", "--asof", "2025-12-04",
                        "--out", str(tmp_path / "o")], home=tmp_path / "h")
    assert code == 1, err


def test_report_refresh_and_offline_contradict(monkeypatch, tmp_path):
    rec = _Recorder(monkeypatch)
    _no_network(monkeypatch)
    code, _, err = run(["report", WL, "--refresh", "--offline", "--out", str(tmp_path / "o")],
                       home=tmp_path / "h")
    assert code == 2
    line = _one_line_error(err)
    assert "--refresh" in line and "--offline" in line
    assert rec.calls == [] and not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- global options


def test_home_before_the_command_is_used(tmp_path):
    home = tmp_path / "before"
    out = io.StringIO()
    code = main(["--home", str(home), "report", WL, "--asof", "2025-12-04", "--format", "json",
                 "--out", str(tmp_path / "o")], stdout=out, stderr=io.StringIO())
    assert code == 0
    assert (home / STORE_FILENAME).is_file()


def test_home_before_the_command_for_refresh_and_show(tmp_path):
    for argv in (["refresh", "--offline", CAMBRICON], ["show", "cambricon"]):
        home = tmp_path / argv[0]
        main(["--home", str(home), *argv], stdout=io.StringIO(), stderr=io.StringIO())
        assert (home / STORE_FILENAME).is_file(), argv


def test_home_after_the_command_wins_over_before(tmp_path):
    code, _, _ = run(["--home", str(tmp_path / "a"), "refresh", "--offline", CAMBRICON,
                      "--home", str(tmp_path / "b")])
    assert code == 1
    assert (tmp_path / "b" / STORE_FILENAME).is_file()
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("argv", [["--debug", "show", "cambricn"],
                                  ["show", "cambricn", "--debug"]])
def test_debug_before_or_after_the_command_prints_the_traceback(argv):
    code, _, err = run(argv)
    assert code == 2
    assert "Traceback" in err and "cambricon" in err.strip().splitlines()[-1]


@pytest.mark.parametrize("argv", [["--help"], ["report", "--help"], ["refresh", "--help"],
                                  ["show", "--help"], ["list", "--help"]])
def test_help_shows_the_global_options_where_they_work(argv, capsys):
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "--home DIR" in text and "--debug" in text


# --------------------------------------------------------------------------- broken pipe


class _ClosedPipe(io.StringIO):
    """stdout whose reader went away: every write (or the final flush) raises EPIPE."""

    def __init__(self, *, fail_on: str = "write"):
        super().__init__()
        self.fail_on = fail_on

    def write(self, text):
        if self.fail_on == "write":
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)

    def flush(self):
        if self.fail_on == "flush":
            raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("fail_on", ["write", "flush"])
def test_broken_pipe_exits_quietly_in_process(fail_on, tmp_path):
    err = io.StringIO()
    code = main(["show", "cambricon", "--asof", "2025-12-04", "--home", str(tmp_path / "h")],
                stdout=_ClosedPipe(fail_on=fail_on), stderr=err)
    assert code == 1
    assert err.getvalue() == ""


def test_broken_pipe_exits_quietly_in_a_pipeline(tmp_path):
    env = {**os.environ, "WATCHLISTS_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "watchlists", "show", "cambricon",
                             "--asof", "2025-12-04"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    first = proc.stdout.readline()  # like `| head -1`: read one line, then go away
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert first.startswith(b"Cambricon")
    assert err == b"", err.decode()
    assert proc.returncode == 1

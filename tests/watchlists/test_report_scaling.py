"""Large watchlists: the snapshot is assembled from inputs grouped once per symbol (the
same rows as per-member filters), the HTML charts stay readable, and the report's
imports stay lazy. Offline; every price, action and consensus is SYNTHETIC (seeded)."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _svg_checks import svg_size, svg_text

from benchmarks.bench_report import (
    ASOF,
    NOW,
    seed_synthetic,
    synthetic_symbols,
    synthetic_watchlist,
)
from watchlists import calendars
from watchlists.snapshots import HIGH_MIN_COVERAGE, snapshot
from watchlists.store import open_store

N = 200
CHUNK = 50


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A store with SYNTHETIC data for ``N`` bare members and their snapshot."""
    tmp = tmp_path_factory.mktemp("scaling")
    symbols = synthetic_symbols(N)
    store = open_store(tmp / "home")
    seed_synthetic(store, symbols)
    wl = synthetic_watchlist(tmp / "all.toml", symbols)
    snap = snapshot(wl, ASOF, store=store, now=NOW)
    yield tmp, store, symbols, snap
    store.close()


def _member_warnings(warnings: pd.DataFrame) -> pd.DataFrame:
    return warnings[warnings["symbol"].notna()].reset_index(drop=True)


def test_grouped_snapshot_equals_member_by_member(synthetic):
    """Every member's row, targets and warnings are the same in one 200-member snapshot
    as in snapshots of 50 members at a time: grouping the inputs by symbol once mixes
    no member's rows into another's."""
    tmp, store, symbols, snap = synthetic
    parts = []
    for k in range(0, N, CHUNK):
        wl = synthetic_watchlist(tmp / f"chunk{k}.toml", symbols[k:k + CHUNK])
        parts.append(snapshot(wl, ASOF, store=store, now=NOW))
    table = pd.concat([p.table for p in parts], ignore_index=True)
    targets = pd.concat([p.targets for p in parts], ignore_index=True)
    warnings = pd.concat([_member_warnings(p.warnings) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(snap.table, table)
    pd.testing.assert_frame_equal(snap.targets, targets)
    pd.testing.assert_frame_equal(_member_warnings(snap.warnings), warnings)
    assert len(snap.targets) and snap.table["consensus_source"].str.startswith("yahoo").any()


def _naive_high(sym, highs, closes, asof):
    """The 52-week high of one symbol the slow way (per-symbol Series), as reference."""
    start = asof - pd.DateOffset(weeks=52)
    parts = []
    for frame in (highs, closes):
        if sym in frame.columns:
            s = frame[sym].dropna()
            parts.append(s[(s.index > start) & (s.index <= asof)])
    stored = pd.concat(parts).groupby(level=0).max()
    sessions = len(calendars.sessions_between(sym, start + pd.Timedelta(days=1), asof))
    if sessions and len(stored) / sessions >= HIGH_MIN_COVERAGE:
        return float(stored.max()), pd.Timestamp(stored.idxmax()).date()
    return math.nan, None


def test_vectorised_52w_high_matches_per_symbol_reference(synthetic):
    from watchlists.market import price_history

    _, store, symbols, snap = synthetic
    closes = price_history(symbols, ASOF, store=store, years=2)
    highs = price_history(symbols, ASOF, store=store, years=1, field="high")
    highs.iloc[::7, ::3] = np.nan  # gaps: a close stands in for a missing high
    asof = pd.Timestamp(ASOF)
    from watchlists.snapshots import _high_52w, _Highs

    stored = _Highs(highs, closes, symbols, asof)
    empty = snap.reference_points.iloc[0:0]
    for sym in symbols[:40]:
        value, when, _ = _high_52w(sym, stored, empty, asof)
        ref_value, ref_when = _naive_high(sym, highs, closes, asof)
        assert value == ref_value and (when.date() if when is not None else None) == ref_when


def test_large_watchlist_html_stays_readable(synthetic):
    import re

    from watchlists.charts import MAX_PANELS
    from watchlists.reporting import render_html

    *_, snap = synthetic
    page = render_html(snap)
    images = re.findall(r'<img alt="([^"]+)" src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert [alt for alt, _ in images] == ["upside chart", "price and targets",
                                          "drawdown chart", "basket chart"]
    for _, src in images:
        width, height = svg_size(src)
        assert width <= 1200 and height <= 3000, (width, height)
        words = set(re.findall(r"[A-Za-z]+", svg_text(src)))
        assert not words & {"None", "nan", "NaN", "NaT"}, src  # unknown is said in words
    assert "[currency unknown]" in svg_text(images[1][1])  # bare members, no profile
    assert f"{MAX_PANELS} of 50 members with current targets shown" in page
    assert "40 of " in page and "members shown" in page  # the upside chart's caption
    assert f"{N} members: the median and the 10th–90th percentile band" in page


def _run(code: str, tmp_path: Path) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, check=True, timeout=300, cwd=tmp_path,
                         env={"PATH": "", "WATCHLISTS_HOME": str(tmp_path / "home"),
                              "PYTHONWARNINGS": "ignore"})
    return out.stdout.strip().splitlines()[-1]


HEAVY = ("matplotlib", "jinja2", "statsmodels", "scipy", "yfinance", "exchange_calendars",
         "holidays")


def test_import_watchlists_loads_no_heavy_dependency(tmp_path):
    loaded = _run(f"""
        import sys
        import watchlists
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """, tmp_path)
    assert loaded == "[]"


def test_html_report_with_charts_never_imports_matplotlib(tmp_path):
    """Charts are SVG drawn by watchlists._svg: a report in every format, charts
    included, loads no plotting library."""
    loaded = _run(f"""
        import sys
        from watchlists.cli import main
        rc = main(["--home", {str(tmp_path / "home")!r}, "report", "china-ai-compute",
                   "--offline", "--format", "md,html,csv,json", "--out",
                   {str(tmp_path / "out")!r}])
        assert rc == 0, rc
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "PIL")))
        """, tmp_path)
    assert loaded == "[]"
    assert len(list((tmp_path / "out").glob("china-ai-compute-*.*"))) == 5  # 4 + manifest
    page = next((tmp_path / "out").glob("china-ai-compute-*.html")).read_text("utf-8")
    assert "data:image/svg+xml;base64," in page


def test_beta_has_statsmodels_bits_without_statsmodels():
    """valuation.beta (numpy only) gives the same bits as statsmodels' OLS, gaps and
    too-short columns included. SYNTHETIC returns."""
    import statsmodels.api as sm

    from valuation import beta

    rng = np.random.default_rng(7)
    for n in (2, 3, 40, 251):
        dates = pd.bdate_range("2024-01-02", periods=n)
        market = pd.Series(rng.normal(0, 0.02, n), index=dates)
        rets = pd.DataFrame(rng.normal(0, 0.03, (n, 4)) + market.to_numpy()[:, None],
                            index=dates, columns=["A", "B", "C", "D"])
        rets.iloc[rng.integers(0, n, max(1, n // 5)), 1] = np.nan
        rets["D"] = np.nan
        got = beta(rets, market, periods_per_year=252)
        for col in rets.columns:
            ok = rets[col].notna()
            if ok.sum() < 3:
                assert np.isnan(got.loc[col, "beta"])
                continue
            fit = sm.OLS(rets[col][ok].to_numpy(),
                         sm.add_constant(market[ok].to_numpy(), has_constant="add")).fit()
            assert got.loc[col, "beta"] == float(fit.params[1]), (n, col)
            assert got.loc[col, "alpha"] == float(fit.params[0]) * 252
            assert got.loc[col, "rsquared"] == pytest.approx(float(fit.rsquared), abs=1e-12)


def test_report_does_not_import_statsmodels(tmp_path):
    """A snapshot with betas and every report format leave statsmodels and scipy
    unimported (about 100 MB of a report process). SYNTHETIC prices."""
    import os

    symbols = synthetic_symbols(5)
    with open_store(tmp_path / "home") as store:
        seed_synthetic(store, symbols)
    synthetic_watchlist(tmp_path / "wl.toml", symbols)
    code = textwrap.dedent(f"""
        import sys
        from watchlists import load_watchlist, open_store, snapshot, write_report
        with open_store({str(tmp_path / "home")!r}) as store:
            snap = snapshot(load_watchlist({str(tmp_path / "wl.toml")!r}), {ASOF.isoformat()!r},
                            store=store)
            write_report(snap, "md,html,csv,json", {str(tmp_path / "out")!r})
        print(int(snap.table["beta"].notna().sum()),
              sorted(m for m in sys.modules if m.split(".")[0] in ("statsmodels", "scipy")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300,
                         env={**os.environ, "WATCHLISTS_HOME": str(tmp_path / "home")})
    assert out.stdout.strip().splitlines()[-1] == "5 []"

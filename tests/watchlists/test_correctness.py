"""Regression tests for wrong answers a quant would rely on (issue 9): one consensus rule,
"in consensus" that means it, no invented highs, sources told truthfully, composable
models. Offline, on the bundled data and a fresh store per test."""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _snapshot_fixtures import row_of, synthetic_closes, tidy

import valuation as v
import watchlists as wl
from watchlists._snapshot_targets import current_views
from watchlists.store import open_store

WL = "china-ai-compute"
CAMBRICON = "688256.SS"
LATE = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "store") as s:
        yield s


def _snap(store, asof, now=LATE):
    return wl.snapshot(WL, asof, store=store, now=now)


# --------------------------------------------------------------------------- 1. consensus


def test_one_consensus_rule_pinned_for_cambricon(store):
    """Hand-computed: Goldman's 2,104 (2025-09-01, dated by the 2026 research) replaces its
    1,835 (2025-08-24); Bernstein 2,000 (2025-12-04); Macquarie's undated 2,060 cannot be placed
    in time and is left out. (2,104 + 2,000) / 2 = 2,052 from 2 brokers."""
    snap = _snap(store, "2025-12-04")
    cam = row_of(snap, "cambricon")
    c = v.consensus(wl.targets("cambricon"), asof="2025-12-04")  # the notebook's call
    assert (c.mean, c.count) == (2052.0, 2)
    assert (cam["consensus_mean"], cam["consensus_count"]) == (c.mean, c.count)
    assert cam["consensus_source"] == "named brokers"
    used = snap.targets[(snap.targets["symbol"] == CAMBRICON) & snap.targets["in_consensus"]]
    assert sorted(zip(used["broker"], used["target"])) == [("Bernstein", 2000.0),
                                                            ("Goldman Sachs", 2104.0)]
    macq = snap.targets[snap.targets["broker"] == "Macquarie"].iloc[0]
    assert macq["consensus_status"] == "undated" and not macq["in_consensus"]


# --------------------------------------------------------------------------- 2. in consensus


def test_in_consensus_flag_count_and_statuses_agree(store):
    snap = _snap(store, "2026-12-01")
    t = snap.targets
    for sym, row in snap.table.set_index("symbol").iterrows():
        if not isinstance(sym, str):
            continue
        flagged = int(t[(t["symbol"] == sym) & t["in_consensus"]].shape[0])
        if row["consensus_source"] == "named brokers":
            assert flagged == row["consensus_count"], sym
        else:
            assert flagged == 0, sym
    alibaba = t[(t["symbol"] == "9988.HK") & (t["published"] == "2025-09-22")]
    assert len(alibaba) == 4 and not alibaba["in_consensus"].any()
    assert (alibaba["consensus_status"] == "stale").all()
    inno = t[(t["symbol"] == "300308.SZ") & (t["target"] == 762.0)].iloc[0]
    assert not inno["in_consensus"] and inno["consensus_status"] == "stale"
    gs = t[(t["symbol"] == CAMBRICON) & (t["broker"] == "Goldman Sachs")]
    assert not gs["in_consensus"].any()  # 1,835 superseded; 2,104 aged out with it
    assert set(gs["consensus_status"]) == {"superseded", "stale"}
    assert math.isnan(row_of(snap, "alibaba")["consensus_mean"])


def test_json_in_consensus_is_the_same_flag(store):
    import json

    from watchlists.reporting import render_json

    snap = _snap(store, "2026-12-01")
    doc = json.loads(render_json(snap))
    flags = {(r["symbol"], t["broker"], t["target"]): t["in_consensus"]
             for r in doc["rows"] for t in r["targets"]}
    for t in snap.targets.itertuples():
        key = (t.symbol, t.broker, None if pd.isna(t.target) else t.target)
        assert flags[key] == bool(t.in_consensus)


def test_charts_draw_only_current_targets(store):
    snap = _snap(store, "2026-12-01")
    views = current_views(snap.targets)
    assert not (views["consensus_status"].isin(["stale", "superseded", "undated"])).any()
    assert 762.0 not in set(views.loc[views["symbol"] == "300308.SZ", "target"])


def test_provider_consensus_shown_means_no_named_row_is_in_it(store):
    from watchlists.providers import ACTION_COLUMNS, AnalystData

    store.upsert_analyst(AnalystData(
        symbol=CAMBRICON, consensus={"mean": 1900.0, "high": 2200.0, "low": 1500.0,
                                     "median": 1950.0, "current": 1369.0},
        analyst_count=12, currency="CNY", actions=pd.DataFrame(columns=list(ACTION_COLUMNS)),
        status="ok",
        fetched_at=dt.datetime(2025, 12, 3, 8, 0, tzinfo=dt.UTC), provider="yahoo"))
    snap = _snap(store, "2025-12-04")
    cam = row_of(snap, "cambricon")
    assert cam["consensus_source"].startswith("yahoo") and cam["consensus_count"] == 12
    mine = snap.targets[snap.targets["symbol"] == CAMBRICON]
    assert not mine["in_consensus"].any()
    assert (mine["consensus_status"] == "used").sum() == 2  # still eligible, not shown


# --------------------------------------------------------------------------- 4. highs


def test_no_invented_high_from_scattered_quotes(store):
    """As of 2026-12-01 the only Cambricon quotes in the window are two closes: no
    52-week high, and HSBC's "≥20 % above the high" stays an unresolved bound."""
    snap = _snap(store, "2026-12-01")
    cam = row_of(snap, "cambricon")
    assert math.isnan(cam["high_52w"]) and cam["high_52w_date"] is None
    assert cam["high_52w_basis"].startswith("unknown")
    assert math.isnan(cam["min_target_bound"]) and math.isnan(cam["drawdown_from_high"])
    assert "≥20% above the 52-week high" in cam["min_target_bound_note"]
    assert "high unknown" in cam["min_target_bound_note"]
    assert "1,703.59" not in cam["named_targets"]
    hsbc = snap.targets[snap.targets["broker"].eq("HSBC") & snap.targets["symbol"].eq(CAMBRICON)]
    assert hsbc["implied_min_target"].isna().all()


def test_reference_intraday_high_may_serve_and_says_so(store):
    """At the article's moment the sourced intraday high of 2025-08-28 (1,595.88) is the
    only high known: HSBC's bound is 1,595.88 × 1.2 = 1,915.056, labelled as such."""
    cam = row_of(_snap(store, "2025-12-04"), "cambricon")
    assert cam["high_52w"] == 1595.88 and cam["high_52w_date"] == dt.date(2025, 8, 28)
    assert "intraday high" in cam["high_52w_basis"] and "only high known" in \
        cam["high_52w_basis"]
    assert cam["min_target_bound"] == pytest.approx(1915.056)


def test_high_needs_coverage_of_the_sessions(store):
    """A few stored days are not a 52-week high; a full year is."""
    closes = synthetic_closes(CAMBRICON, "2025-11-20", "2025-12-04", level=1300.0, seed=5)
    store.upsert_prices(tidy(CAMBRICON, closes), source="synthetic-test")
    cam = row_of(_snap(store, "2025-12-04"), "cambricon")
    assert "reference intraday high" in cam["high_52w_basis"]  # 11 sessions: not enough
    year = synthetic_closes(CAMBRICON, "2024-12-05", "2025-12-04", level=1300.0, seed=6)
    store.upsert_prices(tidy(CAMBRICON, year), source="synthetic-test")
    cam = row_of(_snap(store, "2025-12-04"), "cambricon")
    assert cam["high_52w_basis"].startswith("stored history")
    start = pd.Timestamp("2025-12-04") - pd.DateOffset(weeks=52)
    assert cam["high_52w"] == pytest.approx(float(year[year.index > start].max()) * 1.01)


# --------------------------------------------------------------------------- 5. sources


def test_sources_name_the_real_provider(store):
    closes = synthetic_closes(CAMBRICON, "2025-01-02", "2025-12-04", level=1300.0, seed=7)
    store.upsert_prices(tidy(CAMBRICON, closes), source="acme-feed")
    snap = _snap(store, "2025-12-04")
    assert row_of(snap, "cambricon")["price_source"] == "acme-feed"
    footer = " | ".join(snap.sources)
    assert "acme-feed via the SQLite store for 1 member(s)" in footer
    assert "Yahoo" not in footer and "yahoo" not in footer


def test_user_quotes_and_targets_are_not_called_bundled(tmp_path, monkeypatch):
    data = tmp_path / "home" / "data"
    data.mkdir(parents=True)
    (data / "reference_quotes.csv").write_text(
        "symbol,date,kind,value,currency,source_url,confidence,note\n"
        "300308.SZ,2025-12-04,close,530.0,CNY,https://example.test/q,partial,my quote\n")
    (data / "targets.csv").write_text(
        "company,symbol,broker,rating,kind,target,min_upside,reference,currency,published,"
        "date_unknown,previous_target,source_url,confidence,note\n"
        "zhongji-innolight,300308.SZ,My Desk,Buy,price,900,,,CNY,2025-12-01,false,,"
        "https://example.test/t,partial,our own view\n")
    monkeypatch.setenv("WATCHLISTS_HOME", str(tmp_path / "home"))
    with open_store(tmp_path / "home") as s:
        snap = wl.snapshot(WL, "2025-12-04", store=s, now=LATE)
    inno = row_of(snap, "zhongji-innolight")
    assert (inno["price"], inno["price_source"]) == (530.0, "user")
    mine = snap.targets[snap.targets["broker"] == "My Desk"]
    assert mine["source"].tolist() == ["user"]
    footer = " | ".join(snap.sources)
    assert "user data reference quotes" in footer and "user 1" in footer


# --------------------------------------------------------------------------- 7. composable


def test_models_compose_with_a_snapshot_table(store):
    t = _snap(store, "2025-12-04").table
    up = v.upside(t["price"], t["consensus_mean"])
    cam = t.index[t["company"] == "cambricon"][0]
    assert up[cam] == pytest.approx(2052.0 / 1369.0 - 1)
    assert up[t["price"].isna()].isna().all()
    assert np.isfinite(up[t["price"].notna() & t["consensus_mean"].notna()]).all()

"""snapshot(): the acceptance scenario, point in time, seeded-store metrics, isolation,
and changes since the last run. Offline and deterministic (``now`` is always passed)."""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _snapshot_fixtures import (
    ASOF,
    BENCH,
    CAMBRICON,
    FUTURE_SPIKE_HIGH,
    MOORE,
    NOW,
    SPIKE_DATE,
    SPIKE_HIGH,
    SYNTHETIC,
    row_of,
    seed_store,
)

from watchlists import profiles
from watchlists.reporting import write_report
from watchlists.snapshots import (
    CHANGE_COLUMNS,
    TABLE_COLUMNS,
    TARGET_COLUMNS,
    Snapshot,
    parse_asof,
    snapshot,
)
from watchlists.store import open_store

WL = "china-ai-compute"
NOW_DEC5 = dt.datetime(2025, 12, 5, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "store") as s:
        yield s


@pytest.fixture
def seeded(store):
    series = seed_store(store)
    return store, series


def _targets(snap: Snapshot, broker: str, symbol: str = CAMBRICON) -> pd.DataFrame:
    t = snap.targets
    return t[(t["symbol"] == symbol) & (t["broker"] == broker)]


# --------------------------------------------------------------------------- acceptance


@pytest.fixture(scope="module")
def accept(tmp_path_factory) -> Snapshot:
    """The acceptance snapshot on a fresh store (module-scoped: it is read-only)."""
    with open_store(tmp_path_factory.mktemp("accept") / "store") as s:
        return snapshot(WL, "2025-12-04", store=s, now=NOW)


def test_acceptance_without_store_argument_uses_default_home():
    snap = snapshot(WL, "2025-12-04", now=NOW)
    row = row_of(snap, "cambricon")
    assert (float(row["price"]), row["price_source"]) == (1369.0, "bundled")


def test_acceptance_cambricon_price(accept):
    row = row_of(accept, "cambricon")
    assert row["symbol"] == CAMBRICON
    assert row["currency"] == "CNY"
    assert row["price"] == 1369.0
    assert row["price_source"] == "bundled"
    assert row["price_date"] == dt.date(2025, 12, 4)
    assert row["stale"] is False or row["stale"] == False  # noqa: E712 - numpy bool
    assert row["status"] == "ok"
    assert accept.asof == ASOF and accept.offline is True


def test_acceptance_bernstein_upside(accept):
    bern = _targets(accept, "Bernstein")
    b2000 = bern[bern["target"] == 2000.0]
    assert len(b2000) == 1
    expected = 2000 / 1369 - 1  # by hand: 0.46092...
    assert round(expected, 4) == 0.4609
    assert b2000["upside"].iloc[0] == pytest.approx(expected, abs=1e-12)
    assert round(float(b2000["upside"].iloc[0]), 4) == 0.4609
    assert b2000["published"].iloc[0] == pd.Timestamp("2025-12-04")


def test_acceptance_goldman_chain_and_consensus(accept):
    gs = _targets(accept, "Goldman Sachs")
    assert set(gs["target"]) == {1223.0, 1835.0, 2104.0}
    g2104 = gs[gs["target"] == 2104.0].iloc[0]
    # dated 2025-09-01 since the 2026 research (bjwjmy + sentifin), no longer undated
    assert not bool(g2104["date_unknown"]) and g2104["published"] == pd.Timestamp("2025-09-01")
    assert g2104["upside"] == pytest.approx(2104 / 1369 - 1)
    # consensus: latest per broker with a placeable date → Goldman 2,104 and Bernstein 2,000
    row = row_of(accept, "cambricon")
    assert row["consensus_count"] == 2
    assert row["consensus_mean"] == pytest.approx((2104 + 2000) / 2)
    assert row["consensus_source"] == "named brokers"
    assert row["consensus_upside"] == pytest.approx(2052 / 1369 - 1)


def test_acceptance_hsbc_min_upside_bound(accept):
    hsbc = _targets(accept, "HSBC")
    assert len(hsbc) == 1
    h = hsbc.iloc[0]
    assert h["kind"] == "min_upside"
    assert math.isnan(h["target"])
    assert h["min_upside"] == 0.2
    assert h["reference"] == "high"
    assert h["reference_value"] == 1595.88
    assert h["implied_min_target"] == pytest.approx(1595.88 * 1.2)
    assert h["implied_min_target"] == pytest.approx(1915.056, abs=1e-9)
    row = row_of(accept, "cambricon")
    assert row["high_52w"] == 1595.88
    assert row["high_52w_date"] == dt.date(2025, 8, 28)
    assert row["drawdown_from_high"] == pytest.approx(1369 / 1595.88 - 1)
    assert row["min_target_bound"] == pytest.approx(1915.056)
    assert row["min_target_bound_upside"] == pytest.approx(1915.056 / 1369 - 1)


def test_acceptance_moore_threads_not_yet_listed(accept):
    row = row_of(accept, "moore-threads")
    assert row["symbol"] == MOORE
    assert math.isnan(row["price"])
    assert row["status"].startswith("unavailable")
    assert "2025-12-05" in row["status"]  # explains: first quote on the listing day


def test_moore_threads_priced_the_next_day(store):
    snap = snapshot(WL, "2025-12-05", store=store, now=NOW_DEC5)
    row = row_of(snap, "moore-threads")
    assert row["price"] == 600.50
    assert row["price_date"] == dt.date(2025, 12, 5)
    assert row["price_source"] == "bundled"
    assert row["status"] == "ok"


def test_acceptance_huawei_unlisted(accept):
    row = row_of(accept, "huawei")
    assert row["symbol"] is None
    assert row["status"] == "unlisted"
    assert math.isnan(row["price"])
    assert "unlisted" in row["warnings"]


def test_table_and_target_columns(accept):
    assert list(accept.table.columns) == list(TABLE_COLUMNS)
    assert list(accept.targets.columns)[: len(TARGET_COLUMNS)] == list(TARGET_COLUMNS)
    assert list(accept.table["company"]) == [m.company for m in accept.watchlist.members]
    assert any("OFFLINE" in s for s in accept.sources)
    assert not accept.ok  # unavailable members


def test_repr_html(accept):
    out = accept._repr_html_()
    assert isinstance(out, str)
    assert "<table" in out and "Cambricon" in out and "2025-12-04" in out


# --------------------------------------------------------------------------- point in time


def test_target_published_after_asof_not_used(store):
    snap = snapshot(WL, "2025-12-03", store=store, now=NOW)
    bern = _targets(snap, "Bernstein")
    assert 2000.0 not in set(bern["target"])
    assert (snap.targets["published"].dropna() <= pd.Timestamp("2025-12-03")).all()
    assert "Bernstein 2,000" not in row_of(snap, "cambricon")["named_targets"]


def test_store_rows_after_asof_never_used(seeded):
    store, series = seeded
    closes = series[CAMBRICON]
    assert closes.index.max() > pd.Timestamp(ASOF)  # the synthetic data runs past asof
    snap = snapshot(WL, ASOF, store=store, now=NOW)
    row = row_of(snap, "cambricon")
    assert row["price"] == closes[pd.Timestamp("2025-12-04")]
    assert row["price_date"] == ASOF
    assert row["ret_1d"] == pytest.approx(closes["2025-12-04"] / closes["2025-12-03"] - 1)
    assert row["high_52w"] < FUTURE_SPIKE_HIGH
    assert snap.history.index.max() <= pd.Timestamp(ASOF)


def test_parse_asof_bounds():
    now = NOW
    assert parse_asof(None, now) == dt.date(2025, 12, 4)
    assert parse_asof("2025-12-05", now) == dt.date(2025, 12, 5)  # one day of slack
    with pytest.raises(ValueError, match="2025-12-07"):
        parse_asof("2025-12-07", now)
    with pytest.raises(ValueError, match="1999-12-31"):
        parse_asof("1999-12-31", now)
    with pytest.raises(ValueError, match="'yesterday'"):
        parse_asof("yesterday", now)
    with pytest.raises(TypeError, match="asof"):
        parse_asof(20251204, now)


# --------------------------------------------------------------------------- seeded store


def test_seeded_returns_match_hand_computed(seeded):
    store, series = seeded
    c = series[CAMBRICON]
    snap = snapshot(WL, ASOF, store=store, now=NOW)
    row = row_of(snap, "cambricon")
    assert row["price_source"] == SYNTHETIC  # the provider that filled the store
    assert row["stale"] == False  # noqa: E712 - last stored date is the asof session
    assert row["status"] == "ok"
    last = c["2025-12-04"]
    # window starts picked by hand (all weekdays present in the synthetic series)
    assert row["ret_1d"] == pytest.approx(last / c["2025-12-03"] - 1)
    assert row["ret_1m"] == pytest.approx(last / c["2025-11-04"] - 1)
    assert row["ret_3m"] == pytest.approx(last / c["2025-09-04"] - 1)
    assert row["ret_ytd"] == pytest.approx(last / c["2024-12-31"] - 1)
    assert row["ret_1y"] == pytest.approx(last / c["2024-12-04"] - 1)


def test_seeded_high_drawdown_volatility_beta(seeded):
    store, series = seeded
    c, b = series[CAMBRICON], series[BENCH]
    snap = snapshot(WL, ASOF, store=store, now=NOW)
    row = row_of(snap, "cambricon")
    # 52-week high: the in-window synthetic spike beats the reference 1,595.88; the older
    # spike (2024-11-01) and the one after asof are excluded.
    assert row["high_52w"] == SPIKE_HIGH
    assert row["high_52w_date"] == SPIKE_DATE.date()
    assert row["drawdown_from_high"] == pytest.approx(c["2025-12-04"] / SPIKE_HIGH - 1)
    # volatility: sample std of the year's daily returns × sqrt(252)
    year = c.loc["2024-12-05":"2025-12-04"]
    r = year.pct_change().dropna()
    assert row["volatility"] == pytest.approx(np.std(r.to_numpy(), ddof=1) * np.sqrt(252))
    # beta: cov / var of the same dates' benchmark returns
    br = b.pct_change().reindex(r.index)
    expected_beta = np.cov(r.to_numpy(), br.to_numpy())[0, 1] / np.var(br.to_numpy(), ddof=1)
    assert row["beta"] == pytest.approx(expected_beta, rel=1e-9)
    assert 0.8 < row["beta"] < 2.0  # the synthetic loading is 1.3


def test_history_holds_a_year_of_closes(seeded):
    store, _ = seeded
    snap = snapshot(WL, ASOF, store=store, now=NOW)
    assert {CAMBRICON, BENCH} <= set(snap.history.columns)
    assert snap.history.index.min() > pd.Timestamp("2024-12-04")
    assert snap.history.index.max() == pd.Timestamp("2025-12-04")


def test_reference_close_newer_than_store_wins(store):
    seed_store(store, end="2025-12-03")  # synthetic store data stops the day before asof
    snap = snapshot(WL, ASOF, store=store, now=NOW)
    row = row_of(snap, "cambricon")
    # the reference close of 12-04 is more recent than the store's 12-03 close
    assert (row["price"], row["price_source"], row["stale"]) == (1369.0, "bundled", False)


# --------------------------------------------------------------------------- isolation


def test_one_member_failing_does_not_sink_the_others(monkeypatch, store):
    real = profiles.ttm_revenue_detail

    def flaky(company, asof):
        if company == "cambricon":
            raise RuntimeError("corrupt revenue record")
        return real(company, asof)

    monkeypatch.setattr(profiles, "ttm_revenue_detail", flaky)
    snap = snapshot(WL, ASOF, store=store, now=NOW)
    cam = row_of(snap, "cambricon")
    assert cam["status"].startswith("error: RuntimeError")
    assert "corrupt revenue record" in cam["warnings"]
    assert cam["price"] == 1369.0  # what was known before the failure is kept
    inno = row_of(snap, "zhongji-innolight")
    assert inno["price"] == 523.73 and inno["status"] == "stale"
    assert row_of(snap, "huawei")["status"] == "unlisted"
    w = snap.warnings
    assert list(w.columns) == ["company", "symbol", "message"]
    mine = w[w["company"] == "cambricon"]["message"]
    assert mine.str.contains("corrupt revenue record").any()


def test_snapshot_never_fetches_or_writes(store, monkeypatch):
    """Reading never writes: no provider is built or asked, and the store is unchanged,
    even with yfinance itself booby-trapped."""
    seed_store(store)
    import watchlists.yahoo as yahoo

    def boom(*args, **kwargs):
        raise AssertionError("snapshot() must never build a provider or fetch")

    monkeypatch.setattr(yahoo, "YahooProvider", boom)
    import yfinance

    monkeypatch.setattr(yfinance, "download", boom)
    monkeypatch.setattr(yfinance, "Ticker", boom)
    before = store.conn.total_changes
    snap = snapshot(WL, ASOF, store=store, now=NOW)
    assert store.conn.total_changes == before
    assert snap.offline is True and any("OFFLINE" in s for s in snap.sources)
    cam = row_of(snap, "cambricon")
    assert cam["price_source"] == SYNTHETIC and cam["status"] == "ok"  # the stored source
    inno = row_of(snap, "zhongji-innolight")
    assert (inno["price"], inno["price_source"]) == (523.73, "bundled")


def test_snapshot_takes_no_provider():
    with pytest.raises(TypeError, match="provider"):
        snapshot(WL, ASOF, provider=object())  # type: ignore[call-arg]


def test_refresh_report_only_labels_the_snapshot(store):
    seed_store(store)

    class Online:
        offline = False

    plain = snapshot(WL, ASOF, store=store, now=NOW)
    labelled = snapshot(WL, ASOF, store=store, now=NOW, refresh=Online())
    assert labelled.offline is False and plain.offline is True
    pd.testing.assert_frame_equal(plain.table, labelled.table)


# --------------------------------------------------------------------------- changes


def test_first_run_has_no_changes(store, tmp_path):
    snap = snapshot(WL, ASOF, store=store, now=NOW)
    assert snap.changes.empty and list(snap.changes.columns) == list(CHANGE_COLUMNS)
    write_report(snap, "json", tmp_path / "out", store=store)
    run = store.last_run(WL)
    assert run is not None and run["asof"] == ASOF
    stored = pd.DataFrame(run["payload"]["table"])
    assert sorted(stored.columns) == sorted(TABLE_COLUMNS)  # the snapshot's own table
    assert stored["company"].tolist() == snap.table["company"].tolist()


def test_changed_target_listed(monkeypatch, store, tmp_path):
    first = snapshot(WL, ASOF, store=store, now=NOW)
    write_report(first, "json", tmp_path / "out", store=store)
    real = profiles.targets

    def raised(company=None):
        t = real(company).copy()
        t.loc[(t["broker"] == "Bernstein") & (t["target"] == 2000.0), "target"] = 2200.0
        return t

    monkeypatch.setattr(profiles, "targets", raised)
    second = snapshot(WL, "2025-12-05", store=store, now=NOW_DEC5)
    ch = second.changes
    changed = ch[ch["kind"] == "changed target"]
    assert len(changed) == 1
    assert changed.iloc[0]["symbol"] == CAMBRICON
    assert "Bernstein" in changed.iloc[0]["detail"]
    assert "2,000" in changed.iloc[0]["detail"] and "2,200" in changed.iloc[0]["detail"]
    assert (ch["previous_asof"] == ASOF).all()


def test_newly_stale_listed(store, tmp_path):
    first = snapshot(WL, ASOF, store=store, now=NOW)
    assert row_of(first, "cambricon")["stale"] == False  # noqa: E712
    write_report(first, "json", tmp_path / "out", store=store)
    second = snapshot(WL, "2025-12-05", store=store, now=NOW_DEC5)
    assert row_of(second, "cambricon")["stale"] == True  # noqa: E712
    stale = second.changes[second.changes["kind"] == "newly stale"]
    # 9988.HK too: its bundled 2025-12-04 close (AZScience Yahoo-style CSV) is a day old now
    assert stale["symbol"].tolist() == ["9988.HK", CAMBRICON]
    assert "2025-12-04" in stale.iloc[0]["detail"]


def test_changes_are_point_in_time(store, tmp_path):
    """A run for an earlier date made after a later one compares with nothing later;
    a backfill never becomes the cron job's 'previous run'; the table never depends on
    what was run before."""
    fresh = snapshot(WL, "2025-10-01", store=store, now=NOW)
    later = snapshot(WL, ASOF, store=store, now=NOW)
    write_report(later, "json", tmp_path / "a", store=store)
    backfill = snapshot(WL, "2025-10-01", store=store, now=NOW)
    assert backfill.changes.empty  # not compared with its own future
    pd.testing.assert_frame_equal(backfill.table, fresh.table)
    write_report(backfill, "json", tmp_path / "b", store=store)
    again = snapshot(WL, ASOF, store=store, now=NOW)
    assert again.changes.empty or (again.changes["previous_asof"] < ASOF).all()
    pd.testing.assert_frame_equal(again.table, later.table)
    nxt = snapshot(WL, "2025-12-05", store=store, now=NOW_DEC5)
    assert (nxt.changes["previous_asof"] == ASOF).all()  # the Dec-4 run, not the backfill


def test_table_is_byte_identical_whatever_ran_before(tmp_path):
    from watchlists.reporting import render_csv
    from watchlists.store import open_store

    with open_store(tmp_path / "clean") as s:
        clean = render_csv(snapshot(WL, "2025-11-03", store=s, now=NOW))
    with open_store(tmp_path / "used") as s:
        for day in ("2025-12-04", "2025-12-05", "2025-11-20"):
            write_report(snapshot(WL, day, store=s, now=NOW_DEC5), "json", tmp_path / "r",
                         store=s)
        used = render_csv(snapshot(WL, "2025-11-03", store=s, now=NOW))
    assert used == clean

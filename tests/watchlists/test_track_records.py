"""The analyst target track record over a temp store.

The prices are SYNTHETIC (built for these tests, stored with the source
``'synthetic-test'``), never market data; the targets are the bundled Cambricon and
Alibaba rows plus made-up Yahoo actions.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

import watchlists
from tests.watchlists._snapshot_fixtures import SYNTHETIC, tidy
from watchlists.providers import ACTION_COLUMNS, AnalystData
from watchlists.track_records import (
    TRACK_COLUMNS,
    WARNING_COLUMNS,
    TrackRecord,
    main_headers,
    main_rows,
    to_html,
    to_markdown,
    track_record,
)

NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
ASOF = "2026-10-01"
CAM, ALI = "688256.SS", "9988.HK"
GS_T0 = pd.Timestamp("2025-04-22")  # the bundled Goldman Sachs 1,223 target
TOUCH = GS_T0 + pd.Timedelta(days=37)  # 2025-05-29, a Thursday
DIP = pd.Timestamp("2025-07-15")


def _cambricon_prices(end: str = ASOF) -> pd.DataFrame:
    """Flat 1,000 closes; the high touches 1,230 on day 37 after 2025-04-22 only, and
    the low dips to 890 on 2025-07-15 only."""
    days = pd.bdate_range("2024-04-01", end)
    closes = pd.Series(1000.0, index=days)
    frame = tidy(CAM, closes)
    frame["high"] = 1010.0
    frame["low"] = 990.0
    frame.loc[frame["date"] == TOUCH, "high"] = 1230.0
    frame.loc[frame["date"] == DIP, "low"] = 890.0
    return frame


def _alibaba_prices(end: str = ASOF) -> pd.DataFrame:
    """Closes of 150 to 2025-09-22, then a straight line up by 0.2 a session."""
    days = pd.bdate_range("2024-06-03", end)
    after = np.clip(np.arange(len(days)) - days.get_loc(pd.Timestamp("2025-09-22")), 0, None)
    closes = pd.Series(150.0 + 0.2 * after, index=days)
    return tidy(ALI, closes, highs=closes + 0.5)


def _actions(rows):
    frame = pd.DataFrame(rows, columns=list(ACTION_COLUMNS))
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _seed_actions(store, symbol, rows, currency="CNY", fetched=NOW):
    store.upsert_analyst(AnalystData(
        symbol=symbol, consensus={}, analyst_count=None, currency=currency,
        actions=_actions(rows), status="ok", fetched_at=fetched, provider="yahoo"))


@pytest.fixture
def store(tmp_path):
    with watchlists.open_store(tmp_path / "home") as st:
        st.upsert_prices(_cambricon_prices(), source=SYNTHETIC)
        st.upsert_prices(_alibaba_prices(), source=SYNTHETIC)
        _seed_actions(st, CAM, [
            # bearish: 900 below the 1,000 close; the low reaches 890 on 2025-07-15
            ("2025-06-10 09:00", "Citic Securities", "Sell", "Hold", "down", 900.0, 1100.0),
            # repeats the bundled Goldman Sachs target of 2025-04-22: scored once, as bundled
            ("2025-04-23 08:00", "Goldman Sachs", "Buy", "Neutral", "up", 1223.0, 607.8),
            ("2025-05-01 08:00", "No Target Securities", "Hold", "Hold", "main", None, None),
            ("2025-07-01 08:00", "<script>alert(1)</script> & Co", "Buy", "Buy", "main",
             1500.0, None),
        ])
        _seed_actions(st, CAM, [
            ("2025-06-01 08:00", "Dollar Research", "Buy", "Buy", "main", 300.0, None),
        ], currency="USD")
        yield st


def _tr(store, targets_of=("cambricon", ALI), **kw):
    kw.setdefault("asof", ASOF)
    return track_record(list(targets_of), store=store, now=NOW, **kw)


def _row(tr, symbol, broker, published):
    t = tr.targets
    hit = t[(t["symbol"] == symbol) & (t["broker"] == broker)
            & (t["published"] == pd.Timestamp(published))]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_bundled_targets_scored_with_the_day_37_touch(store):
    tr = _tr(store)
    assert isinstance(tr, TrackRecord) and tr.asof == dt.date(2026, 10, 1)
    assert list(tr.targets.columns) == list(TRACK_COLUMNS)
    assert list(tr.warnings.columns) == list(WARNING_COLUMNS)
    gs = _row(tr, CAM, "Goldman Sachs", "2025-04-22")
    assert gs["source"] == "bundled" and gs["status"] == "hit"
    assert gs["days_to_touch"] == 37 and gs["touch_date"] == TOUCH
    assert gs["touch_basis"] == "high" and gs["p0"] == 1000.0 and gs["currency"] == "CNY"
    assert gs["price_at_horizon"] == 1000.0  # horizon 2026-04-22 is over
    assert gs["error_at_horizon"] == pytest.approx(0.223)
    assert gs["mfe"] == pytest.approx(0.23) and gs["mae"] == pytest.approx(-0.11)
    # 1,835 (2025-08-24) and 2,104 (2025-09-01): horizons over by 2026-10-01, never reached
    for published, target in (("2025-08-24", 1835.0), ("2025-09-01", 2104.0)):
        r = _row(tr, CAM, "Goldman Sachs", published)
        assert r["status"] == "miss" and r["error_at_horizon"] == pytest.approx(target / 1000 - 1)
    # Bernstein 2,000 of 2025-12-04: horizon not over and not reached: open
    assert _row(tr, CAM, "Bernstein", "2025-12-04")["status"] == "open"


def test_yahoo_actions_are_scored_deduplicated_and_currency_checked(store):
    tr = _tr(store)
    cam = tr.targets[tr.targets["symbol"] == CAM]
    citic = _row(tr, CAM, "Citic Securities", "2025-06-10")
    assert citic["source"] == "yahoo" and citic["direction"] == "down"
    assert citic["status"] == "hit" and citic["touch_date"] == DIP
    assert citic["days_to_touch"] == (DIP - pd.Timestamp("2025-06-10")).days
    assert citic["touch_basis"] == "low"
    # the Goldman Sachs action repeats the bundled row: only the bundled one is scored
    assert (cam["broker"] == "Goldman Sachs").sum() == 3
    assert set(cam.loc[cam["broker"] == "Goldman Sachs", "source"]) == {"bundled"}
    assert "No Target Securities" not in set(cam["broker"])  # no price target
    assert "Dollar Research" not in set(cam["broker"])  # USD target on a CNY listing
    messages = " | ".join(tr.warnings["message"])
    assert "Dollar Research is in USD, the listing trades in CNY" in messages
    assert re.search(r"3 target\(s\) without a published date .*Bernstein, HSBC, Macquarie",
                     messages)


def test_alibaba_hk_targets_hit_on_the_first_high_at_or_above(store):
    tr = _tr(store)
    prices = _alibaba_prices()
    highs = prices.set_index("date")["high"]
    t0 = pd.Timestamp("2025-09-22")
    for broker, target in (("HSBC", 185.0), ("Goldman Sachs", 174.0), ("JPMorgan", 165.0),
                           ("Jefferies", 172.0)):
        r = _row(tr, ALI, broker, t0)
        after = highs[(highs.index > t0) & (highs >= target)]
        assert r["status"] == "hit" and r["touch_date"] == after.index[0]
        assert r["days_to_touch"] == (after.index[0] - t0).days
        assert r["p0"] == 150.0 and r["currency"] == "HKD"
    # BABA (USD ADS) targets are undated: listed as not scored, never compared with HKD
    assert not (tr.targets["symbol"] == "BABA").any()
    agg = tr.by_company
    assert agg.loc["alibaba", "scored"] == 4 and agg.loc["alibaba", "hit_rate"] == 1.0


def test_aggregates_per_broker_flag_and_wilson(store):
    from statsmodels.stats.proportion import proportion_confint

    tr = _tr(store, min_scored=3)
    gs = tr.by_broker.loc["Goldman Sachs"]
    # Cambricon 1,223 hit, 1,835 miss, 2,104 miss; Alibaba 174 hit
    assert (gs["scored"], gs["hits"], gs["misses"]) == (4, 2, 2)
    assert not gs["flag"] and gs["hit_rate"] == 0.5
    lo, hi = proportion_confint(2, 4, method="wilson")
    assert gs["wilson_low"] == pytest.approx(lo) and gs["wilson_high"] == pytest.approx(hi)
    bern = tr.by_broker.loc["Bernstein"]
    assert bern["scored"] == 0 and bern["open"] == 1 and bern["flag"]  # open: not counted
    assert tr.by_broker.loc["HSBC", "flag"]
    assert tr.by_company.loc["cambricon", "scored"] == 5  # GS x3, Citic, the <script> firm


def test_point_in_time_nothing_after_asof_changes_the_record(store, tmp_path):
    early = "2025-12-04"
    a = _tr(store, asof=early)
    store.upsert_prices(_cambricon_prices("2026-10-01").assign(
        high=lambda f: np.where(f["date"] > pd.Timestamp(early), 9999.0, f["high"])),
        source=SYNTHETIC)
    _seed_actions(store, CAM, [("2025-12-10 09:00", "Later Securities", "Buy", "Buy", "main",
                                1200.0, None)])
    b = _tr(store, asof=early)
    pd.testing.assert_frame_equal(a.targets, b.targets)
    pd.testing.assert_frame_equal(a.by_broker, b.by_broker)
    assert "Later Securities" not in set(b.targets["broker"])
    gs = _row(b, CAM, "Goldman Sachs", "2025-08-24")
    assert gs["status"] == "open"  # as of 2025-12-04 its horizon was not over
    # with a later asof, the rows stored later do count
    c = _tr(store, asof=ASOF)
    assert _row(c, CAM, "Goldman Sachs", "2025-08-24")["status"] == "hit"
    assert "Later Securities" in set(c.targets["broker"])


def test_symbols_and_bad_inputs(store):
    tr = track_record([CAM], asof=ASOF, store=store, now=NOW)
    assert set(tr.targets["symbol"]) == {CAM} and tr.symbols == (CAM,)
    one = track_record(CAM, asof=ASOF, store=store, now=NOW)  # one string is one target
    pd.testing.assert_frame_equal(one.targets, tr.targets)
    with pytest.raises(ValueError, match="horizon must be positive, got '-3m'"):
        _tr(store, horizon="-3m")
    with pytest.raises(ValueError, match="min_scored must be an integer of at least 1, got 0"):
        _tr(store, min_scored=0)
    with pytest.raises(ValueError, match="asof 2027-01-01 is in the future"):
        _tr(store, asof="2027-01-01")
    h6 = _tr(store, horizon="6m")
    assert h6.horizon == "6m"
    assert _row(h6, CAM, "Goldman Sachs", "2025-08-24")["horizon_end"] == pd.Timestamp(
        "2026-02-24")


def test_unknown_listing_currency_is_not_scored(store):
    days = pd.bdate_range("2025-01-01", "2025-12-31")
    store.upsert_prices(tidy("ZZZQ", pd.Series(10.0, index=days)), source=SYNTHETIC)
    _seed_actions(store, "ZZZQ", [("2025-02-03 09:00", "Some Bank", "Buy", "Buy", "main",
                                   12.0, None)], currency=None)
    tr = track_record(["ZZZQ"], asof=ASOF, store=store, now=NOW)
    assert tr.targets.empty
    assert "trading currency of ZZZQ is unknown" in " ".join(tr.warnings["message"])
    assert "No dated target" in to_markdown(tr)


def test_markdown_html_and_cli_rows(store):
    tr = _tr(store)
    md = to_markdown(tr)
    assert md.startswith("## Analyst target track record")
    assert "### By broker" in md and "### By company" in md and "### Targets" in md
    assert "<script>" not in md and "&lt;script&gt;" in md
    html = to_html(tr)
    assert html.startswith('<section class="track-record">') and "<h2>" in html
    assert '<td class="num">' in html and 'src="data:image/svg+xml;base64,' in html
    for bad in ("<script", "<link", "<iframe", "javascript:"):
        assert bad not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "data:image/" not in to_html(tr, chart=False)
    rows = main_rows(tr)
    assert len(rows) == len(tr.by_broker)
    assert all(len(r) == len(main_headers()) for r in rows)
    gs = next(r for r in rows if r[0] == "Goldman Sachs")
    assert gs[1:4] == ["4", "2", "50%"]
    assert main_headers("company")[0] == "Company"
    with pytest.raises(ValueError, match="by must be one of"):
        main_rows(tr, by="symbol")

"""Yahoo's stored analyst data merged into the snapshot next to the bundled targets."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import watchlists
from watchlists.providers import ACTION_COLUMNS, AnalystData

NOW = dt.datetime(2025, 12, 5, 12, 0, tzinfo=dt.UTC)


def _actions(rows):
    frame = pd.DataFrame(rows, columns=list(ACTION_COLUMNS))
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


@pytest.fixture
def store(tmp_path):
    with watchlists.open_store(tmp_path / "home") as st:
        yield st


def _seed(store, rows, *, consensus=None, currency="CNY", fetched=NOW):
    store.upsert_analyst(AnalystData(
        symbol="688256.SS", consensus=consensus or {}, analyst_count=7 if consensus else None,
        currency=currency, actions=_actions(rows), status="ok", fetched_at=fetched,
        provider="yahoo"))


def _cambricon(snap):
    return snap.table.set_index("company").loc["cambricon"], \
        snap.targets[snap.targets["symbol"] == "688256.SS"]


def test_yahoo_action_targets_are_merged_with_their_source(store):
    _seed(store, [
        ("2025-11-10 09:00", "Citic Securities", "Buy", "Buy", "main", 1800.0, 1700.0),
        # repeats the bundled Bernstein target of 2025-12-04: shown once, as bundled
        ("2025-12-04 08:00", "Bernstein", "Outperform", "Market-Perform", "up", 2000.0, 1100.0),
        ("2025-11-01 09:00", "No Target Securities", "Hold", "Hold", "main", None, None),
        ("2025-12-20 09:00", "Future Securities", "Buy", "Buy", "main", 9999.0, None),
    ])
    snap = watchlists.snapshot("china-ai-compute", "2025-12-04", store=store,
                               now=NOW)
    row, tg = _cambricon(snap)
    yahoo = tg[tg["source"] == "yahoo"]
    assert list(yahoo["broker"]) == ["Citic Securities"]
    citic = yahoo.iloc[0]
    assert citic["target"] == 1800.0 and citic["previous_target"] == 1700.0
    assert citic["published"] == pd.Timestamp("2025-11-10")
    assert citic["upside"] == pytest.approx(1800.0 / 1369.0 - 1)
    assert citic["in_consensus"]
    assert (tg["broker"] == "Bernstein").sum() == 2  # bundled 1,100 and 2,000, no Yahoo copy
    assert "Future Securities" not in set(tg["broker"])  # published after asof
    # named-broker consensus now has three brokers: Goldman 2,104, Bernstein 2,000, Citic 1,800
    assert row["consensus_count"] == 3
    assert row["consensus_mean"] == pytest.approx((2104 + 2000 + 1800) / 3)


def test_yahoo_consensus_is_preferred_and_dated(store):
    _seed(store, [], consensus={"current": 1369.0, "mean": 1900.0, "median": 1950.0,
                                "high": 2400.0, "low": 1200.0},
          fetched=dt.datetime(2025, 12, 3, 10, tzinfo=dt.UTC))
    snap = watchlists.snapshot("china-ai-compute", "2025-12-04", store=store,
                               now=NOW)
    row, _ = _cambricon(snap)
    assert row["consensus_source"] == "yahoo (2025-12-03)"
    assert (row["consensus_mean"], row["consensus_count"]) == (1900.0, 7)
    assert row["consensus_upside"] == pytest.approx(1900 / 1369 - 1)
    # a consensus fetched after asof is not used
    earlier = watchlists.snapshot("china-ai-compute", "2025-12-02", store=store,
                                  now=NOW)
    assert _cambricon(earlier)[0]["consensus_source"] == "named brokers"


def test_yahoo_target_in_another_currency_is_refused(store):
    _seed(store, [("2025-11-10 09:00", "Some Bank", "Buy", "Buy", "main", 250.0, None)],
          currency="USD")
    snap = watchlists.snapshot("china-ai-compute", "2025-12-04", store=store,
                               now=NOW)
    _, tg = _cambricon(snap)
    assert "Some Bank" not in set(tg["broker"])
    msgs = snap.warnings.loc[snap.warnings["symbol"] == "688256.SS", "message"]
    assert msgs.str.contains("Some Bank").any() and msgs.str.contains("USD").any()

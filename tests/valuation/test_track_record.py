"""Analyst target track record: hand-computed cases, timing rules, invariants.

All price paths here are SYNTHETIC (made up for the tests), never market data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.track_record import (
    AGGREGATE_COLUMNS,
    SCORE_COLUMNS,
    STATUSES,
    aggregate,
    parse_horizon,
    score_targets,
    wilson_interval,
)

DAYS = pd.date_range("2024-01-01", periods=6, freq="D")  # every calendar day a session
PATH = [100.0, 104.0, 98.0, 107.0, 111.0, 103.0]


def _closes(values=PATH, symbol="X", index=DAYS):
    return pd.DataFrame({symbol: values}, index=index[: len(values)])


def _one(target, *, t0=DAYS[0], symbol="X", **extra):
    return pd.DataFrame({"symbol": [symbol], "t0": [t0], "target": [target], **extra})


# --------------------------------------------------------------------------- hand cases


def test_hand_computed_bullish_hit_with_horizon_over():
    s = score_targets(_one(110.0), _closes(), asof=DAYS[-1], horizon="5d").iloc[0]
    assert s["status"] == "hit" and s["direction"] == "up" and s["touched"]
    assert s["p0"] == 100.0 and s["p0_date"] == DAYS[0]
    assert s["touch_date"] == DAYS[4] and s["days_to_touch"] == 4
    assert s["touch_basis"] == "close"  # no highs given
    assert s["sessions"] == 5
    assert s["horizon_end"] == DAYS[5] and s["window_end"] == DAYS[5]
    assert s["price_at_horizon"] == 103.0 and s["horizon_price_date"] == DAYS[5]
    assert s["error_at_horizon"] == pytest.approx(110 / 103 - 1)
    assert s["return_at_horizon"] == pytest.approx(0.03)
    assert s["mfe"] == pytest.approx(0.11)  # 111 / 100 - 1
    assert s["mae"] == pytest.approx(-0.02)  # 98 / 100 - 1
    assert list(score_targets(_one(110.0), _closes(), asof=DAYS[-1]).columns) == [
        "symbol", "t0", "target", *SCORE_COLUMNS]


def test_hand_computed_miss_uses_highs_and_lows_when_given():
    closes = _closes()
    highs, lows = closes + 2.0, closes - 3.0  # highs 102..113, lows 97..108
    s = score_targets(_one(112.0), closes, highs=highs, lows=lows, asof=DAYS[-1],
                      horizon="5d").iloc[0]
    assert s["status"] == "hit" and s["days_to_touch"] == 4 and s["touch_basis"] == "high"
    assert s["mfe"] == pytest.approx(0.13) and s["mae"] == pytest.approx(-0.05)
    s = score_targets(_one(114.0), closes, highs=highs, asof=DAYS[-1], horizon="5d").iloc[0]
    assert s["status"] == "miss" and not s["touched"] and np.isnan(s["days_to_touch"])
    assert s["error_at_horizon"] == pytest.approx(114 / 103 - 1)


def test_high_missing_on_some_sessions_falls_back_to_the_close_and_says_so():
    closes = _closes()
    highs = closes + 2.0
    highs.iloc[1:3] = np.nan
    s = score_targets(_one(113.0), closes, highs=highs, asof=DAYS[-1], horizon="5d").iloc[0]
    assert s["status"] == "hit" and s["touch_basis"] == "high+close"
    s = score_targets(_one(108.5), closes, highs=highs, asof=DAYS[-1], horizon="5d").iloc[0]
    # day 1 high unknown: close 104 < 108.5; day 2 close 98; day 3 high 109 >= 108.5
    assert s["days_to_touch"] == 3 and s["touch_basis"] == "high+close"


def test_bearish_target():
    closes = _closes([100.0, 97.0, 95.0, 92.0, 96.0, 101.0])
    lows = closes - 1.0
    s = score_targets(_one(91.5), closes, lows=lows, asof=DAYS[-1], horizon="5d").iloc[0]
    assert s["direction"] == "down" and s["status"] == "hit"
    assert s["days_to_touch"] == 3 and s["touch_basis"] == "low"
    assert s["mfe"] == pytest.approx(1 - 91 / 100)  # the low of day 3
    assert s["mae"] == pytest.approx(-0.01)  # 1 - 101 / 100 (no highs: the close)
    s = score_targets(_one(91.5), closes, asof=DAYS[-1], horizon="5d").iloc[0]
    assert s["status"] == "miss" and s["touch_basis"] == "close"  # close low is 92


def test_path_built_to_touch_on_day_37_is_a_hit_on_day_37():
    days = pd.date_range("2024-01-01", "2025-06-30", freq="D")
    closes = pd.DataFrame({"X": 100.0}, index=days)
    highs = pd.DataFrame({"X": 101.0}, index=days)
    t0 = pd.Timestamp("2024-02-10")
    highs.loc[t0 + pd.Timedelta(days=37), "X"] = 125.0
    highs.loc[t0 + pd.Timedelta(days=60), "X"] = 130.0
    s = score_targets(_one(120.0, t0=t0), closes, highs=highs, asof="2025-06-30").iloc[0]
    assert s["status"] == "hit" and s["days_to_touch"] == 37
    assert s["touch_date"] == t0 + pd.Timedelta(days=37)
    assert s["horizon_end"] == pd.Timestamp("2025-02-10")  # 12 calendar months
    assert s["mfe"] == pytest.approx(0.30)  # over the whole window, not stopped at the touch
    # on business days only, the same path touches on the same calendar day
    bdays = closes.index[closes.index.day_of_week < 5]
    t1 = pd.Timestamp("2024-02-12")  # a Monday; t1 + 37 days is a Friday
    h2 = pd.DataFrame({"X": 101.0}, index=bdays)
    h2.loc[t1 + pd.Timedelta(days=37), "X"] = 125.0
    s = score_targets(_one(120.0, t0=t1), closes.loc[bdays], highs=h2, asof="2025-06-30")
    assert s.iloc[0]["days_to_touch"] == 37


def test_open_target_is_never_a_miss_and_never_counted():
    closes = _closes()
    t = pd.DataFrame({"symbol": "X", "t0": DAYS[0], "target": [200.0, 110.0],
                      "broker": ["A", "A"]})
    s = score_targets(t, closes, asof=DAYS[-1], horizon="12m")
    assert list(s["status"]) == ["open", "hit"]  # touched before the horizon end: a hit
    assert s["price_at_horizon"].isna().all() and s["error_at_horizon"].isna().all()
    agg = aggregate(s, by="broker", min_scored=1)
    assert agg.loc["A", "scored"] == 1 and agg.loc["A", "hits"] == 1
    assert agg.loc["A", "open"] == 1 and agg.loc["A", "targets"] == 2
    only_open = aggregate(s.iloc[:1], by="broker")
    assert only_open.loc["A", "scored"] == 0 and np.isnan(only_open.loc["A", "hit_rate"])
    assert np.isnan(only_open.loc["A", "wilson_low"])


def test_min_upside_bound_is_scored_as_a_bound():
    closes = _closes()
    t = pd.DataFrame({"symbol": "X", "t0": DAYS[0], "kind": ["min_upside", "min_upside",
                                                             "min_upside"],
                      "target": [np.nan, 108.0, np.nan], "min_upside": [0.10, np.nan, -0.05]})
    s = score_targets(t, closes, asof=DAYS[-1], horizon="5d")
    # reference = the close at t0: 100 * 1.10 = 110, exceeded on day 4
    assert s.loc[0, "level"] == pytest.approx(110.0) and s.loc[0, "status"] == "hit"
    assert s.loc[0, "days_to_touch"] == 4
    assert s.loc[1, "level"] == 108.0 and s.loc[1, "days_to_touch"] == 4  # implied level given
    # a bound below p0 is still an upward claim: exceeded on the first session (104 >= 95)
    assert s.loc[2, "direction"] == "up" and s.loc[2, "days_to_touch"] == 1


def test_no_price_cases():
    closes = _closes()
    t = pd.DataFrame({"symbol": ["Y", "X", "X", "X"],
                      "t0": [DAYS[0], "2023-06-01", pd.NaT, DAYS[2]],
                      "target": [10.0, 120.0, 120.0, np.nan]})
    s = score_targets(t, closes, asof=DAYS[-1], horizon="5d")
    assert list(s["status"]) == ["no price", "no price", "undated", "no target"]
    # the history ends long before the horizon: an untouched target is not a miss
    days = pd.date_range("2024-01-01", periods=30, freq="D")
    short = pd.DataFrame({"X": 100.0}, index=days)
    s = score_targets(_one(150.0), short, asof="2025-06-01", horizon="12m").iloc[0]
    assert s["status"] == "no price" and np.isnan(s["price_at_horizon"])
    s = score_targets(_one(100.5), short, highs=short + 1, asof="2025-06-01").iloc[0]
    assert s["status"] == "hit"  # a touch inside the stored history still counts


# --------------------------------------------------------------------------- point in time


def test_nothing_after_asof_is_used():
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    base = pd.DataFrame({"X": np.linspace(100, 110, 40)}, index=days)
    t = pd.DataFrame({"symbol": "X", "t0": [days[0], days[0], days[25]],
                      "target": [130.0, 102.0, 100.0]})
    asof = days[20]
    a = score_targets(t, base, asof=asof, horizon="10d")
    later = base.copy()
    later.iloc[21:] = 500.0  # would touch everything
    b = score_targets(t, later, highs=later * 2 * (later.index > asof)[:, None] + later,
                      asof=asof, horizon="10d")
    pd.testing.assert_frame_equal(a.drop(columns="touch_basis"), b.drop(columns="touch_basis"))
    assert list(a["status"]) == ["miss", "hit", "after asof"]
    c = score_targets(t, later, asof=asof, horizon="12m")
    assert c.loc[0, "status"] == "open"  # horizon ends after asof: not over yet
    assert c.loc[0, "window_end"] == asof


# --------------------------------------------------------------------------- Wilson


def test_wilson_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    k = np.array([0, 1, 3, 5, 8, 10, 37])
    n = np.array([5, 1, 10, 5, 10, 12, 100])
    lo, hi = wilson_interval(k, n)
    for conf in (0.95, 0.9):
        lo, hi = wilson_interval(k, n, confidence=conf)
        ref_lo, ref_hi = proportion_confint(k, n, alpha=1 - conf, method="wilson")
        np.testing.assert_allclose(lo, ref_lo, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(hi, ref_hi, rtol=1e-12, atol=1e-15)
    lo0, hi0 = wilson_interval(0, 0)
    assert np.isnan(lo0) and np.isnan(hi0)
    with pytest.raises(ValueError, match="successes must be at most n"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=1.5)


def test_aggregate_hand_computed_and_flag():
    scored = pd.DataFrame({
        "broker": ["A"] * 6 + ["B"],
        "status": ["hit", "hit", "miss", "open", "no price", "hit", "miss"],
        "error_at_horizon": [0.1, np.nan, 0.3, np.nan, np.nan, -0.2, 0.5],
        "days_to_touch": [10.0, 30.0, np.nan, np.nan, np.nan, 50.0, np.nan],
    })
    agg = aggregate(scored, by="broker", min_scored=3)
    assert list(agg.columns) == list(AGGREGATE_COLUMNS)
    a = agg.loc["A"]
    assert (a["targets"], a["scored"], a["hits"], a["misses"], a["open"]) == (6, 4, 3, 1, 1)
    assert a["hit_rate"] == 0.75 and a["median_error"] == pytest.approx(0.1)
    assert a["median_days_to_touch"] == 30.0 and not a["flag"]
    assert agg.loc["B", "flag"] and agg.loc["B", "hit_rate"] == 0.0
    lo, hi = wilson_interval(3, 4)
    assert (a["wilson_low"], a["wilson_high"]) == (pytest.approx(lo), pytest.approx(hi))
    with pytest.raises(ValueError, match="firm"):
        aggregate(scored, by="firm")
    with pytest.raises(ValueError, match="min_scored must be at least 1, got 0"):
        aggregate(scored, min_scored=0)


# --------------------------------------------------------------------------- contracts


def test_labels_preserved_and_inputs_not_mutated():
    closes = _closes()
    highs = closes + 1.0
    t = pd.DataFrame({"symbol": ["X", "X", "X"], "t0": [DAYS[1], DAYS[0], DAYS[0]],
                      "target": [90.0, 110.0, 300.0], "broker": ["C", "A", "B"]},
                     index=pd.Index(["c-1", "a-1", "b-1"], name="id"))
    before_t, before_c, before_h = t.copy(), closes.copy(), highs.copy()
    s = score_targets(t, closes, highs=highs, asof=DAYS[-1], horizon="5d")
    pd.testing.assert_frame_equal(t, before_t)
    pd.testing.assert_frame_equal(closes, before_c)
    pd.testing.assert_frame_equal(highs, before_h)
    assert s.index.equals(t.index) and s.index.name == "id"
    pd.testing.assert_frame_equal(s[t.columns], t)
    agg_before = s.copy()
    aggregate(s)
    pd.testing.assert_frame_equal(s, agg_before)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizon": "-3m"}, "horizon must be positive, got '-3m'"),
        ({"horizon": "0d"}, "horizon must be positive, got '0d'"),
        ({"horizon": "12 weeks"}, "horizon must be a number of days"),
        ({"max_gap_days": -1}, "max_gap_days must be at least 0, got -1"),
    ],
)
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        score_targets(_one(110.0), _closes(), asof=DAYS[-1], **kwargs)


def test_bad_inputs_are_named():
    closes = _closes()
    with pytest.raises(ValueError, match=r"target must be greater than 0, got -5 \(at 0\)"):
        score_targets(_one(-5.0), closes, asof=DAYS[-1])
    with pytest.raises(ValueError, match=r"target must be greater than 0, got 0"):
        score_targets(_one(0.0), closes, asof=DAYS[-1])
    with pytest.raises(ValueError, match=r"lacks columns \['t0'\]"):
        score_targets(_one(1.0).drop(columns="t0"), closes, asof=DAYS[-1])
    with pytest.raises(ValueError, match=r"kind must be one of .* got 'floor'"):
        score_targets(_one(1.0, kind=["floor"]), closes, asof=DAYS[-1])
    with pytest.raises(ValueError, match="min_upside must be greater than -1, got -2"):
        score_targets(_one(np.nan, kind=["min_upside"], min_upside=[-2.0]), closes,
                      asof=DAYS[-1])
    with pytest.raises(ValueError, match="t0 must hold dates, got 'soon'"):
        score_targets(_one(1.0, t0="soon"), closes, asof=DAYS[-1])
    bad = closes.copy()
    bad.iloc[2, 0] = -1.0
    with pytest.raises(ValueError, match=r"prices must be finite and greater than 0, got -1"):
        score_targets(_one(1.0), bad, asof=DAYS[-1])
    with pytest.raises(ValueError, match="prices dates must be increasing"):
        score_targets(_one(1.0), closes.iloc[::-1], asof=DAYS[-1])
    with pytest.raises(ValueError, match="duplicate labels"):
        score_targets(pd.concat([_one(1.0), _one(2.0)]), closes, asof=DAYS[-1])
    with pytest.raises(TypeError, match="targets must be a DataFrame"):
        score_targets([1.0], closes, asof=DAYS[-1])
    with pytest.raises(ValueError, match="asof must be a date"):
        score_targets(_one(1.0), closes, asof="someday")


def test_parse_horizon():
    assert parse_horizon("12m")[1] == "12m"
    assert pd.Timestamp("2024-01-31") + parse_horizon("1m")[0] == pd.Timestamp("2024-02-29")
    assert pd.Timestamp("2024-01-01") + parse_horizon("365d")[0] == pd.Timestamp("2024-12-31")
    with pytest.raises(TypeError, match="horizon"):
        parse_horizon(365)


# --------------------------------------------------------------------------- invariants


def _reference(t, closes, highs, asof, months):
    """A plain per-target loop (slow, obvious) to compare the vectorised code with."""
    out = []
    for r in t.itertuples():
        c, h = closes[r.symbol].dropna(), highs[r.symbol]
        c = c[c.index <= asof]
        p0s = c[c.index <= r.t0]
        if p0s.empty or (r.t0 - p0s.index[-1]).days > 10:
            out.append(("no price", np.nan))
            continue
        p0 = p0s.iloc[-1]
        end = r.t0 + pd.DateOffset(months=months)
        w = c[(c.index > r.t0) & (c.index <= min(end, asof))]
        hw = h.reindex(w.index).fillna(w)
        hit = (hw >= r.target) if r.target >= p0 else (w <= r.target)
        if hit.any():
            out.append(("hit", float((hit.idxmax() - r.t0).days)))
        elif end <= asof:
            out.append(("miss", np.nan))
        else:
            out.append(("open", np.nan))
    return out


def test_vectorised_matches_a_plain_loop():
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2022-01-03", "2024-12-31")
    walk = 100 * np.cumprod(1 + rng.normal(0, 0.02, (len(days), 3)), axis=0)
    closes = pd.DataFrame(walk, index=days, columns=["A", "B", "C"])
    closes.iloc[rng.random(closes.shape) < 0.03] = np.nan  # the odd missing session
    highs = closes * (1 + rng.uniform(0, 0.03, closes.shape))
    highs.iloc[rng.random(closes.shape) < 0.1] = np.nan
    n = 300
    t = pd.DataFrame({
        "symbol": rng.choice(["A", "B", "C"], n),
        "t0": days[0] + pd.to_timedelta(rng.integers(0, 1000, n), unit="D"),
        "target": rng.uniform(50, 200, n),
    })
    asof = pd.Timestamp("2024-06-30")
    t = t[t["t0"] <= asof].reset_index(drop=True)
    s = score_targets(t, closes, highs=highs, asof=asof, horizon="6m")
    ref = _reference(t, closes, highs, asof, 6)
    assert list(s["status"]) == [x[0] for x in ref]
    np.testing.assert_array_equal(s["days_to_touch"].to_numpy(), [x[1] for x in ref])
    assert set(s["status"]) <= set(STATUSES)
    assert {"hit", "miss", "open"} <= set(s["status"])


@settings(deadline=None, max_examples=40)
@given(
    st.lists(st.floats(50, 150), min_size=3, max_size=40),
    st.lists(st.tuples(st.integers(0, 45), st.floats(40, 200)), min_size=1, max_size=12),
    st.integers(5, 60),
    st.data(),
)
def test_subset_gives_the_same_rows_and_hit_rate_is_in_its_interval(path, specs, asof_i, data):
    days = pd.date_range("2024-01-01", periods=len(path), freq="D")
    closes = pd.DataFrame({"X": path}, index=days)
    t = pd.DataFrame({"symbol": "X", "t0": [days[0] + pd.Timedelta(days=d) for d, _ in specs],
                      "target": [x for _, x in specs],
                      "broker": [f"b{i % 3}" for i in range(len(specs))]})
    asof = days[0] + pd.Timedelta(days=asof_i)
    full = score_targets(t, closes, asof=asof, horizon="20d")
    keep = data.draw(st.lists(st.sampled_from(list(t.index)), min_size=1, unique=True))
    part = score_targets(t.loc[keep], closes, asof=asof, horizon="20d")
    pd.testing.assert_frame_equal(part, full.loc[keep])
    agg = aggregate(full, by="broker", min_scored=1)
    ok = agg["scored"] > 0
    assert ((agg.loc[ok, "wilson_low"] <= agg.loc[ok, "hit_rate"] + 1e-12)
            & (agg.loc[ok, "hit_rate"] <= agg.loc[ok, "wilson_high"] + 1e-12)).all()
    assert (agg["scored"] == agg["hits"] + agg["misses"]).all()
    assert (full.loc[full["status"] == "open", "horizon_end"] > asof).all()

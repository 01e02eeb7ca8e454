"""valuation.cross_listing: hand-computed cases, recovery of a planted premium, calendars,
FX timing, the trailing z-score, labels, no mutation and bad inputs. SYNTHETIC numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.cross_listing import aligned_sessions, premium, premium_history


def _days(n: int, start: str = "2025-03-03") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n, name="date")


# ------------------------------------------------------------------ premium
def test_hand_computed_scalar_ads_of_eight_shares():
    # ADS 125 USD = 8 shares -> 15.625 USD/share; HK line 100 HKD × 0.125 USD/HKD = 12.5.
    assert premium(125.0, 100.0, 0.125, units_a=8.0) == 0.25
    assert isinstance(premium(125.0, 100.0, 0.125, units_a=8.0), np.float64)
    # units on the B side: B trades in lots of 2 shares.
    assert premium(10.0, 40.0, 1.0, units_b=2.0) == pytest.approx(10.0 / 20.0 - 1.0)


def test_recovers_known_ratio_and_fx_exactly():
    rng = np.random.default_rng(3)
    b = rng.uniform(50, 150, 200)
    fx = rng.uniform(0.12, 0.14, 200)
    planted = rng.uniform(-0.3, 0.5, 200)
    a = b * fx * 8.0 * (1.0 + planted)  # ADS of 8 shares priced at the planted premium
    np.testing.assert_allclose(premium(a, b, fx, units_a=8.0), planted, rtol=0, atol=1e-14)
    np.testing.assert_allclose(premium(b * fx * 8.0, b, fx, units_a=8.0), 0.0, atol=1e-15)


def test_array_nan_element_gives_nan_only_there():
    out = premium(np.array([11.0, np.nan, 9.0]), np.array([10.0, 10.0, 10.0]), 1.0)
    np.testing.assert_allclose(out, [0.1, np.nan, -0.1])


def test_series_aligned_on_common_labels_in_first_order():
    a = pd.Series([11.0, 12.0, 13.0], index=["x", "y", "z"], name="A")
    b = pd.Series([10.0, 10.0], index=["z", "x"])
    out = premium(a, b, 1.0)
    assert list(out.index) == ["x", "z"]
    assert out.name == "premium"
    np.testing.assert_allclose(out.to_numpy(), [0.1, 0.3])


def test_premium_does_not_mutate_inputs():
    a = pd.Series([11.0, 12.0], index=["x", "y"])
    b = np.array([10.0, 10.0])
    a0, b0 = a.copy(), b.copy()
    premium(a, pd.Series(b, index=["y", "x"]), 1.0)
    pd.testing.assert_series_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"units_a": 0.0}, "units_a must be greater than 0, got 0"),
        ({"units_b": -8.0}, "units_b must be greater than 0, got -8"),
        ({"price_a": -1.0}, "price_a must be greater than 0, got -1"),
        ({"fx_b_to_a": 0.0}, "fx_b_to_a must be greater than 0, got 0"),
        ({"price_b": float("nan")}, "price_b must not be NaN"),
    ],
)
def test_premium_bad_inputs_named(kwargs, match):
    args = {"price_a": 1.0, "price_b": 1.0, "fx_b_to_a": 1.0} | kwargs
    units = {k: args.pop(k) for k in ("units_a", "units_b") if k in args}
    with pytest.raises(ValueError, match=match):
        premium(args["price_a"], args["price_b"], args["fx_b_to_a"], **units)


def test_premium_mismatched_types_and_labels():
    with pytest.raises(ValueError, match="price_b is ndarray of length 2 but price_a is a Series"):
        premium(pd.Series([1.0, 2.0]), np.array([1.0, 2.0]), 1.0)
    with pytest.raises(ValueError, match="share no labels"):
        premium(pd.Series([1.0], index=["x"]), pd.Series([1.0], index=["y"]), 1.0)
    with pytest.raises(TypeError, match="price_a"):
        premium("12", 1.0, 1.0)


# ------------------------------------------------------------------ history
def test_history_recovers_planted_premium_with_ads_ratio():
    d = _days(30)
    b = pd.Series(np.linspace(80, 95, 30), index=d)  # HKD per share
    fx = pd.Series(np.linspace(0.127, 0.129, 30), index=d)  # USD per HKD
    a = b * fx * 8.0 * 1.10  # a 10 % premium planted on every day
    h = premium_history(a, b, fx, units_a=8.0, window=5)
    np.testing.assert_allclose(h["premium"].to_numpy(), 0.10, rtol=0, atol=1e-14)
    assert h["zscore"].isna().all()  # constant premium: std 0 up to rounding
    zero = premium_history(b * fx * 8.0, b, fx, units_a=8.0, window=5)
    np.testing.assert_allclose(zero["premium"].to_numpy(), 0.0, atol=1e-15)
    assert list(h.columns) == ["price_a", "price_b", "fx", "fx_date", "premium", "mean",
                               "std", "zscore"]


def test_different_holidays_keep_only_common_sessions():
    d = _days(6)  # Mon 2025-03-03 .. Mon 2025-03-10
    a = pd.Series([10.0, 11.0, np.nan, 13.0, 14.0, 15.0], index=d)  # A closed Wed (NaN)
    b = pd.Series([10.0, 10.0, 10.0, 10.0, 10.0], index=d.delete(4))  # B closed Fri (absent)
    fx = pd.Series(1.0, index=d)
    h = premium_history(a, b, fx, window=2)
    assert list(h.index) == [d[0], d[1], d[3], d[5]]
    np.testing.assert_allclose(h["premium"].to_numpy(), [0.0, 0.1, 0.3, 0.5])
    s = aligned_sessions(a, b, fx)
    assert s.loc[d[2], "status"] == "a not traded"
    assert s.loc[d[4], "status"] == "b not traded"
    assert (s["status"] == "ok").sum() == 4


def test_fx_dated_after_a_price_day_is_never_used():
    d = _days(4)
    a = pd.Series([11.0, 11.0, 11.0, 11.0], index=d)
    b = pd.Series([10.0, 10.0, 10.0, 10.0], index=d)
    # rates only on days 1 and 3: day 0 has none yet; day 2 uses day 1's, not day 3's.
    fx = pd.Series([1.0, 2.0], index=[d[1], d[3]])
    h = premium_history(a, b, fx, window=2)
    assert d[0] not in h.index
    assert h.loc[d[2], "fx"] == 1.0 and h.loc[d[2], "fx_date"] == d[1]
    assert h.loc[d[3], "fx"] == 2.0
    np.testing.assert_allclose(h["premium"].to_numpy(), [0.1, 0.1, 11 / 20 - 1])
    s = aligned_sessions(a, b, fx)
    assert s.loc[d[0], "status"] == "no fx on or before the date"


def test_fx_older_than_the_max_gap_is_dropped():
    d = pd.DatetimeIndex(["2025-03-03", "2025-03-10", "2025-03-11"])
    a = pd.Series([11.0, 11.0, 11.0], index=d)
    b = pd.Series([10.0, 10.0, 10.0], index=d)
    fx = pd.Series([1.0], index=d[:1])  # 7 and 8 days old on the later sessions
    assert len(premium_history(a, b, fx, window=2, max_fx_age_days=5)) == 1
    assert len(premium_history(a, b, fx, window=2, max_fx_age_days=8)) == 3
    s = aligned_sessions(a, b, fx, max_fx_age_days=5)
    assert list(s["status"]) == ["ok", "fx too old", "fx too old"]
    assert s["fx"].isna().tolist() == [False, True, True]


def test_zscore_hand_computed_window_three():
    d = _days(5)
    b = pd.Series(100.0, index=d)
    planted = np.array([0.01, 0.03, 0.02, 0.06, 0.00])
    a = b * (1 + planted)
    h = premium_history(a, b, pd.Series(1.0, index=d), window=3)
    assert h["zscore"].iloc[:2].isna().all()
    for i in range(2, 5):
        w = planted[i - 2: i + 1]  # trailing window INCLUDING the day
        m, s = w.mean(), w.std(ddof=1)
        assert h["mean"].iloc[i] == pytest.approx(m, abs=1e-13)
        assert h["std"].iloc[i] == pytest.approx(s, abs=1e-13)
        assert h["zscore"].iloc[i] == pytest.approx((planted[i] - m) / s, abs=1e-10)
    # day 3: window [0.03, 0.02, 0.06], mean 0.03667, std 0.020817 -> z 1.1209
    assert h["zscore"].iloc[3] == pytest.approx(1.1209, abs=1e-4)
    # min_periods lets the z-score start earlier
    h2 = premium_history(a, b, pd.Series(1.0, index=d), window=3, min_periods=2)
    assert h2["zscore"].iloc[1] == pytest.approx((0.03 - 0.02) / np.std([0.01, 0.03], ddof=1))


def test_history_labels_preserved_and_inputs_not_mutated():
    d = pd.bdate_range("2025-03-03", periods=6, name="session")
    a = pd.Series(np.arange(11.0, 17.0), index=d, name="BABA")
    b = pd.Series(np.arange(10.0, 16.0), index=d, name="9988.HK")
    fx = pd.Series(1.0, index=d, name="HKDUSD")
    copies = [x.copy() for x in (a, b, fx)]
    h = premium_history(a, b, fx, window=3)
    assert h.index.name == "session"
    assert h.index.equals(d)
    for x, x0 in zip((a, b, fx), copies, strict=True):
        pd.testing.assert_series_equal(x, x0)
    s = aligned_sessions(a, b, fx)
    for x, x0 in zip((a, b, fx), copies, strict=True):
        pd.testing.assert_series_equal(x, x0)
    assert s.index.name == "session"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"units_a": 0.0}, ValueError, "units_a must be greater than 0 and finite, got 0"),
        ({"units_b": -1}, ValueError, "units_b must be greater than 0 and finite, got -1"),
        ({"units_a": "8"}, ValueError, "units_a must be a number"),
        ({"window": 1}, ValueError, "window must be at least 2, got 1"),
        ({"min_periods": 5, "window": 3}, ValueError, r"min_periods must be at most window \(3\)"),
        ({"max_fx_age_days": -1}, ValueError, "max_fx_age_days must be at least 0, got -1"),
        ({"window": 2.5}, TypeError, "window must be an integer"),
    ],
)
def test_history_bad_parameters_named(kwargs, error, match):
    d = _days(4)
    s = pd.Series(1.0, index=d)
    with pytest.raises(error, match=match):
        premium_history(s, s, s, **kwargs)


def test_history_bad_series_named():
    d = _days(3)
    s = pd.Series(1.0, index=d)
    with pytest.raises(ValueError, match="closes_a must be a pandas Series"):
        premium_history(np.ones(3), s, s)
    with pytest.raises(ValueError, match="fx must be indexed by dates"):
        premium_history(s, s, pd.Series([1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="closes_b must be greater than 0, got -2"):
        premium_history(s, pd.Series([1.0, -2.0, 1.0], index=d), s)
    with pytest.raises(ValueError, match="closes_a dates must be increasing"):
        premium_history(s.iloc[::-1], s, s)
    with pytest.raises(ValueError, match="fx must be numeric"):
        premium_history(s, s, pd.Series(["a", "b", "c"], index=d))


def test_empty_overlap_gives_empty_history():
    a = pd.Series([1.0], index=pd.DatetimeIndex(["2025-03-03"]))
    b = pd.Series([1.0], index=pd.DatetimeIndex(["2025-03-04"]))
    h = premium_history(a, b, pd.Series(1.0, index=a.index.union(b.index)), window=2)
    assert h.empty and list(h.columns)[-1] == "zscore"

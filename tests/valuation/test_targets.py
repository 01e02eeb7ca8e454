from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import Consensus, consensus, implied_min_target, upside


def test_upside_scalar_array_series():
    assert upside(80.0, 100.0) == pytest.approx(0.25)
    assert isinstance(upside(80.0, 100.0), np.float64)
    np.testing.assert_allclose(upside(np.array([50.0, 200.0]), 100.0), [1.0, -0.5])
    s = upside(pd.Series([10.0, 20.0], index=["A", "B"]), pd.Series([30.0, 15.0], index=["B", "A"]))
    assert list(s.index) == ["A", "B"]
    np.testing.assert_allclose(s.to_numpy(), [0.5, 0.5])


def test_upside_nan_target_is_nan_but_scalar_nan_price_raises():
    assert np.isnan(upside(10.0, np.nan))
    for bad in (np.nan, 0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="price"):
            upside(bad, 10.0)


def test_upside_nan_price_of_one_company_is_nan_there():
    # a per-company NaN is that company's missing price, not a caller mistake
    out = upside(pd.Series([80.0, np.nan], index=["A", "B"]), pd.Series({"B": 50.0, "A": 100.0}))
    assert out["A"] == pytest.approx(0.25) and np.isnan(out["B"])
    with pytest.raises(ValueError, match="price must be greater than 0, got -5"):
        upside(np.array([-5.0, np.nan]), 10.0)  # a finite bad value still raises


@settings(deadline=None, max_examples=50)
@given(
    st.floats(0.01, 1e6),
    st.floats(0.01, 1e6),
    st.floats(1e-3, 1e3),
)
def test_upside_scale_invariant(price, target, k):
    assert upside(price * k, target * k) == pytest.approx(
        upside(price, target), rel=1e-9, abs=1e-12
    )


def test_implied_min_target():
    assert implied_min_target(50.0, 0.3) == pytest.approx(65.0)
    with pytest.raises(ValueError, match="min_upside"):
        implied_min_target(50.0, -1.5)


def _targets():
    return pd.DataFrame(
        {
            "broker": ["A", "A", "B", "C", "D", "E", "F"],
            "target": [90.0, 100.0, 120.0, 200.0, np.nan, 140.0, 80.0],
            "currency": "USD",
            "published": pd.to_datetime(
                [
                    "2025-01-05",
                    "2025-06-01",
                    "2025-05-01",
                    "2023-01-01",
                    "2025-06-01",
                    None,
                    "2025-08-01",
                ]
            ),
        }
    )


def test_consensus_latest_per_broker_stale_undated_excluded():
    c = consensus(_targets(), asof="2025-06-30")
    assert isinstance(c, Consensus)
    # A: latest 100 (June), B 120; C stale; D NaN excluded; E undated (no previous_target:
    # cannot be placed in time) left out; F after asof
    assert c.count == 2
    assert c.mean == pytest.approx(110.0)
    assert c.median == pytest.approx(110.0)
    assert (c.high, c.low) == (120.0, 100.0)
    assert c.stale == 1 and c.undated == 1 and c.excluded == 1
    assert c.dispersion == pytest.approx(np.std([100, 120], ddof=1) / 110)
    assert c.rows["consensus_status"].tolist() == [
        "superseded", "used", "used", "stale", "not a price target", "undated", "after asof",
    ]  # fmt: skip
    assert c.upside(100.0) == pytest.approx(0.1)
    assert c.upside(150.0, statistic="high") == pytest.approx(120 / 150 - 1)
    assert c.currency == "USD"
    assert "Consensus" in c._repr_html_()


def test_consensus_kind_column_and_default_asof():
    t = _targets().assign(kind=["price"] * 6 + ["min_upside"])
    c = consensus(t)  # asof defaults to the latest published date (2025-08-01)
    assert c.asof == pd.Timestamp("2025-08-01")
    assert c.excluded == 2


def test_consensus_max_age():
    c = consensus(_targets(), asof="2025-06-30", max_age_days=10_000)
    assert c.stale == 0 and c.count == 3


def test_consensus_mismatched_currency_names_both():
    t = _targets()
    t.loc[1, "currency"] = "CNY"
    with pytest.raises(ValueError, match="CNY and USD"):
        consensus(t)


def test_consensus_errors():
    with pytest.raises(ValueError, match="published"):
        consensus(_targets().drop(columns="published"))
    t = _targets()
    t.loc[0, "target"] = -5.0
    with pytest.raises(ValueError, match="target"):
        consensus(t)
    with pytest.raises(ValueError, match="statistic"):
        consensus(_targets()).upside(1.0, statistic="mode")


def test_consensus_empty_gives_nan_and_warning():
    t = _targets().iloc[:0]
    c = consensus(t)
    assert c.count == 0 and np.isnan(c.mean) and c.warnings

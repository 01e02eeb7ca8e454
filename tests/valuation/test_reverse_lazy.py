"""ImpliedGrowth builds its pandas objects on first access: the same values as an eager result."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest

from valuation import ImpliedGrowth, implied_growth

KW = dict(high_years=5, fade_years=5, operating_margin=0.2, tax_rate=0.2,
          sales_to_capital=1.5, discount_rate=0.1, terminal_growth=0.03)


def _call(price=None):
    if price is None:
        price = pd.Series([50.0, np.nan, 80.0], index=["A", "B", "C"])
    return implied_growth(price, 100.0, **KW)


def test_lazy_fields_are_built_once_and_kept():
    res = _call()
    assert "table" not in res.__dict__
    table = res.table
    assert res.table is table
    assert res.status is res.status
    assert res.warning_table is res.warning_table
    assert list(res.warning_table["company"]) == ["B"]


def test_lazy_result_equals_an_eager_one():
    res = _call()
    eager = ImpliedGrowth(res.growth, res.status, res.table, res.warnings, res.bracket,
                          res.warning_table)
    assert repr(eager) == repr(_call())
    assert [f.name for f in dataclasses.fields(res)] == [
        "growth", "status", "table", "warnings", "bracket", "warning_table"]
    for f in dataclasses.fields(res):
        assert hasattr(_call(), f.name)


def test_ok_matches_the_table_before_and_after_it_is_built():
    res = implied_growth(np.array([50.0, np.nan, 1e9]), 100.0, **KW)
    before = res.ok
    after = res.table["status"].str.startswith("ok").to_numpy()
    np.testing.assert_array_equal(before, after)
    assert before.dtype == after.dtype
    np.testing.assert_array_equal(res.ok, after)


def test_replace_copy_and_deepcopy_work_on_an_unbuilt_result():
    res = _call()
    other = dataclasses.replace(res, bracket=(-0.4, 2.0))
    pd.testing.assert_frame_equal(other.table, _call().table)
    for dup in (copy.copy(_call()), copy.deepcopy(_call())):
        pd.testing.assert_frame_equal(dup.table, res.table)
        pd.testing.assert_series_equal(dup.status, res.status)
        pd.testing.assert_frame_equal(dup.warning_table, res.warning_table)


def test_table_does_not_see_inputs_changed_after_the_call():
    price = np.array([50.0, 60.0])
    res = implied_growth(price, 100.0, **KW)
    price[:] = 1.0
    np.testing.assert_array_equal(res.table["price"].to_numpy(), [50.0, 60.0])


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="nope"):
        getattr(_call(), "nope")


def _named(**over):
    rng = np.random.default_rng(3)
    n = 50
    d = dict(price=rng.uniform(1, 100, n), revenue=rng.uniform(10, 100, n),
             operating_margin=rng.uniform(0, 0.3, n), target_margin=None, tax_rate=0.2,
             sales_to_capital=rng.uniform(1, 3, n), discount_rate=rng.uniform(0.07, 0.12, n),
             terminal_growth=0.03, terminal_roic=None, net_cash=0, shares=rng.uniform(1, 9, n))
    d.update(over)
    return d


def test_plain_inputs_match_the_full_validation():
    from valuation.intrinsic import _validate_common
    from valuation.reverse import _plain_inputs

    for named in (_named(), _named(target_margin=0.3, terminal_roic=np.full(50, 0.2))):
        fast, shape = _plain_inputs(named)
        full, full_shape = _validate_common(named)
        assert shape.shape == full_shape.shape and shape.per_company == full_shape.per_company
        assert fast.keys() == full.keys()
        for k in full:
            np.testing.assert_array_equal(fast[k], np.broadcast_to(full[k], (50,)))


def test_anything_unusual_takes_the_full_validation():
    from valuation.reverse import _plain_inputs

    bad = np.full(50, 0.1)
    bad[7] = np.nan
    for over in (dict(price=bad), dict(tax_rate=1.0), dict(tax_rate=np.float64(0.2)),
                 dict(operating_margin=np.full(50, 1.5)), dict(terminal_growth=0.2),
                 dict(shares=np.arange(50)), dict(net_cash=np.inf), dict(price=np.ones(3)),
                 dict(revenue=pd.Series(np.ones(50))), dict(sales_to_capital=np.full(50, np.inf))):
        assert _plain_inputs(_named(**over)) is None, over
    assert _plain_inputs({k: (v if v is None or np.ndim(v) == 0 else 1.0)
                          for k, v in _named().items()}) is None  # all scalars

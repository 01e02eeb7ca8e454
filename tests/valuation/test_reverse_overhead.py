"""implied_growth's fast path hands the caller's arrays to the solver without copying them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from valuation import implied_growth


def _inputs(default_target: bool):
    rng = np.random.default_rng(11)
    n = 40
    kw = dict(high_years=4, fade_years=3, operating_margin=rng.uniform(0.05, 0.3, n),
              target_margin=None if default_target else rng.uniform(0.1, 0.4, n),
              tax_rate=np.full(n, 0.2), sales_to_capital=rng.uniform(0.5, 3.0, n),
              discount_rate=rng.uniform(0.07, 0.12, n), terminal_growth=np.full(n, 0.03),
              terminal_roic=None if default_target else rng.uniform(0.1, 0.3, n),
              net_cash=rng.normal(0.0, 20.0, n), shares=rng.uniform(5.0, 50.0, n))
    return rng.uniform(1.0, 200.0, n), rng.uniform(10.0, 1000.0, n), kw


def test_result_does_not_see_inputs_changed_after_the_call():
    for default_target in (False, True):
        price, revenue, kw = _inputs(default_target)
        fresh = implied_growth(price.copy(), revenue.copy(),
                               **{k: v.copy() if isinstance(v, np.ndarray) else v
                                  for k, v in kw.items()})
        res = implied_growth(price, revenue, **kw)
        for a in [price, revenue, *(v for v in kw.values() if isinstance(v, np.ndarray))]:
            a[:] = 0.5  # every input array, after the call and before any lazy field is read
        np.testing.assert_array_equal(res.growth, fresh.growth)
        np.testing.assert_array_equal(res.status, fresh.status)
        np.testing.assert_array_equal(res.ok, fresh.ok)
        pd.testing.assert_frame_equal(res.table, fresh.table)
        assert res.warnings == fresh.warnings
        pd.testing.assert_frame_equal(res.warning_table, fresh.warning_table)


def test_status_array_of_one_or_several_statuses():
    kw = dict(high_years=5, fade_years=5, operating_margin=0.25, tax_rate=0.2,
              sales_to_capital=1.5, discount_rate=0.1, terminal_growth=0.03)
    one = implied_growth(np.array([400.0, 500.0, 600.0]), 100.0, **kw).status
    several = implied_growth(np.array([400.0, 1e12, 40.0]), 100.0, **kw).status
    for status in (one, several):
        assert status.dtype == object and all(type(s) is str for s in status)
    assert list(one) == ["ok"] * 3
    assert list(several) == ["ok", "needs growth above bracket",
                             "price below value at lowest growth"]

"""Every public function leaves its inputs unchanged."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import valuation as v

IDX = ["A", "B", "C", "D"]
PRICES = pd.DataFrame(
    {"A": [10.0, 11.0, np.nan, 12.0, 11.5], "B": [5.0, 4.0, 4.5, 6.0, 5.5]},
    index=pd.date_range("2025-01-01", periods=5),
)
RETURNS = PRICES.pct_change(fill_method=None)
TARGETS = pd.DataFrame(
    {
        "broker": ["x", "y", "z"],
        "target": [10.0, np.nan, 14.0],
        "currency": "USD",
        "published": pd.to_datetime(["2025-01-01", None, "2025-02-01"]),
    }
)
DCF_KW = dict(
    operating_margin=pd.Series([0.1, 0.2, 0.15, 0.3], index=IDX),
    tax_rate=0.2,
    sales_to_capital=np.array([1.0, 2.0, 3.0, 1.5]),
    discount_rate=0.1,
    terminal_growth=0.02,
)


def _series(values):
    return pd.Series(values, index=IDX)


_DAYS = pd.bdate_range("2025-01-01", periods=60)
_RNG = np.random.default_rng(7)
LINE_A = pd.Series(80.0 + _RNG.normal(0, 1, 60).cumsum(), index=_DAYS)
LINE_B = pd.Series(10.0 + _RNG.normal(0, 0.1, 60).cumsum(), index=_DAYS)
FX = pd.Series(1.0 + _RNG.normal(0, 0.001, 60), index=_DAYS)
SPHERE_X = pd.Series(_RNG.normal(0, 0.01, 60), index=_DAYS)
SPHERE_Y = 1.5 * SPHERE_X + pd.Series(_RNG.normal(0, 0.002, 60), index=_DAYS)
TRACK_PRICES = pd.DataFrame({"S": 100.0 + np.arange(60.0)}, index=_DAYS)
TRACK_TARGETS = pd.DataFrame({"symbol": ["S", "S"], "t0": [_DAYS[2], _DAYS[10]],
                              "target": [110.0, 90.0]})


CASES = {
    "upside": (v.upside, (_series([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 2.0, 2.0])), {}),
    "implied_min_target": (v.implied_min_target, (_series([1.0, 2.0, 3.0, 4.0]), 0.2), {}),
    "consensus": (v.consensus, (TARGETS,), {"asof": "2025-03-01"}),
    "cagr": (v.cagr, (_series([1.0, -2.0, 3.0, 4.0]), _series([2.0, 2.0, 2.0, 2.0]), 2), {}),
    "trend_growth": (v.trend_growth, (pd.Series([1.0, 1.2, 1.3, 1.6]),), {"periods_per_year": 1}),
    "fade_path": (v.fade_path, (np.array([0.3, 0.2]), 0.02, 2, 2), {}),
    "dcf": (v.dcf, (_series([10.0, 20.0, 30.0, 40.0]), np.full((4, 5), 0.1)), DCF_KW),
    "gordon_value": (v.gordon_value, (_series([1.0, 2.0, 3.0, 4.0]), np.full(4, 0.1), 0.02), {}),
    "implied_growth": (
        v.implied_growth,
        (_series([10.0, 20.0, 30.0, 40.0]), _series([10.0] * 4)),
        {"high_years": 3, "fade_years": 2, **DCF_KW},
    ),
    "pe_ratio": (
        v.pe_ratio,
        (_series([10.0, 20.0, 30.0, 40.0]), np.array([1.0, -1.0, 2.0, 0.0])),
        {},
    ),
    "ev_to_sales": (
        v.ev_to_sales,
        (_series([10.0, 20.0, 30.0, 40.0]), _series([1.0, 2.0, 3.0, 4.0])),
        {},
    ),
    "peg": (v.peg, (_series([10.0, 20.0, 30.0, 40.0]), _series([1.0, 0.0, 3.0, 4.0])), {}),
    "peer_regression": (
        v.peer_regression,
        (_series([10.0, 20.0, 31.0, 40.0]), _series([0.1, 0.2, 0.3, 0.4])),
        {},
    ),
    "simulate_value": (
        v.simulate_value,
        (_series([10.0, 20.0, 30.0, 40.0]),),
        {
            "price": _series([1.0, 2.0, 3.0, 4.0]),
            "shares": np.array([1.0, 2.0, 3.0, 4.0]),
            "growth": (np.array([0.1, 0.2, 0.3, 0.4]), 0.05),
            "margin": (0.2, 0.02),
            "discount_rate": (0.09, 0.01),
            "operating_margin": 0.1,
            "tax_rate": 0.2,
            "sales_to_capital": 2.0,
            "terminal_growth": 0.02,
            "high_years": 3,
            "fade_years": 2,
            "paths": 100,
            "seed": 0,
        },
    ),
    "target_hit_probability": (
        v.target_hit_probability,
        (_series([10.0, 20.0, 30.0, 40.0]), 25.0, 0.3, 1.0),
        {},
    ),
    "value_universe": (
        v.value_universe,
        (pd.DataFrame({"id": IDX, "price": [1.0, 2.0, np.nan, 4.0], "revenue": 10.0,
                       "shares": [1.0, 2.0, 3.0, 4.0], "growth_mean": [0.1, 0.2, 0.3, -2.0]}),),
        {"paths": 50, "seed": 0, "assumptions": {
            "net_cash": 0.0, "growth_sd": 0.05, "margin_mean": 0.2, "margin_sd": 0.02,
            "discount_rate_mean": 0.09, "discount_rate_sd": 0.01, "operating_margin": 0.1,
            "tax_rate": 0.2, "sales_to_capital": 2.0, "terminal_growth": 0.02}},
    ),
    "simple_returns": (v.simple_returns, (PRICES,), {}),
    "log_returns": (v.log_returns, (PRICES,), {}),
    "annualized_volatility": (v.annualized_volatility, (PRICES.pct_change(fill_method=None),), {}),
    "max_drawdown": (v.max_drawdown, (PRICES,), {}),
    "drawdown_from_high": (v.drawdown_from_high, (PRICES,), {}),
    "beta": (
        v.beta,
        (PRICES.pct_change(fill_method=None), PRICES["B"].pct_change(fill_method=None)),
        {},
    ),
    "sharpe_ratio": (v.sharpe_ratio, (RETURNS,), {"risk_free": 0.03}),
    "sortino_ratio": (v.sortino_ratio, (RETURNS,), {"required_return": 0.03}),
    "downside_deviation": (v.downside_deviation, (RETURNS,), {}),
    "value_at_risk": (v.value_at_risk, (RETURNS,), {"level": 0.9}),
    "expected_shortfall": (v.expected_shortfall, (RETURNS,), {"level": 0.9}),
    "calmar_ratio": (v.calmar_ratio, (RETURNS,), {}),
    "up_capture": (v.up_capture, (RETURNS, RETURNS["B"]), {}),
    "down_capture": (v.down_capture, (RETURNS, RETURNS["B"]), {}),
    "rolling_volatility": (v.rolling_volatility, (RETURNS, 3), {}),
    "rolling_beta": (v.rolling_beta, (RETURNS, RETURNS["B"], 3), {}),
    # the analytics (SYNTHETIC series below)
    "premium": (v.premium, (_series([80.0, 81.0, 82.0, 83.0]), _series([10.0] * 4),
                            _series([1.0] * 4)), {"units_a": 8.0}),
    "aligned_sessions": (v.aligned_sessions, (LINE_A, LINE_B, FX), {}),
    "premium_history": (v.premium_history, (LINE_A, LINE_B, FX),
                        {"units_a": 8.0, "units_b": 1.0, "window": 5}),
    "basket_returns": (v.basket_returns, (RETURNS,), {}),
    "relative_performance": (v.relative_performance, (SPHERE_Y, SPHERE_X), {}),
    "rolling_correlation": (v.rolling_correlation, (SPHERE_Y, SPHERE_X), {"window": 10}),
    "rolling_regression": (v.rolling_regression, (SPHERE_Y, SPHERE_X), {"window": 10}),
    "chow_test": (v.chow_test, (SPHERE_Y, SPHERE_X, SPHERE_X.index[30]), {}),
    "cusum_test": (v.cusum_test, (SPHERE_Y, SPHERE_X), {}),
    "score_targets": (v.score_targets, (TRACK_TARGETS, TRACK_PRICES),
                      {"asof": "2025-12-31", "horizon": "30d"}),
    "wilson_interval": (v.wilson_interval, (np.array([3, 0]), np.array([5, 4])), {}),
}


def _same(a, b):
    if isinstance(a, pd.DataFrame | pd.Series):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        else:
            pd.testing.assert_series_equal(a, b)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, tuple):
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b


def test_every_public_function_is_covered():
    functions = {n for n in v.__all__ if n[0].islower()}
    assert functions == set(CASES)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(CASES))
def test_inputs_not_mutated(name):
    func, args, kwargs = CASES[name]
    before = copy.deepcopy((args, kwargs))
    func(*args, **kwargs)
    _same(before, (args, kwargs))

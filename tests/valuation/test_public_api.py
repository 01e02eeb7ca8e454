"""Pin the public API and keep ``import valuation`` light."""

from __future__ import annotations

import json
import subprocess
import sys

import valuation

EXPECTED = [
    "BreakTest",
    "Consensus",
    "DCFResult",
    "GrowthRate",
    "ImpliedGrowth",
    "MultipleResult",
    "PeerRegression",
    "SimulationResult",
    "TrendGrowth",
    "aligned_sessions",
    "annualized_volatility",
    "basket_returns",
    "beta",
    "cagr",
    "calmar_ratio",
    "chow_test",
    "consensus",
    "cusum_test",
    "dcf",
    "down_capture",
    "downside_deviation",
    "drawdown_from_high",
    "ev_to_sales",
    "expected_shortfall",
    "fade_path",
    "gordon_value",
    "implied_growth",
    "implied_min_target",
    "log_returns",
    "max_drawdown",
    "pe_ratio",
    "peer_regression",
    "peg",
    "premium",
    "premium_history",
    "relative_performance",
    "rolling_beta",
    "rolling_correlation",
    "rolling_regression",
    "rolling_volatility",
    "score_targets",
    "sharpe_ratio",
    "simple_returns",
    "simulate_value",
    "sortino_ratio",
    "target_hit_probability",
    "trend_growth",
    "up_capture",
    "upside",
    "value_at_risk",
    "value_universe",
    "wilson_interval",
]


def test_all_is_pinned_and_sorted():
    assert valuation.__all__ == EXPECTED
    assert valuation.__all__ == sorted(valuation.__all__)
    for name in EXPECTED:
        assert hasattr(valuation, name)


def test_no_module_shadows_a_function():
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(valuation.__path__)}
    assert not modules & set(EXPECTED)


def test_import_is_light():
    code = (
        "import sys, json, valuation; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('statsmodels', 'scipy', 'matplotlib', 'yfinance', 'watchlists'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []

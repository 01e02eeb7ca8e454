"""Pure, vectorised valuation models (no I/O, no clock).

Every model takes numbers, numpy arrays (one element per company) or pandas
objects and returns the same kind with labels preserved.  Importing this
package does not import statsmodels, scipy or matplotlib; they are imported
inside the functions that need them, and the models themselves load on first use
(PEP 562): ``from valuation import dcf`` imports :mod:`valuation.intrinsic` only.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public names → the submodule that defines them. Submodules are imported on first
# use (PEP 562), so ``import valuation`` (and ``watchlists``, which needs a few models
# at import time) does not pay for every model; ``from valuation import dcf``,
# ``valuation.dcf``, ``dir(valuation)`` and ``help(valuation)`` work as before.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("aligned_sessions", "premium", "premium_history"), "cross_listing"),
    **dict.fromkeys(("GrowthRate", "TrendGrowth", "cagr", "fade_path", "trend_growth"),
                    "growth"),
    **dict.fromkeys(("DCFResult", "dcf", "gordon_value"), "intrinsic"),
    **dict.fromkeys(("MultipleResult", "PeerRegression", "ev_to_sales", "pe_ratio",
                     "peer_regression", "peg"), "multiples"),
    **dict.fromkeys(("calmar_ratio", "down_capture", "downside_deviation",
                     "expected_shortfall", "rolling_beta", "rolling_volatility",
                     "sharpe_ratio", "sortino_ratio", "up_capture", "value_at_risk"),
                    "performance"),
    **dict.fromkeys(("ImpliedGrowth", "implied_growth"), "reverse"),
    **dict.fromkeys(("annualized_volatility", "beta", "drawdown_from_high", "log_returns",
                     "max_drawdown", "simple_returns"), "risk"),
    **dict.fromkeys(("SimulationResult", "simulate_value", "target_hit_probability"),
                    "simulation"),
    **dict.fromkeys(("BreakTest", "basket_returns", "chow_test", "cusum_test",
                     "relative_performance", "rolling_correlation", "rolling_regression"),
                    "spheres"),
    **dict.fromkeys(("Consensus", "consensus", "implied_min_target", "upside"), "targets"),
    **dict.fromkeys(("score_targets", "wilson_interval"), "track_record"),
    "value_universe": "universe",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'valuation' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # static type checkers and IDEs see the real names
    from valuation.cross_listing import aligned_sessions, premium, premium_history
    from valuation.growth import GrowthRate, TrendGrowth, cagr, fade_path, trend_growth
    from valuation.intrinsic import DCFResult, dcf, gordon_value
    from valuation.multiples import (
        MultipleResult,
        PeerRegression,
        ev_to_sales,
        pe_ratio,
        peer_regression,
        peg,
    )
    from valuation.performance import (
        calmar_ratio,
        down_capture,
        downside_deviation,
        expected_shortfall,
        rolling_beta,
        rolling_volatility,
        sharpe_ratio,
        sortino_ratio,
        up_capture,
        value_at_risk,
    )
    from valuation.reverse import ImpliedGrowth, implied_growth
    from valuation.risk import (
        annualized_volatility,
        beta,
        drawdown_from_high,
        log_returns,
        max_drawdown,
        simple_returns,
    )
    from valuation.simulation import SimulationResult, simulate_value, target_hit_probability
    from valuation.spheres import (
        BreakTest,
        basket_returns,
        chow_test,
        cusum_test,
        relative_performance,
        rolling_correlation,
        rolling_regression,
    )
    from valuation.targets import Consensus, consensus, implied_min_target, upside
    from valuation.track_record import score_targets, wilson_interval
    from valuation.universe import value_universe

__all__ = [
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

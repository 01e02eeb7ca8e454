"""Pure, vectorised valuation models (no I/O, no clock).

Every model takes numbers, numpy arrays (one element per company) or pandas
objects and returns the same kind with labels preserved.  Importing this
package does not import statsmodels, scipy or matplotlib; they are imported
inside the functions that need them.
"""

from __future__ import annotations

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
from valuation.targets import Consensus, consensus, implied_min_target, upside

__all__ = [
    "Consensus",
    "DCFResult",
    "GrowthRate",
    "ImpliedGrowth",
    "MultipleResult",
    "PeerRegression",
    "SimulationResult",
    "TrendGrowth",
    "annualized_volatility",
    "beta",
    "cagr",
    "consensus",
    "dcf",
    "drawdown_from_high",
    "ev_to_sales",
    "fade_path",
    "gordon_value",
    "implied_growth",
    "implied_min_target",
    "log_returns",
    "max_drawdown",
    "pe_ratio",
    "peer_regression",
    "peg",
    "simple_returns",
    "simulate_value",
    "target_hit_probability",
    "trend_growth",
    "upside",
]

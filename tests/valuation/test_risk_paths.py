"""valuation.risk on a price path to zero and on badly ordered dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation import (
    annualized_volatility,
    beta,
    drawdown_from_high,
    log_returns,
    max_drawdown,
    simple_returns,
)

DATES = pd.date_range("2025-01-01", periods=5, freq="B")


def test_max_drawdown_of_a_path_to_zero_is_minus_one():
    to_zero = pd.Series([100.0, 60.0, 20.0, 0.0, 0.0], index=DATES)
    assert max_drawdown(to_zero) == -1.0
    assert drawdown_from_high(to_zero) == -1.0
    frame = pd.DataFrame({"BUST": to_zero, "OK": [10.0, 11.0, 9.9, 12.0, 12.0]}, index=DATES)
    md = max_drawdown(frame)
    assert md["BUST"] == -1.0 and md["OK"] == pytest.approx(9.9 / 11 - 1)


def test_returns_into_zero_are_minus_one_and_after_it_nan():
    p = pd.Series([100.0, 50.0, 0.0, 0.0, 3.0], index=DATES)
    r = simple_returns(p)
    assert r.iloc[:2].tolist() == [-0.5, -1.0]
    assert r.iloc[2:].isna().all()  # 0 -> 0 and 0 -> 3 are undefined, not 0 or inf
    with pytest.raises(ValueError, match=r"prices must be greater than 0, got 0"):
        log_returns(p)  # the log return to zero is -inf
    with pytest.raises(ValueError, match=r"prices must be at least 0, got -1"):
        simple_returns(pd.Series([1.0, -1.0]))


def test_drawdown_before_the_first_positive_price_is_undefined():
    p = pd.Series([0.0, 0.0, 100.0, 50.0], index=DATES[:4])
    assert max_drawdown(p) == -0.5


def test_statistics_accept_a_return_of_minus_one():
    r = pd.Series([0.1, -1.0, 0.05, 0.02], index=DATES[:4])
    assert annualized_volatility(r) == pytest.approx(r.std(ddof=1) * np.sqrt(252))
    b = pd.Series([0.05, -0.5, 0.02, 0.01], index=DATES[:4])
    assert beta(r, b).loc[0, "beta"] == pytest.approx(np.polyfit(b, r, 1)[0])
    with pytest.raises(ValueError, match=r"returns must be at least -1, got -1\.01"):
        annualized_volatility(pd.Series([0.1, -1.01]))


@pytest.mark.parametrize("func", [simple_returns, log_returns, max_drawdown, drawdown_from_high])
def test_row_order_functions_raise_on_unsorted_or_duplicate_dates(func):
    p = pd.Series([10.0, 11.0, 12.0, 9.0, 10.0], index=DATES)
    unsorted = "prices dates must be increasing, got 2025-01-03 00:00:00 after 2025-01-06"
    with pytest.raises(ValueError, match=unsorted):
        func(p.iloc[[0, 1, 3, 2, 4]])
    with pytest.raises(ValueError, match="prices dates must be increasing"):
        func(p.iloc[::-1].to_frame("X"))
    with pytest.raises(ValueError, match=r"prices has duplicate dates: \['2025-01-02"):
        func(p.iloc[[0, 1, 1, 2]])
    periods = p.copy()
    periods.index = DATES.to_period("D")
    func(periods)
    with pytest.raises(ValueError, match="prices dates must be increasing"):
        func(periods.iloc[::-1])
    positions = p.iloc[::-1].reset_index(drop=True)
    func(positions)  # a RangeIndex is taken in row order as given


def test_order_free_statistics_accept_any_order_but_not_duplicates():
    rng = np.random.default_rng(3)
    r = pd.Series(rng.normal(0, 0.01, 5), index=DATES)
    assert annualized_volatility(r.iloc[::-1]) == pytest.approx(annualized_volatility(r))
    with pytest.raises(ValueError, match="returns has duplicate dates"):
        annualized_volatility(r.iloc[[0, 1, 1, 2]])
    b = pd.Series(rng.normal(0, 0.01, 5), index=DATES)
    with pytest.raises(ValueError, match="benchmark_returns has duplicate dates"):
        beta(r, b.iloc[[0, 1, 1, 2, 3, 4]])

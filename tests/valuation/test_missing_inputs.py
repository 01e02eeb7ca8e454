"""NaN rule: a NaN for one company gives NaN there (with a reason), never a failed batch.

Each model gets a batch with one NaN company; the other companies must equal the
values computed without it (hand-computed, closed forms or numpy-financial).  A NaN
given as one number (it applies to every company) and finite bad values still raise.
Also: ``warning_table`` gives each warning's company label apart from its text.
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from scipy.stats import norm

import valuation as v

LABELS = ["688256.SS", "NVDA"]
NAN = np.nan


def _s(values, index=LABELS):
    return pd.Series(values, index=index, dtype=float)


# --- targets ----------------------------------------------------------------------------------


def test_upside_one_missing_price():
    out = v.upside(_s([1369.0, NAN]), _s([2052.0, 200.0]))
    assert list(out.index) == LABELS
    assert out["688256.SS"] == pytest.approx(2052.0 / 1369.0 - 1)
    assert np.isnan(out["NVDA"])
    np.testing.assert_allclose(v.upside(np.array([80.0, NAN]), 100.0), [0.25, NAN])


def test_implied_min_target_one_missing_reference_or_claim():
    np.testing.assert_allclose(v.implied_min_target([50.0, NAN], 0.3), [65.0, NAN])
    np.testing.assert_allclose(v.implied_min_target(50.0, [0.3, NAN]), [65.0, NAN])


def test_consensus_upside_with_a_missing_price():
    t = pd.DataFrame(
        {"broker": ["A"], "target": [120.0], "currency": "USD", "published": ["2025-01-01"]}
    )
    c = v.consensus(t)
    np.testing.assert_allclose(c.upside(np.array([100.0, NAN])), [0.2, NAN])


# --- intrinsic --------------------------------------------------------------------------------


def test_gordon_value_one_missing_company():
    # 1.68 / (0.12 - 0.08) = 42 (Brealey, Myers & Allen)
    np.testing.assert_allclose(v.gordon_value([1.68, NAN], 0.12, 0.08), [42.0, NAN])
    np.testing.assert_allclose(v.gordon_value(1.0, [0.10, NAN], 0.05), [20.0, NAN])
    out = v.gordon_value(1.0, 0.10, _s([0.05, NAN]))
    assert out["688256.SS"] == pytest.approx(20.0) and np.isnan(out["NVDA"])


def test_gordon_value_still_raises_on_bad_values_and_scalar_nan():
    with pytest.raises(ValueError, match=r"discount_rate 0.05 must exceed growth 0.06"):
        v.gordon_value([1.0, 1.0], [0.05, NAN], 0.06)
    with pytest.raises(ValueError, match="discount_rate must not be NaN"):
        v.gordon_value([1.0, 2.0], NAN, 0.02)


DCF = dict(
    operating_margin=0.2,
    tax_rate=0.0,
    sales_to_capital=2.0,
    discount_rate=0.10,
    terminal_growth=0.0,
)
# 17/1.1 + 18.7/1.21 + (24.2/0.1)/1.21 (the docstring example of dcf)
VPS = 17 / 1.1 + 18.7 / 1.21 + 242 / 1.21


def test_dcf_one_missing_revenue():
    res = v.dcf(_s([100.0, NAN]), [0.10, 0.10], **DCF)
    assert res.value_per_share["688256.SS"] == pytest.approx(VPS)
    assert res.value_per_share["688256.SS"] == pytest.approx(npf.npv(0.1, [0, 17, 18.7 + 242]))
    assert np.isnan(res.value_per_share["NVDA"]) and np.isnan(res.enterprise_value["NVDA"])
    table = res.table.set_index("company")
    # the figures that depend on revenue are NaN; the known inputs are shown
    assert table.loc["NVDA", ["revenue", "ebit_after_tax", "fcff", "pv"]].isna().all().all()
    np.testing.assert_allclose(table.loc["NVDA", "discount_factor"], [1 / 1.1, 1 / 1.21])
    np.testing.assert_allclose(table.loc["688256.SS", "fcff"], [17.0, 18.7])
    assert res.summary.loc["NVDA"].isna().all()
    assert res.warning_table.to_dict("records")[-1] == {
        "company": "NVDA",
        "message": "missing input: revenue is NaN; the figures that depend on it are NaN",
    }


def test_dcf_nan_in_one_row_of_a_growth_matrix():
    g = pd.DataFrame([[0.1, 0.1], [0.1, NAN]], index=LABELS)
    res = v.dcf(_s([100.0, 100.0]), g, **DCF)
    assert res.value_per_share["688256.SS"] == pytest.approx(VPS)
    assert np.isnan(res.value_per_share["NVDA"])
    assert "NVDA: missing input: growth is NaN" in " | ".join(res.warnings)
    with pytest.raises(ValueError, match="growth must not be NaN, got nan in year 2"):
        v.dcf(_s([100.0, 100.0]), [0.1, NAN], **DCF)  # a 1-d path applies to every company


def test_dcf_nan_net_cash_keeps_the_enterprise_value():
    res = v.dcf(np.array([100.0, 100.0]), [0.1, 0.1], net_cash=np.array([0.0, NAN]), **DCF)
    np.testing.assert_allclose(res.enterprise_value, [VPS, VPS])
    np.testing.assert_allclose(res.value_per_share, [VPS, NAN])
    second = res.warning_table[res.warning_table["company"] == 1]  # positions for arrays
    assert second["message"].iloc[0] == (
        "missing input: net_cash is NaN; the figures that depend on it are NaN"
    )


def test_dcf_nan_price_only_skips_the_price_guard_rail():
    res = v.dcf(np.array([100.0, 100.0]), [0.1, 0.1], price=np.array([1.0, NAN]), **DCF)
    np.testing.assert_allclose(res.value_per_share, [VPS, VPS])
    wt = res.warning_table
    assert any("over 10x the price" in m for m in wt["message"][wt["company"] == 0])
    assert not any("over 10x the price" in m for m in wt["message"][wt["company"] == 1])
    assert (
        "missing input: price is NaN; the value-over-price guard-rail is not checked"
        in wt["message"][wt["company"] == 1].tolist()
    )


def test_dcf_scalar_nan_and_finite_bad_values_still_raise():
    with pytest.raises(ValueError, match="discount_rate must not be NaN, got nan"):
        v.dcf(_s([100.0, 50.0]), [0.1], **{**DCF, "discount_rate": NAN})
    with pytest.raises(ValueError, match="shares must be greater than 0, got -1"):
        v.dcf(_s([100.0, NAN]), [0.1], shares=_s([-1.0, NAN]), **DCF)
    with pytest.raises(ValueError, match=r"discount_rate 0.05 must exceed terminal_growth 0.06"):
        v.dcf(
            np.array([100.0, 100.0]),
            [0.1],
            **{**DCF, "discount_rate": np.array([0.05, NAN]), "terminal_growth": 0.06},
        )
    with pytest.raises(TypeError, match="revenue must be numeric"):
        v.dcf(["100", "x"], [0.1], **DCF)


# --- growth -----------------------------------------------------------------------------------


def test_fade_path_one_missing_company():
    p = v.fade_path(np.array([0.30, NAN]), 0.03, 2, 3)
    np.testing.assert_allclose(p[0], [0.3, 0.3, 0.21, 0.12, 0.03])
    assert np.isnan(p[1]).all()
    p = v.fade_path(0.30, np.array([0.03, NAN]), 2, 3)
    np.testing.assert_allclose(p[0], [0.3, 0.3, 0.21, 0.12, 0.03])
    assert np.isnan(p[1]).all()


def test_cagr_one_missing_company_has_a_reason():
    g = v.cagr(
        _s([100.0, NAN, 100.0, NAN], list("abcd")), _s([121.0, 121.0, NAN, NAN], list("abcd")), 2
    )
    assert g.rate["a"] == pytest.approx(0.1)
    assert g.rate[["b", "c", "d"]].isna().all()
    assert g.reason.to_dict() == {
        "a": "",
        "b": "missing input: start",
        "c": "missing input: end",
        "d": "missing input: start, end",
    }
    y = v.cagr(100.0, 121.0, [2.0, NAN])
    assert y.rate[0] == pytest.approx(0.1) and y.reason[1] == "missing input: years"
    with pytest.raises(ValueError, match="start"):
        v.cagr(NAN, [2.0, 3.0], 1)  # one NaN start for every company


# --- multiples --------------------------------------------------------------------------------


def test_multiples_one_missing_company():
    pe = v.pe_ratio([100.0, NAN, 50.0, NAN], [4.0, 5.0, NAN, -1.0])
    np.testing.assert_allclose(pe.value, [25.0, NAN, NAN, NAN])
    assert list(pe.reason) == [
        "",
        "missing input: price",
        "missing input: eps",
        "missing input: price",  # missing comes before "eps <= 0"
    ]
    ev = v.ev_to_sales(_s([8.9e11, NAN]), _s([1e10, 1e10]))
    assert ev.value["688256.SS"] == pytest.approx(89.0) and np.isnan(ev.value["NVDA"])
    assert ev.reason["NVDA"] == "missing input: enterprise_value"
    p = v.peg(_s([30.0, 40.0]), _s([20.0, NAN]))
    assert p.value["688256.SS"] == pytest.approx(1.5)
    assert p.reason.tolist() == ["", "missing input: growth_pct"]
    assert list(p.table.columns) == ["peg", "reason"]
    with pytest.raises(ValueError, match="eps must not be NaN"):
        v.pe_ratio([10.0, 20.0], NAN)


@pytest.mark.filterwarnings("ignore:omni_normtest")
def test_peer_regression_predictions_with_a_missing_company():
    m = pd.Series([12.0, 15.5, 22.0, 29.0, 35.5], index=list("ABCDE"))
    g = pd.Series([0.05, 0.10, 0.20, 0.30, 0.40], index=list("ABCDE"))
    reg = v.peer_regression(m, g)
    slope, intercept = np.polyfit(g.to_numpy(), m.to_numpy(), 1)
    np.testing.assert_allclose(reg.predict([0.25, NAN]), [intercept + slope * 0.25, NAN])
    np.testing.assert_allclose(
        reg.implied_price(np.array([2.0, NAN]), growth=0.25),
        [2.0 * (intercept + slope * 0.25), NAN],
    )
    with pytest.raises(ValueError, match="multiple"):
        v.peer_regression(m.where(m > 20), g)  # a fit across peers: NaN is not dropped


# --- simulation -------------------------------------------------------------------------------

SIM = dict(
    shares=10.0,
    growth=(0.15, 0.05),
    margin=(0.25, 0.03),
    discount_rate=(0.09, 0.01),
    operating_margin=0.15,
    tax_rate=0.2,
    sales_to_capital=2.0,
    terminal_growth=0.02,
    high_years=5,
    fade_years=5,
    paths=500,
    seed=7,
)


def test_simulate_value_one_missing_company_leaves_the_others_unchanged():
    idx = ["688256.SS", "NVDA", "BABA"]
    full = v.simulate_value(_s([100.0, 200.0, 300.0], idx), price=20.0, **SIM)
    part = v.simulate_value(_s([100.0, NAN, 300.0], idx), price=20.0, **SIM)
    # one random stream per company: the complete companies get the same draws
    pd.testing.assert_frame_equal(part.table.drop(index="NVDA"), full.table.drop(index="NVDA"))
    assert part.table.loc["NVDA"].drop("price").isna().all()
    assert np.isnan(part.median["NVDA"]) and np.isnan(part.prob_above_price["NVDA"])
    assert part.percentiles.loc["NVDA"].isna().all()
    assert part.warning_table.to_dict("records") == [
        {
            "company": "NVDA",
            "message": "missing input: revenue is NaN; the figures that depend on it are NaN",
        }
    ]
    assert part.warnings == (
        "NVDA: missing input: revenue is NaN; the figures that depend on it are NaN",
    )


def test_simulate_value_missing_entry_of_a_mean_sd_pair():
    kw = {**SIM, "growth": (np.array([0.15, NAN]), 0.05)}
    res = v.simulate_value(np.array([100.0, 100.0]), price=20.0, **kw)
    assert np.isfinite(res.table.iloc[0]).all() and np.isnan(res.table["mean"].iloc[1])
    assert res.warning_table["message"].tolist() == [
        "missing input: growth_mean is NaN; the figures that depend on it are NaN"
    ]


def test_simulate_value_zero_sd_with_a_missing_price_matches_dcf():
    kw = {**SIM, "growth": (0.15, 0.0), "margin": (0.25, 0.0), "discount_rate": (0.09, 0.0)}
    res = v.simulate_value(np.array([100.0, 100.0]), price=np.array([20.0, NAN]), **kw)
    expected = v.dcf(
        100.0,
        v.fade_path(0.15, 0.02, 5, 5),
        operating_margin=0.15,
        target_margin=0.25,
        tax_rate=0.2,
        sales_to_capital=2.0,
        discount_rate=0.09,
        terminal_growth=0.02,
        shares=10.0,
    ).value_per_share
    np.testing.assert_allclose(res.percentiles.to_numpy(), expected, rtol=1e-12)
    assert res.prob_above_price[0] == (1.0 if expected > 20 else 0.0)
    assert np.isnan(res.prob_above_price[1])
    assert res.warning_table["message"].tolist() == [
        "missing input: price is NaN; prob_above_price is NaN"
    ]


def test_simulate_value_scalar_nan_raises():
    with pytest.raises(ValueError, match="growth_mean must not be NaN"):
        v.simulate_value(np.array([100.0, 200.0]), price=20.0, **{**SIM, "growth": (NAN, 0.05)})


def test_target_hit_probability_one_missing_company():
    exact = 2 * (1 - norm.cdf(np.log(1.3) / (0.4 * np.sqrt(0.5))))
    out = v.target_hit_probability(_s([100.0, NAN]), 130.0, 0.4, 0.5)
    assert out["688256.SS"] == pytest.approx(exact) and np.isnan(out["NVDA"])
    # a NaN volatility is NaN even where target == price (no special case for missing data)
    np.testing.assert_allclose(
        v.target_hit_probability(100.0, [130.0, 100.0], [0.4, NAN], 0.5), [exact, NAN]
    )
    with pytest.raises(ValueError, match="volatility must not be NaN"):
        v.target_hit_probability([1.0, 2.0], 2.0, NAN, 1.0)


# --- reverse DCF ------------------------------------------------------------------------------

IG = dict(
    operating_margin=0.1,
    target_margin=0.3,
    tax_rate=0.2,
    sales_to_capital=1.5,
    discount_rate=0.1,
    terminal_growth=0.03,
    shares=10.0,
    net_cash=50.0,
)


def _price(g, **kw):
    kw = {**IG, **kw}
    return float(v.dcf(100.0, v.fade_path(g, kw["terminal_growth"], 5, 5), **kw).value_per_share)


def test_implied_growth_one_missing_company():
    res = v.implied_growth(
        _s([_price(0.4), NAN]), _s([100.0, 100.0]), high_years=5, fade_years=5, **IG
    )
    assert res.growth["688256.SS"] == pytest.approx(0.4, abs=1e-10)
    assert np.isnan(res.growth["NVDA"])
    assert res.status.to_dict() == {"688256.SS": "ok", "NVDA": "missing input: price"}
    assert res.ok.tolist() == [True, False]
    assert res.table.loc["NVDA", ["growth", "value_at_low", "value_at_high"]].isna().all()
    assert res.warning_table.to_dict("records") == [
        {"company": "NVDA", "message": "missing input: price is NaN; the implied growth is NaN"}
    ]
    two = v.implied_growth(
        np.array([_price(0.4), NAN]), np.array([NAN, NAN]), high_years=5, fade_years=5, **IG
    )
    assert two.status.tolist() == ["missing input: revenue", "missing input: price, revenue"]
    assert two.warning_table["company"].tolist() == [0, 1]
    assert two.warning_table["message"].tolist()[1] == (
        "missing input: price, revenue are NaN; the implied growth is NaN"
    )


def test_implied_growth_all_missing_and_scalar_nan():
    res = v.implied_growth(np.array([NAN, NAN]), 100.0, high_years=5, fade_years=5, **IG)
    assert np.isnan(res.growth).all() and len(res.warnings) == 2
    with pytest.raises(ValueError, match="discount_rate must not be NaN"):
        v.implied_growth(
            np.array([10.0, 20.0]), 100.0, high_years=5, fade_years=5,
            **{**IG, "discount_rate": NAN},
        )  # fmt: skip
    with pytest.raises(ValueError, match="price must be greater than 0, got -5"):
        v.implied_growth(np.array([-5.0, NAN]), 100.0, high_years=5, fade_years=5, **IG)


# --- labelled warnings ------------------------------------------------------------------------


def _check_table(warnings, table):
    assert list(table.columns) == ["company", "message"]
    assert len(table) == len(warnings)
    for text, (company, message) in zip(warnings, table.itertuples(index=False), strict=True):
        assert text == (message if company is None else f"{company}: {message}")
        assert not str(message).startswith(f"{company}:")


def test_dcf_warning_table_with_labelled_series():
    res = v.dcf(
        _s([100.0, 100.0]),
        v.fade_path(0.1, 0.04, 2, 2),
        operating_margin=0.2,
        tax_rate=0.2,
        sales_to_capital=3.0,
        discount_rate=0.06,
        terminal_growth=0.04,
        terminal_roic=np.inf,
        net_cash=_s([0.0, -1e6]),
        price=_s([1.0, 1e6]),
    )
    _check_table(res.warnings, res.warning_table)
    assert res.warning_table["company"].tolist() == ["688256.SS", "688256.SS", "NVDA", "NVDA"]
    messages = res.warning_table["message"].tolist()
    assert messages[0].startswith("terminal value is ") and "of enterprise value" in messages[0]
    assert messages[1].startswith("value per share ") and "10x the price 1" in messages[1]
    assert messages[2].startswith("terminal value is ")
    assert messages[3].startswith("negative equity value")
    assert res.warnings[3].startswith("NVDA: negative equity value")


def test_dcf_warning_table_scalar_and_empty():
    res = v.dcf(
        100.0, [0.1, 0.1], operating_margin=0.2, tax_rate=0.2, sales_to_capital=3.0,
        discount_rate=0.06, terminal_growth=0.04, terminal_roic=np.inf,
    )  # fmt: skip
    _check_table(res.warnings, res.warning_table)
    assert res.warning_table["company"].tolist() == [None]
    assert res.warnings[0].startswith("terminal value is")
    quiet = v.dcf(
        100.0, [0.0] * 30, operating_margin=0.2, tax_rate=0.2, sales_to_capital=3.0,
        discount_rate=0.2, terminal_growth=0.0,
    )  # fmt: skip
    assert quiet.warnings == () and quiet.warning_table.empty
    assert list(quiet.warning_table.columns) == ["company", "message"]


def test_implied_growth_warning_table_with_labelled_series():
    # NVDA's value peaks between two grid points and crosses the price twice (see
    # test_reverse.test_hump_between_grid_points_is_found); 688256.SS has no price
    kw = dict(
        operating_margin=0.25,
        target_margin=0.05078125,
        tax_rate=0.2,
        sales_to_capital=1.75,
        discount_rate=0.109375,
        terminal_growth=0.02,
        shares=3.0,
        net_cash=0.0,
    )
    price = float(v.dcf(100.0, v.fade_path(0.0, 0.02, 3, 2), **kw).value_per_share)
    res = v.implied_growth(_s([NAN, price]), 100.0, high_years=3, fade_years=2, **kw)
    _check_table(res.warnings, res.warning_table)
    assert res.warning_table.to_dict("records") == [
        {
            "company": "688256.SS",
            "message": "missing input: price is NaN; the implied growth is NaN",
        },
        {
            "company": "NVDA",
            "message": "value crosses the price more than once in the bracket; the lowest "
            "implied growth is reported",
        },
    ]
    scalar = v.implied_growth(price, 100.0, high_years=3, fade_years=2, **kw)
    _check_table(scalar.warnings, scalar.warning_table)
    assert scalar.warning_table["company"].tolist() == [None]


def test_simulation_warning_table_with_labelled_series():
    kw = {**SIM, "discount_rate": (0.03, 0.02)}
    res = v.simulate_value(_s([100.0, 200.0]), price=20.0, **kw)
    _check_table(res.warnings, res.warning_table)
    assert res.warning_table["company"].tolist() == LABELS
    assert all("clipped at terminal_growth + 0.01" in m for m in res.warning_table["message"])

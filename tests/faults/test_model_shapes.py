"""Fault table: models refuse wrong input instead of returning a wrong number.

Issue 15, "models that refuse wrong input".  Each class is tested across the
models that share the rule (it lives in ``valuation/_checks.py``):

* one element per company means 1-d: a 2-d input raises instead of
  broadcasting ``(n,)`` against ``(n, 1)`` into an n x n matrix;
* prices and other model inputs are numbers (integer or float dtypes): bools,
  strings, complex numbers, datetimes and timedeltas raise, naming the input;
  pandas' nullable ``Float64``/``Int64`` NA is NaN (missing for that company);
* ``consensus`` counts rows without a broker and refuses targets of unknown
  currency; bad dates raise naming ``published`` / ``asof``;
* a finite input that overflows gives NaN (with a reason where the result has
  one), never ``inf``;
* a label mismatch between two long Series raises naming the label.
"""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pytest

import valuation as v

DCF = dict(
    operating_margin=0.2,
    tax_rate=0.2,
    sales_to_capital=2.0,
    discount_rate=0.1,
    terminal_growth=0.02,
)

COLUMN = np.array([[10.0], [20.0], [30.0]])  # (3, 1): one company per row, 2-d
ROW = np.array([10.0, 20.0, 30.0])  # (3,)

# (name, call(value of the parameter under test), parameter name)
PER_COMPANY = [
    ("upside price", lambda x: v.upside(x, ROW), "price"),
    ("upside target", lambda x: v.upside(ROW, x), "target"),
    ("implied_min_target reference", lambda x: v.implied_min_target(x, 0.2), "reference"),
    ("implied_min_target min_upside", lambda x: v.implied_min_target(ROW, x), "min_upside"),
    ("hit price", lambda x: v.target_hit_probability(x, ROW, 0.3, 1.0), "price"),
    ("hit target", lambda x: v.target_hit_probability(ROW, x, 0.3, 1.0), "target"),
    ("hit volatility", lambda x: v.target_hit_probability(ROW, 20.0, x, 1.0), "volatility"),
    ("hit horizon", lambda x: v.target_hit_probability(ROW, 20.0, 0.3, x), "horizon_years"),
    ("pe_ratio price", lambda x: v.pe_ratio(x, 2.0), "price"),
    ("pe_ratio eps", lambda x: v.pe_ratio(ROW, x), "eps"),
    ("gordon_value", lambda x: v.gordon_value(x, 0.1, 0.02), "cash_flow_next"),
    ("dcf revenue", lambda x: v.dcf(x, [0.1, 0.1], **DCF), "revenue"),
    ("dcf shares", lambda x: v.dcf(100.0, [0.1, 0.1], shares=x, **DCF), "shares"),
]


# --- one element per company means 1-d ------------------------------------------------


@pytest.mark.parametrize(
    "call,param", [(c, p) for _, c, p in PER_COMPANY], ids=[n for n, _, _ in PER_COMPANY]
)
def test_2d_per_company_input_raises_naming_it(call, param):
    with pytest.raises(ValueError, match=rf"{param} must be .*1-d.*\(3, 1\)"):
        call(COLUMN)


def test_column_against_row_is_not_an_outer_product():
    # HEAD returned a 3x3 matrix of every price against every target
    for call in (
        lambda: v.upside(ROW, ROW[:, None]),
        lambda: v.implied_min_target(ROW[:, None], np.array([0.1, 0.2, 0.3])),
        lambda: v.target_hit_probability(ROW, ROW[:, None], 0.3, 1.0),
    ):
        with pytest.raises(ValueError, match=r"\(3, 1\)"):
            call()


def test_1d_and_series_still_work():
    np.testing.assert_allclose(v.upside(ROW, 2 * ROW), [1.0, 1.0, 1.0])
    s = v.upside(pd.Series(ROW, index=list("abc")), pd.Series(2 * ROW, index=list("cba")))
    assert s.to_dict() == pytest.approx({"a": 5.0, "b": 1.0, "c": -1 / 3})


def test_dcf_growth_matrix_is_a_legitimate_2d_input():
    g = np.array([[0.1, 0.1], [0.2, 0.2], [0.0, 0.0]])
    res = v.dcf(ROW, g, **DCF)
    assert np.shape(res.value_per_share) == (3,)
    one = v.dcf(ROW[1], g[1], **DCF)
    assert res.value_per_share[1] == pytest.approx(float(one.value_per_share))


# --- numbers only ---------------------------------------------------------------------

BAD_DTYPES = {
    "strings": np.array(["10", "20", "30"]),
    "bytes": np.array([b"10", b"20", b"30"]),
    "bools": np.array([True, True, True]),
    "bool list": [True, True, True],
    "complex": np.array([10 + 0j, 20 + 0j, 30 + 1j]),
    "datetime64": np.array(["2025-01-01", "2025-01-02", "2025-01-03"], dtype="datetime64[ns]"),
    "timedelta64": np.array([1, 2, 3], dtype="timedelta64[D]"),
    "object strings": np.array(["10", "20", "30"], dtype=object),
    "object bools": np.array([True, False, True], dtype=object),
    "object datetimes": np.array([pd.Timestamp("2025-01-01")] * 3, dtype=object),
    "object complex": np.array([1j, 2j, 3j], dtype=object),
    "Series of bool": pd.Series([True, True, True]),
    "Series boolean": pd.Series([True, None, True], dtype="boolean"),
    "Series string": pd.Series(["10", "20", "30"], dtype="string"),
    "Series datetime": pd.Series(pd.to_datetime(["2025-01-01"] * 3)),
    "Series tz datetime": pd.Series(pd.to_datetime(["2025-01-01"] * 3).tz_localize("UTC")),
    "Series timedelta": pd.Series(pd.to_timedelta([1, 2, 3], unit="D")),
    "Series category": pd.Series([10.0, 20.0, 30.0], dtype="category"),
    "datetime scalar": np.datetime64("2025-01-01"),
    "Timestamp scalar": pd.Timestamp("2025-01-01"),
    "timedelta scalar": pd.Timedelta(days=1),
    "complex scalar": 10 + 1j,
    "numpy complex scalar": np.complex128(10),
}


@pytest.mark.parametrize("bad", list(BAD_DTYPES.values()), ids=list(BAD_DTYPES))
@pytest.mark.parametrize(
    "call,param", [(c, p) for _, c, p in PER_COMPANY], ids=[n for n, _, _ in PER_COMPANY]
)
def test_non_numeric_input_raises_type_error_naming_it(call, param, bad):
    with pytest.raises(TypeError, match=rf"{param} must be numeric"):
        call(bad)


def test_datetime_price_is_not_an_upside_of_minus_100_percent():
    prices = np.array(["2025-01-01"], dtype="datetime64[ns]")
    with pytest.raises(TypeError, match=r"price must be numeric .*datetime64"):
        v.upside(prices, 100.0)


@pytest.mark.parametrize(
    "good",
    [
        np.array([10, 20, 30]),
        np.array([10, 20, 30], dtype=np.uint8),
        np.array([10.0, 20.0, 30.0], dtype=np.float32),
        [10, 20.0, np.float64(30)],
        np.array([10, 20.0, decimal.Decimal(30)], dtype=object),
        pd.Series([10, 20, 30], dtype="Int64"),
        pd.Series([10.0, 20.0, 30.0], dtype="Float64"),
    ],
    ids=["int", "uint8", "float32", "list", "object numbers", "Int64", "Float64"],
)
def test_numeric_dtypes_are_accepted(good):
    out = v.upside(good, 20.0)
    np.testing.assert_allclose(np.asarray(out, dtype=float), [1.0, 0.0, -1 / 3])


@pytest.mark.parametrize("dtype", ["Float64", "Int64"])
def test_nullable_na_is_missing_for_that_company(dtype):
    price = pd.Series([10, None, 40], index=["A", "B", "C"], dtype=dtype)
    out = v.upside(price, 20.0)
    assert out.dtype == float
    assert out["A"] == pytest.approx(1.0) and np.isnan(out["B"]) and out["C"] == pytest.approx(-0.5)
    pe = v.pe_ratio(price, 2.0)
    assert np.isnan(pe.value["B"]) and pe.reason["B"] == "missing input: price"
    res = v.dcf(price, [0.1, 0.1], **DCF)
    assert np.isnan(res.value_per_share["B"]) and not np.isnan(res.value_per_share["A"])


def test_object_array_with_none_is_missing_for_that_company():
    out = v.upside(np.array([10.0, None, pd.NA], dtype=object), 20.0)
    assert out[0] == pytest.approx(1.0) and np.isnan(out[1:]).all()


# --- consensus: no broker, unknown currency, dates ------------------------------------


def _targets(**cols) -> pd.DataFrame:
    base = {
        "broker": ["A", "B", "C"],
        "target": [100.0, 110.0, 120.0],
        "currency": ["USD", "USD", "USD"],
        "published": pd.to_datetime(["2025-05-01", "2025-05-02", "2025-05-03"]),
    }
    base.update(cols)
    return pd.DataFrame(base, index=["r0", "r1", "r2"])


@pytest.mark.parametrize("missing", [None, np.nan, "", "  "], ids=["None", "nan", "empty", "blank"])
def test_consensus_counts_rows_without_a_broker(missing):
    c = v.consensus(_targets(broker=["A", missing, missing]), asof="2025-06-01")
    assert c.count == 1 and c.mean == 100.0
    assert c.excluded == 2
    assert c.rows["consensus_status"].tolist() == ["used", "no broker", "no broker"]
    assert any("without a broker" in w for w in c.warnings)
    assert c.count + c.excluded + c.stale + c.undated == len(c.rows)


@pytest.mark.parametrize("missing", [None, np.nan, ""], ids=["None", "nan", "empty"])
def test_consensus_refuses_a_target_of_unknown_currency(missing):
    t = _targets(currency=["USD", missing, "USD"], target=[100.0, 10_000.0, 120.0])
    c = v.consensus(t, asof="2025-06-01")
    assert c.currency == "USD"
    assert c.mean == 110.0 and c.count == 2  # the 10,000 of unknown currency is not averaged in
    assert c.excluded == 1
    assert c.rows.loc["r1", "consensus_status"] == "unknown currency"
    assert any("without a currency" in w for w in c.warnings)


def test_consensus_without_any_currency_is_unchanged():
    c = v.consensus(_targets(currency=[None, None, None]), asof="2025-06-01")
    assert c.currency is None and c.count == 3 and c.excluded == 0


def test_consensus_mixed_known_currencies_still_raise():
    with pytest.raises(ValueError, match="EUR and USD"):
        v.consensus(_targets(currency=["USD", "EUR", None]), asof="2025-06-01")


def test_consensus_statuses_are_documented():
    from valuation.targets import CONSENSUS_STATUSES

    t = _targets(broker=["A", None, "C"], currency=["USD", "USD", None])
    assert set(v.consensus(t).rows["consensus_status"]) <= set(CONSENSUS_STATUSES)


@pytest.mark.parametrize(
    "published,asof",
    [
        (pd.to_datetime(["2025-05-01"] * 3).tz_localize("UTC"), "2025-06-01"),
        (pd.to_datetime(["2025-05-01"] * 3), pd.Timestamp("2025-06-01", tz="UTC")),
    ],
    ids=["aware published, naive asof", "naive published, aware asof"],
)
def test_consensus_tz_aware_vs_naive_names_both(published, asof):
    with pytest.raises(ValueError, match=r"published dates are .* asof .*time zone"):
        v.consensus(_targets(published=published), asof=asof)


def test_consensus_both_tz_aware_works():
    pub = pd.to_datetime(["2025-05-01"] * 3).tz_localize("UTC")
    c = v.consensus(_targets(published=pub), asof=pd.Timestamp("2025-06-01", tz="UTC"))
    assert c.count == 3


def test_consensus_unparseable_published_names_the_value():
    with pytest.raises(ValueError, match=r"published must hold dates, got 'soon' \(at 'r1'\)"):
        v.consensus(_targets(published=["2025-05-01", "soon", "2025-05-03"]))


def test_consensus_mixed_tz_published_names_published():
    pub = [pd.Timestamp("2025-05-01", tz="UTC"), pd.Timestamp("2025-05-02"), None]
    with pytest.raises(ValueError, match="published cannot be read as dates"):
        v.consensus(_targets(published=pub))


@pytest.mark.parametrize(
    "asof,exc", [("not a date", ValueError), ("2025-02-30", ValueError), (object(), TypeError)]
)
def test_consensus_bad_asof_names_asof(asof, exc):
    with pytest.raises(exc, match="asof must be a date"):
        v.consensus(_targets(), asof=asof)


# --- a finite input never gives a silent inf ------------------------------------------


def test_upside_of_a_tiny_price_is_nan_not_inf():
    assert np.isnan(v.upside(1e-320, 100.0))
    out = v.upside(np.array([1e-320, 50.0]), 100.0)
    assert np.isnan(out[0]) and out[1] == pytest.approx(1.0)


def test_implied_min_target_overflow_is_nan():
    assert np.isnan(v.implied_min_target(1e308, 1.0))


def test_pe_of_a_tiny_eps_is_nan_with_a_reason():
    r = v.pe_ratio(10.0, 1e-320)
    assert np.isnan(r.value) and "not finite" in r.reason
    arr = v.pe_ratio(10.0, pd.Series([1e-320, 2.0], index=["A", "B"]))
    assert np.isnan(arr.value["A"]) and "not finite" in arr.reason["A"]
    assert arr.value["B"] == 5.0 and arr.reason["B"] == ""


def test_ev_to_sales_and_peg_overflow_are_nan_with_a_reason():
    for r in (v.ev_to_sales(1e308, 1e-10), v.peg(1e308, 1e-10)):
        assert np.isnan(r.value) and "not finite" in r.reason


def test_dcf_with_a_tiny_share_count_is_nan_with_a_warning():
    res = v.dcf(100.0, [0.1, 0.1], shares=1e-320, **DCF)
    assert np.isnan(res.value_per_share)
    assert any("not finite" in w for w in res.warnings)


# --- error paths are O(n) -------------------------------------------------------------


def test_one_label_mismatch_between_long_series_raises_naming_it():
    n = 16_000
    a = pd.Series(np.full(n, 10.0), index=[f"T{i}" for i in range(n)])
    b = pd.Series(np.full(n, 12.0), index=[f"T{i}" for i in range(n - 1)] + ["ODD"])
    with pytest.raises(ValueError, match=r"only in price: \['T15999'\], only in target: \['ODD'\]"):
        v.upside(a, b)

"""value_universe: one row per company, the same numbers however the universe is cut."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import valuation.universe as universe
from valuation import dcf, fade_path, implied_growth, simulate_value, value_universe
from valuation.universe import INPUT_COLUMNS, OUTPUT_COLUMNS

PATHS = 400
SEED = 2026


def synthetic(n: int, seed: int = 5) -> pd.DataFrame:
    """SYNTHETIC companies (made-up numbers) with every documented input column."""
    rng = np.random.default_rng(seed)
    revenue = np.exp(rng.uniform(np.log(50.0), np.log(5000.0), n))
    shares = revenue / rng.uniform(5.0, 50.0, n)
    margin = rng.uniform(0.05, 0.35, n)
    return pd.DataFrame(
        {
            "id": [f"SYN{i:04d}" for i in range(n)],
            "price": revenue / shares * rng.uniform(0.5, 8.0, n),
            "revenue": revenue,
            "shares": shares,
            "net_cash": revenue * rng.uniform(-0.5, 0.5, n),
            "growth_mean": rng.uniform(-0.05, 0.40, n),
            "growth_sd": rng.uniform(0.02, 0.15, n),
            "margin_mean": margin,
            "margin_sd": rng.uniform(0.01, 0.06, n),
            "discount_rate_mean": rng.uniform(0.07, 0.12, n),
            "discount_rate_sd": rng.uniform(0.005, 0.02, n),
            "operating_margin": margin - rng.uniform(-0.05, 0.10, n),
            "tax_rate": rng.choice([0.15, 0.21, 0.25], n),
            "sales_to_capital": rng.uniform(0.8, 3.0, n),
            "terminal_growth": rng.uniform(0.015, 0.03, n),
        }
    )


def with_bad_rows(table: pd.DataFrame) -> pd.DataFrame:
    """A copy with a missing price, a negative revenue and a discount rate below growth."""
    out = table.copy()
    out.loc[3, "price"] = np.nan
    out.loc[5, "revenue"] = -1.0
    out.loc[8, "discount_rate_mean"] = 0.01
    out.loc[11, "growth_sd"] = np.nan
    return out


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return with_bad_rows(synthetic(40))


@pytest.fixture(scope="module")
def reference(table) -> pd.DataFrame:
    return value_universe(table, paths=PATHS, seed=SEED, chunk_size=len(table))


def test_one_row_per_company_in_input_order(table, reference):
    assert list(reference.columns) == list(OUTPUT_COLUMNS)
    assert list(reference.index) == list(table["id"]) and reference.index.name == "id"
    assert (reference["status"] == "ok").sum() == len(table) - 4


@pytest.mark.parametrize("chunk_size", [1, 7, None])
def test_chunk_size_never_changes_a_number(table, reference, chunk_size):
    out = value_universe(table, paths=PATHS, seed=SEED, chunk_size=chunk_size)
    pd.testing.assert_frame_equal(out, reference, check_exact=True)


def test_row_order_never_changes_a_number(table, reference):
    shuffled = table.sample(frac=1.0, random_state=np.random.default_rng(1))
    out = value_universe(shuffled, paths=PATHS, seed=SEED, chunk_size=9)
    assert list(out.index) == list(shuffled["id"])  # rows come back in the input's order
    pd.testing.assert_frame_equal(out.loc[reference.index], reference, check_exact=True)


def test_other_companies_never_change_a_number(table, reference):
    alone = value_universe(table.iloc[[17]], paths=PATHS, seed=SEED)
    pd.testing.assert_frame_equal(alone, reference.iloc[[17]], check_exact=True)


def test_seed_changes_the_draws(table, reference):
    other = value_universe(table, paths=PATHS, seed=SEED + 1)
    assert not np.allclose(other["value_p50"], reference["value_p50"], equal_nan=True)
    pd.testing.assert_series_equal(other["dcf_value_per_share"], reference["dcf_value_per_share"])


def _stream(seed: int, company: str) -> np.random.SeedSequence:
    """The documented per-company stream, written out independently of the module."""
    key = hashlib.blake2b(company.encode("utf-8"), digest_size=16, person=b"value_universe")
    return np.random.SeedSequence(seed, spawn_key=(int.from_bytes(key.digest(), "big"),))


def test_the_stream_hash_is_pinned():
    # a golden value: blake2b does not depend on PYTHONHASHSEED, the platform or the run
    key = 0x61126A8A38FCD55634AF7E7DBD4CFF02
    assert _stream(0, "SYN0001").spawn_key == (key,)
    (seq,) = universe._company_seeds(7, pd.Index(["SYN0001"]))
    assert seq.spawn_key == (key,) and seq.entropy == 7


def test_each_model_matches_a_direct_call(table, reference):
    row = table.iloc[2]
    company = row["id"]
    kw = {
        "operating_margin": row["operating_margin"], "target_margin": row["margin_mean"],
        "tax_rate": row["tax_rate"], "sales_to_capital": row["sales_to_capital"],
        "discount_rate": row["discount_rate_mean"], "terminal_growth": row["terminal_growth"],
        "net_cash": row["net_cash"], "shares": row["shares"],
    }  # fmt: skip
    sim = simulate_value(
        row["revenue"], price=row["price"], shares=row["shares"],
        growth=(row["growth_mean"], row["growth_sd"]),
        margin=(row["margin_mean"], row["margin_sd"]),
        discount_rate=(row["discount_rate_mean"], row["discount_rate_sd"]),
        operating_margin=row["operating_margin"], tax_rate=row["tax_rate"],
        sales_to_capital=row["sales_to_capital"], terminal_growth=row["terminal_growth"],
        net_cash=row["net_cash"], high_years=5, fade_years=5, paths=PATHS,
        seed=[_stream(SEED, company)],
    )  # fmt: skip
    got = reference.loc[company]
    expected_values = [*sim.percentiles.tolist(), float(sim.table["mean"].iloc[0])]
    assert got[list(universe.VALUE_COLUMNS)].tolist() == expected_values
    assert got["prob_above_price"] == float(sim.prob_above_price)
    path = fade_path(row["growth_mean"], row["terminal_growth"], 5, 5)
    value = dcf(row["revenue"], path, **kw, price=row["price"])
    assert got["dcf_value_per_share"] == pytest.approx(float(value.value_per_share), rel=1e-12)
    assert got["terminal_share"] == pytest.approx(float(value.terminal_share), rel=1e-12)
    solved = implied_growth(row["price"], row["revenue"], high_years=5, fade_years=5, **kw)
    assert got["implied_growth"] == pytest.approx(float(solved.growth), abs=1e-10)
    assert got["implied_growth_status"] == solved.status


def test_numbers_do_not_depend_on_pythonhashseed(table, reference, tmp_path):
    small = table.iloc[:6]
    small.to_csv(tmp_path / "t.csv", index=False)
    numbers = list(OUTPUT_COLUMNS[:13])
    code = (
        "import json, pandas as pd, valuation; "
        f"t = pd.read_csv({str(tmp_path / 't.csv')!r}, dtype={{'id': str}}); "
        f"out = valuation.value_universe(t, paths={PATHS}, seed={SEED}); "
        f"print(json.dumps([list(out.index), out[{numbers!r}].to_numpy().tolist()]))"
    )
    for hashseed in ("0", "12345"):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={"PYTHONHASHSEED": hashseed}, check=True, timeout=120)
        ids, values = json.loads(proc.stdout)  # floats round-trip exactly through repr
        assert ids == list(small["id"])
        np.testing.assert_array_equal(values, reference[numbers].iloc[:6].to_numpy())


def test_statuses_of_bad_companies(reference):
    status = reference["status"]
    assert status["SYN0003"] == "missing input: price"
    assert status["SYN0005"] == "invalid input: revenue must be greater than 0, got -1"
    assert status["SYN0008"] == (
        "invalid input: discount_rate_mean 0.01 must exceed terminal_growth 0.0193947"
    )
    assert status["SYN0011"] == "missing input: growth_sd"
    no_price = reference.loc["SYN0003"]
    assert np.isfinite(no_price["value_p50"]) and np.isfinite(no_price["dcf_value_per_share"])
    assert np.isnan(no_price["prob_above_price"]) and np.isnan(no_price["implied_growth"])
    assert "prob_above_price is NaN" in no_price["warnings"]
    bad = reference.loc["SYN0005"]
    assert bad[list(OUTPUT_COLUMNS[1:13])].isna().all()
    assert bad["implied_growth_status"] == bad["status"]
    assert reference.loc["SYN0011", list(universe.VALUE_COLUMNS)].isna().all()
    assert np.isfinite(reference.loc["SYN0011", "dcf_value_per_share"])


def test_a_model_error_is_one_company_status(table, reference, monkeypatch):
    real = universe.simulate_value

    def fails_for_one(revenue, **kw):
        if "SYN0020" in revenue.index:
            raise ValueError("synthetic failure")
        return real(revenue, **kw)

    monkeypatch.setattr(universe, "simulate_value", fails_for_one)
    out = value_universe(table, paths=PATHS, seed=SEED, chunk_size=8)
    assert out.loc["SYN0020", "status"] == "error: ValueError: synthetic failure"
    assert out.loc["SYN0020", list(universe.VALUE_COLUMNS)].isna().all()
    others = out.index != "SYN0020"
    pd.testing.assert_frame_equal(out[others], reference[others], check_exact=True)


def test_assumptions_equal_constant_columns(table):
    shared = {"tax_rate": 0.21, "terminal_growth": 0.025, "net_cash": 0.0}
    as_columns = table.assign(**shared)
    as_assumptions = table.drop(columns=list(shared))
    a = value_universe(as_columns, paths=PATHS, seed=SEED)
    b = value_universe(as_assumptions, paths=PATHS, seed=SEED, assumptions=shared)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_terminal_roic_column_is_used(table):
    good = table.iloc[:4].copy()
    base = value_universe(good, paths=PATHS, seed=SEED)
    roic = value_universe(good.assign(terminal_roic=np.inf), paths=PATHS, seed=SEED)
    assert (roic["dcf_value_per_share"] > base["dcf_value_per_share"]).iloc[[0, 1, 2]].all()


def test_id_from_index_and_numbers_keyed_on_str_id(reference, table):
    indexed = table.set_index("id")
    pd.testing.assert_frame_equal(value_universe(indexed, paths=PATHS, seed=SEED), reference)
    numbered = table.iloc[:3].assign(id=[1, 2, 3])
    texted = table.iloc[:3].assign(id=["1", "2", "3"])
    pd.testing.assert_frame_equal(value_universe(numbered, paths=PATHS, seed=SEED),
                                  value_universe(texted, paths=PATHS, seed=SEED))


def test_extra_columns_are_ignored(table, reference):
    noted = table.assign(name="Synthetic Co", note="SYNTHETIC")
    pd.testing.assert_frame_equal(value_universe(noted, paths=PATHS, seed=SEED), reference)


def test_input_is_not_mutated(table):
    before = table.copy(deep=True)
    shared = {"tax_rate": 0.2}
    kept = copy.deepcopy(shared)
    value_universe(table.drop(columns="tax_rate"), paths=50, seed=1, assumptions=shared)
    value_universe(table, paths=50, seed=1)
    pd.testing.assert_frame_equal(table, before)
    assert shared == kept


def test_progress_counts_every_company(table):
    seen = []
    value_universe(table, paths=50, seed=1, chunk_size=16, progress=seen.append)
    assert seen == [16, 16, 8]


def test_empty_table():
    out = value_universe(synthetic(0), paths=50, seed=1)
    assert out.empty and list(out.columns) == list(OUTPUT_COLUMNS)


def test_documented_columns_are_the_inputs():
    assert set(INPUT_COLUMNS) == {"id", *synthetic(1).columns, "terminal_roic"}
    doc = universe.__doc__
    for name in (*INPUT_COLUMNS, *OUTPUT_COLUMNS):
        assert f"``{name}``" in doc, name


# --- memory ---------------------------------------------------------------------------------


def _peak(table: pd.DataFrame, **kw) -> int:
    tracemalloc.start()
    try:
        value_universe(table, paths=500, seed=1, **kw)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_is_bounded_by_the_chunk_not_the_universe():
    small, large = synthetic(100), synthetic(800)
    assert _peak(large, chunk_size=50) < 1.3 * _peak(small, chunk_size=50)
    assert _peak(large, chunk_size=800) > 1.5 * _peak(small, chunk_size=50)  # the contrast


def test_chunk_size_from_the_memory_budget():
    assert universe._chunk_size(10_000, 10, 256 * 2**20) == 2**24 // 10_000
    small = universe._chunk_size(100, 10, 8 * 2**20)
    assert 1 < small < 2**24 // 100
    assert universe._chunk_size(100, 10, 8 * 2**20) > universe._chunk_size(100, 40, 8 * 2**20)
    with pytest.raises(ValueError, match="memory_budget must be at least"):
        value_universe(synthetic(3), paths=100_000, seed=1, memory_budget=2**20)
    assert _peak(synthetic(400), memory_budget=8 * 2**20) < 8 * 2**20


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"paths": 0}, ValueError, "paths"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"seed": None}, TypeError, "seed"),
        ({"high_years": 0}, ValueError, "high_years"),
        ({"chunk_size": 0}, ValueError, "chunk_size"),
        ({"partition_size": 0}, ValueError, "partition_size"),
        ({"progress": 3}, TypeError, "progress"),
        ({"assumptions": {"tax_rte": 0.2}}, ValueError, "unknown field 'tax_rte'"),
        ({"assumptions": {"tax_rate": 0.2}}, ValueError, r"assumptions\['tax_rate'\] is also"),
    ],
)
def test_bad_options_raise(table, kwargs, error, match):
    kw = {"paths": 10, "seed": 1, **kwargs}
    with pytest.raises(error, match=match):
        value_universe(table, **kw)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda t: t.drop(columns="id"), ValueError, "'id' column"),
        (lambda t: t.drop(columns="price"), ValueError, "no column 'price'"),
        (lambda t: t.drop(columns="tax_rate"), ValueError, r"assumptions=\{'tax_rate'"),
        (lambda t: t.assign(id=["A", "A", "B"]), ValueError, r"duplicates: \['A'\]"),
        (lambda t: t.assign(id=["A", None, "B"]), ValueError, "missing at row 1"),
        (lambda t: t.assign(id=["A", " ", "B"]), ValueError, "missing at row 1"),
        (lambda t: t.assign(revenue=["1", "x", "2"]), TypeError,
         r"companies\['revenue'\] must be numeric, got 'x' at row 1 \(id 'SYN0001'\)"),
        (lambda t: t.to_numpy(), TypeError, "DataFrame"),
        (lambda t: pd.concat([t, t[["price"]]], axis=1), ValueError,
         r"duplicate columns: \['price'\]"),
    ],
)
def test_bad_tables_raise(change, error, match):
    with pytest.raises(error, match=match):
        value_universe(change(synthetic(3)), paths=10, seed=1)


@pytest.mark.parametrize(
    ("assumptions", "error", "match"),
    [
        ({"tax_rate": np.nan}, ValueError, r"assumptions\['tax_rate'\] must not be NaN"),
        ({"tax_rate": 1.5}, ValueError, r"assumptions\['tax_rate'\] must be less than 1"),
        ({"tax_rate": "0.2"}, TypeError, r"assumptions\['tax_rate'\] must be numeric"),
        ({"tax_rate": [0.2, 0.3]}, TypeError, "one number"),
        ({"discount_rate_mean": 0.02, "terminal_growth": 0.03}, ValueError, "must exceed"),
    ],
)
def test_bad_assumptions_raise(assumptions, error, match):
    t = synthetic(3).drop(columns=list(assumptions))
    with pytest.raises(error, match=match):
        value_universe(t, paths=10, seed=1, assumptions=assumptions)


def test_client_without_dask_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ImportError, match=r"pip install ai-compute-watchlists\[dask\]"):
        value_universe(synthetic(3), paths=10, seed=1, client=object())


def test_client_must_be_a_dask_client():
    pytest.importorskip("distributed")
    with pytest.raises(TypeError, match=r"client must be a dask\.distributed\.Client"):
        value_universe(synthetic(3), paths=10, seed=1, client="tcp://127.0.0.1:8786")


def test_no_dask_import_without_a_client():
    code = (
        "import sys, pandas as pd, valuation; "
        "t = pd.DataFrame({'id': ['A'], 'price': [2.0], 'revenue': [10.0], 'shares': [5.0]}); "
        "valuation.value_universe(t, paths=10, seed=1, assumptions=dict(net_cash=0.0, "
        "growth_mean=0.1, growth_sd=0.02, margin_mean=0.2, margin_sd=0.02, "
        "discount_rate_mean=0.09, discount_rate_sd=0.01, operating_margin=0.1, tax_rate=0.2, "
        "sales_to_capital=2.0, terminal_growth=0.02)); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"


# --- per-company streams in simulate_value ------------------------------------------------


def test_simulate_value_takes_one_seed_sequence_per_company():
    kw = dict(price=20.0, shares=10.0, growth=(0.1, 0.05), margin=(0.2, 0.03),
              discount_rate=(0.09, 0.01), operating_margin=0.15, tax_rate=0.2,
              sales_to_capital=2.0, terminal_growth=0.02, high_years=5, fade_years=5, paths=300)
    seqs = [np.random.SeedSequence(1, spawn_key=(k,)) for k in (7, 3, 9)]
    both = simulate_value(np.array([100.0, 200.0, 300.0]), seed=seqs, **kw).table
    last = simulate_value(np.array([300.0]), seed=seqs[2:], **kw).table
    np.testing.assert_array_equal(both.iloc[2].to_numpy(), last.iloc[0].to_numpy())
    # the documented meaning: company i draws from default_rng(seed[i])
    rng = np.random.default_rng(seqs[0])
    z = rng.standard_normal((3, 300))
    g = np.maximum(0.1 + 0.05 * z[0], -0.99)
    assert both.loc[0, "p50"] == pytest.approx(
        float(np.median(dcf_per_path(100.0, g, 0.2 + 0.03 * z[1], 0.09 + 0.01 * z[2]))),
        rel=1e-12,
    )
    with pytest.raises(ValueError, match="one SeedSequence per company"):
        simulate_value(np.array([1.0, 2.0]), seed=seqs, **kw)
    with pytest.raises(TypeError, match=r"seed\[1\] must be a numpy SeedSequence"):
        simulate_value(np.array([1.0, 2.0]), seed=[seqs[0], 5], **kw)


def dcf_per_path(revenue, g, m, r):
    """Value per share of each path with valuation.dcf (the slow, independent way)."""
    r = np.maximum(r, 0.03)
    return np.array([
        float(dcf(revenue, fade_path(gi, 0.02, 5, 5), operating_margin=0.15, target_margin=mi,
                  tax_rate=0.2, sales_to_capital=2.0, discount_rate=ri, terminal_growth=0.02,
                  shares=10.0).value_per_share)
        for gi, mi, ri in zip(g, np.minimum(m, 1.0), r)
    ])

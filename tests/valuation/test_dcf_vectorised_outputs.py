"""``dcf`` builds its warnings and per-year table without a loop over companies.

These tests pin the vectorised construction to the straightforward one it
replaced: a per-company loop for the warnings (missing inputs first, then the
guard-rails, the not-finite results last) and a column-by-column table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation import dcf, fade_path
from valuation._checks import (
    NOT_FINITE_REASON,
    company_label,
    labelled_warnings,
    missing_fields,
    missing_warning,
)
from valuation.intrinsic import PRICE_MULTIPLE_LIMIT, TERMINAL_SHARE_LIMIT


def _reference_warnings(labels, scalar, missing, share, equity, vps, price, not_finite):
    out = []
    for i in range(len(labels)):
        who = company_label(labels, i, scalar)
        if missing[i] == "price":
            out.append(
                (who, missing_warning("price", "the value-over-price guard-rail is not checked"))
            )
        elif missing[i]:
            out.append((who, missing_warning(missing[i])))
        if share[i] > TERMINAL_SHARE_LIMIT:
            out.append(
                (
                    who,
                    f"terminal value is {share[i]:.0%} of enterprise value "
                    f"(over {TERMINAL_SHARE_LIMIT:.0%})",
                )
            )
        if equity[i] < 0:
            out.append((who, f"negative equity value {equity[i]:,.4g}"))
        if price is not None and vps[i] > PRICE_MULTIPLE_LIMIT * price[i]:
            out.append(
                (
                    who,
                    f"value per share {vps[i]:,.4g} is over {PRICE_MULTIPLE_LIMIT:g}x "
                    f"the price {price[i]:,.4g}",
                )
            )
    out += [
        (company_label(labels, int(i), scalar), f"value_per_share: {NOT_FINITE_REASON}")
        for i in np.flatnonzero(not_finite)
    ]
    return labelled_warnings(out)


def _inputs(n, seed=0):
    rng = np.random.default_rng(seed)
    kw = dict(
        operating_margin=rng.uniform(-0.5, 0.4, n),
        target_margin=rng.uniform(-0.2, 0.5, n),
        tax_rate=0.2,
        sales_to_capital=rng.uniform(0.2, 3.0, n),
        discount_rate=rng.uniform(0.06, 0.12, n),
        terminal_growth=0.03,
        net_cash=rng.normal(0.0, 500.0, n),
        shares=rng.uniform(1.0, 50.0, n),
    )
    revenue = rng.uniform(10.0, 1000.0, n)
    price = rng.uniform(0.5, 100.0, n)
    revenue[5] = np.nan
    kw["operating_margin"][7] = np.nan
    price[9] = np.nan
    price[12] = revenue[12] = np.nan
    kw["shares"][11] = 1e-320  # value per share overflows: not finite
    growth = fade_path(rng.uniform(-0.2, 0.8, n), 0.03, 5, 5)
    return revenue, growth, price, kw


def _check(res, revenue, growth, price, kw, labels, scalar=False):
    n = len(labels)
    g2 = np.asarray(growth, dtype=float)
    given = {  # in the order of dcf's parameters
        "revenue": revenue,
        "growth": g2,
        "operating_margin": kw["operating_margin"],
        "price": price,
    }
    missing = missing_fields({k: np.asarray(v, dtype=float) for k, v in given.items()}, (n,))
    ev = np.asarray(res.enterprise_value, dtype=float)
    share = np.asarray(res.pv_terminal, dtype=float) / ev
    equity = np.asarray(res.equity_value, dtype=float)
    vps = np.asarray(res.value_per_share, dtype=float)
    not_finite = np.isnan(vps) & (missing == "")  # here: the share count of 1e-320
    assert not_finite.sum() == 1
    text, table = _reference_warnings(
        labels, scalar, missing, share, equity, vps, np.asarray(price, dtype=float), not_finite
    )
    assert res.warnings == text
    pd.testing.assert_frame_equal(res.warning_table, table, check_exact=True)
    assert [type(c) for c in res.warning_table["company"]] == [type(c) for c in table["company"]]
    kinds = {m.split(" ")[0] for m in table["message"]}
    assert {"missing", "terminal", "negative", "value", "value_per_share:"} <= kinds


@pytest.mark.parametrize("kind", ["array", "str labels", "mixed labels"])
def test_warnings_match_the_per_company_loop(kind):
    n = 400
    revenue, growth, price, kw = _inputs(n)
    if kind == "array":
        res = dcf(revenue, growth, price=price, **kw)
        labels = pd.RangeIndex(n, name="company")
    else:
        labels = (
            pd.Index([f"S{i}" for i in range(n)])
            if kind == "str labels"
            else pd.Index([np.int64(i) if i % 2 else f"x{i}" for i in range(n)], dtype=object)
        )
        ser = {
            k: pd.Series(v, index=labels) if isinstance(v, np.ndarray) else v
            for k, v in kw.items()
        }
        res = dcf(
            pd.Series(revenue, index=labels),
            pd.DataFrame(growth, index=labels),
            price=pd.Series(price, index=labels),
            **ser,
        )
    _check(res, revenue, growth, price, kw, labels)


def test_table_matches_a_column_by_column_build():
    n = 300
    revenue, growth, price, kw = _inputs(n, seed=3)
    res = dcf(revenue, growth, price=price, **kw)
    T = growth.shape[1]
    t = np.arange(1, T + 1, dtype=float)
    om, tm = kw["operating_margin"][:, None], kw["target_margin"][:, None]
    rev = revenue[:, None] * np.cumprod(1.0 + growth, axis=-1)
    prev = np.concatenate([revenue[:, None], rev[:, :-1]], axis=-1)
    margin = om + (tm - om) * (np.minimum(t, 5) / 5)
    nopat = rev * margin * (1.0 - kw["tax_rate"])
    reinvestment = (rev - prev) / kw["sales_to_capital"][:, None]
    fcff = nopat - reinvestment
    discount = (1.0 + kw["discount_rate"])[:, None] ** -t
    expected = pd.DataFrame(
        {
            "company": np.repeat(np.arange(n).astype(object), T),
            "year": np.tile(np.arange(1, T + 1), n),
            "revenue": rev.ravel(),
            "growth": growth.ravel(),
            "margin": margin.ravel(),
            "ebit_after_tax": nopat.ravel(),
            "reinvestment": reinvestment.ravel(),
            "fcff": fcff.ravel(),
            "discount_factor": discount.ravel(),
            "pv": (fcff * discount).ravel(),
        }
    )
    pd.testing.assert_frame_equal(res.table, expected, check_exact=True)


def test_scalar_call_warnings_have_no_label():
    res = dcf(
        100.0,
        [0.10, 0.10],
        operating_margin=0.2,
        tax_rate=0.0,
        sales_to_capital=2.0,
        discount_rate=0.10,
        terminal_growth=0.0,
        price=1.0,
        net_cash=-1000.0,
    )
    assert res.warnings == (
        "terminal value is 87% of enterprise value (over 85%)",
        "negative equity value -769.1",
    )
    assert res.warning_table["company"].tolist() == [None, None]

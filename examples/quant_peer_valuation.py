"""Reverse-DCF a custom peer group: what growth do today's prices imply?

A quant's script, offline and self-contained::

    python examples/quant_peer_valuation.py
    python examples/quant_peer_valuation.py --inputs my_inputs.csv

It values Cambricon, Zhongji Innolight, NVIDIA and AMD as of 2025-12-04, plus two
clearly labelled HYPOTHETICAL peers, with one vectorised call of
:func:`valuation.implied_growth` (one element per company), then prints the upside to
every named broker target.

Where the numbers come from
---------------------------
* Prices, revenue, share counts and broker targets: the bundled, sourced data
  (:func:`watchlists.reference_quotes`, :func:`watchlists.profiles.ttm_revenue`,
  :func:`watchlists.profiles.latest_fact`, :func:`watchlists.targets`). Nothing dated
  after ``ASOF`` is used, except one line marked HINDSIGHT that is printed, never used.
* DCF assumptions (discount rate, margins, fade, ...): the member's assumptions in
  the bundled watchlist files (``china-ai-compute``, ``western-ai-compute``). These
  are modelling assumptions, not data; edit the TOML or the overrides below.
* NVIDIA and AMD have no bundled price, revenue or share count, so they show only
  what is bundled (HSBC's targets) until you supply the rest with ``--inputs``: a CSV
  with columns ``company,price,revenue,shares`` (trading currency; revenue in the same
  currency). Nothing here invents figures for real companies.
* ``HYPOTHETICAL`` peers: made-up inputs, there only to show the vectorised solver
  and its statuses on a richer group. They are not companies.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

import valuation
import watchlists
from watchlists.profiles import latest_fact, ttm_revenue

ASOF = pd.Timestamp("2025-12-04")

# (company slug, listing symbol, bundled watchlist whose assumptions we use)
PEERS: tuple[tuple[str, str, str], ...] = (
    ("cambricon", "688256.SS", "china-ai-compute"),
    ("zhongji-innolight", "300308.SZ", "china-ai-compute"),
    ("nvidia", "NVDA", "western-ai-compute"),
    ("amd", "AMD", "western-ai-compute"),
)

# HYPOTHETICAL PEERS -- MADE-UP INPUTS, NOT DATA. Two stylised profiles so the
# group shows both a richly priced grower and a cheap mature business. Currency is a
# placeholder; the assumptions are the china-ai-compute defaults.
HYPOTHETICAL: dict[str, dict[str, float]] = {
    # priced at 25x sales (price 50 x 1bn shares / 2bn revenue)
    "HYPOTHETICAL-Grower": {"price": 50.0, "revenue": 2.0e9, "shares": 1.0e9},
    # priced at 0.5x sales: the price sits below the DCF value even at -50 % growth
    "HYPOTHETICAL-Mature": {"price": 5.0, "revenue": 10.0e9, "shares": 1.0e9},
}
HYPOTHETICAL_WATCHLIST = "china-ai-compute"

# Sensitivity grid for Cambricon -- MODELLING ASSUMPTIONS, not data.
SENS_DISCOUNT_RATES = (0.08, 0.10, 0.12)
SENS_TARGET_MARGINS = (0.20, 0.25, 0.35)

ASSUMPTION_COLUMNS = ("operating_margin", "target_margin", "tax_rate", "sales_to_capital",
                      "discount_rate", "terminal_growth", "terminal_roic", "net_cash")


# --------------------------------------------------------------------------- inputs


def _assumptions(watchlist: str, company: str | None) -> watchlists.Assumptions:
    """The member's merged assumptions, or the watchlist's when ``company`` is not a member."""
    wl = watchlists.load_watchlist(watchlist)
    for member in wl.members:
        if member.company == company:
            return member.assumptions
    return wl.assumptions


def _last_close(symbol: str) -> tuple[float, pd.Timestamp | None]:
    """Latest bundled reference close on or before ``ASOF`` (NaN if none)."""
    q = watchlists.reference_quotes(symbol)
    q = q[(q["kind"] == "close") & (q["date"] <= ASOF)].sort_values("date")
    if q.empty:
        return float("nan"), None
    return float(q["value"].iloc[-1]), pd.Timestamp(q["date"].iloc[-1])


def _row(label: str, symbol: str, a: watchlists.Assumptions) -> dict[str, object]:
    row: dict[str, object] = {"label": label, "symbol": symbol, "currency": "",
                              "price": np.nan, "price_date": "", "revenue": np.nan,
                              "revenue_basis": "", "shares": np.nan, "missing": []}
    row.update(high_years=a.high_years, fade_years=a.fade_years, margin_years=a.margin_years,
               operating_margin=a.operating_margin if a.operating_margin is not None
               else a.target_margin,  # unknown current margin: target margin from year one
               target_margin=a.target_margin, tax_rate=a.tax_rate,
               sales_to_capital=a.sales_to_capital, discount_rate=a.discount_rate,
               terminal_growth=a.terminal_growth, terminal_roic=a.effective_terminal_roic,
               net_cash=a.net_cash or 0.0)  # unknown net cash: taken as 0 (EV = market cap)
    return row


def peer_inputs(user: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per peer: price, revenue, shares (bundled or user-supplied) and assumptions."""
    rows = []
    for slug, symbol, wl_name in PEERS:
        comp, listing = watchlists.listing(symbol)
        row = _row(comp.name, symbol, _assumptions(wl_name, slug))
        row["currency"] = listing.currency
        price, when = _last_close(symbol)
        row.update(price=price, price_date="" if when is None else when.date().isoformat())
        ttm = ttm_revenue(slug, ASOF)
        if ttm is not None:
            revenue, ccy, basis = ttm
            if ccy == listing.currency:
                row.update(revenue=revenue, revenue_basis=basis)
            else:
                row["revenue_basis"] = f"revenue in {ccy}, price in {listing.currency}"
        shares = latest_fact(slug, "shares_outstanding", ASOF)
        if shares is not None:
            row["shares"] = shares.value
        if user is not None and slug in user.index:
            # user-supplied figures fill gaps only; bundled data always wins
            for key in ("price", "revenue", "shares"):
                value = user.at[slug, key]
                if pd.notna(value) and not np.isfinite(row[key]):  # type: ignore[arg-type]
                    row[key] = float(value)
                    if key == "price":
                        row["price_date"] = "user file"
                    elif key == "revenue":
                        row["revenue_basis"] = "user file"
        row["missing"] = [k for k in ("price", "revenue", "shares")
                          if not np.isfinite(row[k])]  # type: ignore[arg-type]
        rows.append(row)
    a = _assumptions(HYPOTHETICAL_WATCHLIST, None)
    for label, values in HYPOTHETICAL.items():
        row = _row(label, "-", a)
        row.update(values, currency="(hyp.)", price_date="made up", revenue_basis="made up")
        rows.append(row)
    return pd.DataFrame(rows).set_index("label")


def load_user_inputs(path: str | Path) -> pd.DataFrame:
    """A CSV ``company,price,revenue,shares`` keyed by company slug/name/symbol."""
    df = pd.read_csv(path)
    missing = {"company", "price", "revenue", "shares"} - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {sorted(missing)}; "
                         "expected company,price,revenue,shares")
    df["company"] = [watchlists.company(str(c)).slug for c in df["company"]]
    return df.set_index("company")


# --------------------------------------------------------------------------- models


def implied_growth_table(inputs: pd.DataFrame) -> pd.DataFrame:
    """Vectorised reverse DCF over every complete row, grouped by the integer horizons."""
    complete = inputs[[not m for m in inputs["missing"]]]
    out = pd.DataFrame(index=inputs.index, columns=["implied_growth", "status", "rev_x_year_high",
                                                    "rev_x_year_T"], dtype=object)
    for (high, fade, my), grp in complete.groupby(["high_years", "fade_years", "margin_years"]):
        res = valuation.implied_growth(
            grp["price"], grp["revenue"], high_years=int(high), fade_years=int(fade),
            margin_years=int(my), shares=grp["shares"],
            **{k: grp[k].astype(float) for k in ASSUMPTION_COLUMNS})
        g = res.table["growth"]
        path = np.atleast_2d(valuation.fade_path(g.fillna(0.0).to_numpy(),
                                                 grp["terminal_growth"].to_numpy(float),
                                                 int(high), int(fade)))
        growth_multiple = np.cumprod(1.0 + path, axis=1)
        out.loc[grp.index, "implied_growth"] = g.to_numpy()
        out.loc[grp.index, "status"] = res.table["status"].to_numpy()
        ok = g.notna().to_numpy()
        out.loc[grp.index, "rev_x_year_high"] = np.where(ok, growth_multiple[:, int(high) - 1],
                                                         np.nan)
        out.loc[grp.index, "rev_x_year_T"] = np.where(ok, growth_multiple[:, -1], np.nan)
        for w in res.warnings:
            print(f"warning: {w}", file=sys.stderr)
    for label, miss in inputs["missing"].items():
        if miss:
            out.at[label, "status"] = f"no bundled {', '.join(miss)} (supply with --inputs)"
    market_cap = inputs["price"] * inputs["shares"]
    ev = market_cap - inputs["net_cash"]
    ps = valuation.ev_to_sales(ev.where(ev > 0, np.nan).fillna(-1.0),
                               inputs["revenue"].fillna(-1.0))
    return pd.concat([inputs[["symbol", "currency", "price", "price_date"]],
                      (inputs["revenue"] / 1e9).rename("revenue_bn"),
                      inputs["revenue_basis"],
                      (market_cap / 1e9).rename("mkt_cap_bn"),
                      pd.Series(np.asarray(ps.value, dtype=float), index=inputs.index,
                                name="ev_sales"),
                      out], axis=1)


def cambricon_sensitivity(inputs: pd.DataFrame) -> pd.DataFrame:
    """Cambricon's implied growth over a grid of discount rates x target margins (one call)."""
    base = inputs.loc[watchlists.company("cambricon").name]
    grid = pd.MultiIndex.from_product([SENS_DISCOUNT_RATES, SENS_TARGET_MARGINS],
                                      names=["discount_rate", "target_margin"])
    n = len(grid)
    kw = {k: np.full(n, float(base[k])) for k in ASSUMPTION_COLUMNS}
    kw["discount_rate"] = grid.get_level_values(0).to_numpy(float)
    kw["target_margin"] = grid.get_level_values(1).to_numpy(float)
    kw["operating_margin"] = kw["target_margin"]
    kw["terminal_roic"] = kw["discount_rate"]  # growth creates no value after year T
    res = valuation.implied_growth(np.full(n, base["price"]), np.full(n, base["revenue"]),
                                   high_years=int(base["high_years"]),
                                   fade_years=int(base["fade_years"]),
                                   margin_years=int(base["margin_years"]),
                                   shares=np.full(n, base["shares"]), **kw)
    g = pd.Series(np.asarray(res.growth, dtype=float), index=grid, name="implied_growth")
    return g.unstack("target_margin")


def target_upside_table(inputs: pd.DataFrame) -> pd.DataFrame:
    """Every named broker target of the real peers known at ``ASOF``, with upside."""
    rows = []
    for slug, symbol, _ in PEERS:
        name = watchlists.company(slug).name
        price = float(inputs.at[name, "price"])
        t = watchlists.targets(slug)
        t = t[(t["symbol"] == symbol) & (t["published"].isna() | (t["published"] <= ASOF))]
        q = watchlists.reference_quotes(symbol)
        q = q[(q["date"] <= ASOF) & (q["date"] > ASOF - pd.DateOffset(weeks=52))]
        high = float(q["value"].max()) if len(q) else float("nan")
        for r in t.itertuples():
            if r.kind == "min_upside":
                ref = high if r.reference == "high" else price
                level = (float(valuation.implied_min_target(ref, r.min_upside))
                         if np.isfinite(ref) else np.nan)
                what = f">= {r.min_upside:.0%} above the {r.reference} ({ref:,.2f}): bound"
            else:
                level, what = float(r.target), "price target"
            up = (float(valuation.upside(price, level))
                  if np.isfinite(price) and np.isfinite(level) else np.nan)
            rows.append({"company": name, "broker": r.broker,
                         "published": "unknown" if pd.isna(r.published)
                         else r.published.date().isoformat(),
                         "kind": what, "level": level, "currency": r.currency,
                         "price": price, "upside": up})
    return pd.DataFrame(rows)


def cambricon_consensus() -> valuation.Consensus:
    """Consensus at ``ASOF`` by the library's one rule (the snapshot's figure): the
    latest price target per broker; an undated target only when it follows a dated one
    of the same broker (``previous_target``)."""
    return valuation.consensus(watchlists.targets("cambricon"), asof=ASOF)


# --------------------------------------------------------------------------- output


def _pct(x: object) -> str:
    return "–" if x is None or not np.isfinite(float(x)) else f"{float(x):+.1%}"  # type: ignore[arg-type]


def _num(x: object, spec: str = ",.2f") -> str:
    return "–" if x is None or not np.isfinite(float(x)) else format(float(x), spec)  # type: ignore[arg-type]


def _print_table(df: pd.DataFrame) -> None:
    print(df.to_string(na_rep="–"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", metavar="CSV",
                        help="company,price,revenue,shares for peers without bundled data")
    args = parser.parse_args(argv)
    try:
        user = load_user_inputs(args.inputs) if args.inputs else None
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pd.set_option("display.width", 200)
    inputs = peer_inputs(user)
    table = implied_growth_table(inputs)

    print(f"Implied high-phase revenue growth (reverse DCF) as of {ASOF.date()}")
    print("assumptions: bundled watchlist files (modelling assumptions, not data); "
          "net cash taken as 0\n")
    shown = table.assign(
        price=table["price"].map(_num), revenue_bn=table["revenue_bn"].map(_num),
        mkt_cap_bn=table["mkt_cap_bn"].map(lambda v: _num(v, ",.1f")),
        ev_sales=table["ev_sales"].map(lambda v: _num(v, ".1f") + "x" if np.isfinite(v) else "–"),
        implied_growth=table["implied_growth"].map(_pct),
        rev_x_year_high=table["rev_x_year_high"].map(lambda v: _num(v, ".1f") + "x"
                                                     if pd.notna(v) else "–"),
        rev_x_year_T=table["rev_x_year_T"].map(lambda v: _num(v, ".1f") + "x"
                                               if pd.notna(v) else "–"),
    ).drop(columns=["revenue_basis"])
    _print_table(shown)
    print("\nrev_x_year_high / rev_x_year_T: revenue at the end of the high-growth phase / "
          "of the fade, as a multiple of today's revenue\n")

    name = watchlists.company("cambricon").name
    cam = table.loc[name]
    inp = inputs.loc[name]
    print(f"{name}: what must revenue do to justify the {cam['price']:,.0f} {cam['currency']} "
          f"close of {cam['price_date']}?")
    print(f"  revenue {cam['revenue_bn']:.3f}bn CNY ({cam['revenue_basis']}); "
          f"shares {inp['shares'] / 1e6:,.2f}m; market cap {cam['mkt_cap_bn']:,.1f}bn CNY "
          f"= {cam['ev_sales']:.1f}x sales")
    print(f"  implied growth {_pct(cam['implied_growth'])} a year for {int(inp['high_years'])} "
          f"years, fading to {inp['terminal_growth']:.0%} over {int(inp['fade_years'])} years: "
          f"revenue x{float(cam['rev_x_year_high']):.1f} by year {int(inp['high_years'])}, "
          f"x{float(cam['rev_x_year_T']):.1f} by year "
          f"{int(inp['high_years'] + inp['fade_years'])}, at a {inp['target_margin']:.0%} "
          f"margin and {inp['discount_rate']:.0%} discount rate")
    later = latest_fact("cambricon", "revenue", "2100-01-01", period="FY2025")
    if later is not None:
        print(f"  HINDSIGHT (not used above: published {later.asof}, after {ASOF.date()}): "
              f"FY2025 revenue {later.value / 1e9:.2f}bn CNY ({later.confidence}) puts the same "
              f"market cap at {cam['mkt_cap_bn'] * 1e9 / later.value:.0f}x sales")

    print(f"\n{name}: implied growth by discount rate (rows) and target margin (columns)")
    sens = cambricon_sensitivity(inputs)
    print(sens.map(_pct).to_string())

    print(f"\nNamed broker targets known at {ASOF.date()} (upside from the last bundled close)")
    up = target_upside_table(inputs)
    _print_table(up.assign(level=up["level"].map(_num), price=up["price"].map(_num),
                           upside=up["upside"].map(_pct)))
    c = cambricon_consensus()
    print(f"\n{name} valuation.consensus (latest target per broker; undated ones only when "
          f"they follow a dated one): mean {c.mean:,.0f} {c.currency} ({c.count} brokers, "
          f"{c.undated} undated left out, {c.excluded} non-price rows left out) -> upside "
          f"{_pct(c.upside(cam['price']))}")
    for w in c.warnings:
        print(f"  note: {w}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

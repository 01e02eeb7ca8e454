"""Report benchmarks on SYNTHETIC prices (temp WATCHLISTS_HOME; no network).

1. Snapshot + all four report formats (HTML charts included) from a warm store:
   a. a watchlist of every bundled *listing* (one member each);
   b. a REAL 50-member run: the benchmark's temp home gets a user data folder
      (``<home>/data``, see ``docs/user-data.md``) with SYNTHETIC companies
      ``synthetic-001``... (symbols ``SYN001.SS``..., CNY, STAR; clearly labelled
      synthetic, source ``https://example.invalid/synthetic``) so that the bundled
      listings plus the synthetic ones make 50 members, plus synthetic facts
      (FY2024 revenue and shares outstanding, for the DCF and implied growth) and
      synthetic broker targets for every other one (target charts).
   The store holds 10 years of synthetic Mon–Fri prices (source ``'synthetic'``) for
   every member, the benchmark and the FX pairs. One untimed warm-up run, then the
   median of 3.
2. ``import watchlists`` versus ``import pandas``, each in a fresh interpreter
   (``time.perf_counter`` around the import inside ``python -c``), median of 5.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_MEMBERS = 50
YEARS = 10
ASOF = dt.date(2025, 12, 5)
NOW = dt.datetime(2025, 12, 6, 12, tzinfo=dt.UTC)
BENCHMARK = "^GSPC"
FX = {("USD", "CNY"): 7.1, ("USD", "HKD"): 7.8, ("HKD", "CNY"): 7.1 / 7.8}
RUNS = 3
IMPORT_RUNS = 5


def _watchlist_toml(symbols: list[str]) -> str:
    lines = ['name = "bench-all-listings"',
             'description = "Every bundled listing (benchmark, synthetic prices)"',
             f'benchmark = "{BENCHMARK}"', 'base_currency = "USD"', "",
             "[assumptions]", "revenue_growth = 0.2", ""]
    for sym in symbols:
        lines += ["[[members]]", f'symbol = "{sym}"', 'note = "synthetic benchmark member"', ""]
    return "\n".join(lines)


def _seed(store, symbols: list[str]) -> None:  # type: ignore[no-untyped-def]
    dates = pd.bdate_range(end=ASOF, periods=252 * YEARS)
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (len(dates), len(symbols))), 0))
    frame = pd.DataFrame({"symbol": np.repeat(symbols, len(dates)),
                          "date": np.tile(dates, len(symbols)), "close": close.T.ravel()})
    frame["open"] = frame["adj_close"] = frame["close"]
    frame["high"], frame["low"] = frame["close"] * 1.01, frame["close"] * 0.99
    frame["volume"] = 1e6
    store.upsert_prices(frame, source="synthetic",
                        fetched_at=NOW - dt.timedelta(hours=12))
    fx = pd.concat([pd.DataFrame({"from_ccy": f, "to_ccy": t, "date": dates, "rate": r})
                    for (f, t), r in FX.items()], ignore_index=True)
    store.upsert_fx(fx, source="synthetic")


SYNTHETIC_URL = "https://example.invalid/synthetic"
SYNTHETIC_NOTE = "SYNTHETIC benchmark value (not a real figure)"


def _synthetic_data(data: Path, n: int) -> list[str]:
    """Write ``n`` SYNTHETIC companies, facts and targets to the user data folder ``data``."""
    symbols = [f"SYN{k:03d}.SS" for k in range(1, n + 1)]
    companies, facts, targets = [], [], []
    for k, sym in enumerate(symbols, start=1):
        companies.append(
            f'[[company]]\nslug = "synthetic-{k:03d}"\nname = "Synthetic {k:03d}"\n'
            f'legal_name = "Synthetic Benchmark Company {k:03d} (not a real company)"\n'
            'country = "CN"\nrole = "ai-chips"\n'
            'description = "SYNTHETIC company for the report benchmark; every figure is made up."\n'
            f'source_url = "{SYNTHETIC_URL}"\n\n[[company.listing]]\nsymbol = "{sym}"\n'
            'exchange = "SSE"\nboard = "STAR"\ncurrency = "CNY"\nprimary = true\n'
        )
        revenue = 2e9 * (1 + k % 7)
        facts.append(f"synthetic-{k:03d},revenue,{revenue:.0f},CNY,CNY,FY2024,2025-03-31,"
                     f"{SYNTHETIC_URL},partial,{SYNTHETIC_NOTE}")
        facts.append(f"synthetic-{k:03d},shares_outstanding,{1e9 * (1 + k % 3):.0f},shares,,"
                     f"2025-03-31,2025-03-31,{SYNTHETIC_URL},partial,{SYNTHETIC_NOTE}")
        if k % 2:
            targets.append(f"synthetic-{k:03d},{sym},Synthetic Broker,Buy,price,{90 + k},,,CNY,"
                           f"2025-11-03,false,,{SYNTHETIC_URL},partial,{SYNTHETIC_NOTE}")
    data.mkdir(parents=True, exist_ok=True)
    (data / "companies.toml").write_text("# SYNTHETIC benchmark companies\n\n"
                                         + "\n".join(companies), encoding="utf-8")
    (data / "facts.csv").write_text(
        "company,metric,value,unit,currency,period,asof,source_url,confidence,note\n"
        + "\n".join(facts) + "\n", encoding="utf-8")
    (data / "targets.csv").write_text(
        "company,symbol,broker,rating,kind,target,min_upside,reference,currency,published,"
        "date_unknown,previous_target,source_url,confidence,note\n"
        + "\n".join(targets) + "\n", encoding="utf-8")
    return symbols


def _time_report(wl, store, out: Path) -> tuple[float, object, list]:  # type: ignore[no-untyped-def]
    """Median seconds of snapshot + all four formats after one untimed warm-up run."""
    from watchlists import snapshot, write_report

    times = []
    for i in range(RUNS + 1):  # the first run warms imports, caches and the SQLite pages
        t0 = time.perf_counter()
        snap = snapshot(wl, ASOF, store=store, now=NOW)
        paths = write_report(snap, ("md", "html", "csv", "json"), out, store=store)
        if i:
            times.append(time.perf_counter() - t0)
    assert len(paths) == 4 and snap.table["price_source"].eq("synthetic").all(), \
        snap.table[["symbol", "price_source", "status"]]
    return statistics.median(times), snap, paths


def _report_rows(tmp: Path) -> list[dict]:
    from watchlists import load_watchlist, open_store
    from watchlists.profiles import companies

    home = tmp / "home"
    saved = {k: os.environ.get(k) for k in ("WATCHLISTS_HOME", "WATCHLISTS_DATA")}
    os.environ.pop("WATCHLISTS_DATA", None)
    os.environ["WATCHLISTS_HOME"] = str(home)  # the user data folder is <home>/data
    try:
        symbols = companies()["symbol"].dropna().tolist()
        path = tmp / "bench-all-listings.toml"
        path.write_text(_watchlist_toml(symbols), encoding="utf-8")
        wl = load_watchlist(path)
        synthetic = _synthetic_data(home / "data", TARGET_MEMBERS - len(symbols))
        members = [*symbols, *synthetic]
        path50 = tmp / "bench-50-members.toml"
        path50.write_text(_watchlist_toml(members).replace("bench-all-listings",
                                                           "bench-50-members"), encoding="utf-8")
        wl50 = load_watchlist(path50)
        assert len(wl50.members) == TARGET_MEMBERS
        with open_store(home) as store:
            _seed(store, [*members, BENCHMARK])
            t, _, _ = _time_report(wl, store, tmp / "out")
            t50, snap50, _ = _time_report(wl50, store, tmp / "out50")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    syn = snap50.table[snap50.table["symbol"].isin(synthetic)]
    assert syn["implied_growth"].notna().all() and syn["dcf_value"].notna().all(), syn
    n_targets = int(syn["consensus_count"].fillna(0).gt(0).sum())
    return [
        {"name": f"report: snapshot + md/html(charts)/csv/json, {len(symbols)} bundled listings, "
                 "warm store (synthetic prices)",
         "figure": t, "unit": "s", "ratio": None, "target": "reference (measured)"},
        {"name": f"report: snapshot + md/html(charts)/csv/json, {TARGET_MEMBERS} members MEASURED "
                 f"({len(symbols)} bundled + {len(synthetic)} SYNTHETIC user-data companies, "
                 f"DCF on all synthetic, targets on {n_targets}), warm store",
         "figure": t50, "unit": "s", "ratio": None, "target": "< 5 s"},
    ]


def _import_time(statement: str) -> float:
    code = (f"import time; t = time.perf_counter(); {statement}; "
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return float(out.stdout.strip().splitlines()[-1])


# ``import watchlists`` loads submodules lazily (PEP 562), so the bare import is
# nearly free; the honest comparison is also the import plus loading the whole
# public API a report job uses (every name in ``__all__``).
_FULL_API = "import watchlists; [getattr(watchlists, n) for n in watchlists.__all__]"


def _import_rows() -> list[dict]:
    _import_time("import pandas")  # let the OS cache the files before timing either
    wl = statistics.median(_import_time("import watchlists") for _ in range(IMPORT_RUNS))
    full = statistics.median(_import_time(_FULL_API) for _ in range(IMPORT_RUNS))
    pd_ = statistics.median(_import_time("import pandas") for _ in range(IMPORT_RUNS))
    return [
        {"name": f"import watchlists (fresh interpreter, median of {IMPORT_RUNS})",
         "figure": wl, "unit": "s", "ratio": wl / pd_, "target": "< 1.3x import pandas"},
        {"name": f"import watchlists + its whole public API loaded (median of {IMPORT_RUNS})",
         "figure": full, "unit": "s", "ratio": full / pd_, "target": "< 1.3x import pandas"},
        {"name": f"import pandas (fresh interpreter, median of {IMPORT_RUNS})",
         "figure": pd_, "unit": "s", "ratio": None, "target": "reference"},
    ]


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        return [*_report_rows(Path(tmp)), *_import_rows()]

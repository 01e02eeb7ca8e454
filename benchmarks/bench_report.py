"""Report benchmarks on SYNTHETIC prices (temp WATCHLISTS_HOME; no network).

1. Snapshot + all four report formats (HTML charts included) from a warm store. The
   bundled profiles cannot be extended with user companies (``load_facts`` and
   ``load_targets`` validate against the bundled companies only), so the watchlist
   holds every bundled *listing* (one member each) and the 50-member figure is
   scaled linearly per member from that run; the row names say so. A second 50-member
   figure scales only the snapshot and *measures* ``write_report`` on a synthetic
   50-row snapshot (the real rows repeated under made-up symbols ``SYNnn``). The store holds
   10 years of synthetic Mon–Fri prices (source ``'synthetic'``) for every member, the
   benchmark and the FX pairs. One untimed warm-up run, then the median of 3.
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


def _report_rows(tmp: Path) -> list[dict]:
    from watchlists import load_watchlist, open_store, snapshot, write_report
    from watchlists.profiles import companies

    symbols = companies()["symbol"].dropna().tolist()
    path = tmp / "bench-all-listings.toml"
    path.write_text(_watchlist_toml(symbols), encoding="utf-8")
    wl = load_watchlist(path)
    times = []
    with open_store(tmp / "home") as store:
        _seed(store, [*symbols, BENCHMARK])
        for i in range(RUNS + 1):  # the first run warms imports, caches and the SQLite pages
            t0 = time.perf_counter()
            snap = snapshot(wl, ASOF, store=store, offline=True, now=NOW)
            paths = write_report(snap, ("md", "html", "csv", "json"), tmp / "out", store=store)
            if i:
                times.append(time.perf_counter() - t0)
        snap_times, report_times = [], []
        big = _widen(snap, TARGET_MEMBERS)
        for _ in range(RUNS):
            t0 = time.perf_counter()
            snapshot(wl, ASOF, store=store, offline=True, now=NOW)
            snap_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            write_report(big, ("md", "html", "csv", "json"), tmp / "out50")
            report_times.append(time.perf_counter() - t0)
    assert len(paths) == 4 and snap.table["price_source"].eq("store").all(), \
        snap.table[["symbol", "price_source", "status"]]
    n = len(symbols)
    t = statistics.median(times)
    per_member = t / n
    snap_50 = statistics.median(snap_times) / n * TARGET_MEMBERS
    report_50 = statistics.median(report_times)
    return [
        {"name": f"report: snapshot + md/html(charts)/csv/json, {n} bundled listings, "
                 "warm store (synthetic prices)",
         "figure": t, "unit": "s", "ratio": None, "target": "reference (measured)"},
        {"name": f"report, {TARGET_MEMBERS} members: SCALED linearly from the {n}-listing run "
                 f"({per_member * 1e3:.0f} ms/member)",
         "figure": per_member * TARGET_MEMBERS, "unit": "s", "ratio": None, "target": "< 5 s"},
        {"name": f"report, {TARGET_MEMBERS} members: snapshot SCALED per member + write_report "
                 f"MEASURED on {TARGET_MEMBERS} synthetic rows ({snap_50:.2f} s + "
                 f"{report_50:.2f} s)",
         "figure": snap_50 + report_50, "unit": "s", "ratio": None, "target": "< 5 s"},
    ]


def _widen(snap, n: int):  # type: ignore[no-untyped-def]
    """The snapshot with its rows repeated to ``n`` members under SYNTHETIC symbols.

    Reports only format a snapshot, so this measures the renderers (charts included)
    at ``n`` rows; it is not a valuation of anything.
    """
    from dataclasses import replace

    rows, targets, history = [], [], {}
    base = snap.table[snap.table["symbol"].notna()].reset_index(drop=True)
    for k in range(n):
        row = base.iloc[k % len(base)].copy()
        old, new = row["symbol"], f"SYN{k:02d}"
        row["symbol"], row["name"] = new, f"Synthetic {k:02d}"
        rows.append(row)
        tg = snap.targets[snap.targets["symbol"] == old].copy()
        tg["symbol"] = new
        targets.append(tg)
        if old in snap.history.columns:
            history[new] = snap.history[old]
    return replace(snap, table=pd.DataFrame(rows).reset_index(drop=True),
                   targets=pd.concat(targets, ignore_index=True),
                   history=pd.DataFrame(history), changes=())


def _import_time(module: str) -> float:
    code = (f"import time; t = time.perf_counter(); import {module}; "
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return float(out.stdout.strip().splitlines()[-1])


def _import_rows() -> list[dict]:
    _import_time("pandas")  # let the OS cache the files before timing either
    wl = statistics.median(_import_time("watchlists") for _ in range(IMPORT_RUNS))
    pd_ = statistics.median(_import_time("pandas") for _ in range(IMPORT_RUNS))
    return [
        {"name": f"import watchlists (fresh interpreter, median of {IMPORT_RUNS})",
         "figure": wl, "unit": "s", "ratio": wl / pd_, "target": "< 1.3x import pandas"},
        {"name": f"import pandas (fresh interpreter, median of {IMPORT_RUNS})",
         "figure": pd_, "unit": "s", "ratio": None, "target": "reference"},
    ]


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        return [*_report_rows(Path(tmp)), *_import_rows()]

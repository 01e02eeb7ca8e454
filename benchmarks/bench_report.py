"""Report benchmarks on SYNTHETIC prices (temp WATCHLISTS_HOME; no network).

1. Scaling: watchlists of 10, 50, 200 and 1,000 bare SYNTHETIC Yahoo symbols
   (``SYN0001``...) in a store seeded with two years of SYNTHETIC Mon–Fri prices (source
   ``'synthetic'``), with stored SYNTHETIC analyst actions (three, two brokers) for every
   4th member and a stored provider consensus for every 7th, so every chart has
   something to draw. Each size runs in a fresh interpreter: snapshot + all four formats
   (HTML charts on), one untimed warm-up run, then the median of 2; seconds, seconds per
   member and the child's peak RSS (``VmHWM``; see :func:`_peak_kib`).
2. Snapshot + all four formats from a warm store:
   a. a watchlist of every bundled *listing* (one member each);
   b. a REAL 50-member run: the benchmark's temp home gets a user data folder
      (``<home>/data``, see ``docs/user-data.md``) with SYNTHETIC companies
      ``synthetic-001``... (symbols ``SYN001.SS``..., CNY, STAR; clearly labelled
      synthetic, source ``https://example.invalid/synthetic``) so that the bundled
      listings plus the synthetic ones make 50 members, plus synthetic facts
      (FY2024 revenue and shares outstanding, for the DCF and implied growth) and
      synthetic broker targets for every other one (target charts).
   One untimed warm-up run, then the median of 3.
3. The first bundled report as a whole process
   (``python -m watchlists report china-ai-compute --offline --out DIR``, empty home),
   with and without HTML, against ``python -c "import pandas"``: median of 5 each.
4. ``import watchlists`` versus ``import pandas``, each in a fresh interpreter
   (``time.perf_counter`` around the import inside ``python -c``), median of 5.

Before the process and import rows, the packages' bytecode is compiled
(:func:`_compile_bytecode`), as ``pip install`` does: with ``PYTHONDONTWRITEBYTECODE``
set (as on these machines) an editable checkout would otherwise recompile every edited
module in every timed process.
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
SIZES = (10, 50, 200, 1000)
SCALE_RUNS = 2
PROCESS_RUNS = 5


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


def _compile_bytecode() -> None:
    """Write the ``__pycache__`` bytecode of ``watchlists`` and ``valuation`` (what an
    installed package has), so that timed processes measure imports, not compiling."""
    import compileall

    import valuation
    import watchlists

    for pkg in (watchlists, valuation):
        compileall.compile_dir(str(Path(pkg.__file__).parent), quiet=1)


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
_BOTH_APIS = (_FULL_API + "; import valuation; "
              "[getattr(valuation, n) for n in valuation.__all__]")


def _import_rows() -> list[dict]:
    _compile_bytecode()
    _import_time("import pandas")  # let the OS cache the files before timing either
    _import_time(_BOTH_APIS)
    wl = statistics.median(_import_time("import watchlists") for _ in range(IMPORT_RUNS))
    full = statistics.median(_import_time(_FULL_API) for _ in range(IMPORT_RUNS))
    both = statistics.median(_import_time(_BOTH_APIS) for _ in range(IMPORT_RUNS))
    pd_ = statistics.median(_import_time("import pandas") for _ in range(IMPORT_RUNS))
    return [
        {"name": f"import watchlists (fresh interpreter, median of {IMPORT_RUNS})",
         "figure": wl, "unit": "s", "ratio": wl / pd_, "target": "< 1.15x import pandas"},
        {"name": f"import watchlists + its whole public API loaded (median of {IMPORT_RUNS})",
         "figure": full, "unit": "s", "ratio": full / pd_, "target": "< 1.15x import pandas"},
        {"name": "import watchlists + valuation, both whole public APIs loaded (every model; "
                 f"median of {IMPORT_RUNS})",
         "figure": both, "unit": "s", "ratio": both / pd_, "target": "reference"},
        {"name": f"import pandas (fresh interpreter, median of {IMPORT_RUNS})",
         "figure": pd_, "unit": "s", "ratio": None, "target": "reference"},
    ]


# --------------------------------------------------------------------------- scaling


def synthetic_symbols(n: int) -> list[str]:
    """``n`` bare SYNTHETIC Yahoo symbols: ``SYN0001``, ``SYN0002``..."""
    return [f"SYN{k:04d}" for k in range(1, n + 1)]


def seed_synthetic(store, symbols: list[str], *, years: int = 2,  # type: ignore[no-untyped-def]
                   every_actions: int = 4, every_consensus: int = 7) -> None:
    """SYNTHETIC closes for ``symbols`` and :data:`BENCHMARK` (seeded random walk), stored
    rating actions for every ``every_actions``-th symbol (three actions, two brokers, one
    superseded) and a provider consensus for every ``every_consensus``-th."""
    from watchlists.providers import ACTION_COLUMNS, AnalystData

    dates = pd.bdate_range(end=ASOF, periods=252 * years)
    names = [*symbols, BENCHMARK]
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (len(dates), len(names))), 0))
    frame = pd.DataFrame({"symbol": np.repeat(names, len(dates)),
                          "date": np.tile(dates, len(names)),
                          "close": close.T.ravel().round(4)})
    frame["open"] = frame["adj_close"] = frame["close"]
    frame["high"], frame["low"] = frame["close"] * 1.01, frame["close"] * 0.99
    frame["volume"] = 1e6
    store.upsert_prices(frame, source="synthetic", fetched_at=NOW - dt.timedelta(hours=12))
    for k, sym in enumerate(symbols):
        last = float(close[-1, k])
        actions = pd.DataFrame(columns=list(ACTION_COLUMNS))
        if k % every_actions == 0:
            actions = pd.DataFrame({
                "date": pd.to_datetime(["2025-03-01", "2025-10-01", "2025-11-20"]),
                "firm": ["Synthetic Broker A", "Synthetic Broker B", "Synthetic Broker A"],
                "to_grade": ["Buy", "Hold", "Buy"], "from_grade": ["", "Buy", "Buy"],
                "action": ["init", "down", "main"],
                "current_target": [round(last * f, 2) for f in (1.1, 0.95, 1.25)],
                "prior_target": [np.nan, round(last * 1.05, 2), round(last * 1.1, 2)],
            })
        consensus = {}
        if k % every_consensus == 3:
            consensus = {"mean": last * 1.15, "high": last * 1.4, "low": last * 0.9,
                         "median": last * 1.12, "current": last}
        if len(actions) or consensus:
            store.upsert_analyst(AnalystData(
                symbol=sym, consensus=consensus, analyst_count=9 if consensus else None,
                currency="USD", actions=actions, status="ok",
                fetched_at=NOW - dt.timedelta(days=2), provider="yahoo"))


def synthetic_watchlist(path: Path, symbols: list[str], name: str = "bench-synthetic"):  # type: ignore[no-untyped-def]
    """A watchlist file of bare ``symbols`` (SYNTHETIC), loaded."""
    from watchlists import load_watchlist

    members = ", ".join(f'"{s}"' for s in symbols)
    path.write_text(f'name = "{name}"\ndescription = "SYNTHETIC bare-symbol members"\n'
                    f'benchmark = "{BENCHMARK}"\nbase_currency = "USD"\n'
                    f"members = [{members}]\n\n[assumptions]\nrevenue_growth = 0.2\n",
                    encoding="utf-8")
    return load_watchlist(path)


def _child(home: str, watchlist: str, out: str) -> None:
    """In a fresh interpreter: warm-up, then :data:`SCALE_RUNS` timed reports; prints
    ``seconds ... peak_kib``."""
    from watchlists import load_watchlist, open_store, snapshot, write_report

    wl = load_watchlist(watchlist)
    times = []
    with open_store(home) as store:
        for i in range(SCALE_RUNS + 1):
            t0 = time.perf_counter()
            snap = snapshot(wl, ASOF, store=store, now=NOW)
            write_report(snap, ("md", "html", "csv", "json"), out)
            if i:
                times.append(time.perf_counter() - t0)
    print(*times, _peak_kib())


def _peak_kib() -> int:
    """This process's peak RSS in KiB: ``VmHWM`` of ``/proc/self/status`` on Linux (the
    high-water mark of this program's own memory). ``ru_maxrss`` is only the fallback:
    on Linux it also counts the parent's pages at the fork before ``exec``."""
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _scaling_rows(tmp: Path) -> list[dict]:
    from watchlists import open_store

    rows = []
    for n in SIZES:
        home = tmp / f"scale-{n}"
        symbols = synthetic_symbols(n)
        with open_store(home) as store:
            seed_synthetic(store, symbols)
        wl_path = tmp / f"scale-{n}.toml"
        synthetic_watchlist(wl_path, symbols)
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_report", "--child", str(home),
             str(wl_path), str(tmp / f"out-{n}")],
            capture_output=True, text=True, check=True, timeout=900,
            env={**os.environ, "PYTHONWARNINGS": "ignore", "WATCHLISTS_HOME": str(home)},
            cwd=Path(__file__).resolve().parent.parent)
        *times, rss = out.stdout.split()[-(SCALE_RUNS + 1):]
        secs = statistics.median(float(t) for t in times)
        spread = max(float(t) for t in times) - min(float(t) for t in times)
        peak = int(rss) / 1024
        label = (f"report: {n} SYNTHETIC bare members, snapshot + md/html(charts)/csv/json, "
                 f"fresh process, median of {SCALE_RUNS} (spread {spread:.2f} s)")
        target = {50: "< 2 s", 1000: "< 15 s"}.get(n, "linear")
        rows += [
            {"name": label, "figure": secs, "unit": "s", "ratio": None, "target": target},
            {"name": f"report: {n} members, seconds per member", "figure": secs / n * 1000,
             "unit": "ms/member", "ratio": None, "target": "small, flat"},
            {"name": f"report: {n} members, peak RSS of the process (VmHWM)",
             "figure": peak, "unit": "MB", "ratio": None,
             "target": "< 400 MB" if n == 1000 else "reference"},
        ]
    return rows


# --------------------------------------------------------------------------- whole process


def _process_time(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True, timeout=300, env=env)
    return time.perf_counter() - t0


def _process_rows(tmp: Path) -> list[dict]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    pandas_cmd = [sys.executable, "-c", "import pandas"]
    _compile_bytecode()
    _process_time(pandas_cmd, env)  # warm the OS file cache

    def report(fmt: str) -> float:
        home = tempfile.mkdtemp(dir=tmp, prefix="home-")  # a first report: empty home
        return _process_time([sys.executable, "-m", "watchlists", "--home", home, "report",
                              "china-ai-compute", "--offline", "--format", fmt, "--out",
                              str(Path(home) / "out")], {**env, "WATCHLISTS_HOME": home})

    report("md")  # warm the OS file cache (bytecode, data files)
    full, light, pd_ = [], [], []
    for _ in range(PROCESS_RUNS):  # interleaved, so drift hits all three alike
        full.append(report("md,html,csv,json"))
        light.append(report("md,csv,json"))
        pd_.append(_process_time(pandas_cmd, env))
    f, li, p = (statistics.median(x) for x in (full, light, pd_))
    return [
        {"name": "first bundled report process: report china-ai-compute --offline (all formats, "
                 f"charts), median of {PROCESS_RUNS} (spread {max(full) - min(full):.2f} s)",
         "figure": f, "unit": "s", "ratio": f / p, "target": "< 3x python -c 'import pandas'"},
        {"name": "first bundled report process, --format md,csv,json (no HTML), median "
                 f"of {PROCESS_RUNS}", "figure": li, "unit": "s", "ratio": li / p,
         "target": "reference"},
        {"name": f"python -c 'import pandas' process, median of {PROCESS_RUNS}", "figure": p,
         "unit": "s", "ratio": None, "target": "reference"},
    ]


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        return [*_scaling_rows(Path(tmp)), *_process_rows(Path(tmp)),
                *_report_rows(Path(tmp)), *_import_rows()]


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(*sys.argv[2:])
    else:
        raise SystemExit("usage: python -m benchmarks --only report")

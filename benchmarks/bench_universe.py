"""Benchmark: ``valuation.value_universe`` on a universe of SYNTHETIC companies (no real data).

* In-process, 13,000 companies × 10,000 paths (the size of every A-share, Hong
  Kong and US listing): wall time, path valuations per second and the ratio to
  a streaming bound measured in the same run -- drawing the same number of
  normals with the same Generator (PCG64) into a 256 MiB buffer, refilled, and
  one pass (a sum) over each fill, so the same bytes cross memory once
  (target: within 5x).
* Peak memory (``tracemalloc``, a separate run) at 13,000 and at 4,333
  companies (both several chunks).  The input table, the driver's float copy
  of it and the result grow with the universe (about 0.4 kB a company); the
  rest, the working memory, is bounded by the chunk: its ratio should be
  about 1.
* The same universe on a 2-worker Dask ``LocalCluster`` (one thread each):
  throughput and its ratio to in-process (about 1x on a 2-core machine: the
  point is identical numbers, asserted, and a figure to scale from).
* Growth with paths (1,300 companies × 2,500 / 5,000 / 10,000 paths) and with
  companies (1,300 / 4,333 / 13,000 × 10,000 paths): each ratio is the time
  growth over the size growth (1 = linear; below 1 with paths, as the
  per-company costs -- generators, DCF, reverse DCF -- do not grow with them).

About a minute on two cores.  Other sizes: ``python -m benchmarks.bench_universe
--companies N --paths P``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from valuation import value_universe

COMPANIES = 13_000
PATHS = 10_000
SEED = 1
_BLOCK = 2**25  # 256 MiB of float64: far beyond any cache

#: Uniform ranges of the SYNTHETIC inputs (revenue and the price are drawn apart).
RANGES = {
    "growth_mean": (-0.05, 0.40),
    "growth_sd": (0.02, 0.15),
    "margin_mean": (0.05, 0.35),
    "margin_sd": (0.01, 0.06),
    "discount_rate_mean": (0.07, 0.12),
    "discount_rate_sd": (0.005, 0.02),
    "sales_to_capital": (0.8, 3.0),
    "terminal_growth": (0.015, 0.03),
}


def synthetic_universe(n: int, seed: int = 13) -> pd.DataFrame:
    """``n`` SYNTHETIC companies with every input column of :mod:`valuation.universe`."""
    rng = np.random.default_rng(seed)
    revenue = np.exp(rng.uniform(np.log(50.0), np.log(50_000.0), n))  # millions
    shares = revenue / rng.uniform(5.0, 50.0, n)  # revenue per share 5..50
    table = pd.DataFrame({k: rng.uniform(lo, hi, n) for k, (lo, hi) in RANGES.items()})
    table.insert(0, "id", [f"SYN{i:05d}" for i in range(1, n + 1)])
    table.insert(1, "price", revenue / shares * rng.uniform(0.5, 8.0, n))  # P/S 0.5..8
    table.insert(2, "revenue", revenue)
    table.insert(3, "shares", shares)
    table.insert(4, "net_cash", revenue * rng.uniform(-0.5, 0.5, n))
    table["operating_margin"] = table["margin_mean"] - rng.uniform(-0.05, 0.10, n)
    table["tax_rate"] = rng.choice([0.15, 0.21, 0.25], n)
    return table


def _timed(table: pd.DataFrame, paths: int, **kw) -> tuple[float, pd.DataFrame]:
    t0 = time.perf_counter()
    out = value_universe(table, paths=paths, seed=SEED, **kw)
    return time.perf_counter() - t0, out


def _peak(table: pd.DataFrame, paths: int) -> tuple[int, int]:
    """(peak traced bytes of a run, bytes of its tables: input, its float copy, result)."""
    tracemalloc.start()
    try:
        out = value_universe(table, paths=paths, seed=SEED)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    tables = (
        table.memory_usage(deep=True).sum()
        + table.select_dtypes("number").memory_usage(index=False).sum()
        + out.memory_usage(deep=True).sum()
    )
    return peak, int(tables)


def _streaming_bound(normals: int) -> float:
    """Seconds to draw ``normals`` standard normals (PCG64) and sum each block once."""
    rng = np.random.default_rng(SEED)
    block = np.zeros(min(normals, _BLOCK))  # touched: no page faults in the timing
    t0 = time.perf_counter()
    left = normals
    while left > 0:
        part = block[: min(left, block.size)]
        rng.standard_normal(out=part)
        part.sum()
        left -= part.size
    return time.perf_counter() - t0


def _cluster_run(table: pd.DataFrame, paths: int) -> tuple[float, pd.DataFrame]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address="127.0.0.1:0") as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        return _timed(table, paths, client=client)


def _linearity(name: str, sizes: list[int], times: list[float], unit: str) -> list[dict]:
    rows = []
    for size, t in zip(sizes, times):
        rows.append({
            "name": f"{name} {size:,} {unit}",
            "figure": t,
            "unit": "s",
            "ratio": (t / times[0]) / (size / sizes[0]),
            "target": "<= ~1x (linear)",
        })  # fmt: skip
    return rows


def run(companies: int = COMPANIES, paths: int = PATHS) -> list[dict]:
    """Return benchmark rows: name, figure, unit, ratio, target."""
    table = synthetic_universe(companies)
    small = table.iloc[: companies // 10]
    mid = table.iloc[: companies // 3]
    _timed(small.iloc[:20], 100)  # warm-up: first-call costs out of the timings
    t_full, in_process = _timed(table, paths)
    cells = companies * paths
    t_bound = _streaming_bound(3 * cells)
    (peak_full, tables_full), (peak_mid, tables_mid) = _peak(table, paths), _peak(mid, paths)
    t_dask, on_cluster = _cluster_run(table, paths)
    pd.testing.assert_frame_equal(on_cluster, in_process, check_exact=True)
    path_points = [paths // 4, paths // 2, paths]
    path_times = [_timed(small, p)[0] for p in path_points]
    company_times = [path_times[-1], _timed(mid, paths)[0], t_full]
    size = f"{companies:,} synthetic companies x {paths:,} paths"
    return [
        {"name": f"value_universe in-process, {size}", "figure": t_full, "unit": "s",
         "ratio": None, "target": None},
        {"name": "  path valuations per second (ratio: time over the streaming bound)",
         "figure": cells / t_full, "unit": "paths/s", "ratio": t_full / t_bound,
         "target": "<= 5x"},
        {"name": f"  streaming bound: {3 * cells:,} normals (PCG64) + one pass over their bytes",
         "figure": t_bound, "unit": "s", "ratio": None, "target": None},
        {"name": f"  peak memory, tracemalloc (ratio: over {len(mid):,} companies)",
         "figure": peak_full / 2**20, "unit": "MiB", "ratio": peak_full / peak_mid,
         "target": None},
        {"name": "  ... less the input table, its float copy and the result (working memory)",
         "figure": (peak_full - tables_full) / 2**20, "unit": "MiB",
         "ratio": (peak_full - tables_full) / (peak_mid - tables_mid), "target": "~1x"},
        {"name": f"value_universe 2-worker LocalCluster, {size}, numbers identical",
         "figure": cells / t_dask, "unit": "paths/s", "ratio": t_full / t_dask,
         "target": "~1x on 2 cores"},
        *_linearity(f"  growth with paths: {len(small):,} companies x", path_points, path_times,
                    "paths"),
        *_linearity(f"  growth with companies ({paths:,} paths):",
                    [len(small), len(mid), companies], company_times, "companies"),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=COMPANIES)
    parser.add_argument("--paths", type=int, default=PATHS)
    args = parser.parse_args()
    for row in run(args.companies, args.paths):
        print(row)

"""Universe-scale screen: a Monte Carlo DCF, a DCF and a reverse DCF for every company of a table.

:func:`value_universe` takes one row per company and gives one row back per
company, computing in chunks of whole companies so that memory is bounded by
the chunk, not by the universe; with a Dask ``client`` the same chunk function
runs on the cluster's workers.

Input columns
-------------
One row per company.  ``id``, ``price``, ``revenue`` and ``shares`` are
columns; every other field is a column (one value per company) or, for every
company at once, an entry of ``assumptions``.  Columns not listed are ignored.

======================  ========================================================
``id``                  unique company identifier; the result's index (``str(id)``)
``price``               market price per share (> 0)
``revenue``             latest annual revenue (> 0)
``shares``              share count (> 0); ``revenue / shares`` is per share
``net_cash``            cash minus debt, in the unit of ``revenue``
``growth_mean``         high-growth rate: mean (> -1) ...
``growth_sd``           ... and standard deviation (>= 0) of its normal
``margin_mean``         target operating margin: mean (<= 1) ...
``margin_sd``           ... and standard deviation (>= 0)
``discount_rate_mean``  discount rate (WACC): mean (> ``terminal_growth``) ...
``discount_rate_sd``    ... and standard deviation (>= 0)
``operating_margin``    current operating margin (<= 1)
``tax_rate``            in [0, 1)
``sales_to_capital``    revenue added per unit of capital (> 0; ``inf``: none)
``terminal_growth``     growth after the fade (> -1)
``terminal_roic``       optional (> 0; ``inf``: no terminal reinvestment);
                        absent: the discount rate (each path's, in the Monte Carlo)
======================  ========================================================

Output columns
--------------
Indexed by ``id`` (strings), in the input's row order:

* ``price``;
* ``value_p5``, ``value_p25``, ``value_p50``, ``value_p75``, ``value_p95``,
  ``value_mean``: the Monte Carlo value per share of
  :func:`valuation.simulate_value` (growth, target margin and discount rate
  drawn from their normals, clipped as documented there), and
  ``prob_above_price``, the share of paths valued above the price;
* ``dcf_value_per_share``, ``enterprise_value``, ``equity_value``,
  ``terminal_share``: :func:`valuation.dcf` at the means (growth path
  ``fade_path(growth_mean, terminal_growth, high_years, fade_years)``,
  ``target_margin = margin_mean``, ``discount_rate = discount_rate_mean``);
* ``implied_growth``, ``implied_growth_status``: :func:`valuation.implied_growth`
  with the same mean inputs;
* ``status``: ``'ok'``; ``'missing input: <fields>'`` (NaN inputs: the figures
  that depend on them are NaN, as in every model of the package);
  ``'invalid input: <reason>'`` (a value out of range: the company is not
  valued, its figures are NaN); ``'error: <exception>'`` (a model raised for
  this company alone).  A bad company never stops the batch;
* ``warnings``: the models' warnings for the company, joined by ``"; "``.

Random streams
--------------
Company ``id`` draws its ``(3, paths)`` normals from
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(h,)))`` with
``h = int.from_bytes(blake2b(str(id).encode("utf-8"), digest_size=16,
person=b"value_universe").digest(), "big")`` (``hashlib.blake2b``), a hash that
does not depend on ``PYTHONHASHSEED``.  A company's numbers depend only on its
own row, ``seed`` and the settings: never on its position, the chunking, the
partitioning, the worker count or the other companies.

Memory
------
A chunk of ``chunk_size`` companies is valued at a time.  Its peak working
memory is about ``90 * max(paths, min(chunk_size * paths, 65_536))`` bytes for
the paths (the Monte Carlo values at most 65,536 company × path cells at
once, see :mod:`valuation.simulation`) plus at most about
``1,500 + 250 * years`` bytes a company (``years = high_years + fade_years``)
for the inputs, the generators, the reverse DCF and the DCF's per-year table
(measured with ``tracemalloc``: about 1.4 kB a company at 10 years).  ``chunk_size=None``
picks the largest chunk that fits ``memory_budget``, at most enough companies
for 2**24 company × path cells (1,678 companies at 10,000 paths): larger
chunks are no faster.  Besides the chunk, a call holds a float copy of the
inputs (120 bytes a company) and the result table (about 160 bytes a company
with its text); nothing else grows with the universe.  With Dask the budget
applies to each worker thread.

Dask
----
With ``client`` (a ``dask.distributed.Client``) the table is cut into
partitions of ``partition_size`` companies (default: about four per worker
thread), each partition is one task (``client.map``) running the chunk loop
on a worker, and the results are gathered into the same frame.  Tasks are
pure functions of their rows, so Dask reruns those of a lost worker and the
result is identical.  Dask is an optional extra
(``pip install ai-compute-watchlists[dask]``), imported only when ``client``
is given.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from valuation._checks import check, check_int, fmt, missing_fields, missing_reason, to_array
from valuation.growth import fade_path
from valuation.intrinsic import _RULES, dcf
from valuation.reverse import implied_growth
from valuation.simulation import _BYTES_PER_CELL, _CACHE_CELLS, PERCENTILES, simulate_value

__all__ = ["value_universe"]

#: Columns that must be in the table (the rest may come from ``assumptions``).
REQUIRED_COLUMNS = ("id", "price", "revenue", "shares")
#: Numeric fields in validation order, with their bounds (as in :func:`valuation._checks.check`).
FIELD_RULES: dict[str, dict[str, Any]] = {
    "price": _RULES["price"],
    "revenue": _RULES["revenue"],
    "shares": _RULES["shares"],
    "net_cash": _RULES["net_cash"],
    "growth_mean": {"gt": -1},
    "growth_sd": {"ge": 0},
    "margin_mean": _RULES["target_margin"],
    "margin_sd": {"ge": 0},
    "discount_rate_mean": _RULES["discount_rate"],
    "discount_rate_sd": {"ge": 0},
    "operating_margin": _RULES["operating_margin"],
    "tax_rate": _RULES["tax_rate"],
    "sales_to_capital": _RULES["sales_to_capital"],
    "terminal_growth": _RULES["terminal_growth"],
    "terminal_roic": _RULES["terminal_roic"],
}
INPUT_COLUMNS = ("id", *FIELD_RULES)
OPTIONAL_COLUMNS = ("terminal_roic",)
VALUE_COLUMNS = (*(f"value_p{q}" for q in PERCENTILES), "value_mean")
OUTPUT_COLUMNS = (
    "price",
    *VALUE_COLUMNS,
    "prob_above_price",
    "dcf_value_per_share",
    "enterprise_value",
    "equity_value",
    "terminal_share",
    "implied_growth",
    "implied_growth_status",
    "status",
    "warnings",
)
STATUS_OK = "ok"
_TEXT_COLUMNS = ("implied_growth_status", "status", "warnings")

#: Estimated bytes a company of a chunk holds besides the paths: a constant
#: plus a part per DCF year (the per-year table, the reverse-DCF weights).
_BYTES_PER_COMPANY = 1_500
_BYTES_PER_COMPANY_YEAR = 250
#: A chunk holds at most this many company × path cells (whole companies).
_CHUNK_CELLS = 2**24
_DEFAULT_BUDGET = 256 * 2**20
_TASKS_PER_THREAD = 4
#: How to install the optional Dask extra (quoted by every message that needs it).
DASK_INSTALL_HINT = "pip install ai-compute-watchlists[dask]"
#: Where a value fails its bound (NaN passes: it is missing, not invalid).
_FAILS = {"gt": np.less_equal, "ge": np.less, "lt": np.greater_equal, "le": np.greater}


@dataclass(frozen=True)
class _Settings:
    """Everything a worker needs besides the rows (picklable)."""

    paths: int
    seed: int
    high_years: int
    fade_years: int
    margin_years: int
    chunk_size: int


def _company_seeds(seed: int, ids: pd.Index) -> list[np.random.SeedSequence]:
    """One SeedSequence per company, keyed on the root seed and a stable hash of the id."""
    out = []
    for company in ids:
        digest = hashlib.blake2b(
            str(company).encode("utf-8"), digest_size=16, person=b"value_universe"
        ).digest()
        out.append(np.random.SeedSequence(seed, spawn_key=(int.from_bytes(digest, "big"),)))
    return out


def _ids(companies: pd.DataFrame) -> pd.Index:
    if "id" in companies.columns:
        raw = companies["id"]
    elif companies.index.name == "id":
        raw = companies.index.to_series()
    else:
        raise ValueError(
            f"companies must have an 'id' column (or an index named 'id'), "
            f"got columns {list(companies.columns)[:10]}"
        )
    missing = raw.isna().to_numpy()
    ids = pd.Index([str(x) for x in raw], name="id")
    blank = missing | np.asarray(ids.str.strip() == "")
    if blank.any():
        row = int(np.flatnonzero(blank)[0])
        raise ValueError(f"companies['id'] is missing at row {row}, got {raw.iloc[row]!r}")
    if not ids.is_unique:
        raise ValueError(f"companies['id'] has duplicates: {list(ids[ids.duplicated()])[:5]}")
    return ids


def _numeric(companies: pd.DataFrame, name: str, ids: pd.Index) -> np.ndarray:
    col = companies[name]
    try:
        return col.to_numpy(dtype=float, na_value=np.nan, copy=True)
    except (TypeError, ValueError):
        bad = pd.to_numeric(col, errors="coerce").isna() & col.notna()
        row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
        raise TypeError(
            f"companies[{name!r}] must be numeric, got {col.iloc[row]!r} at row {row} "
            f"(id {ids[row]!r})"
        ) from None


def _inputs(companies: pd.DataFrame, assumptions: Mapping[str, float] | None) -> pd.DataFrame:
    """The validated-shape float table (index ``id``, one column per field present)."""
    if not isinstance(companies, pd.DataFrame):
        raise TypeError(f"companies must be a pandas DataFrame, got {type(companies).__name__}")
    repeated = companies.columns[companies.columns.duplicated()]
    if len(repeated):
        raise ValueError(f"companies has duplicate columns: {sorted(map(str, set(repeated)))}")
    given = dict(assumptions or {})
    ids = _ids(companies)
    for name in given:
        if name not in FIELD_RULES or name in REQUIRED_COLUMNS:
            allowed = [f for f in FIELD_RULES if f not in REQUIRED_COLUMNS]
            raise ValueError(f"assumptions has an unknown field {name!r}; allowed: {allowed}")
        if name in companies.columns:
            raise ValueError(
                f"assumptions[{name!r}] is also a column of companies: give it once"
            )
    columns: dict[str, np.ndarray] = {}
    n = len(companies)
    for name, rules in FIELD_RULES.items():
        if name in companies.columns:
            columns[name] = _numeric(companies, name, ids)
        elif name in given:
            value, _ = to_array(given[name], f"assumptions[{name!r}]")
            if value.ndim:
                raise TypeError(f"assumptions[{name!r}] must be one number, got {given[name]!r}")
            check(value, f"assumptions[{name!r}]", **rules)
            columns[name] = np.full(n, float(value))
        elif name not in OPTIONAL_COLUMNS:
            where = "" if name in REQUIRED_COLUMNS else f" or assumptions={{{name!r}: ...}}"
            raise ValueError(f"companies has no column {name!r}: give the column{where}")
    if "discount_rate_mean" in given and "terminal_growth" in given:
        r, g = given["discount_rate_mean"], given["terminal_growth"]
        if not r > g:
            raise ValueError(
                f"assumptions['discount_rate_mean'] {fmt(r)} must exceed "
                f"assumptions['terminal_growth'] {fmt(g)}"
            )
    return pd.DataFrame(columns, index=ids)


def _invalid(rows: pd.DataFrame) -> np.ndarray:
    """Per company ``''`` or ``'invalid input: <first value out of range>'``."""
    reasons = np.full(len(rows), "", dtype=object)
    for name, rules in FIELD_RULES.items():
        if name not in rows:
            continue
        x = rows[name].to_numpy()
        bad = np.isneginf(x) if rules.get("allow_inf") else np.isinf(x)
        with np.errstate(invalid="ignore"):
            for key, fails in _FAILS.items():
                if key in rules:
                    bad |= fails(x, rules[key])
        for i in np.flatnonzero(bad & (reasons == "")):
            try:
                check(np.asarray(x[i]), name, **rules)
            except ValueError as exc:
                reasons[i] = f"invalid input: {exc}"
    r, g = rows["discount_rate_mean"].to_numpy(), rows["terminal_growth"].to_numpy()
    for i in np.flatnonzero((r <= g) & (reasons == "")):
        reasons[i] = (
            f"invalid input: discount_rate_mean {fmt(r[i])} must exceed "
            f"terminal_growth {fmt(g[i])}"
        )
    return reasons


def _value_chunk(rows: pd.DataFrame, s: _Settings) -> pd.DataFrame:
    """The three models on valid rows (NaN allowed): OUTPUT_COLUMNS but status."""
    col = {name: rows[name] for name in rows.columns}
    roic = col.get("terminal_roic")
    sim = simulate_value(
        col["revenue"],
        price=col["price"],
        shares=col["shares"],
        growth=(col["growth_mean"], col["growth_sd"]),
        margin=(col["margin_mean"], col["margin_sd"]),
        discount_rate=(col["discount_rate_mean"], col["discount_rate_sd"]),
        operating_margin=col["operating_margin"],
        tax_rate=col["tax_rate"],
        sales_to_capital=col["sales_to_capital"],
        terminal_growth=col["terminal_growth"],
        terminal_roic=roic,
        net_cash=col["net_cash"],
        margin_years=s.margin_years,
        high_years=s.high_years,
        fade_years=s.fade_years,
        paths=s.paths,
        seed=_company_seeds(s.seed, rows.index),
    )
    common = {
        "operating_margin": col["operating_margin"],
        "target_margin": col["margin_mean"],
        "margin_years": s.margin_years,
        "tax_rate": col["tax_rate"],
        "sales_to_capital": col["sales_to_capital"],
        "discount_rate": col["discount_rate_mean"],
        "terminal_growth": col["terminal_growth"],
        "terminal_roic": roic,
        "net_cash": col["net_cash"],
        "shares": col["shares"],
    }
    rev = implied_growth(
        col["price"], col["revenue"], high_years=s.high_years, fade_years=s.fade_years, **common
    )
    path = fade_path(
        col["growth_mean"].to_numpy(), col["terminal_growth"].to_numpy(), s.high_years,
        s.fade_years,
    )
    flows = dcf(col["revenue"], pd.DataFrame(path, index=rows.index), price=col["price"], **common)
    out = sim.table.drop(columns="price").rename(
        columns={f"p{q}": f"value_p{q}" for q in PERCENTILES} | {"mean": "value_mean"}
    )
    out.insert(0, "price", col["price"])
    summary = flows.summary
    out["dcf_value_per_share"] = summary["value_per_share"]
    for name in ("enterprise_value", "equity_value", "terminal_share"):
        out[name] = summary[name]
    out["implied_growth"] = rev.table["growth"]
    out["implied_growth_status"] = rev.table["status"]
    warned = pd.concat([sim.warning_table, rev.warning_table, flows.warning_table])
    joined = warned.groupby("company", sort=False)["message"].agg(
        lambda m: "; ".join(dict.fromkeys(m))
    )
    out["warnings"] = joined.reindex(rows.index).fillna("").astype(object)
    return out


def _failed(rows: pd.DataFrame, reason: str) -> pd.DataFrame:
    out = pd.DataFrame(np.nan, index=rows.index, columns=list(OUTPUT_COLUMNS))
    out["price"] = rows["price"]
    out["implied_growth_status"] = reason
    out["status"] = reason
    out["warnings"] = ""
    return out.astype({"implied_growth_status": object, "status": object, "warnings": object})


def _value_safely(rows: pd.DataFrame, s: _Settings) -> pd.DataFrame:
    """:func:`_value_chunk`, company by company if the chunk raises (one bad row, one status)."""
    try:
        out = _value_chunk(rows, s)
    except (ValueError, TypeError, ArithmeticError) as exc:
        if len(rows) == 1:
            return _failed(rows, f"error: {type(exc).__name__}: {exc}")
        return pd.concat([_value_safely(rows.iloc[[i]], s) for i in range(len(rows))])
    missing = missing_fields({k: rows[k].to_numpy() for k in rows.columns}, (len(rows),))
    out["status"] = [missing_reason(m) if m else STATUS_OK for m in missing]
    return out


def _value_partition(
    rows: pd.DataFrame, settings: _Settings, progress: Callable[[int], None] | None = None
) -> pd.DataFrame:
    """Value a partition chunk by chunk (what a Dask task runs); rows in input order."""
    reasons = _invalid(rows)
    frames = [_failed(rows.iloc[:0], "")]  # the columns and dtypes, for an empty partition
    for start in range(0, len(rows), settings.chunk_size):
        chunk = rows.iloc[start : start + settings.chunk_size]
        bad = reasons[start : start + settings.chunk_size]
        good = bad == ""
        parts = [_value_safely(chunk[good], settings)] if good.any() else []
        parts += [_failed(chunk[bad == reason], reason) for reason in dict.fromkeys(bad[~good])]
        done = parts[0] if len(parts) == 1 else pd.concat(parts).reindex(chunk.index)
        frames.append(done[list(OUTPUT_COLUMNS)].astype({c: str for c in _TEXT_COLUMNS}))
        if progress is not None:
            progress(len(chunk))
    return pd.concat(frames)


def _chunk_size(paths: int, years: int, budget: int) -> int:
    """Companies a chunk may hold under ``budget`` bytes (see the module docstring)."""
    per_company = _BYTES_PER_COMPANY + _BYTES_PER_COMPANY_YEAR * years
    paths_bytes = _BYTES_PER_CELL * max(paths, _CACHE_CELLS)
    fits = (budget - paths_bytes) // per_company
    if fits < 1:
        need = paths_bytes + per_company
        raise ValueError(
            f"memory_budget must be at least {need:,} bytes for {paths:,} paths, got {budget:,}"
        )
    return int(max(1, min(fits, _CHUNK_CELLS // paths)))


def _require_distributed() -> Any:
    """Import ``distributed``; without it, an ImportError that says how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(
            f"value_universe(client=...) needs Dask, which is not installed: {DASK_INSTALL_HINT}"
        ) from exc
    return distributed


def _on_cluster(
    client: Any,
    rows: pd.DataFrame,
    settings: _Settings,
    partition_size: int | None,
    progress: Callable[[int], None] | None,
) -> pd.DataFrame:
    distributed = _require_distributed()
    n = len(rows)
    if partition_size is None:
        threads = max(1, sum(client.nthreads().values()))
        partition_size = max(1, math.ceil(n / (_TASKS_PER_THREAD * threads)))
    parts = [rows.iloc[i : i + partition_size] for i in range(0, n, partition_size)]
    futures = client.map(_value_partition, parts, settings=settings, key="value_universe")
    position: dict[Hashable, int] = {f.key: i for i, f in enumerate(futures)}
    frames: list[pd.DataFrame | None] = [None] * len(futures)
    for future, frame in distributed.as_completed(futures, with_results=True):
        frames[position[future.key]] = frame
        if progress is not None:
            progress(len(frame))
    return pd.concat(frames)


def value_universe(
    companies: pd.DataFrame,
    *,
    paths: int,
    seed: int,
    high_years: int = 5,
    fade_years: int = 5,
    margin_years: int = 5,
    assumptions: Mapping[str, float] | None = None,
    chunk_size: int | None = None,
    memory_budget: int = _DEFAULT_BUDGET,
    client: Any = None,
    partition_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Monte Carlo DCF, DCF and reverse DCF of every company of a table, one row out each.

    See the module docstring for the input and output columns, the statuses,
    the random streams and the memory bound.  Numbers for a company depend on
    its row, ``seed`` and the settings only: not on the chunk size, the row
    order, the partitions or the workers.

    Parameters
    ----------
    companies : pandas.DataFrame
        One row per company with the documented columns (others are ignored);
        not modified.
    paths : int
        Monte Carlo paths per company (>= 1).
    seed : int
        Root seed (>= 0); company streams derive from it and the company's id.
    high_years, fade_years : int
        Years of flat high growth (>= 1), then of linear fade to terminal growth (>= 0).
    margin_years : int
        Years to reach the target margin (>= 1).
    assumptions : mapping of str to float, optional
        One value for every company for fields that are not columns
        (``{"tax_rate": 0.2, "terminal_growth": 0.03}``).
    chunk_size : int, optional
        Companies valued at once (>= 1); None chooses it from ``memory_budget``.
    memory_budget : int
        Bytes a chunk may use when ``chunk_size`` is None (default 256 MiB).
    client : dask.distributed.Client, optional
        Run the partitions on this cluster (needs the ``dask`` extra).
    partition_size : int, optional
        Companies per Dask task (default: about four tasks per worker thread).
    progress : callable, optional
        Called with the number of companies just finished, after each chunk
        (each task with ``client``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id`` in the input's order, with the documented output columns.

    Examples
    --------
    >>> table = pd.DataFrame({"id": ["A", "B"], "price": [20.0, 5.0],
    ...                       "revenue": [100.0, -1.0], "shares": [10.0, 10.0],
    ...                       "growth_mean": 0.15, "growth_sd": 0.05})
    >>> kw = dict(net_cash=0.0, margin_mean=0.25, margin_sd=0.03, discount_rate_mean=0.09,
    ...           discount_rate_sd=0.01, operating_margin=0.15, tax_rate=0.2,
    ...           sales_to_capital=2.0, terminal_growth=0.02)
    >>> res = value_universe(table, paths=2000, seed=7, assumptions=kw)
    >>> res.loc["A", ["value_p5", "value_p50", "value_p95"]].round(2).tolist()
    [26.67, 44.12, 74.5]
    >>> res["status"].tolist()
    ['ok', 'invalid input: revenue must be greater than 0, got -1']
    """
    n_paths = check_int(paths, "paths", ge=1)
    high = check_int(high_years, "high_years", ge=1)
    fade = check_int(fade_years, "fade_years", ge=0)
    budget = check_int(memory_budget, "memory_budget", ge=1)
    if chunk_size is None:
        chunk = _chunk_size(n_paths, high + fade, budget)
    else:
        chunk = check_int(chunk_size, "chunk_size", ge=1)
    settings = _Settings(
        paths=n_paths,
        seed=_check_seed(seed),
        high_years=high,
        fade_years=fade,
        margin_years=check_int(margin_years, "margin_years", ge=1),
        chunk_size=chunk,
    )
    if partition_size is not None:
        partition_size = check_int(partition_size, "partition_size", ge=1)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable, got {progress!r}")
    if client is not None:
        distributed = _require_distributed()
        if not isinstance(client, distributed.Client):
            raise TypeError(f"client must be a dask.distributed.Client, got {client!r}")
    rows = _inputs(companies, assumptions)
    if client is not None and len(rows):
        out = _on_cluster(client, rows, settings, partition_size, progress)
    else:
        out = _value_partition(rows, settings, progress)
    # one index and text dtype whatever the transport did to them (Dask may convert strings)
    out.index = rows.index
    return out.astype({name: str for name in _TEXT_COLUMNS})


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return int(seed)

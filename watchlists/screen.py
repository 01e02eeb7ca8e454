"""Screen a universe of companies from a CSV file: ``python -m watchlists screen``.

The command reads the universe (:func:`read_universe`), values every company
with :func:`valuation.value_universe` (a Monte Carlo DCF, a DCF and a reverse
DCF, in chunks; on a Dask cluster with ``--scheduler``) and writes the result
as Parquet and CSV, atomically (:func:`write_screen`).  All three steps are
callable from a notebook.

Universe CSV
------------
UTF-8, one header row, one row per company.  Lines starting with ``#``
before the header are comments.  Columns (any order):

* ``id`` (text, unique, required);
* the numeric inputs of :mod:`valuation.universe`, all required: ``price``,
  ``revenue``, ``shares``, ``net_cash``, ``growth_mean``, ``growth_sd``,
  ``margin_mean``, ``margin_sd``, ``discount_rate_mean``,
  ``discount_rate_sd``, ``operating_margin``, ``tax_rate``,
  ``sales_to_capital``, ``terminal_growth``; ``terminal_roic`` is optional;
* ``name`` and ``note`` (free text, optional; not used by the models).

A numeric cell is a decimal number (``inf`` allowed where the model allows
it); an empty cell is a missing value, which gives that company a
``missing input`` status.  Any other column, a cell that is not a number, a
duplicate or empty id or a ragged row is a bad file: the error names the row
(its line in the file) and the column.

Output: ``DIR/<universe file stem>-screen.parquet`` and ``.csv``, one row per
company with the columns of :mod:`valuation.universe`, ``id`` first.

Exit codes: 0 every company valued (``status == 'ok'``); 1 some company has
another status (missing or invalid input, a model error); 2 bad input (the
file, a column or cell, an option, an unreachable scheduler, a missing extra).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import importlib.util
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._io import atomic_write_bytes, atomic_write_text, csv_safe, ensure_dir
from .errors import DataFileError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TEXT_COLUMNS", "read_universe", "write_screen"]

#: Free-text columns a universe file may carry (ignored by the models).
TEXT_COLUMNS = ("name", "note")
EXIT_OK, EXIT_PARTIAL, EXIT_BAD_INPUT = 0, 1, 2
#: How long ``--scheduler`` waits for the scheduler to answer.
CONNECT_TIMEOUT = "10s"


def _columns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(numeric columns, optional columns) of the universe file, from the model's list."""
    from valuation.universe import INPUT_COLUMNS, OPTIONAL_COLUMNS

    return tuple(c for c in INPUT_COLUMNS if c != "id"), (*OPTIONAL_COLUMNS, *TEXT_COLUMNS)


def read_universe(path: str | Path) -> pd.DataFrame:
    r"""Read and validate a universe CSV (see the module docstring for its columns).

    Returns a DataFrame with ``id`` (str), the numeric columns as float (NaN
    for an empty cell) and any ``name``/``note`` text, in file order.  Raises
    :class:`~watchlists.errors.DataFileError` naming the row and column.

    Examples
    --------
    >>> import tempfile
    >>> columns = ("id,price,revenue,shares,net_cash,growth_mean,growth_sd,margin_mean,"
    ...            "margin_sd,discount_rate_mean,discount_rate_sd,operating_margin,tax_rate,"
    ...            "sales_to_capital,terminal_growth")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "u.csv"
    ...     _ = path.write_text("# SYNTHETIC\n" + columns + "\nSYN1,20,100,10,0,0.1,0.05,"
    ...                         "0.2,0.03,0.09,0.01,0.15,0.2,2,0.02\nSYN2,,50,5,0,0.1,0.05,"
    ...                         "0.2,0.03,0.09,0.01,0.15,0.2,2,0.02\n")
    ...     table = read_universe(path)
    >>> table["id"].tolist(), table["price"].tolist()
    (['SYN1', 'SYN2'], [20.0, nan])
    """
    import pandas as pd

    name = Path(path).name
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read universe file {str(path)!r}: {exc}") from None
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].lstrip().startswith("#"):
        skipped += 1
    reader = csv.reader(io.StringIO("".join(lines[skipped:])))
    header = [h.strip() for h in next(reader, [])]
    numeric, optional = _columns()
    _check_header(header, name, skipped + 1, numeric, optional)
    cells: dict[str, list[Any]] = {h: [] for h in header}
    seen: dict[str, int] = {}
    for record in reader:
        row = skipped + reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            raise DataFileError(
                f"{name} row {row}: {len(record)} fields, the header has {len(header)}"
            )
        values = dict(zip(header, (cell.strip() for cell in record)))
        company = values["id"]
        if not company:
            raise DataFileError(f"{name} row {row}, column 'id': the id is empty")
        if company in seen:
            raise DataFileError(
                f"{name} row {row}, column 'id': duplicate id {company!r} (also row "
                f"{seen[company]})"
            )
        seen[company] = row
        for column, cell in values.items():
            if column in numeric:
                cells[column].append(_number(cell, name, row, company, column))
            else:
                cells[column].append(cell)
    return pd.DataFrame(cells, columns=header).astype({c: float for c in header if c in numeric})


def _check_header(
    header: list[str], name: str, row: int, numeric: tuple[str, ...], optional: tuple[str, ...]
) -> None:
    known = ("id", *numeric, *TEXT_COLUMNS)
    for column in header:
        if column not in known:
            close = difflib.get_close_matches(column, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DataFileError(
                f"{name} row {row} (header), column {column!r}: unknown column{hint}; "
                f"columns are {', '.join(known)}"
            )
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise DataFileError(f"{name} row {row} (header): duplicate column(s) {duplicated}")
    missing = [c for c in ("id", *numeric) if c not in header and c not in optional]
    if missing:
        raise DataFileError(f"{name} row {row} (header): missing column(s) {missing}")


def _number(cell: str, name: str, row: int, company: str, column: str) -> float:
    if not cell:
        return float("nan")
    try:
        return float(cell)
    except ValueError:
        raise DataFileError(
            f"{name} row {row} ({company}), column {column!r}: {cell!r} is not a number"
        ) from None


def write_screen(table: pd.DataFrame, out_dir: str | Path, stem: str) -> dict[str, Path]:
    """Write ``table`` as ``<stem>-screen.parquet`` and ``.csv`` in ``out_dir``, atomically.

    Returns ``{"parquet": path, "csv": path}``.  Parquet needs ``pyarrow``.
    """
    directory = ensure_dir(out_dir)
    buffer = io.BytesIO()
    table.to_parquet(buffer, engine="pyarrow")
    return {
        "parquet": atomic_write_bytes(directory / f"{stem}-screen.parquet", buffer.getvalue()),
        "csv": atomic_write_text(directory / f"{stem}-screen.csv", csv_safe(table).to_csv()),
    }


def _client(address: str) -> Any:
    from valuation.universe import DASK_INSTALL_HINT

    if importlib.util.find_spec("distributed") is None:
        raise ValueError(f"--scheduler needs Dask, which is not installed: {DASK_INSTALL_HINT}")
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot connect to --scheduler {address!r}: {exc}") from None


def run_screen(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The ``screen`` command (parsed by :mod:`watchlists.cli`); returns the exit code."""
    from valuation import value_universe

    if importlib.util.find_spec("pyarrow") is None:
        raise ValueError("screen writes Parquet, which needs pyarrow: pip install pyarrow")
    table = read_universe(args.universe)
    client = _client(args.scheduler) if args.scheduler else None
    bar = None
    if err.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(table), file=err, unit=" companies", leave=False)
    try:
        result = value_universe(table, paths=args.paths, seed=args.seed, client=client,
                                progress=None if bar is None else bar.update)
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    try:
        paths = write_screen(result, args.out, Path(args.universe).stem)
    except OSError as exc:
        raise ValueError(f"cannot write the screen to {args.out!r}: {exc}") from None
    for fmt, path in paths.items():
        print(f"{fmt:<7} {path}", file=out)
    failed = int((result["status"] != "ok").sum())
    where = f" on {args.scheduler}" if args.scheduler else ""
    print(f"{Path(args.universe).name}: {len(result)} companies, {args.paths:,} paths, "
          f"seed {args.seed}{where}: {len(result) - failed} ok, {failed} with another status "
          "(see the status column)", file=err)
    return EXIT_PARTIAL if failed else EXIT_OK

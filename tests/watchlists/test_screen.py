"""``python -m watchlists screen``: the universe file, the outputs and the exit codes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valuation import value_universe
from watchlists.cli import main
from watchlists.errors import DataFileError
from watchlists.screen import read_universe, write_screen

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "synthetic_universe.csv"
HEADER = (
    "id,price,revenue,shares,net_cash,growth_mean,growth_sd,margin_mean,margin_sd,"
    "discount_rate_mean,discount_rate_sd,operating_margin,tax_rate,sales_to_capital,"
    "terminal_growth"
)
GOOD = "0,0.1,0.05,0.2,0.03,0.09,0.01,0.15,0.2,2,0.02"  # net_cash .. terminal_growth


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _screen(*args: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    code = main(["screen", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "u.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_example_universe_is_synthetic_and_screens_as_it_is(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.startswith("# SYNTHETIC")
    table = read_universe(EXAMPLE)
    assert 200 <= len(table) <= 1000 and table["id"].is_unique
    assert (table["note"].str.startswith("SYNTHETIC")).all()
    code, out, err = _screen(str(EXAMPLE), "--paths", "200", "--seed", "3", "--out",
                             str(tmp_path / "out"))
    assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["synthetic_universe-screen.csv", "synthetic_universe-screen.parquet"]
    assert str(tmp_path / "out" / "synthetic_universe-screen.parquet") in out
    assert f"{len(table)} companies, 200 paths, seed 3: {len(table)} ok, 0 with" in err
    expected = value_universe(table, paths=200, seed=3)
    parquet = pd.read_parquet(tmp_path / "out" / "synthetic_universe-screen.parquet")
    pd.testing.assert_frame_equal(parquet, expected, check_exact=True, check_index_type=False,
                                  check_dtype=False)
    csv = pd.read_csv(tmp_path / "out" / "synthetic_universe-screen.csv", index_col="id",
                      keep_default_na=False, na_values=[""])
    np.testing.assert_array_equal(csv["value_p50"], expected["value_p50"])  # repr round trip
    assert list(csv.columns) == list(expected.columns)


def test_some_companies_with_a_status_exit_1(tmp_path):
    path = _write(tmp_path, f"A,20,100,10,{GOOD}", f"B,20,-5,10,{GOOD}", f"C,,100,10,{GOOD}")
    code, _, err = _screen(str(path), "--paths", "50", "--out", str(tmp_path / "o"))
    assert code == 1
    assert "3 companies, 50 paths, seed 0: 1 ok, 2 with another status" in err
    result = pd.read_parquet(tmp_path / "o" / "u-screen.parquet")
    assert result.loc["B", "status"] == "invalid input: revenue must be greater than 0, got -5"
    assert result.loc["C", "status"] == "missing input: price"


def test_optional_and_text_columns(tmp_path):
    path = _write(tmp_path, f"A,20,100,10,{GOOD},0.2,Alpha,made up",
                  header=f"{HEADER},terminal_roic,name,note")
    table = read_universe(path)
    assert table.loc[0, "terminal_roic"] == 0.2 and table.loc[0, "name"] == "Alpha"
    assert table["price"].dtype == float


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([f"A,2x,100,10,{GOOD}"], HEADER,
         "u.csv row 2 (A), column 'price': '2x' is not a number"),
        ([f"A,20,100,10,{GOOD}", f"A,20,100,10,{GOOD}"], HEADER,
         "u.csv row 3, column 'id': duplicate id 'A' (also row 2)"),
        ([f",20,100,10,{GOOD}"], HEADER, "u.csv row 2, column 'id': the id is empty"),
        (["A,20,100"], HEADER, "u.csv row 2: 3 fields, the header has 15"),
        ([f"A,20,100,10,{GOOD}"], HEADER.replace("tax_rate", "tax_rat"),
         "u.csv row 1 (header), column 'tax_rat': unknown column (did you mean 'tax_rate'?)"),
        ([f"A,20,100,10,{GOOD}"[:-5]], HEADER.replace(",terminal_growth", ""),
         "u.csv row 1 (header): missing column(s) ['terminal_growth']"),
    ],
)
def test_bad_files_exit_2_with_one_line_naming_the_row_and_column(tmp_path, rows, header,
                                                                  message):
    path = _write(tmp_path, *rows, header=header)
    with pytest.raises(DataFileError, match=r"u\.csv row"):
        read_universe(path)
    code, out, err = _screen(str(path), "--paths", "10", "--out", str(tmp_path / "o"))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"error: {message}" + err.split(message, 1)[1].rstrip()]
    assert message in err
    assert not (tmp_path / "o").exists()


def test_comment_lines_and_blank_lines_keep_row_numbers(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text(f"# a comment\n{HEADER}\nA,20,100,10,{GOOD}\n\nB,x,100,10,{GOOD}\n")
    with pytest.raises(DataFileError, match=r"row 5 \(B\), column 'price'"):
        read_universe(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such.csv"], "cannot read universe file 'no-such.csv'"),
        ([str(EXAMPLE), "--paths", "0"], "paths must be at least 1, got 0"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, args, message):
    code, _, err = _screen(*args, "--out", str(tmp_path / "o"))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_unwritable_out_exits_2(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    path = _write(tmp_path, f"A,20,100,10,{GOOD}")
    code, _, err = _screen(str(path), "--paths", "10", "--out", str(tmp_path / "file"))
    assert code == 2 and "cannot write the screen to" in err


def test_missing_extras_exit_2_before_any_work(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    path = _write(tmp_path, f"A,20,100,10,{GOOD}")
    for module, message in (("pyarrow", "pip install pyarrow"),
                            ("distributed", r"pip install ai-compute-watchlists[dask]")):
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a, _m=module: None if name == _m else real(name, *a))
        code, _, err = _screen(str(path), "--scheduler", "tcp://127.0.0.1:1", "--out",
                               str(tmp_path / "o"))
        assert code == 2 and message in err, err
    assert not (tmp_path / "o").exists()


def test_no_dask_import_without_scheduler(tmp_path):
    import subprocess

    path = _write(tmp_path, f"A,20,100,10,{GOOD}")
    code = (
        "import sys; from watchlists.cli import main; "
        f"rc = main(['screen', {str(path)!r}, '--paths', '10', '--out', {str(tmp_path)!r}]); "
        "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "0 []"


def test_progress_bar_on_a_terminal_only(tmp_path):
    path = _write(tmp_path, f"A,20,100,10,{GOOD}", f"B,20,100,10,{GOOD}")
    terminal = _Terminal()
    assert _screen(str(path), "--paths", "10", "--out", str(tmp_path), err=terminal)[0] == 0
    assert "0/2 [" in terminal.getvalue() and "companies/s" in terminal.getvalue()
    _, _, plain = _screen(str(path), "--paths", "10", "--out", str(tmp_path))
    assert "0/2" not in plain and "\r" not in plain


def test_write_screen_replaces_files_atomically(tmp_path):
    table = pd.DataFrame({"status": ["ok"]}, index=pd.Index(["A"], name="id"))
    first = write_screen(table, tmp_path, "u")
    second = write_screen(table.assign(status="changed"), tmp_path, "u")
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u-screen.csv", "u-screen.parquet"]
    assert pd.read_parquet(second["parquet"])["status"].tolist() == ["changed"]


# --- on a Dask cluster (loopback only) -----------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "valuation"))
from test_universe_dask import _loopback_only, client  # noqa: E402, F401


def test_scheduler_option_gives_the_in_process_file(tmp_path, client):  # noqa: F811
    address = client.scheduler.address
    code, _, err = _screen(str(EXAMPLE), "--paths", "100", "--scheduler", address, "--out",
                           str(tmp_path / "dask"))
    assert code == 0, err
    assert f"on {address}" in err
    assert _screen(str(EXAMPLE), "--paths", "100", "--out", str(tmp_path / "local"))[0] == 0
    local = (tmp_path / "local" / "synthetic_universe-screen.csv").read_bytes()
    assert (tmp_path / "dask" / "synthetic_universe-screen.csv").read_bytes() == local


def test_unreachable_scheduler_exits_2(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("watchlists.screen.CONNECT_TIMEOUT", "1s")
    path = _write(tmp_path, f"A,20,100,10,{GOOD}")
    code, _, err = _screen(str(path), "--scheduler", "tcp://127.0.0.1:9", "--out",
                           str(tmp_path / "o"))
    assert code == 2 and "cannot connect to --scheduler 'tcp://127.0.0.1:9'" in err

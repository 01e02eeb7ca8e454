"""Every kind of bad input reaches the CLI user as exit 2 and one clear line on stderr.

The line names the field and the value; there is no traceback (``--debug`` adds it).
"""

from __future__ import annotations

import io

import pytest

from watchlists.cli import main

GOOD = """
name = "mine"
[[members]]
company = "cambricon"
"""

BAD_FILES = {
    "syntax error": ('name = "mine"\n[[members]\ncompany = "cambricon"\n', "line 2"),
    "wrong type": ('name = "mine"\n[assumptions]\ndiscount_rate = "ten"\n' + GOOD[14:],
                   "discount_rate"),
    "unknown key": ('name = "mine"\ncolour = "red"\n' + GOOD[14:], "colour"),
    "duplicate member": (GOOD + '[[members]]\nsymbol = "688256.SS"\n', "duplicate member"),
    "malformed symbol": ('name = "mine"\n[[members]]\nsymbol = "688 257.SS"\n', "688 257.SS"),
    "symbol not a listing of the company": (
        'name = "mine"\n[[members]]\ncompany = "cambricon"\nsymbol = "688257.SS"\n',
        "'688257.SS' is not a listing of company 'cambricon'"),
    "empty members": ('name = "mine"\nmembers = []\n', "members"),
    "absurd discount rate": ('name = "mine"\n[assumptions]\ndiscount_rate = 5\n' + GOOD[14:],
                             "discount_rate 5"),
    "terminal growth above discount rate": (
        'name = "mine"\n[assumptions]\ndiscount_rate = 0.05\nterminal_growth = 0.06\n'
        + GOOD[14:], "discount_rate 0.05 must exceed terminal_growth 0.06"),
    "negative years": ('name = "mine"\n[assumptions]\nhigh_years = -3\n' + GOOD[14:],
                       "high_years"),
    "name with a path": ('name = "../../etc"\n' + GOOD[14:], "name"),
}


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_watchlist_file(case, tmp_path):
    text, expected = BAD_FILES[case]
    path = tmp_path / "mine.toml"
    path.write_text(text)
    code, _, err = _run(["report", str(path), "--offline", "--asof", "2025-12-04",
                         "--out", str(tmp_path / "out")])
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert str(path) in lines[0] and expected in lines[0]
    assert not (tmp_path / "out").exists()  # nothing written on bad input


@pytest.mark.parametrize(("argv", "expected"), [
    (["report", "china-ai-compute", "--offline", "--asof", "2999-01-01"], "2999-01-01"),
    (["report", "china-ai-compute", "--offline", "--asof", "1990-01-01"], "1990-01-01"),
    (["report", "china-ai-compute", "--offline", "--asof", "04/12/2025"], "04/12/2025"),
    (["report", "china-ai-compute", "--offline", "--format", "xls"], "xls"),
    (["report", "china-ai-compte", "--offline"], "china-ai-compute"),  # suggests the name
    (["show", "cambricn"], "cambricon"),
    (["refresh", "--offline", "no such symbol"], "'no such symbol' is not a Yahoo symbol"),
    (["refresh", "--offline", "china-ai-compte"], "did you mean 'china-ai-compute'"),
    (["refresh", "--offline", "huawei"], "unlisted"),
    (["report", "china-ai-compute", "--offline", "--refresh"], "--refresh"),
])
def test_bad_arguments(argv, expected, tmp_path):
    code, _, err = _run([*argv, "--out", str(tmp_path)] if argv[0] == "report" else argv)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("argv", [["show", "cambricn", "--debug"],
                                  ["--debug", "show", "cambricn"],
                                  ["--debug", "refresh", "--offline", "cambricn"]])
def test_debug_adds_the_traceback(argv):
    code, _, err = _run(argv)
    assert code == 2
    assert "Traceback" in err and "cambricon" in err.strip().splitlines()[-1]

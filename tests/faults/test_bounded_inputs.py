"""Bounded inputs (issue 15): adversarial TOML is refused before parsing, watchlists
have a member cap, special files in the user data folder never block, and the models
refuse projection lengths that would allocate without bound."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from valuation import dcf, fade_path
from watchlists import profiles
from watchlists._profile_loading import _parse_companies, _read_user
from watchlists.definitions import MAX_FILE_BYTES, MAX_MEMBERS, Member, Watchlist, parse_watchlist
from watchlists.errors import DataFileError, DefinitionError
from watchlists.records import MAX_TOML_KEY_DEPTH, MAX_TOML_LINE_CHARS

MIB = 1 << 20


def _fill(line, limit: int = MIB - 64) -> str:
    """Lines ``line(i)`` up to about ``limit`` characters."""
    out, size = [], 0
    while True:
        text = line(len(out))
        if size + len(text) + 1 > limit:
            return "\n".join(out) + "\n"
        out.append(text)
        size += len(text) + 1


ADVERSARIAL = {
    "one deep key": lambda: "name = 'x'\n" + "a." * (MIB // 2 - 16) + "b = 1\n",
    "deep keys": lambda: _fill(lambda i: "a." * 300 + f"b{i} = 1"),
    "deep headers": lambda: _fill(lambda i: "[" + "t." * 300 + f"b{i}]"),
    "deep quoted keys": lambda: _fill(lambda i: '"q".' * 200 + f"b{i} = 1"),
    "deep inline table": lambda: _fill(lambda i: f"x{i} = {{ " + "a." * 300 + "b = 1 }"),
    "one long line": lambda: "name = '" + "x" * (MIB - 64) + "'\n",
}


@pytest.mark.parametrize("make", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_adversarial_watchlist_toml_is_refused_fast(make):
    text = make()
    assert len(text.encode()) <= MAX_FILE_BYTES
    start = time.perf_counter()
    with pytest.raises(DefinitionError, match="refused before parsing"):
        parse_watchlist(text, source="evil.toml")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("make", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_adversarial_companies_toml_is_refused_fast(make, _isolated_home):
    d = _isolated_home / "data"
    d.mkdir(parents=True)
    (d / "companies.toml").write_text(make(), encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(DataFileError, match=r"companies.toml.*refused before parsing"):
        profiles.company_records()
    assert time.perf_counter() - start < 1.0


def test_limits_leave_real_files_alone():
    depth = ".".join(["a"] * MAX_TOML_KEY_DEPTH)
    text = (f"name = 'x'\ndescription = '{'d' * (MAX_TOML_LINE_CHARS - 20)}'\n"
            f'[[members]]\ncompany = "cambricon"\nnote = "{".".join(["v"] * 50)}"\n'
            f'[members.assumptions]\n# {"a." * 100}\n')
    assert parse_watchlist(text, source="ok.toml").members[0].company == "cambricon"
    with pytest.raises(DefinitionError, match="unknown key"):  # parsed, not refused
        parse_watchlist(f"name = 'x'\n{depth} = 1\n", source="ok.toml")
    # text inside a multi-line string is not a key
    multi = 'name = "x"\ndescription = """\n' + "a." * 300 + "b = 1\n" + '"""\n'
    with pytest.raises(DefinitionError, match="members"):
        parse_watchlist(multi, source="ok.toml")


# --------------------------------------------------------------------------- member cap


def test_watchlist_member_cap_is_a_clear_error():
    members = "".join(f'[[members]]\nsymbol = "S{i}"\n' for i in range(MAX_MEMBERS + 1))
    start = time.perf_counter()
    with pytest.raises(DefinitionError, match=f"{MAX_MEMBERS + 1} companies.*at most "
                                              f"{MAX_MEMBERS}"):
        parse_watchlist("name = 'big'\n" + members, source="big.toml")
    assert time.perf_counter() - start < 2.0


def test_watchlist_constructor_enforces_the_cap_too():
    member = Member(key="cambricon", company="cambricon", symbol="688256.SS")
    wl = parse_watchlist("name = 'x'\n[[members]]\ncompany = 'cambricon'\n", source="x")
    with pytest.raises(DefinitionError, match=f"at most {MAX_MEMBERS}"):
        Watchlist(name="x", description="", benchmark=None, base_currency="USD",
                  assumptions=wl.assumptions, members=(member,) * (MAX_MEMBERS + 1),
                  source="x")


# --------------------------------------------------------------------------- special files


def _returns_within(fn, seconds: float, unblock: Path | None = None):
    """Run ``fn`` in a thread; fail if it does not return within ``seconds``."""
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if unblock is not None:  # release a reader blocked on the FIFO
            fd = os.open(unblock, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        thread.join(5)
        pytest.fail(f"blocked for more than {seconds} s")
    return result


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("fname", ["companies.toml", "targets.csv", "facts.csv",
                                   "reference_quotes.csv"])
def test_fifo_in_user_data_folder_does_not_block(fname, _isolated_home):
    d = _isolated_home / "data"
    d.mkdir(parents=True)
    fifo = d / fname
    os.mkfifo(fifo)
    result = _returns_within(lambda: (profiles.company_records(), profiles.targets(),
                                      profiles.facts()), 5.0, unblock=fifo)
    error = result.get("error")
    assert isinstance(error, DataFileError), result
    assert fname in str(error) and "not a regular file" in str(error)


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_read_user_reads_only_regular_files(kind, tmp_path):
    path = tmp_path / "targets.csv"
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("needs os.mkfifo")
        os.mkfifo(path)
    else:
        path.mkdir()
    result = _returns_within(lambda: _read_user(path), 5.0,
                             unblock=path if kind == "fifo" else None)
    assert isinstance(result.get("error"), DataFileError), result
    assert "not a regular file" in str(result["error"])


def test_parse_companies_refuses_deep_keys_directly():
    with pytest.raises(DataFileError, match=r"c\.toml: line 1 has a dotted key"):
        _parse_companies("a." * 5000 + "b = 1\n", "c.toml")


# --------------------------------------------------------------------------- model years


@pytest.mark.parametrize("param", ["high_years", "fade_years"])
@pytest.mark.parametrize("years", [201, 10**6, 10**12])
def test_fade_path_bounds_years(param, years):
    kwargs = {"high_years": 1, "fade_years": 1, param: years}
    with pytest.raises(ValueError, match=f"{param} must be at most 200, got {years}"):
        fade_path(0.3, 0.03, **kwargs)


def test_fade_path_accepts_the_bound():
    assert fade_path(0.3, 0.03, 100, 100).shape == (200,)


DCF = dict(operating_margin=0.2, tax_rate=0.2, sales_to_capital=2.0, discount_rate=0.09,
           terminal_growth=0.02)


def test_dcf_bounds_margin_years_and_projection_length():
    with pytest.raises(ValueError, match="margin_years must be at most 200, got 1000000000000"):
        dcf(100.0, np.full(5, 0.1), margin_years=10**12, **DCF)
    with pytest.raises(ValueError, match="growth must cover at most 200 years, got 201"):
        dcf(100.0, np.full(201, 0.1), **DCF)
    assert np.isfinite(dcf(100.0, np.full(200, 0.05), **DCF).value_per_share).all()


# --------------------------------------------------------------------------- asof


def test_asof_tomorrow_only_once_some_exchange_is_there():
    import datetime as dt

    from watchlists.snapshots import parse_asof

    early = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)  # 15:00 in UTC+14: still Dec 1
    with pytest.raises(ValueError, match="2026-12-02 is in the future"):
        parse_asof("2026-12-02", early)
    late = dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.UTC)  # 01:00 on Dec 2 in UTC+14
    assert parse_asof("2026-12-02", late) == dt.date(2026, 12, 2)
    with pytest.raises(ValueError, match="2026-12-03 is in the future"):
        parse_asof("2026-12-03", late)


def test_asof_iso_but_not_a_date_says_so():
    import datetime as dt

    from watchlists.snapshots import parse_asof

    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="in ISO format but is not a date on the calendar"):
        parse_asof("2025-02-29", now)
    with pytest.raises(ValueError, match="not a date in ISO format"):
        parse_asof("29/02/2025", now)

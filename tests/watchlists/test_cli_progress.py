"""The refresh progress bar shows on a terminal only, so cron logs stay clean."""

from __future__ import annotations

import io

from watchlists.cli import _progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_not_a_terminal():
    assert _progress_bar(io.StringIO()) is None


def test_bar_counts_provider_calls_on_a_terminal():
    stream = _Terminal()
    bar = _progress_bar(stream)
    assert bar is not None
    bar.set_description("fetching 3 symbol(s)")
    bar.update(1)
    bar.close()
    assert "fetching 3 symbol(s)" in stream.getvalue()


def test_progress_callback_is_a_no_op_off_a_terminal():
    from watchlists.cli import _progress

    stream = io.StringIO()
    with _progress(stream) as progress:
        progress("fetching 3 symbol(s)")
    assert stream.getvalue() == ""


def test_refresh_counts_price_fx_and_analyst_calls_on_a_terminal(monkeypatch, tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_refresh_job import AnalystFake

    import watchlists.yahoo
    from watchlists.cli import main

    monkeypatch.setattr(watchlists.yahoo, "YahooProvider", lambda *a, **k: AnalystFake())
    err = _Terminal()
    code = main(["refresh", "cambricon", "--home", str(tmp_path / "h")], stdout=io.StringIO(),
                stderr=err)
    assert code == 0, err.getvalue()
    shown = err.getvalue()
    assert "fetching 1 symbol(s)" in shown and "analyst data 688256.SS" in shown

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

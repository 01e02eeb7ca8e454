"""The three analytics end to end: the store is filled by ``watchlists refresh`` through a
fake yfinance (frames of yfinance 1.7's shapes), then each command runs offline on it.

Every price, rate and target is SYNTHETIC (the fake's deterministic series), never
market data.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.watchlists.fake_yfinance import FakeYFinance, upgrades_frame
from watchlists.cli import main

CHINA = 'name = "east"\nbase_currency = "USD"\nmembers = ["9988.HK", "0700.HK", "1024.HK"]\n'
WEST = 'name = "west"\nbase_currency = "USD"\nmembers = ["NVDA", "AMD", "GOOGL"]\n'


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def refreshed(monkeypatch, tmp_path):
    """A home whose store was filled by `refresh` from the fake yfinance."""
    fake = FakeYFinance().install(monkeypatch)
    # a dated Yahoo target on NVDA a year back: scored by the track record
    fake.actions["NVDA"] = upgrades_frame(
        [{"date": "2025-06-02", "firm": "Synthetic Securities", "to": "Buy", "target": 60.0,
          "prior": 55.0}], with_targets=True)
    import watchlists.yahoo

    real = watchlists.yahoo.YahooProvider
    monkeypatch.setattr(watchlists.yahoo, "YahooProvider",
                        lambda *a, **k: real(sleep=lambda s: None, cache_dir=tmp_path / "yf"))
    (tmp_path / "east.toml").write_text(CHINA, encoding="utf-8")
    (tmp_path / "west.toml").write_text(WEST, encoding="utf-8")
    home = str(tmp_path / "home")
    code, out, err = run("--home", home, "refresh", str(tmp_path / "east.toml"),
                         str(tmp_path / "west.toml"), "BABA")
    assert code == 0, out + err

    def no_network(*a, **k):
        raise AssertionError("an analytics command made a network call")

    import yfinance

    monkeypatch.setattr(yfinance, "Ticker", no_network)  # from here on: the store only
    return home, tmp_path


def test_cross_listing_from_a_refreshed_store(refreshed):
    home, tmp = refreshed
    code, out, err = run("--home", home, "cross-listing", "alibaba", "--window", "60",
                         "--out", str(tmp / "r"))
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("BABA"))
    assert "9988.HK" in line and "%" in line  # a premium was computed from stored FX
    assert list((tmp / "r").glob("cross-listing-*.html"))


def test_spheres_from_a_refreshed_store(refreshed):
    home, tmp = refreshed
    code, out, err = run("--home", home, "spheres", str(tmp / "east.toml"),
                         str(tmp / "west.toml"), "--break", "2025-06-02")
    assert code == 0, err
    assert "Members used (east)" in out and "3 of 3" in out
    assert "Chow test" in out and "CUSUM test" in out


def test_track_record_from_a_refreshed_store(refreshed):
    home, _ = refreshed
    code, out, err = run("--home", home, "track-record", "NVDA", "--horizon", "3m")
    assert code == 0, err
    assert "Synthetic Securities" in out
    row = next(ln for ln in out.splitlines() if ln.startswith("Synthetic Securities"))
    assert row.split()[2] == "1"  # one scored target (horizon over, prices stored)


def test_the_watchlist_report_shows_the_analytics(refreshed):
    home, tmp = refreshed
    code, _, err = run("--home", home, "report", str(tmp / "east.toml"), "--out",
                       str(tmp / "out"), "--format", "html,csv")
    assert code == 0, err
    html = next((tmp / "out").glob("east-*.html")).read_text(encoding="utf-8")
    assert "Cross-listing premiums" in html
    table = pd.read_csv(next((tmp / "out").glob("east-*.csv")), comment="#").set_index("symbol")
    assert table.loc["9988.HK", "cross_listing_vs"] == "BABA"
    assert pd.notna(table.loc["9988.HK", "cross_listing_premium"])

"""Packaging and public API: entry points, light imports, a pinned public surface."""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

import watchlists

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("yfinance", "statsmodels", "matplotlib", "scipy", "exchange_calendars", "curl_cffi")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize("statement", [
    "import watchlists",
    "import valuation",
    "import watchlists, valuation",
    # the whole public API resolved: still no heavy import until a function needs it
    "import watchlists; [getattr(watchlists, n) for n in watchlists.__all__]",
])
def test_imports_stay_light(statement):
    loaded = _modules_after(statement)
    assert not [m for m in HEAVY if m in loaded]


def test_public_api_is_pinned_and_resolves():
    assert len(set(watchlists.__all__)) == len(watchlists.__all__)
    assert set(watchlists.__all__) == {
        "AnalystData", "AnalystTarget", "Assumptions", "Company", "DataFileError",
        "DataQualityError", "DefinitionError", "Fact", "FetchResult", "Listing", "Member",
        "OfflineError", "PriceProvider", "ProviderError", "ReferenceQuote", "RefreshReport",
        "RefreshResult", "Snapshot", "Store", "StoreError", "Watchlist",
        "WatchlistError", "YahooProvider", "__version__",
        "bundled_watchlists", "companies", "company", "convert", "default_home", "facts",
        "fx_rate", "latest_prices", "listing", "load_facts", "load_reference_quotes",
        "load_targets", "load_watchlist", "open_store", "parse_watchlist", "price_history",
        "reference_fx", "reference_quotes", "refresh", "refresh_all", "snapshot", "targets",
        "user_data_dir", "write_report",
        # any ticker (issue 10) and the analytics (issue 12)
        "CrossListing", "FundamentalsData", "FundamentalsProvider", "ImportResult",
        "ListingPair", "ProfileData", "Spheres", "TrackRecord", "cross_listing_premium",
        "ecb_reference_rates", "import_fx", "import_prices", "listing_pairs",
        "track_record", "two_spheres",
    }
    for name in watchlists.__all__:
        assert getattr(watchlists, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        watchlists.no_such_name


def test_version_comes_from_setup_cfg():
    # one literal, in watchlists/_version.py, that setup.cfg reads (``attr:``, parsed by
    # setuptools without importing the package) and ``watchlists.__version__`` returns
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["metadata"]["version"] == "attr: watchlists._version.__version__"
    tree = ast.parse((ROOT / "watchlists" / "_version.py").read_text(encoding="utf-8"))
    literal = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                   and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__version__"])
    assert watchlists.__version__ == literal


def test_version_matches_installed_metadata():
    # an install (``pip install -e .`` included) records the same string
    assert watchlists.__version__ == importlib.metadata.version("ai-compute-watchlists")


def test_console_script_and_module_entry_point():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "watchlists = watchlists.cli:main" in cfg["options.entry_points"]["console_scripts"]
    out = subprocess.run([sys.executable, "-m", "watchlists", "--help"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "report" in out.stdout and "refresh" in out.stdout


def test_package_data_is_declared():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    declared = cfg["options.package_data"]["watchlists"]
    for pattern in ("data/*.toml", "data/*.csv", "data/watchlists/*.toml", "py.typed"):
        assert pattern in declared
    import tomllib

    assert set(tomllib.loads((ROOT / "pyproject.toml").read_text())) == {"build-system"}


def test_installed_console_script_runs():
    script = Path(sys.executable).parent / "watchlists"
    assert script.exists(), "pip install must create the `watchlists` console script"
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "report" in out.stdout

"""Equity watchlists: sourced company data, an offline-first price store, snapshots and reports.

Quick start::

    import watchlists
    snap = watchlists.snapshot("china-ai-compute", "2025-12-04")
    snap.table[["company", "price", "consensus_upside", "implied_growth"]]
    watchlists.write_report(snap, "md,html", "reports/")

Data flows one way: providers fill the store; :func:`snapshot` reads the store and
the bundled reference data as of a date, calls :mod:`valuation`, and returns one
table; reports only format it (their charts are SVG, drawn without a plotting
library). Importing this package loads no yfinance, statsmodels or exchange_calendars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public names → the submodule that defines them. Submodules are imported on first
# use (PEP 562), so ``import watchlists`` stays cheap for a cron job that only needs
# the CLI, and a notebook pays for what it touches. Nothing here imports yfinance,
# statsmodels or exchange_calendars; those load inside the functions that need them.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        ("Assumptions", "Member", "Watchlist", "bundled_watchlists", "load_watchlist",
         "parse_watchlist"), "definitions"),
    **dict.fromkeys(
        ("DataFileError", "DataQualityError", "DefinitionError", "OfflineError",
         "ProviderError", "StoreError", "WatchlistError"), "errors"),
    **dict.fromkeys(("convert", "fx_rate"), "fx"),
    **dict.fromkeys(("RefreshResult", "latest_prices", "price_history", "refresh"), "market"),
    **dict.fromkeys(("RefreshReport", "refresh_all"), "refresh_job"),
    **dict.fromkeys(
        ("companies", "company", "facts", "listing", "load_facts", "load_reference_quotes",
         "load_targets", "reference_fx", "reference_quotes", "targets", "user_data_dir",
         "ecb_reference_rates"), "profiles"),
    **dict.fromkeys(("AnalystData", "FetchResult", "FundamentalsData", "FundamentalsProvider",
                     "PriceProvider", "ProfileData"), "providers"),
    **dict.fromkeys(("CrossListing", "ListingPair", "cross_listing_premium", "listing_pairs"),
                    "cross_listings"),
    **dict.fromkeys(("ImportResult", "import_fx", "import_prices"), "imports"),
    **dict.fromkeys(("Spheres", "two_spheres"), "spheres"),
    **dict.fromkeys(("TrackRecord", "track_record"), "track_records"),
    **dict.fromkeys(("AnalystTarget", "Company", "Fact", "Listing", "ReferenceQuote"),
                    "records"),
    "write_report": "reporting",
    **dict.fromkeys(("Snapshot", "snapshot"), "snapshots"),
    **dict.fromkeys(("Store", "default_home", "open_store"), "store"),
    "YahooProvider": "yahoo",
    # one literal that setup.cfg also reads: no importlib.metadata (and email.*) at run time
    "__version__": "_version",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'watchlists' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # static type checkers and IDEs see the real names
    from ._version import __version__
    from .cross_listings import CrossListing, ListingPair, cross_listing_premium, listing_pairs
    from .definitions import (
        Assumptions,
        Member,
        Watchlist,
        bundled_watchlists,
        load_watchlist,
        parse_watchlist,
    )
    from .errors import (
        DataFileError,
        DataQualityError,
        DefinitionError,
        OfflineError,
        ProviderError,
        StoreError,
        WatchlistError,
    )
    from .fx import convert, fx_rate
    from .imports import ImportResult, import_fx, import_prices
    from .market import RefreshResult, latest_prices, price_history, refresh
    from .profiles import (
        companies,
        company,
        ecb_reference_rates,
        facts,
        listing,
        load_facts,
        load_reference_quotes,
        load_targets,
        reference_fx,
        reference_quotes,
        targets,
        user_data_dir,
    )
    from .providers import (
        AnalystData,
        FetchResult,
        FundamentalsData,
        FundamentalsProvider,
        PriceProvider,
        ProfileData,
    )
    from .records import AnalystTarget, Company, Fact, Listing, ReferenceQuote
    from .refresh_job import RefreshReport, refresh_all
    from .reporting import write_report
    from .snapshots import Snapshot, snapshot
    from .spheres import Spheres, two_spheres
    from .store import Store, default_home, open_store
    from .track_records import TrackRecord, track_record
    from .yahoo import YahooProvider

__all__ = [
    "AnalystData",
    "AnalystTarget",
    "Assumptions",
    "Company",
    "CrossListing",
    "DataFileError",
    "DataQualityError",
    "DefinitionError",
    "Fact",
    "FetchResult",
    "FundamentalsData",
    "FundamentalsProvider",
    "ImportResult",
    "Listing",
    "ListingPair",
    "Member",
    "OfflineError",
    "PriceProvider",
    "ProfileData",
    "ProviderError",
    "ReferenceQuote",
    "RefreshReport",
    "RefreshResult",
    "Snapshot",
    "Spheres",
    "Store",
    "StoreError",
    "TrackRecord",
    "Watchlist",
    "WatchlistError",
    "YahooProvider",
    "__version__",
    "bundled_watchlists",
    "companies",
    "company",
    "convert",
    "cross_listing_premium",
    "default_home",
    "ecb_reference_rates",
    "facts",
    "fx_rate",
    "import_fx",
    "import_prices",
    "latest_prices",
    "listing",
    "listing_pairs",
    "load_facts",
    "load_reference_quotes",
    "load_targets",
    "load_watchlist",
    "open_store",
    "parse_watchlist",
    "price_history",
    "reference_fx",
    "reference_quotes",
    "refresh",
    "refresh_all",
    "snapshot",
    "targets",
    "track_record",
    "two_spheres",
    "user_data_dir",
    "write_report",
]

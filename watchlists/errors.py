"""Exceptions of the ``watchlists`` package.

One hierarchy, rooted in :class:`WatchlistError`, so a job can catch every domain
failure in one ``except`` and still tell them apart::

    WatchlistError
    ├── DataFileError        a bundled or user-supplied data record is invalid
    ├── DefinitionError      a watchlist TOML file is invalid
    ├── ProviderError        a price provider failed (network, rate limit, bad payload)
    │   └── OfflineError     the network is unreachable (DNS failure): the run goes offline
    ├── StoreError           the SQLite store is unusable (corrupt, newer schema, read-only)
    └── DataQualityError     data that exists but cannot be trusted (e.g. currency mismatch)

Caller mistakes in function arguments stay ``TypeError`` / ``ValueError``. Missing,
stale or guessed data is not an exception or a Python warning: it is a row of
``Snapshot.warnings`` (and a ``status``), so one member never sinks the others. Errors
that describe bad *data* also subclass ``ValueError`` so generic handlers still work.
"""

from __future__ import annotations

__all__ = [
    "DataFileError",
    "DataQualityError",
    "DefinitionError",
    "OfflineError",
    "ProviderError",
    "StoreError",
    "WatchlistError",
]


class WatchlistError(Exception):
    """Base class of every domain failure raised by ``watchlists``."""


class DataFileError(WatchlistError, ValueError):
    """A bundled or user-supplied data record is invalid.

    The message names the file, the record and the field, e.g.
    ``targets.csv row 4 (cambricon/Goldman Sachs): currency 'USD' does not match
    listing 688256.SS trading currency 'CNY'``.
    """


class DefinitionError(WatchlistError, ValueError):
    """A watchlist definition (TOML) is invalid: file, line, member and field are named."""


class ProviderError(WatchlistError):
    """A data provider failed for a reason other than the data simply being absent."""


class OfflineError(ProviderError):
    """The network is unreachable (DNS failure, no route): switch the run to offline."""


class StoreError(WatchlistError):
    """The SQLite store cannot be used; the file on disk is never overwritten or deleted."""


class DataQualityError(WatchlistError, ValueError):
    """Data exists but cannot be used as is (mixed currencies, impossible values)."""

"""The cached reference data: bundled once per process, merged with user data by file stats.

Internal to :mod:`watchlists.profiles`. :func:`_bundle` reads and validates the
package data once (``functools.cache``); :func:`_user_merged` adds the files of a
user data directory, validated against the bundled records, and is keyed by the
directory and each file's ``(mtime_ns, size)`` (see :func:`_stat`) so an edited file
is re-read. Which directory, and whether it holds anything, is decided in
:mod:`watchlists.profiles` (``user_data_dir``, ``_state``, ``_merged``).
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from watchlists._profile_loading import (
    _KINDS,
    _fold,
    _keys_of,
    _parse_companies,
    _Prior,
    _read_user,
    _Universe,
    raise_all,
)


@dataclass(frozen=True)
class _Bundle:
    universe: _Universe
    records: Mapping[str, tuple[Any, ...]]  # kind -> bundled records
    priors: Mapping[str, _Prior]  # kind -> bundled duplicate keys


def _data_text(name: str) -> str:
    from importlib import resources  # ~1 ms; only reading the bundled data needs it

    return resources.files("watchlists").joinpath("data", name).read_text(encoding="utf-8")


@functools.cache
def _bundle() -> _Bundle:
    """The bundled package data, validated once per process."""
    u = _Universe.build(_parse_companies(_data_text("companies.toml"), "companies.toml"))
    records, priors = {}, {}
    for kind, k in _KINDS.items():
        records[kind], seen = k.load(u, _data_text(k.fname), k.fname)
        priors[kind] = _Prior(f"watchlists/data/{k.fname}", MappingProxyType(seen))
    return _Bundle(u, MappingProxyType(records), MappingProxyType(priors))


_Stat = tuple[int, int] | None  # (mtime_ns, size), or None when the file is absent


def _stat(path: str) -> _Stat:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return (-1, -1)  # there but not stat-able: reading it reports the error
    if not stat.S_ISREG(st.st_mode):
        return (-2, -2)  # a FIFO, device, directory...: reading it reports the error
    return (st.st_mtime_ns, st.st_size)


_USER_FILES = ("companies.toml", *(k.fname for k in _KINDS.values()))


@functools.lru_cache(maxsize=8)
def _user_merged(d: str, stats: tuple[_Stat, ...]) -> _Bundle:
    """The merged data of user data dir ``d``; ``stats`` only keys the cache."""
    b = _bundle()
    u = b.universe if stats[0] is None else _user_universe(b.universe, Path(d, _USER_FILES[0]))
    records = dict(b.records)
    for (kind, k), st in zip(_KINDS.items(), stats[1:], strict=True):
        if st is not None:
            text, fname = _read_user(Path(d, k.fname))
            records[kind] = b.records[kind] + k.load(u, text, fname, b.priors[kind])[0]
    return _Bundle(u, MappingProxyType(records), b.priors)


def _user_universe(b: _Universe, path: Path) -> _Universe:
    """Bundled + user companies; any collision with a bundled company is an error."""
    text, fname = _read_user(path)
    user = _parse_companies(text, fname, allow_empty=True)
    rule = "user data can add companies but not replace bundled ones"
    # compared as folded (NFKC, casefold, no combining marks) so homoglyphs collide too
    bundled_keys = {_fold(k): c.slug for c in b.companies for k in _keys_of(c)}
    problems: list[str] = []
    for i, comp in enumerate(user, start=1):
        where = f"{fname} company {i} ({comp.slug})"
        if comp.slug in b.by_slug:
            problems.append(
                f"{where}: slug {comp.slug!r} is a bundled company; {rule} (choose another slug)")
            continue
        for sym in comp.symbols:
            if sym in b.by_symbol:
                problems.append(
                    f"{where}: listing symbol {sym!r} is already a listing of bundled "
                    f"company {b.by_symbol[sym][0].slug!r}; {rule}")
        for key in sorted(_keys_of(comp)):
            other = bundled_keys.get(_fold(key))
            if other is not None:
                problems.append(
                    f"{where}: name or alias {key!r} also names bundled company {other!r}; {rule}")
    raise_all(fname, problems)
    return _Universe.build(b.companies + user, n_bundled=len(b.companies))

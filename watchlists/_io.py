"""Atomic file writes (a crash mid-write leaves the previous file intact) and the one
JSON cleaner used by the reports and the store."""

from __future__ import annotations

import datetime as dt
import glob
import math
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_set", "atomic_write_text", "csv_safe",
           "ensure_dir", "json_safe", "remove_stale_temps"]


def json_safe(value: Any) -> Any:
    """A JSON-safe copy: NaN/inf/NaT/NA → None, dates → ISO 8601 (a timestamp at midnight
    as its date), numpy scalars → Python, mappings and sequences recursively."""
    import pandas as pd

    if value is None or value is pd.NaT:  # NaT is a datetime: isoformat() would give 'NaT'
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START):
        value = "'" + value
    # a bare CR is not quoted by a writer whose line end is LF: make it LF, which is
    return value.replace("\r\n", "\n").replace("\r", "\n")


def csv_safe(frame: Any) -> Any:
    """A copy of ``frame`` safe to open in a spreadsheet (OWASP CSV injection rule): a
    text cell, column name or index label starting with ``=``, ``+``, ``-``, ``@``, tab
    or CR gets a leading ``'`` so it is shown as text, never run as a formula (and a CR
    inside text becomes LF, so the cell is quoted and stays one cell). Numbers are left
    alone (``-5.0`` in a numeric column stays a number)."""
    import pandas as pd

    def is_text(dtype: Any) -> bool:
        types = pd.api.types
        return not (types.is_numeric_dtype(dtype) or types.is_bool_dtype(dtype)
                    or types.is_datetime64_any_dtype(dtype) or types.is_timedelta64_dtype(dtype))

    out = frame.copy()
    for column in out.columns:
        if is_text(out[column].dtype):
            out[column] = out[column].map(_defuse)
    if is_text(out.columns.dtype):
        out.columns = out.columns.map(_defuse)
    if is_text(out.index.dtype) and not isinstance(out.index, pd.MultiIndex):
        out.index = out.index.map(_defuse)
    return out


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and parents) if needed; raise ``OSError`` with the path named."""
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or exc
        raise OSError(f"cannot create output directory {str(directory)!r}: {reason}") from exc
    if not directory.is_dir():
        raise NotADirectoryError(f"output path {str(directory)!r} exists and is not a directory")
    return directory


TEMP_SUFFIX = ".tmp"
STALE_TEMP_SECONDS = 600
"""A leftover temp file of ours older than this is from a killed run and is removed by
the next successful write to the same folder."""


def _stage(target: Path, data: bytes) -> str:
    """Write ``data`` to a temp file beside ``target`` (fsynced); return its path."""
    try:
        st = target.lstat()  # never follow a link at the final component
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"cannot write {str(target)!r}: it is a directory")
    if st is not None and stat.S_ISREG(st.st_mode):
        mode = st.st_mode & 0o777  # keep an existing report's permissions
    else:
        mode = 0o666 & ~_umask()  # what open() would give a new file
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX,
                               dir=target.parent)
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def atomic_write_set(files: Mapping[str | os.PathLike[str], bytes]) -> list[Path]:
    """Write several files as one set: every file is staged to a temp file first, and
    only when all are on disk are they renamed into place, one ``os.replace`` each.

    A failure while staging leaves every target as it was. The renames themselves take
    microseconds; a kill between two of them can leave a mixed set, which a manifest
    written last (see :func:`watchlists.reporting.write_report`) lets a reader detect.
    Links at the targets are replaced, never followed. Afterwards our stale temp files
    in the same folders (from killed runs, older than :data:`STALE_TEMP_SECONDS`) are
    removed.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            target = Path(path)
            staged.append((_stage(target, data), target))
    except BaseException:
        for tmp, _ in staged:
            _unlink(tmp)
        raise
    done = 0
    try:
        for tmp, target in staged:
            os.replace(tmp, target)
            done += 1
    except BaseException:
        for tmp, _ in staged[done:]:
            _unlink(tmp)
        raise
    for folder in {t.parent for _, t in staged}:
        remove_stale_temps(folder, {t.name for _, t in staged if t.parent == folder})
    return [t for _, t in staged]


def remove_stale_temps(folder: Path, names: set[str], *, now: float | None = None) -> int:
    """Remove ``.<name>.*.tmp`` files of ours for ``names`` in ``folder`` older than
    :data:`STALE_TEMP_SECONDS` (a concurrent writer's fresh temp is left alone)."""
    import time

    limit = (time.time() if now is None else now) - STALE_TEMP_SECONDS
    removed = 0
    for name in names:
        for leftover in folder.glob(f".{glob.escape(name)}.*{TEMP_SUFFIX}"):
            try:
                st = leftover.lstat()
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_mtime < limit:
                _unlink(leftover)
                removed += 1
    return removed


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder, then rename.

    ``os.replace`` is atomic on POSIX and Windows when source and target share a
    file system, so readers see either the old file or the new one, never half.
    A symbolic link at ``path`` is never followed: the rename replaces the link itself
    with a regular file, so a link planted at a report's name cannot redirect the write
    to (or borrow the permissions of) another file.
    """
    return atomic_write_set({path: data})[0]


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))

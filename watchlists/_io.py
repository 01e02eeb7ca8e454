"""Atomic file writes (a crash mid-write leaves the previous file intact) and the one
JSON cleaner used by the reports and the store."""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_text", "ensure_dir", "json_safe"]


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


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder, then rename.

    ``os.replace`` is atomic on POSIX and Windows when source and target share a
    file system, so readers see either the old file or the new one, never half.
    """
    target = Path(path)
    try:
        mode = target.stat().st_mode & 0o777  # keep an existing report's permissions
    except FileNotFoundError:
        mode = 0o666 & ~_umask()  # what open() would give a new file
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))

"""Stand-alone reports of the analytics (two spheres, cross-listing premia, target track
records): each a Markdown file and a self-contained HTML page, written as one set.

The sections themselves come from :mod:`watchlists.spheres`,
:mod:`watchlists.cross_listings` and :mod:`watchlists.track_records` (``to_markdown`` /
``to_html``: escaped fragments with charts as SVG data URIs). This module only wraps
them in a page (the watchlist report's styles, nothing loaded from outside the file)
and writes the files atomically (:func:`watchlists._io.atomic_write_set`).
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from ._io import atomic_write_set, ensure_dir

__all__ = ["FORMATS", "page", "write_analytics"]

FORMATS = ("md", "html")

# The watchlist report's styles, and bare tables (the analytics sections do not wrap
# theirs in a scrolling div) scroll on their own on a narrow screen.
_EXTRA_STYLE = "table{display:block;overflow-x:auto;max-width:100%}\n"


def _style() -> str:
    from importlib.resources import files

    css = files("watchlists").joinpath("templates", "style.css.j2").read_text(encoding="utf-8")
    return css + _EXTRA_STYLE


def page(title: str, fragments: Iterable[str], *, meta: Sequence[str] = ()) -> str:
    """A self-contained HTML page: ``title`` and ``meta`` lines (escaped here) around
    ``fragments`` (already-escaped HTML from the analytics modules)."""
    head = "".join(f'<div class="meta">{html.escape(line)}</div>\n' for line in meta)
    body = "\n".join(fragments)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_style()}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{head}{body}\n</body>\n</html>\n"
    )


def _formats(formats: str | Sequence[str]) -> list[str]:
    wanted = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str)
                                          else formats) if f.strip()]
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise ValueError(f"format {','.join(bad) or repr(formats)} is not one of "
                         f"{', '.join(FORMATS)}")
    return list(dict.fromkeys(wanted))


def write_analytics(
    stem: str,
    *,
    title: str,
    markdown: str,
    html_fragment: str,
    out: str | os.PathLike[str],
    formats: str | Sequence[str] = "md,html",
    generated_at: dt.datetime | None = None,
) -> list[Path]:
    """Write ``<out>/<stem>.md`` and/or ``.html`` as one set; return the paths written.

    ``stem`` must be a safe file stem (:func:`watchlists.definitions.safe_filename`).
    """
    from .definitions import safe_filename

    wanted = _formats(formats)
    folder = ensure_dir(out)
    name = safe_filename(stem)
    when = (generated_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    files: dict[Path, bytes] = {}
    if "md" in wanted:
        files[folder / f"{name}.md"] = (f"# {title}\n\n_generated {when}_\n\n{markdown}\n"
                                        ).encode()
    if "html" in wanted:
        files[folder / f"{name}.html"] = page(title, [html_fragment],
                                              meta=[f"generated {when}"]).encode("utf-8")
    return atomic_write_set(files)

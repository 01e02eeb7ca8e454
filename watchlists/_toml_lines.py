"""Best-effort line numbers for watchlist TOML files (``tomllib`` reports none).

:class:`_Locator` scans the raw text for table headers and keys so that
:mod:`watchlists.definitions` can name the line of a validation error;
:func:`_syntax_error` splits a ``tomllib.TOMLDecodeError`` into its line and its
message without the position suffix. Private: no public API, no I/O.
"""

from __future__ import annotations

import re
import tomllib

_HEADER_RE = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\- \"']+?)\s*\]\]?\s*(?:#.*)?")
_KEY_RE = re.compile(r"""\s*("[^"\\]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")
_Context = tuple[object, ...]


class _Locator:
    """Best-effort line numbers of tables and keys (``tomllib`` reports none).

    Contexts: ``()`` top level, ``('assumptions',)``, ``('members', i)`` and
    ``('members', i, 'assumptions')``. Member lines are trusted only when the file
    uses one ``[[members]]`` header per member.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[_Context, str | None], int] = {}
        self.member_headers = 0
        context: _Context = ()
        in_multiline = False
        for lineno, line in enumerate(text.splitlines(), start=1):
            quotes = line.count('"""') + line.count("'''")
            if in_multiline:
                in_multiline = quotes % 2 == 0
                continue
            header = _HEADER_RE.fullmatch(line)
            if header:
                table = header.group(2).replace(" ", "").replace('"', "").replace("'", "")
                if header.group(1) == "[[" and table == "members":
                    context = ("members", self.member_headers)
                    self.member_headers += 1
                elif table == "members.assumptions" and self.member_headers:
                    context = ("members", self.member_headers - 1, "assumptions")
                else:
                    context = (table,)
                self.lines.setdefault((context, None), lineno)
                continue
            key = _KEY_RE.match(line)
            if key:
                self.lines.setdefault((context, key.group(1).strip("\"'")), lineno)
            in_multiline = quotes % 2 == 1

    def line(self, context: _Context, key: str | None = None) -> int | None:
        while True:
            for probe in ((context, key), (context, None)):
                if probe in self.lines:
                    return self.lines[probe]
            if not context:
                return None
            context, key = context[:-1], None


def _syntax_error(exc: tomllib.TOMLDecodeError) -> tuple[int | None, str]:
    """``(line, reason)`` of a TOML syntax error.

    ``line`` is ``None`` when unknown; ``reason`` is the message without tomllib's
    ``(at line L, column C)`` or ``(at end of document)`` suffix.
    """
    lineno = getattr(exc, "lineno", None)
    if lineno is None:
        found = re.search(r"at line (\d+)", str(exc))
        lineno = int(found.group(1)) if found else None
    reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
    return lineno, reason

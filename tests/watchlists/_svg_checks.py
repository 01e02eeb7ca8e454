"""Checks of the SVG charts the reports embed: each ``<img>`` data URI decodes to a
well-formed, self-contained SVG document of a readable size."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

PREFIX = "data:image/svg+xml;base64,"
SVG = "{http://www.w3.org/2000/svg}"


def svg_sources(page: str) -> list[str]:
    """The base64 payloads of every SVG data URI in ``page``."""
    return re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)


def parse_svg(data: str | bytes) -> ET.Element:
    """``data`` (base64 text or SVG bytes) parsed; asserts it is a self-contained SVG:
    no script, no foreign object, no link out of the document, no event handler."""
    raw = data if isinstance(data, bytes) else base64.b64decode(data)
    root = ET.fromstring(raw)  # well-formed XML, or this raises
    assert root.tag == SVG + "svg", root.tag
    for el in root.iter():
        assert el.tag not in (SVG + "script", SVG + "foreignObject"), el.tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), name
            if name.endswith("href"):
                assert value.startswith("#"), value
            assert "url(" not in value or value.startswith("url(#"), value
    return root


def svg_size(data: str | bytes) -> tuple[float, float]:
    root = parse_svg(data)
    return float(root.get("width")), float(root.get("height"))


def svg_text(data: str | bytes) -> str:
    """All text drawn in the SVG (labels, titles, tooltips), joined by newlines."""
    return "\n".join(t for el in parse_svg(data).iter() for t in [el.text] if t)

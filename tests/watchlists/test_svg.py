"""The SVG kit behind the report charts: ticks, date ticks, escaping, shortening and
marks. Expected values are worked by hand in each test."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from _svg_checks import parse_svg, svg_text

from watchlists._svg import (
    Chart,
    Legend,
    Panel,
    data_range,
    date_ticks,
    days,
    esc,
    fit,
    nice_ticks,
    text_width,
    tick_format,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(("lo", "hi", "target", "want"), [
    # raw step 0.2 -> 2 x 0.1
    (0.0, 1.0, 5, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    # raw 16.93 -> 20 (10 < raw <= 20); first multiple of 20 above -9.8 is 0
    (-9.8, 91.8, 6, [0.0, 20.0, 40.0, 60.0, 80.0]),
    # raw 248.5 -> 250; first multiple above 1003 is 1250
    (1003.0, 1997.0, 4, [1250.0, 1500.0, 1750.0]),
    # raw 0.0024 -> 0.0025
    (0.0, 0.012, 5, [0.0, 0.0025, 0.005, 0.0075, 0.01]),
])
def test_nice_ticks(lo, hi, target, want):
    assert nice_ticks(lo, hi, target).tolist() == pytest.approx(want, abs=1e-12)


def test_nice_ticks_degenerate_range():
    assert nice_ticks(3.0, 3.0).tolist() == [3.0]
    assert nice_ticks(np.nan, 1.0).tolist() == []


def test_tick_format_decimals_follow_the_step():
    assert tick_format(np.array([0.0, 2.5, 5.0, 7.5])) == ["0.0", "2.5", "5.0", "7.5"]
    assert tick_format(np.array([-10.0, 0.0, 10.0]), "%") == ["−10%", "0%", "10%"]
    assert tick_format(np.array([1000.0, 2000.0])) == ["1,000", "2,000"]
    assert tick_format(np.array([0.05, 0.1, 0.15])) == ["0.05", "0.10", "0.15"]
    assert tick_format(np.array([-0.0, 1.0])) == ["0", "1"]  # never "−0"


def test_date_ticks_months_and_years():
    lo, hi = days(np.array(["2025-01-01", "2025-12-31"], dtype="datetime64[D]"))
    ticks, labels = date_ticks(lo, hi, 6)
    # 12 monthly ticks are too many; every 2 months gives Jan, Mar, ..., Nov (6)
    assert labels == ["Jan 2025", "Mar", "May", "Jul", "Sep", "Nov"]
    assert ticks[0] == lo and ticks[1] == lo + 31 + 28  # 1 March 2025
    lo, hi = days(np.array(["2025-11-15", "2026-05-20"], dtype="datetime64[D]"))
    # the first month start on or after 15 Nov is 1 Dec; Dec..May is 6 ticks
    assert date_ticks(lo, hi, 6)[1] == ["Dec 2025", "Jan 2026", "Feb", "Mar", "Apr", "May"]
    lo, hi = days(np.array(["2016-12-01", "2026-12-01"], dtype="datetime64[D]"))
    # 10 years: 2-yearly from 2018 (the first even January on or after the start)
    assert date_ticks(lo, hi, 6)[1] == ["2018", "2020", "2022", "2024", "2026"]
    lo, hi = days(np.array(["2025-03-03", "2025-03-12"], dtype="datetime64[D]"))
    assert date_ticks(lo, hi, 6)[1] == ["3 Mar 2025", "5 Mar", "7 Mar", "9 Mar", "11 Mar"]


def test_days_of_any_resolution():
    idx = pd.DatetimeIndex(["1970-01-02", "1970-01-03 12:00"]).as_unit("us")
    assert days(idx).tolist() == [1.0, 2.5]
    assert days(pd.Series(idx.as_unit("ns"))).tolist() == [1.0, 2.5]


def test_data_range():
    assert data_range([1.0, np.nan, 3.0], margin=0.5) == (0.0, 4.0)
    assert data_range([2.0], include=[0.0], margin=0.0) == (0.0, 2.0)
    assert data_range([5.0]) == (4.75, 5.25)  # one value: +-5 %
    assert data_range([np.nan]) == (0.0, 1.0)


def test_escape_and_control_characters():
    assert esc("<a href='x'>&\x00\x1b\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
    assert esc("a\tb\nc") == "a\tb\nc"


def test_fit_shortens_with_an_ellipsis():
    assert fit("Cambricon", 12.5, 500) == "Cambricon"
    short = fit("Zhongji Innolight (300308.SZ)", 12.5, 80)
    assert short.endswith("…") and text_width(short, 12.5) <= 80
    assert "Zhongji Innolight (300308.SZ)".startswith(short[:-1])


def _chart() -> tuple[Chart, Panel]:
    chart = Chart(200, 100, alt="test <chart>")
    return chart, Panel(chart, 10, 10, 100, 50, x=(0.0, 10.0), y=(0.0, 5.0))


def test_panel_maps_data_to_pixels_y_up():
    _, p = _chart()
    assert p.px([0.0, 5.0, 10.0]).tolist() == [10.0, 60.0, 110.0]
    assert p.py([0.0, 2.5, 5.0]).tolist() == [60.0, 35.0, 10.0]


def test_a_nan_breaks_a_line_and_a_band():
    chart, p = _chart()
    p.line([0, 1, 2, 3, 4], [1, 2, np.nan, 3, 4], "#000")
    p.band([0, 1, 2, 3], [0, 0, np.nan, 0], [1, 1, 1, 1], "#ccc")
    p.axes()
    root = parse_svg(chart.svg())
    path = next(el for el in root.iter(SVG + "path")).get("d")
    assert path == "M10 50L20 40M40 30L50 20"  # (0,1) (1,2) | (3,3) (4,4)
    polys = [el.get("points") for el in root.iter(SVG + "polygon")]
    # the run of the first two points, then the single point at x = 3
    assert polys == ["10,50 20,50 20,60 10,60", "40,50 40,60"]


def test_text_is_escaped_and_a_shortened_label_keeps_its_full_text():
    chart, p = _chart()
    long = "<script>alert(1)</script> & a very long company name indeed"
    chart.text(5, 20, long, room=60)
    chart.legend([Legend("a <b> line", "line", "#123456"), Legend("band", "band", "#abc",
                                                                     hatch=True)], 70)
    p.axes(ylabels=[(1.0, "x & y")], label_room=40)
    raw = chart.svg()
    root = parse_svg(raw)  # well-formed, nothing active
    assert b"<script" not in raw
    titles = [el.text for el in root.iter(SVG + "title")]
    assert "test <chart>" in titles and long in titles
    drawn = svg_text(raw)
    assert "a <b> line" in drawn and "x & y" in drawn
    assert any(el.get("fill", "").startswith("url(#h") for el in root.iter(SVG + "rect"))


def test_the_svg_declares_its_size():
    chart, _ = _chart()
    root = ET.fromstring(chart.svg())
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == \
        ("200", "100", "0 0 200 100")


def test_one_hatch_pattern_per_colour():
    chart, _ = _chart()
    first = chart.hatch("#dd6b20")
    assert chart.hatch("#dd6b20") == first and chart.hatch("#123456") != first
    chart.legend([Legend("bound", "bar", "#dd6b20", hatch=True)], 70)
    patterns = list(parse_svg(chart.svg()).iter(SVG + "pattern"))
    assert len(patterns) == 2  # the legend swatch reused the bars' pattern

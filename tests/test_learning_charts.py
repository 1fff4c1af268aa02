"""The dashboard's SVG charts: valid, accessible, deterministic, and drawn to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from postmortem_kb.learning import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _stacked() -> str:
    return charts.stacked_bars(
        "per-month",
        "Incidents per month by severity",
        "3 incidents in 2 months.",
        ["2024-01", "2024-02"],
        [charts.Series("SEV1", "#b71c1c", (1, 0)), charts.Series("SEV2", "#e65100", (1, 1))],
    )


def test_a_chart_is_one_accessible_svg_line() -> None:
    svg = _stacked()
    assert "\n" not in svg  # Markdown keeps it as one raw HTML block
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "per-month-title"
    assert root.get("aria-describedby") == "per-month-desc"
    assert root.find(f"{SVG}title").text == "Incidents per month by severity"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "3 incidents in 2 months."  # type: ignore[union-attr]
    assert root.get("viewBox", "").startswith("0 0 720 ")


def test_the_same_data_gives_the_same_bytes() -> None:
    assert _stacked() == _stacked()


def test_stacked_bars_are_to_scale_and_carry_their_values() -> None:
    root = _parse(_stacked())
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    tips = [r.find(f"{SVG}title").text for r in bars]  # type: ignore[union-attr]
    assert tips == [
        "2024-01 · SEV1: 1 incident",
        "2024-01 · SEV2: 1 incident",
        "2024-02 · SEV2: 1 incident",
    ]
    heights = [float(r.get("height", "0")) for r in bars]
    assert heights[0] == heights[1] == heights[2] > 0
    # SEV2 of January sits on SEV1: its bottom is SEV1's top
    first, second = bars[0], bars[1]
    assert float(second.get("y", "0")) + heights[1] == pytest.approx(float(first.get("y", "0")))
    assert first.get("fill") == "#b71c1c"


def test_text_and_axes_follow_the_page_palette() -> None:
    svg = _stacked()
    assert 'fill="currentColor"' in svg
    assert "var(--md-default-fg-color--light" in svg
    fixed = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]+)"', svg))
    assert fixed == {"#b71c1c", "#e65100"}  # only the severity colours are fixed


def test_a_title_is_escaped() -> None:
    svg = charts.ranked_bars("top", "A <b> & C", "d", ["x < y & z"], [2])
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == "A <b> & C"  # type: ignore[union-attr]
    assert "x &lt; y &amp; z" in svg


def test_rate_bars_warn_under_the_threshold_and_mark_missing_rates() -> None:
    svg = charts.rate_bars(
        "on-time", "On time", "d", ["2024Q1", "2024Q2", "2024Q3"], [0.5, 0.75, None], 0.7
    )
    root = _parse(svg)
    bars = {
        r.find(f"{SVG}title").text: r.get("fill")  # type: ignore[union-attr]
        for r in root.iter(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    }
    assert bars == {"2024Q1: 50%": charts.WARN, "2024Q2: 75%": charts.MARK}
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "–" in texts and "50%" in texts and "75%" in texts
    line = next(x for x in root.iter(f"{SVG}line") if x.find(f"{SVG}title") is not None)
    assert line.find(f"{SVG}title").text == "threshold 70%"  # type: ignore[union-attr]


def test_duration_points_mark_each_value_median_and_p90() -> None:
    group = charts.PointGroup("2024Q1", (600.0, 1800.0, 7200.0), 1800.0, 7200.0)
    root = _parse(charts.duration_points("ttm", "Time to mitigate", "d", [group]))
    points = [
        c.find(f"{SVG}title").text
        for c in root.iter(f"{SVG}circle")
        if c.find(f"{SVG}title") is not None
    ]  # type: ignore[union-attr]
    assert points == ["2024Q1: 10 min", "2024Q1: 30 min", "2024Q1: 2.0 h"]
    marks = [
        x.find(f"{SVG}title").text
        for x in root.iter(f"{SVG}line")
        if x.find(f"{SVG}title") is not None
    ]  # type: ignore[union-attr]
    assert marks == ["2024Q1 median: 30 min", "2024Q1 p90: 2.0 h"]
    ys = {
        c.find(f"{SVG}title").text: float(c.get("cy", "0"))
        for c in root.iter(f"{SVG}circle")
        if c.find(f"{SVG}title") is not None
    }  # type: ignore[union-attr]
    assert ys["2024Q1: 10 min"] > ys["2024Q1: 30 min"] > ys["2024Q1: 2.0 h"]  # up is longer


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (23, [0, 5, 10, 15, 20, 25]),
    ],
)
def test_nice_ticks(maximum: float, ticks: list[float]) -> None:
    assert charts.nice_ticks(maximum) == ticks


def test_duration_ticks_span_the_values() -> None:
    labels = [label for _, label in charts.duration_ticks(700, 5000)]
    assert labels == ["5 min", "15 min", "1 h", "4 h"]
    assert [label for _, label in charts.duration_ticks(0, 30)][:2] == ["1 min", "5 min"]


@pytest.mark.parametrize(
    ("rate", "text"), [(0.695, "70%"), (0.694, "69%"), (1.0, "100%"), (0.0, "0%")]
)
def test_percent_rounds_half_up(rate: float, text: str) -> None:
    assert charts.percent(rate) == text

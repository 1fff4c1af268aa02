"""The dashboard's charts: small SVG documents made at build time and inlined in the page.

Pure and deterministic: the same data gives the same bytes (coordinates are written with a
fixed number of decimals, nothing random, no dates, no ids but the ones passed in). Every
chart is an `<svg role="img">` with a `<title>` and `<desc>` named by `aria-labelledby` and
`aria-describedby`; its text and axes are drawn in `currentColor` and Material's palette
variables (with fallbacks), so the chart follows the page's light or dark scheme, which an
`<img>` could not. Each mark carries a `<title>` (the tooltip, without JavaScript); the
page shows a data table beside every chart, so nothing is only in the picture.

The charts draw the numbers they are given: medians, p90s and rates come from the
learning modules (`stats`, `metrics`, `ledger`, `recurrence`), never from here.

Why not a library: leather 0.4.1 (the lightest candidate, 30 KB) is deterministic and
takes CSS variables as colours, but has no stacked bars, no reference lines, no
`<title>`/`<desc>` or `role`, writes fixed pixel sizes without a `viewBox`, an XML prolog
and DOCTYPE that cannot be inlined as they are, and is themed through module-level globals
(one build's colours would leak into another's). See ARCHITECTURE.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 720
FONT_SIZE = 12
FG = "currentColor"
MUTED = "var(--md-default-fg-color--light, #0000008a)"
GRID = "var(--md-default-fg-color--lightest, #00000012)"
AXIS = "var(--md-default-fg-color--lighter, #00000052)"
MARK = "var(--md-typeset-a-color, #4051b5)"  # lighter than the primary colour in dark mode
HALO = "var(--md-default-bg-color, #fff)"
WARN = "var(--pmkb-warning-color, #c62828)"


@dataclass(frozen=True)
class Series:
    """One stack of a stacked bar chart: a label, a CSS colour, a value per category."""

    label: str
    color: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class PointGroup:
    """The points of one category (a quarter) and the marks drawn over them."""

    label: str
    values: tuple[float, ...]  # seconds
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class _Plot:
    """The plot area inside the chart: left, top, width, height (user units)."""

    left: float
    top: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width


# --- the charts --------------------------------------------------------------------------


def stacked_bars(
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "incidents",
) -> str:
    """Vertical bars, one per category, stacked by series in the given order (bottom
    first), with a legend above; up to about 12 category labels are written."""
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    plot = _Plot(40, 34, WIDTH - 52, 200)
    height = plot.bottom + 34
    parts = [_legend(plot.left, 14, [(s.label, s.color, "rect") for s in series])]
    parts += _y_axis(plot, ticks, [f"{t:g}" for t in ticks])
    band = plot.width / max(len(categories), 1)
    bar = max(band * 0.78, 1.0)
    scale = plot.height / ticks[-1]
    for index, category in enumerate(categories):
        x = plot.left + band * index + (band - bar) / 2
        y = plot.bottom
        for s in series:
            value = s.values[index]
            if not value:
                continue
            h = value * scale
            y -= h
            tip = f"{category} · {s.label}: {value} {unit if value != 1 else unit.rstrip('s')}"
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar)}" height="{_n(h)}" '
                f'fill="{escape(s.color)}"><title>{escape(tip)}</title></rect>'
            )
    parts += _x_labels(plot, categories, [""] * len(categories))
    return _svg(chart_id, title, desc, height, parts)


def duration_points(chart_id: str, title: str, desc: str, groups: Sequence[PointGroup]) -> str:
    """Every duration as a point, per category, on a logarithmic time axis (durations are
    long-tailed), with each category's median (solid) and p90 (dashed) drawn across it.
    Durations under the lowest tick (one minute) are drawn on it."""
    values = [v for g in groups for v in g.values]
    ticks = duration_ticks(min(values, default=60.0), max(values, default=3600.0))
    plot = _Plot(52, 34, WIDTH - 64, 220)
    height = plot.bottom + 48
    low, high = math.log(ticks[0][0]), math.log(ticks[-1][0])

    def y_of(seconds: float) -> float:
        clamped = min(max(seconds, ticks[0][0]), ticks[-1][0])
        return plot.bottom - (math.log(clamped) - low) / (high - low) * plot.height

    legend = [("each incident", MARK, "dot"), ("median", FG, "line"), ("p90", FG, "dash")]
    parts = [_legend(plot.left, 14, legend)]
    parts += _y_axis(plot, [y for y, _ in ticks], [label for _, label in ticks], y_of=y_of)
    band = plot.width / max(len(groups), 1)
    for index, group in enumerate(groups):
        x0 = plot.left + band * index
        for rank, seconds in enumerate(group.values):
            spread = (rank * 0.6180339887) % 1  # golden-ratio spacing: even, no randomness
            x = x0 + band * (0.2 + 0.6 * spread)
            parts.append(
                f'<circle cx="{_n(x)}" cy="{_n(y_of(seconds))}" r="3.5" fill="{MARK}" '
                f'fill-opacity="0.7"><title>{escape(group.label)}: '
                f"{escape(format_seconds(seconds))}</title></circle>"
            )
        for value, name, dash in ((group.median, "median", ""), (group.p90, "p90", "5 3")):
            if value is None:
                continue
            y = _n(y_of(value))
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{_n(x0 + band * 0.1)}" x2="{_n(x0 + band * 0.9)}" y1="{y}" '
                f'y2="{y}" stroke="{FG}" stroke-width="2"{dashes}><title>{escape(group.label)} '
                f"{name}: {escape(format_seconds(value))}</title></line>"
            )
    counts = [f"n = {len(g.values)}" for g in groups]
    parts += _x_labels(plot, [g.label for g in groups], counts)
    return _svg(chart_id, title, desc, height, parts)


def rate_bars(
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    rates: Sequence[float | None],
    threshold: float,
    notes: Sequence[str] = (),
) -> str:
    """Bars of a rate between 0 and 1 per category against a dashed threshold line; a bar
    under the threshold is drawn in the warning colour, and every bar is labelled with its
    percentage (a category without a rate shows "–"). `notes`: a second label line per
    category (e.g. "n = 12")."""
    plot = _Plot(44, 34, WIDTH - 56, 200)
    height = plot.bottom + (48 if notes else 34)
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    parts = [
        _legend(
            plot.left,
            14,
            [
                (f"at or above {percent(threshold)}", MARK, "rect"),
                ("below", WARN, "rect"),
                (f"threshold {percent(threshold)}", FG, "dash"),
            ],
        )
    ]
    parts += _y_axis(plot, [t * 100 for t in ticks], [percent(t) for t in ticks], top=100)
    band = plot.width / max(len(categories), 1)
    bar = min(band * 0.7, 64)
    labels = []  # drawn last, over the threshold line, with a halo
    for index, (category, rate) in enumerate(zip(categories, rates, strict=True)):
        x = plot.left + band * index + (band - bar) / 2
        centre = _n(x + bar / 2)
        if rate is None:
            labels.append(_text(x + bar / 2, plot.bottom - 6, "–", anchor="middle", fill=MUTED))
            continue
        h = rate * plot.height
        color = MARK if rate >= threshold else WARN
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(plot.bottom - h)}" width="{_n(bar)}" height="{_n(h)}" '
            f'fill="{color}"><title>{escape(category)}: {percent(rate)}</title></rect>'
        )
        labels.append(
            f'<text x="{centre}" y="{_n(plot.bottom - h - 4)}" text-anchor="middle" '
            f'fill="{FG}" {_HALO}>{percent(rate)}</text>'
        )
    line_y = _n(plot.bottom - threshold * plot.height)
    parts.append(
        f'<line x1="{_n(plot.left)}" x2="{_n(plot.right)}" y1="{line_y}" y2="{line_y}" '
        f'stroke="{FG}" stroke-width="1.5" stroke-dasharray="6 4"><title>threshold '
        f"{percent(threshold)}</title></line>"
    )
    parts += labels
    parts += _x_labels(plot, categories, notes or [""] * len(categories))
    return _svg(chart_id, title, desc, height, parts)


def ranked_bars(
    chart_id: str, title: str, desc: str, labels: Sequence[str], counts: Sequence[int]
) -> str:
    """Horizontal bars, one row per label (in the given order) with its count; labels
    longer than 44 characters are cut with "…" (the full text is the row's tooltip)."""
    row = 26
    label_width = 300
    plot = _Plot(label_width + 8, 8, WIDTH - label_width - 48, row * max(len(labels), 1))
    height = plot.bottom + 8
    top = max(counts, default=0) or 1
    parts = []
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        y = plot.top + row * index
        w = count / top * plot.width
        short = label if len(label) <= 44 else label[:43].rstrip() + "…"
        parts.append(
            f"<g><title>{escape(label)}: {count}</title>"
            + _text(plot.left - 8, y + row / 2 + 4, short, anchor="end")
            + f'<rect x="{_n(plot.left)}" y="{_n(y + 4)}" width="{_n(w)}" '
            f'height="{_n(row - 8)}" fill="{MARK}"/>'
            + _text(plot.left + w + 6, y + row / 2 + 4, str(count))
            + "</g>"
        )
    if not labels:
        parts.append(_text(WIDTH / 2, plot.top + row / 2 + 4, "none yet", anchor="middle"))
    return _svg(chart_id, title, desc, height, parts)


# --- scales and labels -------------------------------------------------------------------

DURATION_TICKS = (
    (60.0, "1 min"),
    (300.0, "5 min"),
    (900.0, "15 min"),
    (3600.0, "1 h"),
    (4 * 3600.0, "4 h"),
    (86400.0, "1 d"),
    (7 * 86400.0, "7 d"),
    (30 * 86400.0, "30 d"),
    (365 * 86400.0, "1 y"),
)


def nice_ticks(maximum: float, target: int = 5) -> list[float]:
    """Ticks from 0 to at least `maximum` at a step of 1, 2 or 5 × 10^k, about `target`
    of them; at least [0, 1]."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0) if maximum >= 1 else step
    count = math.ceil(maximum / step - 1e-9)
    return [round(step * i, 10) for i in range(count + 1)]


def duration_ticks(low: float, high: float) -> list[tuple[float, str]]:
    """The `DURATION_TICKS` that span `low`..`high` seconds: from the last tick at or
    below `low` (never under one minute) to the first at or above `high`."""
    first = max((i for i, (t, _) in enumerate(DURATION_TICKS) if t <= low), default=0)
    last = next(
        (i for i, (t, _) in enumerate(DURATION_TICKS) if t >= high), len(DURATION_TICKS) - 1
    )
    return list(DURATION_TICKS[first : max(last, first + 1) + 1])


def format_seconds(seconds: float) -> str:
    """A duration for a tooltip: "45 s", "18 min", "2.5 h", "3.1 d"."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(rate: float) -> str:
    """0.705 -> "70%": rounded half up to a whole percent, so 69.5% is shown as 70%."""
    return f"{math.floor(rate * 100 + 0.5)}%"


# --- SVG pieces --------------------------------------------------------------------------


_HALO = f'stroke="{HALO}" stroke-width="3" paint-order="stroke"'  # text over lines stays legible


def _n(value: float) -> str:
    """A coordinate with one decimal at most: the same number always gives the same bytes."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", fill: str = FG, size: int = 0
) -> str:
    anchor_attr = f' text-anchor="{anchor}"' if anchor != "start" else ""
    size_attr = f' font-size="{size}"' if size else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}"{anchor_attr}{size_attr} fill="{fill}">{escape(text)}</text>'
    )


def _svg(chart_id: str, title: str, desc: str, height: float, parts: Sequence[str]) -> str:
    """The `<svg>` element: one line (so Markdown keeps it as one raw HTML block)."""
    ident = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pmkb-chart" id="{ident}" '
        f'width="{WIDTH}" height="{_n(height)}" viewBox="0 0 {WIDTH} {_n(height)}" role="img" '
        f'aria-labelledby="{ident}-title" '
        f'aria-describedby="{ident}-desc" font-size="{FONT_SIZE}" font-family="inherit">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>' + "".join(parts) + "</svg>"
    )


def _legend(x: float, y: float, entries: Sequence[tuple[str, str, str]]) -> str:
    """A row of (label, colour, kind) where kind is `rect`, `dot`, `line` or `dash`."""
    parts = []
    for label, color, kind in entries:
        if kind == "rect":
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" fill="{escape(color)}"/>'
            )
        elif kind == "dot":
            parts.append(f'<circle cx="{_n(x + 5)}" cy="{_n(y - 4)}" r="3.5" fill="{color}"/>')
        else:
            dash = ' stroke-dasharray="5 3"' if kind == "dash" else ""
            parts.append(
                f'<line x1="{_n(x - 2)}" x2="{_n(x + 14)}" y1="{_n(y - 4)}" y2="{_n(y - 4)}" '
                f'stroke="{color}" stroke-width="2"{dash}/>'
            )
        offset = 20 if kind in ("line", "dash") else 15
        parts.append(_text(x + offset, y, label))
        x += offset + 7 * len(label) + 18
    return '<g aria-hidden="true">' + "".join(parts) + "</g>"


def _y_axis(
    plot: _Plot,
    ticks: Sequence[float],
    labels: Sequence[str],
    *,
    y_of: Callable[[float], float] | None = None,
    top: float | None = None,
) -> list[str]:
    """Grid lines and labels at `ticks`: linear from 0 to `top` (default: the last tick),
    or placed by `y_of` (a callable from a tick to its y)."""
    highest = top if top is not None else (ticks[-1] or 1)
    parts = []
    for tick, label in zip(ticks, labels, strict=True):
        y = y_of(tick) if y_of else plot.bottom - tick / highest * plot.height
        parts.append(
            f'<line x1="{_n(plot.left)}" x2="{_n(plot.right)}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="{GRID if tick else AXIS}"/>'
        )
        parts.append(_text(plot.left - 6, y + 4, label, anchor="end", fill=MUTED))
    return ['<g aria-hidden="true">' + "".join(parts) + "</g>"]


def _x_labels(plot: _Plot, categories: Sequence[str], notes: Sequence[str]) -> list[str]:
    """Category labels under the plot (every k-th, so at most about 12 are written) with
    an optional second line each."""
    count = len(categories)
    step = max(1, math.ceil(count / 12))
    band = plot.width / max(count, 1)
    parts = []
    for index in range(0, count, step):
        x = plot.left + band * (index + 0.5)
        parts.append(_text(x, plot.bottom + 16, categories[index], anchor="middle", fill=MUTED))
        if notes[index]:
            parts.append(_text(x, plot.bottom + 30, notes[index], anchor="middle", fill=MUTED))
    return ['<g aria-hidden="true">' + "".join(parts) + "</g>"]

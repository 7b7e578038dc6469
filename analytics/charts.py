"""Geometry of the dashboard's charts, drawn as inline SVG on the server.

Server-drawn SVG needs no script and no inline style (the pages' Content Security Policy
allows only same-origin scripts and styles), prints, and reads the same with scripts
off. Numbers are formatted here, so the template's localisation never turns a
coordinate into "12,5".
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

# About the size a chart is drawn at beside another, so its text keeps its font size.
WIDTH = 480
COLUMN_HEIGHT = 180
# Room for the y-axis labels (left), the dates (bottom) and half of the last date (right).
LEFT, RIGHT, TOP, BOTTOM = 36, 20, 10, 24


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at least `value`: the top of the y axis."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def daily_columns(points: Sequence[tuple[date, int]], *, noun: str) -> dict[str, Any]:
    """One column per day; every 7th day, counted back from the last, is labelled."""
    values = [value for _, value in points]
    top = nice_ceiling(max(values, default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = COLUMN_HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = plot_width / max(len(points), 1)
    bars, x_labels = [], []
    for index, (day, value) in enumerate(points):
        height = plot_height * value / top
        x = LEFT + index * slot
        bars.append(
            {
                "x": _n(x + slot * 0.15),
                "y": _n(baseline - height),
                "width": _n(slot * 0.7),
                "height": _n(height),
                "value": value,
                "date": day.isoformat(),
                "title": f"{day:%a} {day_label(day)}: {value} {noun}",
            }
        )
        if (len(points) - 1 - index) % 7 == 0:
            x_labels.append({"x": _n(x + slot / 2), "label": day_label(day)})
    ticks = sorted({0, top // 2, top} if top % 2 == 0 else {0, top})
    return {
        "width": WIDTH,
        "height": COLUMN_HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "baseline": baseline,
        "label_y": COLUMN_HEIGHT - 6,
        "bars": bars,
        "x_labels": x_labels,
        "ticks": [{"y": _n(baseline - plot_height * tick / top), "label": tick} for tick in ticks],
        "total": sum(values),
        "peak": max(values, default=0),
        "empty": not any(values),
    }


def ranked_bars(rows: Sequence[tuple[str, int]], *, noun: str) -> dict[str, Any]:
    """Horizontal bars, one per row, the largest value full width. Labels and values stay
    HTML text (readable at any width); each bar is an SVG stretched to its row."""
    peak = max((value for _, value in rows), default=0)
    bars = [
        {
            "label": label,
            "value": value,
            "percent": _n(100 * value / peak if peak else 0),
            "title": f"{label}: {value} {noun}",
        }
        for label, value in rows
    ]
    return {"bars": bars, "empty": not peak}


def percentage(rate: float | None) -> str:
    """A hit rate (0..1, or None before any lookup) as the dashboard shows it."""
    return "–" if rate is None else f"{rate * 100:.1f} %"

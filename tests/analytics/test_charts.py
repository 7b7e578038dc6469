"""The dashboard's chart geometry (analytics/charts.py): round axes, columns scaled to the
peak, no division by zero."""

from datetime import date

import pytest

from analytics import charts


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (12, 20), (999, 1000)]
)
def test_the_y_axis_ends_on_a_round_number(value, top):
    assert charts.nice_ceiling(value) == top


def test_daily_columns_scale_to_the_peak():
    chart = charts.daily_columns([(date(2025, 3, 1), 0), (date(2025, 3, 2), 5)], noun="views")
    zero, peak = chart["bars"]
    assert zero["height"] == "0"
    assert float(peak["height"]) == chart["baseline"] - charts.TOP  # the full height
    assert peak["title"] == "Sun 2 Mar: 5 views"
    assert [t["label"] for t in chart["ticks"]] == [0, 5]
    assert not chart["empty"]
    assert charts.daily_columns([(date(2025, 3, 1), 0)], noun="views")["empty"]


def test_ranked_bars_without_values_divide_by_nothing():
    chart = charts.ranked_bars([("post.viewed", 0)], noun="events")
    assert chart["empty"] and chart["bars"][0]["percent"] == "0"
    assert charts.ranked_bars([], noun="events")["empty"]

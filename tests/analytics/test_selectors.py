"""The analytics selectors the dashboard reads: daily series with every day, event counts
by type."""

from datetime import timedelta

import pytest

from analytics.selectors import event_counts_by_type, site_daily_series
from tests.factories import EventFactory, SiteDailyStatsFactory
from tests.helpers import today

pytestmark = pytest.mark.django_db


def test_site_daily_series_has_every_day_oldest_first():
    SiteDailyStatsFactory(date=today() - timedelta(days=2), views=4, comments=1)
    series = site_daily_series(days=3)
    assert [row["date"] for row in series] == [today() - timedelta(days=n) for n in (2, 1, 0)]
    assert [(row["views"], row["comments"]) for row in series] == [(4, 1), (0, 0), (0, 0)]


def test_event_counts_by_type_are_recent_and_most_frequent_first():
    EventFactory(type="b.done", ago=timedelta(minutes=1))
    EventFactory(type="a.done", ago=timedelta(minutes=1))
    EventFactory(type="a.done", ago=timedelta(minutes=1))
    EventFactory(type="c.done", ago=timedelta(days=8, minutes=1))
    assert event_counts_by_type(days=7) == [("a.done", 2), ("b.done", 1)]

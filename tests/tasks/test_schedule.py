"""The beat schedule and the job routes, merged from each app's `<app>/schedule.py`, and
what the daily purge runs besides job records (tasks.retention)."""

import pytest
from django.conf import settings

from analytics import schedule as analytics_schedule
from blog import schedule as blog_schedule
from config.celery import app as celery_app
from tasks import schedule as tasks_schedule
from tasks.retention import retention_purges
from tasks.schedule import QUEUES, schedule_merge


def test_every_app_s_entries_are_in_the_settings():
    for schedule in (tasks_schedule, blog_schedule, analytics_schedule):
        assert schedule.BEAT_SCHEDULE.items() <= settings.CELERY_BEAT_SCHEDULE.items()
        assert schedule.TASK_ROUTES.items() <= settings.CELERY_TASK_ROUTES.items()
    assert [queue.name for queue in settings.CELERY_TASK_QUEUES] == list(QUEUES)


def test_every_scheduled_or_routed_job_exists():
    celery_app.loader.import_default_modules()  # what a worker imports: every app's tasks
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    names |= set(settings.CELERY_TASK_ROUTES)
    assert names - set(celery_app.tasks) == set()
    routed_queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed_queues <= set(QUEUES)


def test_a_name_declared_by_two_apps_is_an_error():
    assert schedule_merge({"a": 1}, {"b": 2}) == {"a": 1, "b": 2}
    with pytest.raises(ValueError, match="a, c"):
        schedule_merge({"a": 1, "c": 3}, {"b": 2}, {"c": 4, "a": 5})


def test_reports_are_purged_with_the_job_records():
    assert list(retention_purges()) == ["reports"]
    assert retention_purges()["reports"].__module__ == "analytics.reports.services"

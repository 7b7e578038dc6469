"""Operating the event store: retention (`purge_events`, the daily job), replaying events
to a consumer (`replay_events`) and the terminal log (`events`)."""

import io
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.consumers import CONSUMERS, consumer
from analytics.models import ConsumedEvent, Event, WebhookAttempt, WebhookDelivery
from analytics.retention import event_purge, event_retention_policy
from analytics.schedule import BEAT_SCHEDULE, TASK_ROUTES
from analytics.tasks import purge_events
from config.env import env_int_map
from tasks.models import JobRecord, JobStatus
from tests.factories import (
    ConsumedEventFactory,
    EventFactory,
    WebhookAttemptFactory,
    WebhookDeliveryFactory,
    WebhookSubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def days(n):
    return timedelta(days=n)


# --- retention ----------------------------------------------------------------------------


@pytest.fixture
def retention(settings):
    settings.EVENT_RETENTION_DAYS = 365
    settings.EVENT_RETENTION_DAYS_BY_TYPE = {"user.logged_in": 90, "user.login_failed": 90}
    return settings


@pytest.fixture
def aged_events(retention):
    """Events on either side of their type's retention."""
    return {
        "old_login": EventFactory(type="user.logged_in", ago=days(91)),
        "old_failure": EventFactory(type="user.login_failed", ago=days(200)),
        "recent_login": EventFactory(type="user.logged_in", ago=days(89)),
        "old_post": EventFactory(type="post.created", ago=days(366)),
        "kept_post": EventFactory(type="post.created", ago=days(200)),
    }


def test_retention_defaults_and_overrides_come_from_settings(retention):
    assert event_retention_policy() == (365, {"user.logged_in": 90, "user.login_failed": 90})


@pytest.mark.parametrize(
    "by_type", [{"user.exploded": 30}, {"user.logged_in": 0}, {"post.created": -1}]
)
def test_a_bad_retention_setting_is_refused(retention, by_type):
    retention.EVENT_RETENTION_DAYS_BY_TYPE = by_type
    with pytest.raises(ImproperlyConfigured):
        event_purge()


def test_retention_by_type_is_read_from_the_environment(monkeypatch):
    default = "user.logged_in=90,user.login_failed=90"
    monkeypatch.setenv("RETENTION_TEST", "user.logged_in=30, post.viewed=7")
    assert env_int_map("RETENTION_TEST", default) == {
        "user.logged_in": 30,
        "user.login_failed": 90,
        "post.viewed": 7,
    }
    monkeypatch.setenv("RETENTION_TEST", "user.logged_in=soon")
    with pytest.raises(ImproperlyConfigured):
        env_int_map("RETENTION_TEST", default)


def test_purge_deletes_each_type_past_its_retention(aged_events):
    assert event_purge() == {"post.created": 1, "user.logged_in": 1, "user.login_failed": 1}

    left = set(Event.objects.values_list("pk", flat=True))
    assert left == {aged_events["recent_login"].pk, aged_events["kept_post"].pk}


def test_purge_dry_run_counts_and_deletes_nothing(aged_events):
    out = run("purge_events", "--dry-run")

    assert Event.objects.count() == 5
    assert "user.logged_in: 1" in out
    assert "post.created: 1" in out
    assert "Would delete 3 event(s)." in out


def test_purge_command_deletes(aged_events):
    out = run("purge_events")

    assert "Retention: 365 d (user.logged_in 90 d, user.login_failed 90 d)" in out
    assert "Deleted 3 event(s)." in out
    assert Event.objects.count() == 2


def test_purge_deletes_in_batches(retention):
    for n in range(5):
        EventFactory(type="post.updated", ago=days(400 + n))
    EventFactory(type="post.updated", ago=days(10))

    with CaptureQueriesContext(connection) as captured:
        assert event_purge(batch_size=2) == {"post.updated": 5}

    deletes = [q["sql"] for q in captured if q["sql"].startswith('DELETE FROM "analytics_event"')]
    assert len(deletes) == 3  # 2 + 2 + 1
    assert Event.objects.count() == 1


def test_a_purge_past_its_deadline_stops_between_batches(retention):
    for n in range(5):
        EventFactory(type="post.updated", ago=days(400 + n))

    # Past already: one batch (each kind of event gets one), then it stops.
    assert event_purge(batch_size=2, deadline=time.monotonic()) == {"post.updated": 2}
    assert Event.objects.count() == 3
    assert event_purge(batch_size=2) == {"post.updated": 3}


def test_a_purge_job_out_of_time_queues_the_next_run(aged_events, monkeypatch):
    monkeypatch.setattr("analytics.tasks.PURGE_TIME_BUDGET", 0.0)

    purge_events.delay()  # eager: the run it queues runs here too

    results = JobRecord.objects.filter(name="analytics.purge_events").values_list(
        "status", "result"
    )
    # The second run found nothing left, so it queued no third.
    assert sorted(results, key=lambda r: -r[1]) == [
        (JobStatus.COMPLETED, 3),
        (JobStatus.COMPLETED, 0),
    ]
    assert Event.objects.count() == 2


def test_purge_takes_the_event_s_deliveries_and_dedupe_marks_along(retention):
    old, kept = EventFactory(ago=days(400)), EventFactory(ago=days(1))
    subscription = WebhookSubscriptionFactory(url="https://example.com/h", secret="s")
    for event in (old, kept):
        delivery = WebhookDeliveryFactory(subscription=subscription, event=event)
        WebhookAttemptFactory(delivery=delivery, response_status=200, succeeded=True)
        ConsumedEventFactory(consumer="analytics", event_id=event.pk)

    event_purge()

    assert list(WebhookDelivery.objects.values_list("event_id", flat=True)) == [kept.pk]
    assert WebhookAttempt.objects.count() == 1
    assert list(ConsumedEvent.objects.values_list("event_id", flat=True)) == [kept.pk]


def test_purge_job_is_recorded_and_runs_daily_on_the_low_queue(aged_events):
    purge_events.delay()

    job = JobRecord.objects.get(name="analytics.purge_events")
    assert job.status == JobStatus.COMPLETED
    assert job.queue == "low"
    assert job.result == 3
    assert Event.objects.count() == 2

    assert TASK_ROUTES["analytics.purge_events"] == {"queue": "low"}
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "analytics.purge_events")
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].remaining_estimate(timezone.now()) <= timedelta(days=1)


# --- replay -------------------------------------------------------------------------------


@pytest.fixture
def replayed():
    """A consumer of post and comment creations that records what it handled."""
    handled = []

    @consumer("tests.replay", types=["post.created", "comment.created"])
    def record(event):
        if event.data.get("explode"):
            raise RuntimeError("bad event")
        handled.append(event.pk)

    yield handled
    CONSUMERS.pop("tests.replay", None)


T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def timeline():
    return {
        "before": EventFactory(type="post.created", occurred_at=T0 - timedelta(hours=1)),
        "post": EventFactory(type="post.created", occurred_at=T0 + timedelta(hours=1)),
        "comment": EventFactory(type="comment.created", occurred_at=T0 + timedelta(hours=2)),
        "unwanted": EventFactory(type="post.deleted", occurred_at=T0 + timedelta(hours=3)),
        "consumed": EventFactory(type="post.created", occurred_at=T0 + timedelta(hours=4)),
        "after": EventFactory(type="post.created", occurred_at=T0 + days(2)),
    }


def test_replay_runs_the_consumer_on_the_range_skipping_consumed_events(replayed, timeline):
    ConsumedEventFactory(consumer="tests.replay", event_id=timeline["consumed"].pk)

    out = run(
        "replay_events", "--consumer", "tests.replay", "--since", "2026-03-01", "--until",
        "2026-03-02T00:00:00Z",
    )  # fmt: skip

    assert replayed == [timeline["post"].pk, timeline["comment"].pk]  # in order
    assert "3 event(s) matched, 2 consumed, 1 skipped (already consumed), 0 failed" in out
    # Replayed events are marked consumed: a second replay does nothing again.
    out = run("replay_events", "--consumer", "tests.replay", "--since", "2026-03-01")
    assert "4 event(s) matched, 1 consumed, 3 skipped" in out
    assert replayed == [timeline["post"].pk, timeline["comment"].pk, timeline["after"].pk]


def test_replay_force_runs_it_again_on_consumed_events(replayed, timeline):
    ConsumedEventFactory(consumer="tests.replay", event_id=timeline["consumed"].pk)

    out = run(
        "replay_events", "--consumer", "tests.replay", "--force", "--since", "2026-03-01T00:00",
        "--until", "2026-03-01T12:00",
    )  # fmt: skip

    assert replayed == [timeline["post"].pk, timeline["comment"].pk, timeline["consumed"].pk]
    assert "3 event(s) matched, 3 consumed, 0 skipped" in out
    assert ConsumedEvent.objects.filter(event_id=timeline["consumed"].pk).count() == 1


def test_replay_narrows_by_type(replayed, timeline):
    out = run("replay_events", "--consumer", "tests.replay", "--type", "comment.created")

    assert replayed == [timeline["comment"].pk]
    assert "1 event(s) matched" in out


def test_replay_reports_failing_events_and_goes_on(replayed, timeline):
    bad = EventFactory(
        type="post.created", occurred_at=T0 + timedelta(minutes=90), data={"explode": True}
    )

    with pytest.raises(CommandError, match="1 event"):
        run("replay_events", "--consumer", "tests.replay", "--since", "2026-03-01", "--until",
            "2026-03-02")  # fmt: skip

    assert replayed == [timeline["post"].pk, timeline["comment"].pk, timeline["consumed"].pk]
    # The failed event is not marked consumed: a later replay tries it again.
    assert not ConsumedEvent.objects.filter(event_id=bad.pk).exists()


def test_replay_of_an_unknown_consumer_exits_non_zero(capsys):
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "replay_events", "--consumer", "no-such-thing"])

    assert exit_info.value.code != 0
    assert "Unknown consumer 'no-such-thing'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["--since", "last tuesday"],
        ["--type", "post.exploded"],
        ["--since", "2026-03-02", "--until", "2026-03-01"],
    ],
)
def test_replay_refuses_bad_arguments(replayed, args):
    with pytest.raises(CommandError):
        run("replay_events", "--consumer", "tests.replay", *args)
    assert replayed == []


# --- the terminal log ---------------------------------------------------------------------


def test_events_shows_the_latest_oldest_first_one_line_each(author):
    EventFactory(type="post.created", ago=timedelta(minutes=3))
    second = EventFactory(
        type="post.published",
        ago=timedelta(minutes=2),
        actor=author,
        aggregate_id="12",
        request_id="abc-123",
        data={"slug": "hello", "author_id": author.pk},
    )
    third = EventFactory(type="user.login_failed", ago=timedelta(minutes=1), aggregate_type="user")

    lines = run("events", "--limit", "2").splitlines()

    assert len(lines) == 2
    first_line = lines[0]
    assert first_line.startswith(second.occurred_at.isoformat(timespec="milliseconds"))
    for part in ("post.published", author.username, "post:12", "abc-123"):
        assert part in first_line
    assert first_line.endswith(
        json.dumps({"author_id": author.pk, "slug": "hello"}).replace(" ", "")
    )
    assert "user.login_failed" in lines[1]
    assert str(third.aggregate_type) + ":1" in lines[1]


def test_events_filters_by_type_and_aggregate():
    EventFactory(type="post.created", aggregate_id="1")
    EventFactory(type="post.updated", aggregate_id="1")
    EventFactory(type="post.updated", aggregate_id="2")
    EventFactory(type="comment.created", aggregate_id="1")

    assert len(run("events", "--type", "post.updated").splitlines()) == 2
    lines = run("events", "--aggregate", "post:1").splitlines()
    assert [line.split()[1] for line in lines] == ["post.created", "post.updated"]
    assert len(run("events", "--aggregate", "comment").splitlines()) == 1
    both = run("events", "--type", "post.created", "--type", "comment.created").splitlines()
    assert len(both) == 2


def test_events_follow_prints_new_events_once(monkeypatch):
    from analytics.management.commands import events as events_command

    EventFactory(type="post.created", ago=timedelta(seconds=30))
    shown = EventFactory(type="post.created", ago=timedelta(seconds=10))
    polls = []

    def fake_sleep(seconds):
        polls.append(seconds)
        if len(polls) == 1:
            EventFactory(type="post.deleted", aggregate_id="new")
            # Committed late: its time lies before the newest shown event.
            EventFactory(type="post.archived", aggregate_id="late", ago=timedelta(seconds=20))
        elif len(polls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(events_command.time, "sleep", fake_sleep)
    lines = run("events", "--limit", "1", "--follow", "--interval", "0.5").splitlines()

    assert shown.occurred_at.isoformat(timespec="milliseconds") in lines[0]
    assert [line.split()[1] for line in lines] == ["post.created", "post.archived", "post.deleted"]
    assert polls == [0.5, 0.5, 0.5]


def test_events_refuses_a_bad_limit():
    with pytest.raises(CommandError):
        run("events", "--limit", "0")

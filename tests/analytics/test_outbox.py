"""The outbox relay (analytics/outbox.py, `relay_events`): an event whose after-commit
dispatch was lost is delivered to its consumers later, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.consumers import CONSUMERS, consumer
from analytics.models import ConsumedEvent, Event
from analytics.outbox import event_dispatch
from analytics.tasks import relay_events
from blog.services import posts as post_services
from tasks.models import JobRecord, JobStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorder_consumer():
    """A consumer of `post.published` that records what it handled."""
    handled = []

    @consumer("tests.recorder", types=["post.published"])
    def record(event):
        handled.append(event.pk)

    yield handled
    CONSUMERS.pop("tests.recorder", None)


def _lost_dispatch_event(author, age: timedelta) -> Event:
    """A post published whose after-commit dispatch never ran (the test's transaction
    never commits, like a process killed right after its commit)."""
    post_services.post_create(author=author, title="Lost", body="B", status="published")
    event = Event.objects.get(type="post.published")
    assert event.dispatched_at is None
    Event.objects.filter(pk=event.pk).update(occurred_at=timezone.now() - age)
    return event


def test_the_relay_delivers_an_event_whose_dispatch_was_lost(author, recorder_consumer):
    event = _lost_dispatch_event(author, age=timedelta(minutes=5))

    relay_events.delay()

    assert recorder_consumer == [event.pk]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert ConsumedEvent.objects.filter(consumer="tests.recorder", event_id=event.pk).exists()
    job = JobRecord.objects.get(name="analytics.consume_event", arguments__args__0="tests.recorder")
    assert job.status == JobStatus.COMPLETED
    assert job.arguments["args"] == ["tests.recorder", str(event.pk)]

    # A second relay finds nothing; a duplicate dispatch is deduplicated by the consumer.
    relay_events.delay()
    event_dispatch(event_id=event.pk, event_type=event.type)
    assert recorder_consumer == [event.pk]


def test_the_relay_leaves_recent_events_to_the_normal_path(author, recorder_consumer):
    event = _lost_dispatch_event(author, age=timedelta(seconds=1))

    relay_events.delay()

    assert recorder_consumer == []
    event.refresh_from_db()
    assert event.dispatched_at is None


def test_the_normal_path_dispatches_after_commit(
    author, recorder_consumer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_services.post_create(author=author, title="Now", body="B", status="published")

    event = Event.objects.get(type="post.published")
    assert recorder_consumer == [event.pk]
    assert event.dispatched_at is not None

"""Analytics' writes behind the outbox, the consumers, the retention and the admin, as
services: the dispatch mark, the consumers' marks, the retention's deletes (the event
rows themselves come from the `store_event` receiver, with the change that published
them), and the webhook admin's bulk switch."""

import pytest
from django.db import transaction

from analytics.models import ConsumedEvent, Event, WebhookSubscription
from analytics.services import consumed_event_record, event_delete_many, event_mark_dispatched
from analytics.webhooks import services as webhook_services
from config.events.bus import publish
from tests.factories import ReaderFactory

pytestmark = pytest.mark.django_db


def stored_event(user) -> Event:
    with transaction.atomic():
        event = publish("user.updated", aggregate_id=user.pk, actor=user, data={"fields": []})
    return Event.objects.get(pk=event.id)


def test_an_event_is_marked_dispatched_once():
    event = stored_event(ReaderFactory())
    Event.objects.filter(pk=event.pk).update(dispatched_at=None)
    event_mark_dispatched(event_id=event.pk)
    first = Event.objects.get(pk=event.pk).dispatched_at
    assert first is not None
    event_mark_dispatched(event_id=event.pk)
    assert Event.objects.get(pk=event.pk).dispatched_at == first


def test_a_consumer_marks_an_event_once():
    event = stored_event(ReaderFactory())
    assert consumed_event_record(consumer="test", event_id=event.pk) is True
    assert consumed_event_record(consumer="test", event_id=event.pk) is False
    assert consumed_event_record(consumer="other", event_id=event.pk) is True
    assert ConsumedEvent.objects.filter(event_id=event.pk).count() == 2


def test_deleting_events_takes_their_consumer_marks_along():
    user = ReaderFactory()
    gone, kept = stored_event(user), stored_event(user)
    for event in (gone, kept):
        consumed_event_record(consumer="test", event_id=event.pk)
    event_delete_many(event_ids=[gone.pk])
    assert list(Event.objects.filter(pk__in=[gone.pk, kept.pk])) == [kept]
    assert list(ConsumedEvent.objects.values_list("event_id", flat=True)) == [kept.pk]


def test_webhook_subscriptions_are_switched_in_bulk(admin_user):
    subscriptions = [
        WebhookSubscription.objects.create(
            url=f"https://hooks{n}.example.com/x", events=["post.published"], secret="s"
        )
        for n in range(2)
    ]
    queryset = WebhookSubscription.objects.filter(pk__in=[s.pk for s in subscriptions])
    assert (
        webhook_services.webhook_subscription_set_active_many(
            subscriptions=queryset, is_active=False, actor=admin_user
        )
        == 2
    )
    assert not queryset.filter(is_active=True).exists()

"""Consumers of the outbox: slow effects of events, run as jobs after commit.

A consumer registers the event types it wants with `@consumer`. For each stored event,
`analytics.outbox.event_dispatch` queues one `analytics.consume_event` job (defined here,
below the outbox that queues it) per interested consumer; `event_consume` runs it at most
once per (consumer, event), deduplicated by a `ConsumedEvent` row written in the
consumer's own transaction.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from celery import shared_task
from django.db import transaction

from analytics.models import Event
from analytics.services import consumed_event_record
from tasks.base import RecordedTask


@dataclass(frozen=True)
class Consumer:
    name: str
    types: frozenset[str] | None  # None: every event type
    handle: Callable[[Event], object]
    queue: str = "default"

    def wants(self, event_type: str) -> bool:
        return self.types is None or event_type in self.types


CONSUMERS: dict[str, Consumer] = {}

_Handler = TypeVar("_Handler", bound=Callable[[Event], object])


def consumer(
    name: str, *, types: Iterable[str] | None = None, queue: str = "default"
) -> Callable[[_Handler], _Handler]:
    """Register `func(event)` as the consumer `name` of the given event types."""

    def register(func: _Handler) -> _Handler:
        CONSUMERS[name] = Consumer(
            name=name,
            types=frozenset(types) if types is not None else None,
            handle=func,
            queue=queue,
        )
        return func

    return register


def consumers_for(event_type: str) -> list[Consumer]:
    return [c for c in CONSUMERS.values() if c.wants(event_type)]


def event_consume(*, consumer_name: str, event_id: uuid.UUID | str, force: bool = False) -> str:
    """Run one consumer on one event, at most once (consumers deduplicate by event id).

    `force` runs it again even if it already consumed the event (an operator's replay,
    `manage.py replay_events --force`, after fixing a consumer).
    """
    target = CONSUMERS[consumer_name]
    event = Event.objects.get(pk=event_id)
    with transaction.atomic():
        first_time = consumed_event_record(consumer=target.name, event_id=event.pk)
        if not first_time and not force:
            return "duplicate"
        target.handle(event)
    return "consumed"


@shared_task(base=RecordedTask, name="analytics.consume_event")
def consume_event(consumer_name: str, event_id: str) -> str:
    return event_consume(consumer_name=consumer_name, event_id=event_id)

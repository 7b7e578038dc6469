"""Receivers of domain events (see `config.events.bus`).

`store_event` runs inside the transaction; the others after commit, never failing the
request (a failure is logged by the bus).
"""

import logging
from typing import Any

from analytics.models import Event
from analytics.outbox import event_dispatch
from analytics.services import post_view_count
from config.events.bus import DomainEvent

logger = logging.getLogger("activity")


def store_event(sender: object, event: DomainEvent, **kwargs: Any) -> None:
    """Write the event row in the change's transaction: the audit trail and the outbox."""
    Event.objects.create(
        id=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        data=event.data,
        request_id=event.request_id or "",
    )


def log_activity(sender: object, event: DomainEvent, **kwargs: Any) -> None:
    """One structured log line per event, named after it (`post.published`), with its
    ids and its payload (ids and primitives, already redacted by `publish`)."""
    logger.info(
        event.type,
        extra={
            "event_id": str(event.id),
            "actor_id": event.actor_id,
            "aggregate_type": event.aggregate_type,
            "aggregate_id": event.aggregate_id,
            "request_id": event.request_id,
            "data": event.data,
        },
    )


def dispatch_event_jobs(sender: object, event: DomainEvent, **kwargs: Any) -> None:
    """Start the event's slow effects (consumer jobs) from its outbox row."""
    if not event.stored:
        return
    event_dispatch(event_id=event.id, event_type=event.type)


def count_post_view(sender: object, event: DomainEvent, **kwargs: Any) -> None:
    """`post.viewed`: add one view to the post's counters (in Redis, flushed every
    minute; in the database when Redis is down)."""
    if event.type != "post.viewed":
        return
    post_view_count(post_id=int(event.aggregate_id))

"""The domain-event bus: Django signals, with the store in the transaction and every
other effect after commit.

Services call `publish()` inside their transaction. Two signals carry the event:

- `event_recorded` is sent at once, inside the transaction. Its one receiver is the event
  store (`analytics.receivers.store_event`), so the event row commits or rolls back with
  the change: exactly one event per committed change, none for a rolled-back one.
- `event_committed` is sent after the commit (`transaction.on_commit(robust=True)`), with
  `send_robust`, so a failing receiver is logged and counted but never fails the request.
  Receivers: activity log, cache invalidation, view counter, outbox dispatch of jobs.

Event types and their payloads are declared by the apps that publish them
(`<app>/events.py`, in `config.events.registry`). Payloads are redacted
(`config.observability.redaction.redact`) before anything sees them.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.dispatch import Signal
from django.utils import timezone

from config.events.registry import EVENT_TYPES
from config.observability.metrics.instruments import receiver_name
from config.observability.metrics.shared import count_event, count_receiver_failure

# The payload policy; callers that record jobs (tasks.base, tasks.services) import it from
# here too.
from config.observability.redaction import REDACTED as REDACTED
from config.observability.redaction import redact
from config.observability.request_context import get_request_id

logger = logging.getLogger(__name__)

# Sent inside the transaction, with `event`; only the event store listens.
event_recorded = Signal()
# Sent after commit, with `event`; receivers with effects outside the database.
# (Receivers filter on `event.type`: Django matches senders by identity, not equality.)
event_committed = Signal()


@dataclass(frozen=True)
class DomainEvent:
    type: str
    aggregate_type: str
    aggregate_id: str
    data: dict
    actor_id: int | None = None
    request_id: str | None = None
    # False for events not kept in the store (post.viewed): nothing to dispatch from it.
    stored: bool = True
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=timezone.now)


def publish(
    event_type: str,
    *,
    aggregate_id: object,
    data: dict[str, Any] | None = None,
    actor: Model | None = None,
    store: bool = True,
) -> DomainEvent:
    """Publish a domain event from inside the service's transaction.

    `store=False` is for high-volume events (`post.viewed`) that feed counters and are
    not kept one row each.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}")
    connection = transaction.get_connection()
    if store and not connection.in_atomic_block:
        raise RuntimeError(f"{event_type} must be published inside the change's transaction")
    event = DomainEvent(
        type=event_type,
        aggregate_type=EVENT_TYPES[event_type].aggregate,
        aggregate_id=str(aggregate_id),
        data=redact(data or {}),
        actor_id=getattr(actor, "pk", None),
        request_id=get_request_id(),
        stored=store,
    )
    if store:
        event_recorded.send(sender=event_type, event=event)
        transaction.on_commit(lambda: _deliver(event), robust=True)
    else:
        # Not part of any change (a view is a read): nothing to wait for.
        _deliver(event)
    return event


def _deliver(event: DomainEvent) -> None:
    count_event(event.type)
    for receiver, result in event_committed.send_robust(sender=event.type, event=event):
        if isinstance(result, Exception):
            count_receiver_failure(receiver_name(receiver), event.type)
            logger.error(
                "event receiver failed",
                exc_info=result,
                extra={"receiver": getattr(receiver, "__name__", repr(receiver))},
            )

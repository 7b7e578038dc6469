"""The domain-event bus: Django signals, with the store in the transaction and every
other effect after commit.

Services call `publish()` inside their transaction. Two signals carry the event:

- `event_recorded` is sent at once, inside the transaction. Its one receiver is the event
  store (`analytics.receivers.store_event`), so the event row commits or rolls back with
  the change: exactly one event per committed change, none for a rolled-back one.
- `event_committed` is sent after the commit (`transaction.on_commit(robust=True)`), with
  `send_robust`, so a failing receiver is logged and counted but never fails the request.
  Receivers: activity log, cache invalidation, view counter, outbox dispatch of jobs.

Event types and their payloads are documented in `EVENT_TYPES` below.
"""

import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from config.request_context import get_request_id

logger = logging.getLogger(__name__)

# Sent inside the transaction, with `event`; only the event store listens.
event_recorded = Signal()
# Sent after commit, with `event`; receivers with effects outside the database.
# (Receivers filter on `event.type`: Django matches senders by identity, not equality.)
event_committed = Signal()

# type -> (aggregate type, payload keys). The payload holds ids and primitives only.
EVENT_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "user.registered": ("user", ("username", "role")),
    "user.logged_in": ("user", ("username",)),
    "user.login_failed": ("user", ("username", "reason")),
    "user.updated": ("user", ("fields",)),
    "user.password_changed": ("user", ()),
    "user.role_changed": ("user", ("old_role", "new_role")),
    "user.deactivated": ("user", ()),
    "user.activated": ("user", ()),
    "post.created": ("post", ("slug", "status", "author_id")),
    "post.updated": ("post", ("slug", "fields")),
    "post.scheduled": ("post", ("slug", "publish_at")),
    "post.published": ("post", ("slug", "published_at", "author_id")),
    "post.unpublished": ("post", ("slug",)),
    "post.archived": ("post", ("slug",)),
    "post.deleted": ("post", ("slug",)),
    "post.viewed": ("post", ("slug",)),
    "comment.created": ("comment", ("post_id", "parent_id", "status", "author_id")),
    "comment.updated": ("comment", ("post_id", "status")),
    "comment.moderated": ("comment", ("post_id", "old_status", "new_status")),
    "comment.deleted": ("comment", ("post_id",)),
    "category.created": ("category", ("slug",)),
    "category.updated": ("category", ("slug", "fields")),
    "category.deleted": ("category", ("slug",)),
    "report.completed": ("report", ("kind", "format")),
}

# Keys whose values are personal or secret, wherever they appear in a payload.
_SECRET_KEYS = re.compile(r"pass(word)?|token|secret|e-?mail|(^|_)ip(_|$)|ip_?address|auth", re.I)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_IPV4 = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b")
_IPV6 = re.compile(r"\b[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}\b", re.I)
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """Strip personal data from a payload: secret keys, e-mail and IP address values."""
    if isinstance(value, dict):
        return {
            str(k): (REDACTED if _SECRET_KEYS.search(str(k)) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        value = _EMAIL.sub(REDACTED, value)
        value = _IPV4.sub(REDACTED, value)
        return _IPV6.sub(REDACTED, value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact(str(value))


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
    aggregate_id,
    data: dict | None = None,
    actor=None,
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
        aggregate_type=EVENT_TYPES[event_type][0],
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
    for receiver, result in event_committed.send_robust(sender=event.type, event=event):
        if isinstance(result, Exception):
            logger.error(
                "event receiver failed",
                exc_info=result,
                extra={"receiver": getattr(receiver, "__name__", repr(receiver))},
            )

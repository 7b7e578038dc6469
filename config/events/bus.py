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

import ipaddress
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.dispatch import Signal
from django.utils import timezone

from config.observability.metrics.instruments import receiver_name
from config.observability.metrics.shared import count_event, count_receiver_failure
from config.observability.request_context import get_request_id

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
    "user.login_unlocked": ("user", ()),
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
    "tag.created": ("tag", ("slug",)),
    "tag.updated": ("tag", ("slug", "fields")),
    "tag.deleted": ("tag", ("slug",)),
    "report.completed": ("report", ("kind", "format")),
}

# Key words whose values are personal or secret, wherever they appear in a payload. A key
# is split into words (snake_case, kebab-case, camelCase) and matched word by word, so
# `author_id` or `publish_at` stay while `userEmail`, `new_password1` or `client_ip` go.
_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "passphrase", "token", "secret", "email",
        "mail", "ip", "ipaddress", "addr", "auth", "authorization", "cookie", "session",
        "sessionid", "apikey", "credential", "credentials", "otp",
    }
)  # fmt: skip
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key")})
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_BEARER = re.compile(r"\bBearer\s+\S+", re.I)
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*")
# Candidates only: an address is redacted when `ipaddress` accepts it, so a time of day
# ("10:00:00") or a version number that is no address stays as it is.
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?![\w:])")
REDACTED = "[redacted]"


def _is_secret_key(key: str) -> bool:
    words = re.findall(r"[a-z]+", _CAMEL.sub(r"\1_\2", key).lower())
    return any(w in _SECRET_WORDS for w in words) or any(
        pair in _SECRET_PAIRS for pair in zip(words, words[1:], strict=False)
    )


def _redact_address(match: re.Match) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return REDACTED


def redact(value: Any) -> Any:
    """Strip personal data from a payload: values under secret or personal keys, and
    e-mail addresses, IP addresses and bearer tokens anywhere in a string."""
    if isinstance(value, dict):
        return {
            str(k): (REDACTED if _is_secret_key(str(k)) else redact(v)) for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        value = _EMAIL.sub(REDACTED, value)
        value = _BEARER.sub(REDACTED, value)
        value = _JWT.sub(REDACTED, value)
        value = _IPV4.sub(_redact_address, value)
        return _IPV6.sub(_redact_address, value)
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
    count_event(event.type)
    for receiver, result in event_committed.send_robust(sender=event.type, event=event):
        if isinstance(result, Exception):
            count_receiver_failure(receiver_name(receiver), event.type)
            logger.error(
                "event receiver failed",
                exc_info=result,
                extra={"receiver": getattr(receiver, "__name__", repr(receiver))},
            )

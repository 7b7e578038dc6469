"""Retention of the event store: each event type is kept for a number of days from
settings (`EVENT_RETENTION_DAYS`, `EVENT_RETENTION_DAYS_BY_TYPE`), then deleted.

Deletion runs in batches, each in its own short transaction, so purging months of
events never holds long locks or one huge transaction.
"""

import logging
import time
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q
from django.utils import timezone

from analytics.models import Event
from analytics.services import event_delete_many
from config.events.registry import EVENT_TYPES

logger = logging.getLogger(__name__)

PURGE_BATCH_SIZE = 1000


def event_retention_policy() -> tuple[int, dict[str, int]]:
    """(days for every type, days of the types with their own retention), checked."""
    default = settings.EVENT_RETENTION_DAYS
    by_type = dict(settings.EVENT_RETENTION_DAYS_BY_TYPE)
    unknown = sorted(set(by_type) - set(EVENT_TYPES))
    if unknown:
        raise ImproperlyConfigured(
            f"EVENT_RETENTION_DAYS_BY_TYPE: unknown event type(s) {', '.join(unknown)}"
        )
    for name, days in [("EVENT_RETENTION_DAYS", default), *by_type.items()]:
        if days < 1:
            raise ImproperlyConfigured(f"Retention of {name} must be at least 1 day, not {days}")
    return default, by_type


def _expired_rules(now: datetime) -> list[tuple[Q, datetime]]:
    default, by_type = event_retention_policy()
    rules = [(Q(type=name), now - timedelta(days=days)) for name, days in by_type.items()]
    rules.append((~Q(type__in=list(by_type)), now - timedelta(days=default)))
    return rules


def event_purge(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = PURGE_BATCH_SIZE,
    deadline: float | None = None,
) -> dict[str, int]:
    """Delete the events past their type's retention; returns the count per type
    (with `dry_run`, what would be deleted, deleting nothing). With a `deadline` (a
    `time.monotonic()` value) it stops between two batches once it is past (each kind of
    event still gets a batch, so a run always makes progress).

    An event's webhook deliveries go with it, and so do its consumers' dedupe marks
    (`ConsumedEvent`): a purged event can no longer be delivered again.
    """
    now = now or timezone.now()
    deleted: Counter[str] = Counter()
    for condition, cutoff in _expired_rules(now):
        expired = Event.objects.filter(condition, occurred_at__lt=cutoff).order_by()
        if dry_run:
            deleted.update(dict(expired.values_list("type").annotate(n=Count("pk"))))
            continue
        while True:
            batch = list(expired.values_list("pk", "type")[:batch_size])
            if batch:
                event_delete_many(event_ids=[pk for pk, _ in batch])
            deleted.update(event_type for _, event_type in batch)
            if len(batch) < batch_size:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
    if not dry_run and deleted:
        logger.info(
            "purged %s expired event(s)",
            sum(deleted.values()),
            extra={"deleted_by_type": dict(deleted)},
        )
    return dict(sorted(deleted.items()))

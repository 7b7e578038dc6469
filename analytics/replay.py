"""Replaying stored events to one consumer: to rebuild what it derives from events (the
daily stats, say) over a time range, or to catch up after a consumer was fixed.

Events are replayed in the order they occurred, synchronously, each in the consumer's
own transaction (`event_consume`). Events the consumer already handled are skipped
unless `force` is given, which runs the consumer on them again.
"""

import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from analytics.consumers import CONSUMERS, event_consume
from analytics.models import Event
from config.errors import InvalidInput

logger = logging.getLogger(__name__)


@dataclass
class ReplayResult:
    matched: int = 0  # events of the range and types that the consumer wants
    consumed: int = 0
    skipped: int = 0  # already consumed (without `force`)
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def event_replay(
    *,
    consumer_name: str,
    since: datetime | None = None,
    until: datetime | None = None,
    types: Iterable[str] = (),
    force: bool = False,
) -> ReplayResult:
    """Run the consumer `consumer_name` on the stored events of [since, until).

    `types` narrows the event types (to those the consumer wants). A failing event is
    counted and reported, and the replay goes on.
    """
    target = CONSUMERS.get(consumer_name)
    if target is None:
        known = ", ".join(sorted(CONSUMERS)) or "none"
        raise InvalidInput(f"Unknown consumer {consumer_name!r} (known: {known}).")
    if since and until and since >= until:
        raise InvalidInput("`until` must be later than `since`.")
    events = Event.objects.order_by("occurred_at", "id")
    wanted: frozenset[str] | set[str] | None = set(types) if types else None
    if target.types is not None:
        wanted = target.types if wanted is None else wanted & target.types
    if wanted is not None:
        events = events.filter(type__in=sorted(wanted))
    if since:
        events = events.filter(occurred_at__gte=since)
    if until:
        events = events.filter(occurred_at__lt=until)

    result = ReplayResult()
    for event_id in _ids_in_order(events):
        result.matched += 1
        try:
            outcome = event_consume(consumer_name=target.name, event_id=event_id, force=force)
        except Exception as exc:  # one bad event must not stop a rebuild: report it
            logger.exception("replay of event %s to %s failed", event_id, target.name)
            result.failed += 1
            result.errors.append(f"{event_id}: {type(exc).__name__}: {exc}")
        else:
            if outcome == "duplicate":
                result.skipped += 1
            else:
                result.consumed += 1
    return result


def _ids_in_order(events: QuerySet[Event], chunk: int = 1000) -> Iterator[uuid.UUID]:
    """The ids of `events` by (occurred_at, id), a page at a time (keyset): bounded
    memory, and no cursor held open across the consumers' commits."""
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        page = events
        if last is not None:
            page = page.filter(Q(occurred_at__gt=last[0]) | Q(occurred_at=last[0], id__gt=last[1]))
        rows = list(page.values_list("occurred_at", "id")[:chunk])
        for _, event_id in rows:
            yield event_id
        if len(rows) < chunk:
            return
        last = rows[-1]

"""The outbox: hand each stored event's slow effects to the job queue, exactly once in
effect (at least once in delivery, deduplicated by the consumers)."""

import uuid
from datetime import timedelta

from django.utils import timezone

from analytics.consumers import consume_event, consumers_for
from analytics.models import Event
from analytics.services import event_mark_dispatched


def event_dispatch(*, event_id: uuid.UUID | str, event_type: str) -> int:
    """Queue a job per consumer of the event, then mark the event dispatched."""
    queued = 0
    for target in consumers_for(event_type):
        consume_event.apply_async(args=(target.name, str(event_id)), queue=target.queue)
        queued += 1
    event_mark_dispatched(event_id=event_id)
    return queued


def outbox_relay(*, older_than: timedelta = timedelta(seconds=30), batch_size: int = 500) -> int:
    """Dispatch events whose dispatch after commit was lost (broker down, process killed).

    Only events older than `older_than` are taken, so as not to race the normal path.
    """
    cutoff = timezone.now() - older_than
    pending = list(
        Event.objects.undispatched()
        .filter(occurred_at__lt=cutoff)
        .order_by("occurred_at")
        .values_list("pk", "type")[:batch_size]
    )
    for event_id, event_type in pending:
        event_dispatch(event_id=event_id, event_type=event_type)
    return len(pending)

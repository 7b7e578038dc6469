"""Jobs of the event pipeline: the outbox relay, the view counts' flush, the event purge.

The consumers' job (`analytics.consume_event`) is in analytics/consumers.py, below the
outbox that queues it.
"""

import time
from typing import Any

from celery import shared_task

from analytics.outbox import outbox_relay
from analytics.retention import event_purge
from analytics.services import view_counts_flush
from tasks.base import RecordedTask
from tasks.retention import PURGE_TIME_BUDGET


@shared_task(base=RecordedTask, name="analytics.relay_events", max_retries=0)
def relay_events() -> int:
    """Re-dispatch stored events whose dispatch was lost."""
    return outbox_relay()


@shared_task(base=RecordedTask, name="analytics.flush_view_counts", max_retries=0)
def flush_view_counts() -> dict[str, Any]:
    """Move the views counted in Redis into the database (the beat runs it every minute;
    no retries: the next run picks up whatever this one left)."""
    return view_counts_flush()


@shared_task(base=RecordedTask, name="analytics.purge_events", soft_time_limit=150, time_limit=180)
def purge_events() -> int:
    """Delete events past their retention (daily, on the `low` queue); idempotent, so a
    retried or overlapping run only finds less to delete. Returns the number deleted.

    A run stops after PURGE_TIME_BUDGET seconds and queues the next one, which goes on."""
    deadline = time.monotonic() + PURGE_TIME_BUDGET
    deleted = sum(event_purge(deadline=deadline).values())
    if deleted and time.monotonic() >= deadline:
        purge_events.delay()
    return deleted

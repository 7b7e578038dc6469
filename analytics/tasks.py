"""Jobs of the event pipeline: consumers and the outbox relay."""

from celery import shared_task

from analytics.consumers import event_consume
from analytics.outbox import outbox_relay
from tasks.base import RecordedTask


@shared_task(base=RecordedTask, name="analytics.consume_event")
def consume_event(consumer_name: str, event_id: str) -> str:
    return event_consume(consumer_name=consumer_name, event_id=event_id)


@shared_task(base=RecordedTask, name="analytics.relay_events", max_retries=0)
def relay_events() -> int:
    """Re-dispatch stored events whose dispatch was lost."""
    return outbox_relay()

"""The `analytics` consumer: rolls events up into the daily stats.

Registered by `AnalyticsConfig.ready()`. Runs as a job on the `low` queue, once per
event (`analytics.consumers.event_consume` deduplicates by event id in the consumer's
transaction, so the increments below are exact).
"""

from analytics.consumers import consumer
from analytics.models import Event
from analytics.services import daily_stats_apply_event

ROLLED_UP_TYPES = [
    "comment.created",
    "comment.updated",
    "comment.moderated",
    "comment.deleted",
    "post.published",
    "user.registered",
]


@consumer("analytics", types=ROLLED_UP_TYPES, queue="low")
def roll_up_daily_stats(event: Event) -> None:
    daily_stats_apply_event(event=event)

from django.conf import settings
from django.db import models


class PostDailyStats(models.Model):
    """Views of one post on one day (UTC); the source of the per-post stats endpoint."""

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="daily_stats")
    date = models.DateField()
    views = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "date"], name="post_daily_stats_unique"),
        ]
        ordering = ["-date"]
        verbose_name_plural = "post daily stats"

    def __str__(self):
        return f"{self.post_id} {self.date}: {self.views}"


class EventQuerySet(models.QuerySet):
    def undispatched(self):
        return self.filter(dispatched_at__isnull=True)


class Event(models.Model):
    """One domain event: the audit trail and the outbox.

    Written by `analytics.receivers.store_event` in the same transaction as the change it
    records, and never changed afterwards, except `dispatched_at`, the outbox mark set
    once the event's jobs are handed to the broker. `data` holds ids and primitives, with
    personal data redacted (`config.events.redact`).
    """

    id = models.UUIDField(primary_key=True, editable=False)
    type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="event_occurred_idx"),
            models.Index(fields=["type", "-occurred_at"], name="event_type_idx"),
            models.Index(
                fields=["aggregate_type", "aggregate_id", "-occurred_at"],
                name="event_aggregate_idx",
            ),
            models.Index(
                fields=["occurred_at"],
                name="event_undispatched_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.aggregate_type}:{self.aggregate_id}"


class ConsumedEvent(models.Model):
    """Marks an event as handled by one consumer, so a redelivered event does nothing twice.

    Inserted in the same transaction as the consumer's own writes.
    """

    consumer = models.CharField(max_length=64)
    event_id = models.UUIDField()
    consumed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event_id"], name="consumed_event_unique"),
        ]

    def __str__(self):
        return f"{self.consumer} {self.event_id}"

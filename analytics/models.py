import uuid

from django.conf import settings
from django.db import models


class PostDailyStats(models.Model):
    """Views and approved comments of one post on one day (UTC): the per-post stats."""

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="daily_stats")
    date = models.DateField()
    views = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "date"], name="post_daily_stats_unique"),
        ]
        ordering = ["-date"]
        verbose_name_plural = "post daily stats"

    def __str__(self) -> str:
        return f"{self.post_id} {self.date}: {self.views}"


class EventQuerySet(models.QuerySet["Event"]):
    def undispatched(self) -> "EventQuerySet":
        return self.filter(dispatched_at__isnull=True)


class Event(models.Model):
    """One domain event: the audit trail and the outbox.

    Written by `analytics.receivers.store_event` in the same transaction as the change it
    records, and never changed afterwards, except `dispatched_at`, the outbox mark set
    once the event's jobs are handed to the broker. `data` holds ids and primitives, with
    personal data redacted (`config.events.bus.redact`).
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

    def __str__(self) -> str:
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
        # The purge deletes an event's marks by its id alone: without this index each batch
        # of 1,000 events scanned every mark (0.8 s a batch at 3.5 million marks).
        indexes = [models.Index(fields=["event_id"], name="consumed_event_event_idx")]

    def __str__(self) -> str:
        return f"{self.consumer} {self.event_id}"


class SiteDailyStats(models.Model):
    """Site totals of one day (UTC), rolled up from events by the analytics consumer."""

    date = models.DateField(unique=True)
    views = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    posts_published = models.PositiveIntegerField(default=0)
    users_registered = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date"]
        verbose_name_plural = "site daily stats"

    def __str__(self) -> str:
        return str(self.date)


class WebhookSubscription(models.Model):
    """A URL that receives the events of the listed types, signed with `secret`."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event types to deliver.")
    secret = models.CharField(max_length=128, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event to one subscription; retried until delivered or given up (`failed`)."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False
    )
    event_type = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.subscription_id} [{self.status}]"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: what the receiver answered, or the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    attempted_at = models.DateTimeField(auto_now_add=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-attempted_at"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of delivery {self.delivery_id}"


class ReportKind(models.TextChoices):
    CONTENT = "content", "Content"
    ENGAGEMENT = "engagement", "Engagement"
    USERS = "users", "Users"


class ReportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class Report(models.Model):
    """A report over a date range, generated by the `tasks.generate_report` job (a name kept
    from when reports were the job system's, like the table).

    The file is written through Django's storage API (`file`), never to a local path, so
    any web process can serve it whichever worker wrote it. `start` and `end` are days
    (UTC), both included.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=ReportKind.choices)
    format = models.CharField(max_length=8, choices=ReportFormat.choices)
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.PENDING, db_index=True
    )
    # The job that writes it (its JobRecord has the same id).
    task_id = models.UUIDField(null=True, blank=True)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True, max_length=300)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Moved from tasks with its rows: the table keeps its name (no copy, no downtime).
        db_table = "tasks_report"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} report {self.start}..{self.end} ({self.format}) [{self.status}]"

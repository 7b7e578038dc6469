import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Retrying"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class JobRecord(models.Model):
    """The recorded lifecycle of one background job (a Celery task), whatever its outcome.

    Its id is the Celery task id. Written by `tasks.base.RecordedTask` as the job is
    queued, starts, retries, and ends; `arguments` are redacted like event payloads.

    The record, not the broker, holds what must outlive a broker or a worker: a job that
    waits (a retry's backoff, a countdown) waits here (`run_after`) and the beat's sweep
    sends it when due; `message` keeps the call (encrypted) until the job is finished, so
    the sweep can send it again when its message was lost; `lease_until` says when a
    running attempt is presumed dead; `dispatch` numbers the messages sent for the job, so
    a stale one (restored by the broker after the sweep sent a newer one) is dropped.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, db_index=True)
    queue = models.CharField(max_length=32, default="default")
    priority = models.CharField(max_length=16, default="default")
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    arguments = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    # Waiting in the database until then (pending or retrying); None: sent, or running.
    run_after = models.DateTimeField(null=True, blank=True)
    # The call (args, kwargs, retries, request id), encrypted; dropped once finished.
    message = models.BinaryField(null=True, blank=True, editable=False)
    # The number of the latest message sent for this job; a message of an earlier one is
    # dropped by the worker that receives it.
    dispatch = models.PositiveIntegerField(default=0)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # The current attempt: when it started, which worker runs it, and until when it holds
    # the job (its hard time limit, and a grace); past that, the sweep takes it back.
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="job_status_idx"),
            # The sweep's reads: jobs waiting for their time, attempts whose lease ran out.
            models.Index(
                fields=["run_after"], name="job_due_idx", condition=Q(run_after__isnull=False)
            ),
            models.Index(
                fields=["lease_until"], name="job_lease_idx", condition=Q(status="running")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.status}]"

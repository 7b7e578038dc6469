"""The base of every job: a recorded lifecycle and the retry policy.

Every job is a `RecordedTask`: queuing it writes a `JobRecord` (pending); the worker marks
it running, retrying, completed or failed; a cancelled record makes the job a no-op.
Retries use exponential backoff with jitter up to the job's `max_retries`; errors that a
retry cannot fix (`PermanentError`, a missing row, bad arguments) fail at once.
"""

import logging
import traceback as tb
import uuid

from celery import Task
from celery.exceptions import Ignore, Retry
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from config.events import redact
from config.request_context import get_request_id, request_id_var
from tasks.models import FINISHED_STATUSES, JobRecord, JobStatus

logger = logging.getLogger(__name__)

PRIORITIES = ("critical", "high", "default", "low")


class PermanentError(Exception):
    """An error that retrying cannot fix: the job fails at once."""


class RetryableError(Exception):
    """A passing error (a remote service down): the job is retried with backoff."""


# Errors that no retry can fix, whatever the job.
NON_RETRYABLE = (PermanentError, ObjectDoesNotExist, ValueError, TypeError, KeyError)


class RecordedTask(Task):
    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    # Retried (with backoff) for these; subclasses add their own passing errors.
    autoretry_for = (RetryableError, ConnectionError, TimeoutError, OSError)
    dont_autoretry_for = NON_RETRYABLE
    max_retries = 5
    retry_backoff = 2
    retry_backoff_max = 600
    retry_jitter = True
    queue = "default"

    # --- queuing -------------------------------------------------------------------
    def apply_async(self, args=None, kwargs=None, task_id=None, **options):
        task_id = task_id or str(uuid.uuid4())
        request_id = get_request_id() or ""
        headers = dict(options.pop("headers", None) or {})
        headers.setdefault("request_id", request_id)
        queue = options.get("queue") or self._route_queue()
        if not JobRecord.objects.filter(pk=task_id).exists():
            JobRecord.objects.create(
                id=task_id,
                name=self.name,
                queue=queue,
                priority=queue if queue in PRIORITIES else "default",
                arguments=redact({"args": list(args or ()), "kwargs": dict(kwargs or {})}),
                max_attempts=(self.max_retries or 0) + 1,
                request_id=headers["request_id"],
                actor_id=options.pop("actor_id", None),
            )
        return super().apply_async(
            args=args, kwargs=kwargs, task_id=task_id, headers=headers, **options
        )

    def _route_queue(self) -> str:
        routes = self.app.conf.task_routes or {}
        route = routes.get(self.name) if isinstance(routes, dict) else None
        return (route or {}).get("queue") or self.queue or "default"

    # --- running -------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        task_id = self.request.id
        request_id = (self.request.headers or {}).get("request_id") or getattr(
            self.request, "request_id", ""
        )
        token = request_id_var.set(request_id or None)
        try:
            if task_id and not self._mark_running(task_id):
                raise Ignore()
            return super().__call__(*args, **kwargs)
        finally:
            request_id_var.reset(token)

    def _mark_running(self, task_id) -> bool:
        """Mark the record running; False if it was cancelled (the job must not run)."""
        with transaction.atomic():
            record = JobRecord.objects.select_for_update().filter(pk=task_id).first()
            if record is None:
                return True  # queued outside apply_async (e.g. by a bare send_task)
            if record.status == JobStatus.CANCELLED:
                return False
            record.status = JobStatus.RUNNING
            record.attempts += 1
            record.started_at = record.started_at or timezone.now()
            record.save(update_fields=["status", "attempts", "started_at"])
        return True

    def _finish(self, task_id, status, **fields):
        record = JobRecord.objects.filter(pk=task_id).first()
        if record is None or record.status == JobStatus.CANCELLED:
            return
        now = timezone.now()
        record.status = status
        for name, value in fields.items():
            setattr(record, name, value)
        if status in FINISHED_STATUSES:
            record.finished_at = now
            if record.started_at:
                record.duration_ms = int((now - record.started_at).total_seconds() * 1000)
        record.save()

    def on_success(self, retval, task_id, args, kwargs):
        result = retval if isinstance(retval, (dict, list, int, float, str, bool)) else None
        self._finish(task_id, JobStatus.COMPLETED, result=redact(result), error="")

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        self._finish(task_id, JobStatus.RETRYING, error=_describe(exc))

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, (Ignore, Retry)):
            return
        self._finish(
            task_id,
            JobStatus.FAILED,
            error=_describe(exc),
            traceback="".join(tb.format_exception(exc))[-10000:],
        )


def _describe(exc) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]

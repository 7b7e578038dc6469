"""Writes of the job system: the lifecycle of a job record, cancel and retry, retention.

The lifecycle (written by `tasks.base.RecordedTask`):

    pending --> running --> completed
                   |  \\--> failed          (non-retryable error, or the last attempt)
                   v
                retrying --> running ...   (a retry waits its backoff)
    pending / retrying --> cancelled       (job_cancel: the job never runs again)
    failed --> pending                      (job_retry: queued again, same arguments)

Each transition from `running` names the attempt it belongs to, so a late report of an
earlier attempt (its worker was killed, the message was delivered again) cannot overwrite
the outcome of a later one.
"""

import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Task, current_app
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from config.errors import ConflictError, DomainError, NotFoundError
from config.events.bus import REDACTED, redact
from tasks.models import FINISHED_STATUSES, JobRecord, JobStatus
from tasks.selectors import valid_uuid

logger = logging.getLogger(__name__)

# A delivered message runs only from these states; anything else (cancelled, completed,
# failed) means it must not run, or must not run again.
RUNNABLE_STATUSES = (JobStatus.PENDING, JobStatus.RETRYING, JobStatus.RUNNING)
CANCELLABLE_STATUSES = (JobStatus.PENDING, JobStatus.RETRYING)
# A result is a summary: a job returning a whole document keeps only its start.
RESULT_MAX_CHARS = 2000


def job_create(
    *,
    job_id: uuid.UUID | str,
    name: str,
    queue: str,
    arguments: dict[str, Any],
    max_attempts: int,
    request_id: str = "",
    actor_id: int | None = None,
) -> None:
    """Record a job as it is queued (pending). Queuing an id again keeps its record
    (a failed job queued again by `job_retry`).

    One INSERT ... ON CONFLICT DO NOTHING: queuing a thousand jobs costs a thousand
    round trips, not two thousand.
    """
    JobRecord.objects.bulk_create(
        [
            JobRecord(
                id=job_id,
                name=name,
                queue=queue,
                priority=queue,
                arguments=arguments,
                max_attempts=max_attempts,
                request_id=request_id or "",
                actor_id=actor_id,
            )
        ],
        ignore_conflicts=True,
    )
    logger.info("job.queued", extra={"job_id": str(job_id), "job": name, "queue": queue})


def job_start(
    *,
    job_id: uuid.UUID | str,
    name: str,
    queue: str,
    arguments: dict[str, Any],
    max_attempts: int,
    request_id: str = "",
) -> JobRecord | None:
    """Mark one more attempt running; None if the job must not run (cancelled, finished).

    A message sent without a record (by name, from another program) gets one now.
    """
    now = timezone.now()
    with transaction.atomic():
        record = JobRecord.objects.select_for_update().filter(pk=job_id).first()
        if record is None:
            try:
                with transaction.atomic():
                    return JobRecord.objects.create(
                        id=job_id,
                        name=name,
                        queue=queue or "default",
                        priority=queue or "default",
                        arguments=arguments,
                        max_attempts=max_attempts,
                        request_id=request_id,
                        status=JobStatus.RUNNING,
                        attempts=1,
                        started_at=now,
                    )
            except IntegrityError:
                record = JobRecord.objects.select_for_update().get(pk=job_id)
        if record.status not in RUNNABLE_STATUSES:
            return None
        record.status = JobStatus.RUNNING
        record.attempts += 1
        # The first start: `finished_at - started_at` spans every attempt and backoff.
        record.started_at = record.started_at or now
        record.save(update_fields=["status", "attempts", "started_at"])
    return record


def _attempt_filter(
    job_id: uuid.UUID | str, attempt: int | None, statuses: Iterable[str]
) -> QuerySet[JobRecord]:
    qs = JobRecord.objects.filter(pk=job_id, status__in=statuses)
    return qs if attempt is None else qs.filter(attempts=attempt)


def job_complete(
    *, job_id: uuid.UUID | str, attempt: int | None, result: object, duration_ms: int | None
) -> bool:
    """The attempt succeeded. False if the record moved on meanwhile (cancelled, a later
    attempt)."""
    updated = bool(
        _attempt_filter(job_id, attempt, [JobStatus.RUNNING]).update(
            status=JobStatus.COMPLETED,
            finished_at=timezone.now(),
            duration_ms=duration_ms,
            result=result_summary(result),
            error="",
            traceback="",
        )
    )
    _log_outcome("job.completed", job_id, attempt, updated, duration_ms=duration_ms)
    return updated


def job_schedule_retry(
    *, job_id: uuid.UUID | str, attempt: int | None, error: str, traceback: str
) -> bool:
    """The attempt failed and another one is queued (after its backoff)."""
    updated = bool(
        _attempt_filter(job_id, attempt, [JobStatus.RUNNING]).update(
            status=JobStatus.RETRYING, error=error, traceback=traceback
        )
    )
    _log_outcome("job.retry_scheduled", job_id, attempt, updated, error=error)
    return updated


def job_fail(
    *,
    job_id: uuid.UUID | str,
    attempt: int | None,
    error: str,
    traceback: str,
    duration_ms: int | None = None,
) -> bool:
    """The job gave up: a non-retryable error, or its last attempt failed."""
    updated = bool(
        _attempt_filter(job_id, attempt, [JobStatus.PENDING, JobStatus.RUNNING]).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            duration_ms=duration_ms,
            error=error,
            traceback=traceback,
        )
    )
    _log_outcome("job.failed", job_id, attempt, updated, duration_ms=duration_ms, error=error)
    return updated


def _log_outcome(
    event: str, job_id: uuid.UUID | str, attempt: int | None, recorded: bool, **fields: Any
) -> None:
    """One line per attempt's outcome; `recorded` is False when a later attempt or a
    cancellation had already moved the record on (the outcome was dropped)."""
    level = logging.WARNING if event == "job.failed" else logging.INFO
    fields["error"] = (fields.get("error") or "")[:500] or None
    logger.log(
        level,
        event,
        extra={"job_id": str(job_id), "attempt": attempt, "recorded": recorded, **fields},
    )


def result_summary(value: object) -> Any:
    """What a record keeps of a job's return value: JSON, redacted, and short."""
    if value is None:
        return None
    value = redact(value)
    text = json.dumps(value, default=str)
    if len(text) <= RESULT_MAX_CHARS:
        return value
    return {"truncated": True, "preview": text[:RESULT_MAX_CHARS]}


@transaction.atomic
def job_cancel(*, job_id: uuid.UUID | str, actor: User | None = None) -> JobRecord:
    """Cancel a job that is waiting to run (pending, or retrying: waiting for its next
    attempt). Workers check the record before running, so it never runs (again).

    A running job cannot be stopped safely (it may be half-way through a write); a
    finished one has nothing left to cancel: both are conflicts.
    """
    record = JobRecord.objects.select_for_update().filter(pk=valid_uuid(job_id)).first()
    if record is None:
        raise NotFoundError("No such job.")
    if record.status not in CANCELLABLE_STATUSES:
        raise ConflictError(f"A {record.status} job cannot be cancelled.")
    record.status = JobStatus.CANCELLED
    record.finished_at = timezone.now()
    record.save(update_fields=["status", "finished_at"])
    logger.info(
        "job.cancelled",
        extra={"job_id": str(record.pk), "actor_id": getattr(actor, "pk", None)},
    )
    return record


def _contains_redacted(value: object) -> bool:
    if isinstance(value, dict):
        return any(_contains_redacted(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_redacted(v) for v in value)
    return isinstance(value, str) and REDACTED in value


@transaction.atomic
def job_retry(*, job_id: uuid.UUID | str, actor: User | None = None) -> JobRecord:
    """Queue a failed job again, same id and same arguments, with a fresh set of attempts.

    The arguments come from the record. They are stored redacted, so this works for jobs
    whose arguments had nothing to redact, which is every job that follows the rule
    "jobs take ids"; a job whose arguments lost a value to redaction cannot be re-run from
    its record (a conflict says so) and must be queued again by whatever started it.
    No second, unredacted copy of the arguments is kept: it would be a store of exactly
    the secrets the redaction keeps out.
    """
    record = JobRecord.objects.select_for_update().filter(pk=valid_uuid(job_id)).first()
    if record is None:
        raise NotFoundError("No such job.")
    if record.status != JobStatus.FAILED:
        raise ConflictError(f"Only failed jobs can be retried; this one is {record.status}.")
    if _contains_redacted(record.arguments):
        raise ConflictError(
            "Its arguments were redacted when recorded: queue it again from its source."
        )
    task = current_app.tasks.get(record.name)
    if task is None:
        raise ConflictError(f"No job named {record.name!r} is registered.")
    record.status = JobStatus.PENDING
    record.attempts = 0
    record.started_at = None
    record.finished_at = None
    record.duration_ms = None
    record.result = None
    # `error` and `traceback` keep the last failure until the next outcome replaces it.
    record.save(
        update_fields=["status", "attempts", "started_at", "finished_at", "duration_ms", "result"]
    )
    args = record.arguments.get("args") or []
    kwargs = record.arguments.get("kwargs") or {}
    queue = record.queue
    # Sent after the commit: a worker must see the record pending, not failed.
    transaction.on_commit(lambda: _send_again(task, record.pk, args, kwargs, queue))
    logger.info(
        "job.retried", extra={"job_id": str(record.pk), "actor_id": getattr(actor, "pk", None)}
    )
    return record


@dataclass(frozen=True)
class JobRetries:
    retried: list[JobRecord]
    refused: list[tuple[JobRecord, str]]  # failed jobs that cannot be retried, and why
    not_failed: int  # selected jobs left alone: only failed jobs are retried


def job_retry_many(*, jobs: QuerySet[JobRecord], actor: User | None = None) -> JobRetries:
    """Retry the failed jobs among `jobs` (the admin's bulk action), each by `job_retry`
    in its own transaction: one that cannot be retried holds back none of the others."""
    not_failed = jobs.exclude(status=JobStatus.FAILED).count()
    retried, refused = [], []
    for record in jobs.filter(status=JobStatus.FAILED):
        try:
            retried.append(job_retry(job_id=record.pk, actor=actor))
        except DomainError as exc:
            refused.append((record, exc.message))
    return JobRetries(retried=retried, refused=refused, not_failed=not_failed)


def _send_again(
    task: Task[Any, Any],
    job_id: uuid.UUID,
    args: Iterable[Any],
    kwargs: dict[str, Any],
    queue: str,
) -> None:
    try:
        task.apply_async(args=tuple(args), kwargs=kwargs, task_id=str(job_id), queue=queue)
    except Exception as exc:
        # Not left pending forever with no message behind it: failed again, and said.
        job_fail(job_id=job_id, attempt=None, error=f"Could not be queued: {exc}", traceback="")
        raise


# --- retention ---------------------------------------------------------------------------
def job_purge(*, older_than: timedelta, batch_size: int = 1000) -> int:
    """Delete the records of finished jobs created longer than `older_than` ago, in
    batches (short transactions). Waiting and running jobs are kept, whatever their age."""
    cutoff = timezone.now() - older_than
    stale = JobRecord.objects.filter(status__in=FINISHED_STATUSES, created_at__lt=cutoff)
    deleted = 0
    while ids := list(stale.values_list("pk", flat=True)[:batch_size]):
        deleted += JobRecord.objects.filter(pk__in=ids).delete()[0]
    return deleted

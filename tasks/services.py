"""Writes of the job system: the lifecycle of a job record, cancel and retry, retention.

The lifecycle (written by `tasks.base.RecordedTask` and the beat's sweep):

    pending --> running --> completed
                   |  \\--> failed          (non-retryable error, or the last attempt)
                   v
                retrying --> running ...   (a retry waits its backoff, in the database)
    pending / retrying --> cancelled       (job_cancel: the job never runs again)
    failed --> pending                      (job_retry: queued again, same arguments)
    running --> retrying / failed           (jobs_recover_lost: its worker died)

Each transition from `running` names the attempt it belongs to, so a late report of an
earlier attempt (its worker was killed, the message was delivered again) cannot overwrite
the outcome of a later one.

Waiting lives in the database, not in the broker: a job that must run later (a retry's
backoff, a countdown) gets `run_after` and no message, and the sweep (`jobs_sweep`, run
by the beat every JOB_SWEEP_SECONDS) sends the ones that are due. A broker restart loses
no waiting job, and the broker's visibility timeout only has to outlast a job's run time,
so a dead worker's messages come back within minutes, not hours.
"""

import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from config.cache.encryption import value_decrypt, value_encrypt
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
# What the record drops once the job is finished: nothing will send it again.
_FINISHED_CLEAR: dict[str, Any] = {"run_after": None, "message": None, "lease_until": None}


@dataclass(frozen=True)
class JobCall:
    """What it takes to send a job's message again: kept on its record, encrypted (the
    arguments are the real ones, which `arguments` keeps only redacted)."""

    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    retries: int = 0
    request_id: str = ""

    def seal(self) -> bytes:
        return value_encrypt(
            {
                "args": list(self.args),
                "kwargs": dict(self.kwargs),
                "retries": self.retries,
                "request_id": self.request_id,
            }
        )

    @classmethod
    def unseal(cls, sealed: bytes | memoryview) -> "JobCall":
        """Raises if no current key decrypts it (CACHE_ENCRYPTION_KEYS rotated past it)."""
        value = value_decrypt(bytes(sealed))
        return cls(
            args=list(value["args"]),
            kwargs=dict(value["kwargs"]),
            retries=int(value["retries"]),
            request_id=str(value["request_id"]),
        )


def job_create(
    *,
    job_id: uuid.UUID | str,
    name: str,
    queue: str,
    arguments: dict[str, Any],
    max_attempts: int,
    request_id: str = "",
    actor_id: int | None = None,
    call: JobCall | None = None,
    run_after: datetime | None = None,
) -> None:
    """Record a job as it is queued (pending). Queuing an id again keeps its record
    (a failed job queued again by `job_retry`).

    With `run_after`, no message is sent now: the sweep sends it when due.

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
                message=call.seal() if call is not None else None,
                run_after=run_after,
                dispatched_at=None if run_after else timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )
    logger.info(
        "job.queued",
        extra={"job_id": str(job_id), "job": name, "queue": queue, "run_after": run_after},
    )


def job_send_failed(*, job_id: uuid.UUID | str, error: str, retry_in: float) -> bool:
    """The job's message could not be sent (the broker is down) after its record was
    committed: it waits in the database instead, and the sweep sends it when it can."""
    updated = bool(
        JobRecord.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
            run_after=timezone.now() + timedelta(seconds=retry_in), error=error
        )
    )
    logger.warning("job.send_deferred", extra={"job_id": str(job_id), "error": error[:500]})
    return updated


def job_start(
    *,
    job_id: uuid.UUID | str,
    name: str,
    queue: str,
    arguments: dict[str, Any],
    max_attempts: int,
    request_id: str = "",
    dispatch: int = 0,
    worker: str = "",
    lease_seconds: float = 3600,
) -> JobRecord | None:
    """Mark one more attempt running; None if this message must not run: the job was
    cancelled or is finished, or the message is a stale copy (`dispatch` is not the
    record's: the sweep has sent the job again since, and that newer message runs it).

    The attempt holds the job for `lease_seconds` (its hard time limit and a grace); a
    record still running after that is taken back by the sweep (`jobs_recover_lost`).

    A message sent without a record (by name, from another program) gets one now.
    """
    now = timezone.now()
    lease_until = now + timedelta(seconds=lease_seconds)
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
                        attempt_started_at=now,
                        worker=worker,
                        lease_until=lease_until,
                        dispatched_at=now,
                    )
            except IntegrityError:
                record = JobRecord.objects.select_for_update().get(pk=job_id)
        if record.status not in RUNNABLE_STATUSES:
            return None
        if dispatch != record.dispatch:
            logger.info(
                "job.stale_message",
                extra={"job_id": str(job_id), "dispatch": dispatch, "current": record.dispatch},
            )
            return None
        record.status = JobStatus.RUNNING
        record.attempts += 1
        # The first start: `finished_at - started_at` spans every attempt and backoff.
        record.started_at = record.started_at or now
        record.attempt_started_at = now
        record.worker = worker[:255]
        record.lease_until = lease_until
        record.run_after = None  # a message restored by the broker beat the sweep to it
        record.save(
            update_fields=[
                "status",
                "attempts",
                "started_at",
                "attempt_started_at",
                "worker",
                "lease_until",
                "run_after",
            ]
        )
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
            **_FINISHED_CLEAR,
        )
    )
    _log_outcome("job.completed", job_id, attempt, updated, duration_ms=duration_ms)
    return updated


def job_schedule_retry(
    *,
    job_id: uuid.UUID | str,
    attempt: int | None,
    error: str,
    traceback: str,
    run_after: datetime | None = None,
    call: JobCall | None = None,
) -> bool:
    """The attempt failed and another one follows: at `run_after`, sent by the sweep
    (with `call`, the message to send), or already queued when `run_after` is None."""
    changes: dict[str, Any] = {"run_after": run_after, "lease_until": None}
    if call is not None:
        changes["message"] = call.seal()
    updated = bool(
        _attempt_filter(job_id, attempt, [JobStatus.RUNNING]).update(
            status=JobStatus.RETRYING, error=error, traceback=traceback, **changes
        )
    )
    _log_outcome("job.retry_scheduled", job_id, attempt, updated, error=error, run_after=run_after)
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
            **_FINISHED_CLEAR,
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
    record.run_after = record.message = None
    record.save(update_fields=["status", "finished_at", "run_after", "message"])
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
    if current_app.tasks.get(record.name) is None:
        raise ConflictError(f"No job named {record.name!r} is registered.")
    record.status = JobStatus.PENDING
    record.attempts = 0
    record.started_at = None
    record.finished_at = None
    record.duration_ms = None
    record.result = None
    record.message = JobCall(
        args=list(record.arguments.get("args") or []),
        kwargs=dict(record.arguments.get("kwargs") or {}),
        request_id=record.request_id,
    ).seal()
    # Due now: sent right after the commit (a worker must see the record pending, not
    # failed), or by the sweep if the broker is down.
    record.run_after = timezone.now()
    # `error` and `traceback` keep the last failure until the next outcome replaces it.
    record.save(
        update_fields=[
            "status",
            "attempts",
            "started_at",
            "finished_at",
            "duration_ms",
            "result",
            "message",
            "run_after",
        ]
    )
    transaction.on_commit(lambda: jobs_dispatch_due(job_ids=[record.pk]))
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


# --- the sweep (run by the beat: tasks/beat.py) ------------------------------------------
def jobs_dispatch_due(
    *, now: datetime | None = None, limit: int = 200, job_ids: Iterable[uuid.UUID] | None = None
) -> int:
    """Send the jobs whose time has come (`run_after` passed), each exactly once: the rows
    are locked (SKIP LOCKED: a second beat or sweep takes other rows, never the same), and
    each message carries the record's new `dispatch` number, so a copy of an older message
    that the broker still holds is dropped by the worker that gets it.

    A send that fails (the broker is down) leaves that job and the rest due: the next
    sweep sends them. Returns how many were sent.
    """
    now = now or timezone.now()
    due = JobRecord.objects.select_for_update(skip_locked=True).filter(
        run_after__lte=now, status__in=CANCELLABLE_STATUSES
    )
    if job_ids is not None:
        due = due.filter(pk__in=list(job_ids))
    sent = 0
    eager = bool(current_app.conf.task_always_eager)
    with transaction.atomic():
        for record in due.order_by("run_after")[:limit]:
            outcome = _dispatch(record, now=now, eager=eager)
            if outcome is None:
                break  # the broker is down: the rest wait for the next sweep
            sent += outcome
    if sent:
        logger.info("job.dispatched", extra={"count": sent})
    return sent


def _dispatch(record: JobRecord, *, now: datetime, eager: bool) -> int | None:
    """Send one due job (its row is locked): 1 if sent, 0 if it cannot ever be (failed,
    with the reason), None if the broker refused it (it stays due)."""
    task = current_app.tasks.get(record.name)
    if task is None:
        _give_up(record, f"Cannot be sent again: no job named {record.name!r} is registered.")
        return 0
    if record.message is None:
        _give_up(record, "Cannot be sent again: its message was not kept: queue it again.")
        return 0
    try:
        call = JobCall.unseal(record.message)
    except Exception:
        _give_up(record, "Cannot be sent again: its message no longer decrypts.")
        return 0
    dispatch = record.dispatch + 1
    # Recorded before the send: in eager mode the send runs the job, which checks it.
    JobRecord.objects.filter(pk=record.pk).update(
        dispatch=dispatch, dispatched_at=now, run_after=None
    )
    # RecordedTask's options: `dispatch` sends this numbered message now, unrecorded.
    options: dict[str, Any] = {
        "queue": record.queue,
        "retries": max(call.retries, record.attempts),
        "headers": {"request_id": call.request_id},
        "dispatch": dispatch,
    }
    try:
        task.apply_async(
            args=tuple(call.args), kwargs=call.kwargs, task_id=str(record.pk), **options
        )
    except Exception as exc:
        if eager:
            # The job ran here and failed: its record says so already.
            logger.info("job.dispatched_eagerly_failed", extra={"job_id": str(record.pk)})
            return 1
        JobRecord.objects.filter(pk=record.pk, dispatch=dispatch).update(
            dispatch=record.dispatch, run_after=record.run_after or now
        )
        logger.warning(
            "job.dispatch_failed",
            extra={"job_id": str(record.pk), "error": f"{type(exc).__name__}: {exc}"[:500]},
        )
        return None
    return 1


def _give_up(record: JobRecord, error: str) -> None:
    JobRecord.objects.filter(pk=record.pk).update(
        status=JobStatus.FAILED, finished_at=timezone.now(), error=error, **_FINISHED_CLEAR
    )
    _log_outcome("job.failed", record.pk, record.attempts, True, error=error)
    # The job's own give-up hook (a report marks itself failed), as when it fails in a worker.
    task = current_app.tasks.get(record.name)
    hook = getattr(task, "on_give_up", None)
    if hook is None or record.message is None:
        return
    try:
        call = JobCall.unseal(record.message)
        hook(RuntimeError(error), tuple(call.args), call.kwargs)
    except Exception:
        logger.exception("job.give_up_hook_failed", extra={"job_id": str(record.pk)})


def jobs_recover_lost(*, now: datetime | None = None, limit: int = 200) -> int:
    """Take back the attempts whose lease ran out (`running` past their hard time limit
    and a grace): no live worker runs them any more (the time limit would have stopped it),
    and a message the broker still held for them would have been restored and started by
    now. Each gets another attempt, due at once, or fails if it was its last; the reason
    goes on the record. Returns how many were taken back."""
    now = now or timezone.now()
    recovered = 0
    with transaction.atomic():
        lost = (
            JobRecord.objects.select_for_update(skip_locked=True)
            .filter(status=JobStatus.RUNNING, lease_until__lt=now)
            .order_by("lease_until")[:limit]
        )
        for record in lost:
            worker = record.worker or "unknown"
            reason = (
                f"WorkerLost: attempt {record.attempts} (worker {worker}) had not finished "
                f"when its lease ran out at {record.lease_until:%Y-%m-%d %H:%M:%S} UTC: "
                "its worker died, or was cut off from the database."
            )
            if record.max_attempts and record.attempts >= record.max_attempts:
                _give_up(record, reason)
            else:
                JobRecord.objects.filter(pk=record.pk).update(
                    status=JobStatus.RETRYING, run_after=now, lease_until=None, error=reason
                )
                _log_outcome("job.retry_scheduled", record.pk, record.attempts, True, error=reason)
            recovered += 1
    if recovered:
        logger.warning("job.lost_recovered", extra={"count": recovered})
    return recovered


def jobs_resend_lost(
    *, empty_queues: Iterable[str], older_than: timedelta, now: datetime | None = None
) -> int:
    """Make due again the jobs whose message the broker lost (a Redis restarted without
    its data, a flushed queue): waiting for a worker longer than `older_than` on a queue
    that is empty now. Their old message, if it turns up after all, is a stale copy (the
    new one has the next `dispatch` number) and is dropped. Returns how many."""
    now = now or timezone.now()
    queues = list(empty_queues)
    if not queues:
        return 0
    count = JobRecord.objects.filter(
        status__in=CANCELLABLE_STATUSES,
        run_after__isnull=True,
        queue__in=queues,
        dispatched_at__lt=now - older_than,
    ).update(run_after=now)
    if count:
        logger.warning("job.lost_messages", extra={"count": count, "queues": queues})
    return count


# --- retention ---------------------------------------------------------------------------
def job_purge(
    *, older_than: timedelta, batch_size: int = 1000, deadline: float | None = None
) -> int:
    """Delete the records of finished jobs created longer than `older_than` ago, in
    batches (short transactions). Waiting and running jobs are kept, whatever their age.
    With a `deadline` (a `time.monotonic()` value) it stops between two batches once it
    is past (after one batch at least, so a run always makes progress)."""
    cutoff = timezone.now() - older_than
    stale = JobRecord.objects.filter(status__in=FINISHED_STATUSES, created_at__lt=cutoff)
    deleted = 0
    while ids := list(stale.values_list("pk", flat=True)[:batch_size]):
        deleted += JobRecord.objects.filter(pk__in=ids).delete()[0]
        if deadline is not None and time.monotonic() >= deadline:
            break
    return deleted

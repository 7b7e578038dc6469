"""The base of every job: a recorded lifecycle and the retry policy.

Every job is a `RecordedTask` (`@shared_task(base=RecordedTask, name="app.job_name")`):

- Queuing it writes a `JobRecord` (pending) with its queue (= priority, from the
  settings' CELERY_TASK_ROUTES, merged from each app's `<app>/schedule.py`), redacted
  arguments, the request id and the actor. Inside a transaction (and with a real broker)
  the message is sent only after the commit, so a worker never gets a job whose record,
  or whose rows, it cannot see yet.
- A worker marks it running (one more attempt) unless the record says it must not run
  (cancelled, or already finished: a redelivered message of a completed job is dropped);
  then completed, retrying or failed, with timings, a result summary or the error and its
  traceback.
- Retries: any error is retried with exponential backoff and jitter (`retry_backoff`
  seconds, doubled each time, at most `retry_backoff_max`), up to `max_retries`, except
  the errors no retry can fix (`NON_RETRYABLE`: bad arguments, a missing row, a broken
  business rule, `PermanentError`), which fail at once.
- Waiting happens in the database, not in the broker: a job queued with a countdown (or
  an eta) longer than BROKER_COUNTDOWN_MAX, and every retry's backoff, is recorded with
  `run_after` and no message; the beat's sweep (tasks/beat.py) sends it when due. So a
  broker restart loses no waiting job, and the broker's visibility timeout only has to
  outlast a job's run time.
- Time limits: every job has a soft and a hard one (`soft_time_limit`, `time_limit`:
  seconds, per job in the decorator), below the broker's visibility timeout (a system
  check says so). An attempt holds its job for its hard limit and LEASE_GRACE_SECONDS;
  a record still `running` after that (its worker died) is taken back by the sweep.
- `acks_late` + `reject_on_worker_lost`: a job whose worker dies is delivered again, so
  jobs must be idempotent (take ids, re-fetch, check before writing).

The policy is applied here, not by Celery's `autoretry_for` (which only knows whole
seconds and full jitter, where a retry may come back at once): use the attributes below,
per job in the decorator (`max_retries=`, `retry_backoff=`, `retry_backoff_max=`).
"""

import logging
import random
import time
import traceback as tb
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from billiard.einfo import ExceptionInfo
from celery import Task
from celery.app.task import Context
from celery.exceptions import Ignore, Reject, Retry, TimeLimitExceeded
from celery.result import AsyncResult
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone

from config.errors import DomainError
from config.events.bus import redact
from config.observability.request_context import get_request_id, request_id_var
from tasks import services
from tasks.models import JobRecord, JobStatus
from tasks.schedule import QUEUES
from tasks.services import JobCall

logger = logging.getLogger(__name__)

PRIORITIES = QUEUES
# A countdown up to this long waits in the broker (unacknowledged, in a worker), a longer
# one in the database: a second costs the visibility timeout nothing.
BROKER_COUNTDOWN_MAX = 1.0
# How long past its hard time limit a running attempt still holds its job: the time the
# worker takes to notice the limit and record the outcome.
LEASE_GRACE_SECONDS = 30
# A message that cannot be sent after its record was committed is tried again this much
# later, by the sweep.
SEND_RETRY_SECONDS = 5.0


class PermanentError(Exception):
    """An error that retrying cannot fix: the job fails at once."""


class RetryableError(Exception):
    """A passing error (a remote service down): the job is retried with backoff."""


# Errors that no retry can fix, whatever the job: the same input gives the same error.
NON_RETRYABLE = (
    PermanentError,
    ObjectDoesNotExist,
    ValidationError,
    DomainError,
    ValueError,
    TypeError,
    KeyError,
)

# The actor of the job being run: jobs it queues are recorded as caused by them too.
_job_actor: ContextVar[int | None] = ContextVar("job_actor", default=None)


def backoff_countdown(retries: int, *, base: float, maximum: float, jitter: bool = True) -> float:
    """Seconds before retry number `retries + 1`: `base * 2**retries`, at most `maximum`.

    "Equal jitter": at least half the interval, so the backoff still grows, spread over
    the other half, so the jobs failed by one outage do not all come back at once.
    """
    interval = min(float(maximum), float(base) * 2**retries)
    if not jitter:
        return interval
    return interval / 2 + random.uniform(0, interval / 2)  # noqa: S311 (not for security)


class RecordedTask(Task):
    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    # No default queue here: a task-level `queue` would override TASK_ROUTES (Celery
    # treats it as an explicit option); `_queue_for` resolves the queue instead.
    queue = None

    # Retry policy (see the module docstring); Celery's own autoretry stays off.
    autoretry_for = ()
    retry_for: tuple[type[BaseException], ...] = (Exception,)
    no_retry_for: tuple[type[BaseException], ...] = NON_RETRYABLE
    max_retries = 5
    retry_backoff = 2.0
    retry_backoff_max = 600.0
    retry_jitter = True
    # Seconds (see the module docstring); a job that needs longer says so in its decorator.
    soft_time_limit = 60
    time_limit = 90

    # --- queuing -------------------------------------------------------------------
    # Options are keywords here (Celery's positional producer, link... are never passed).
    def apply_async(  # type: ignore[override]
        self,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        task_id: str | None = None,
        **options: Any,
    ) -> AsyncResult[Any]:
        """Queue the job and record it. Extra options: `actor` (a user) or `actor_id`;
        `dispatch` (the sweep's: send this numbered message now, the record exists)."""
        task_id = str(task_id or uuid.uuid4())
        actor = options.pop("actor", None)
        actor_id = options.pop("actor_id", None) or getattr(actor, "pk", None)
        dispatch = options.pop("dispatch", None)
        headers = dict(options.pop("headers", None) or {})
        headers.setdefault("request_id", get_request_id() or "")
        queue = self._queue_for(options)
        options["queue"] = queue
        eager = bool(self.app.conf.task_always_eager)

        def send() -> AsyncResult[Any]:
            return super(RecordedTask, self).apply_async(
                args=args, kwargs=kwargs, task_id=task_id, headers=headers, **options
            )

        if dispatch is not None:
            headers["job_dispatch"] = dispatch
            return send()
        run_after = None if eager else _deferred_until(options)
        call = JobCall(
            args=list(args or ()),
            kwargs=dict(kwargs or {}),
            retries=int(options.get("retries") or 0),
            request_id=headers["request_id"],
        )
        # A retry of the running job: its record exists and is committed.
        if task_id == self.request.id:
            if run_after is not None:
                # Recorded with the attempt's outcome by on_retry, which follows at once.
                self.request.job_deferred = (run_after, call)  # type: ignore[attr-defined]
                return self.AsyncResult(task_id)
            return send()
        services.job_create(
            job_id=task_id,
            name=self.name,
            queue=queue,
            arguments=_arguments(args, kwargs),
            max_attempts=self._max_attempts(),
            request_id=headers["request_id"],
            actor_id=actor_id or _job_actor.get(),
            call=call,
            run_after=run_after,
        )
        if run_after is not None:
            return self.AsyncResult(task_id)  # the sweep sends it when due
        if eager:
            return send()
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: self._send_or_defer(send, task_id))
            return self.AsyncResult(task_id)
        self._send_or_defer(send, task_id)
        return self.AsyncResult(task_id)

    def _send_or_defer(self, send: Callable[[], object], task_id: str) -> None:
        """Send the message of a committed record; if the broker refuses it, the job waits
        in the database and the sweep sends it later: the caller's change is committed,
        and neither it nor its job is lost to a broker outage."""
        try:
            send()
        except Exception as exc:
            services.job_send_failed(
                job_id=task_id, error=_describe(exc), retry_in=SEND_RETRY_SECONDS
            )

    def _queue_for(self, options: dict[str, Any]) -> str:
        """The queue Celery will route to: an explicit one (a retry keeps its queue),
        else TASK_ROUTES, else the task's own, else the default queue."""
        explicit = options.get("queue") or options.get("routing_key")
        if explicit:
            return getattr(explicit, "name", explicit)
        routes = self.app.conf.task_routes or {}
        route = routes.get(self.name) if isinstance(routes, dict) else None
        return (route or {}).get("queue") or self.queue or self.app.conf.task_default_queue

    def _max_attempts(self) -> int:
        # max_retries=None means "no limit" to Celery; the record says 0.
        return 0 if self.max_retries is None else self.max_retries + 1

    # --- running -------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        if request.called_directly:
            # A plain function call (tests, shell): nothing to record, no retries.
            return super().__call__(*args, **kwargs)
        request_id = (request.headers or {}).get("request_id") or getattr(request, "request_id", "")
        request_token = request_id_var.set(request_id or None)
        # Every line the job logs names it and the request that started it; restored
        # afterwards, which matters in eager mode, where the job runs inside that request.
        log_context = structlog.contextvars.bound_contextvars(
            job_id=request.id, job=self.name, request_id=request_id or None, user_id=None
        )
        try:
            with log_context:
                record = self._start(args, kwargs, request_id)
                if record is None:
                    logger.info("job.skipped", extra={"reason": "cancelled or finished"})
                    raise Ignore()
                actor_token = _job_actor.set(record.actor_id)
                try:
                    return self._run_attempts(args, kwargs, request_id)
                finally:
                    _job_actor.reset(actor_token)
        finally:
            request_id_var.reset(request_token)

    def _start(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], request_id: str | None
    ) -> JobRecord | None:
        request = self.request
        headers = request.headers or {}
        dispatch = headers.get("job_dispatch", getattr(request, "job_dispatch", None))
        record = services.job_start(
            job_id=_running_id(request),
            name=self.name,
            queue=(request.delivery_info or {}).get("routing_key") or "",
            arguments=_arguments(args, kwargs),
            max_attempts=self._max_attempts(),
            request_id=request_id or "",
            dispatch=int(dispatch or 0),
            worker=request.hostname or "",
            lease_seconds=self.lease_seconds(),
        )
        if record is not None:
            # Context is a namespace for the request's fields; celery-types lists Celery's.
            request.job_attempt = record.attempts  # type: ignore[attr-defined]
            request.job_started = time.monotonic()  # type: ignore[attr-defined]
            # The job acts for whoever queued it, in a worker as in eager mode.
            structlog.contextvars.bind_contextvars(user_id=record.actor_id)
            logger.info("job.started", extra={"attempt": record.attempts, "queue": record.queue})
        return record

    def _run_attempts(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], request_id: str | None
    ) -> Any:
        """Run the job and record its outcome here rather than in Celery's handlers,
        which eager mode skips when it propagates errors (the embedded default, tests).

        In a worker a retry is a new message with a countdown (Celery's `retry`); in
        eager mode the next attempt runs at once, in-process, as Celery's eager retries do.
        """
        request = self.request
        while True:
            try:
                result = self.run(*args, **kwargs)
            except (Ignore, Reject):
                raise
            except Exception as exc:
                explicit_retry = isinstance(exc, Retry)  # the job called self.retry()
                cause = exc.exc if isinstance(exc, Retry) and exc.exc is not None else exc
                if not explicit_retry and self._gives_up(exc):
                    services.job_fail(
                        job_id=_running_id(request),
                        attempt=self._attempt(),
                        error=_describe(exc),
                        traceback=_traceback(exc),
                        duration_ms=self._duration_ms(),
                    )
                    self.on_give_up(exc, args, kwargs)
                    raise
                if not request.is_eager:
                    if explicit_retry:
                        raise  # recorded by on_retry
                    countdown = self._backoff(request.retries)
                    try:
                        raise self.retry(exc=exc, countdown=countdown) from exc
                    except Reject as rejected:
                        # The retry could not be queued (broker down): Celery drops the
                        # message, so the record must not say the job is still running.
                        services.job_fail(
                            job_id=_running_id(request),
                            attempt=self._attempt(),
                            # Reject keeps its reason; celery-types does not declare it.
                            error=_describe(rejected.reason or exc),  # type: ignore[attr-defined]
                            traceback=_traceback(exc),
                            duration_ms=self._duration_ms(),
                        )
                        raise
                services.job_schedule_retry(
                    job_id=_running_id(request),
                    attempt=self._attempt(),
                    error=_describe(cause),
                    traceback=_traceback(cause),
                )
                request.retries += 1
                if self._start(args, kwargs, request_id) is None:
                    raise Ignore() from exc  # cancelled meanwhile
                continue
            services.job_complete(
                job_id=_running_id(request),
                attempt=self._attempt(),
                result=result,
                duration_ms=self._duration_ms(),
            )
            return result

    def _backoff(self, retries: int) -> float:
        """Seconds before retry number `retries + 1`, by this job's policy."""
        return backoff_countdown(
            retries,
            base=self.retry_backoff,
            maximum=self.retry_backoff_max,
            jitter=self.retry_jitter,
        )

    def lease_seconds(self) -> float:
        """How long an attempt holds its job: its hard time limit and a grace."""
        limit = self.time_limit or self.app.conf.broker_transport_options.get(
            "visibility_timeout", 3600
        )
        return float(limit) + LEASE_GRACE_SECONDS

    def on_give_up(self, exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Called once when the job fails for good (its record already says so), in a
        worker and in eager mode alike; a job whose failure must show elsewhere (a
        report's status) overrides it."""

    def _gives_up(self, exc: Exception) -> bool:
        if isinstance(exc, self.no_retry_for) or not isinstance(exc, self.retry_for):
            return True
        return self.max_retries is not None and self.request.retries >= self.max_retries

    def _attempt(self) -> int | None:
        return getattr(self.request, "job_attempt", None)

    def _duration_ms(self) -> int | None:
        """The run time of the current attempt (backoff waits excluded)."""
        started = getattr(self.request, "job_started", None)
        return None if started is None else int((time.monotonic() - started) * 1000)

    # --- Celery's handlers (in a worker, after __call__) ---------------------------
    def on_retry(
        self,
        exc: Exception,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: ExceptionInfo,
    ) -> None:
        cause = exc.exc if isinstance(exc, Retry) and exc.exc is not None else exc
        run_after, call = getattr(self.request, "job_deferred", None) or (None, None)
        services.job_schedule_retry(
            job_id=task_id,
            attempt=self._attempt(),
            error=_describe(cause),
            traceback=_traceback(cause),
            run_after=run_after,
            call=call,
        )

    def on_failure(
        self,
        exc: Exception,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: ExceptionInfo,
    ) -> None:
        # Usually recorded already by __call__ (then this matches nothing); this catches
        # what fails around the job itself, and the hard time limit, which the worker's
        # main process reports after it killed the process that ran the job.
        if isinstance(exc, (Ignore, Retry)):
            return
        if isinstance(exc, TimeLimitExceeded):
            self._on_hard_time_limit(task_id, exc, args, kwargs)
            return
        services.job_fail(
            job_id=task_id,
            attempt=self._attempt(),
            error=_describe(exc),
            traceback=_traceback(exc),
            duration_ms=self._duration_ms(),
        )

    def _on_hard_time_limit(
        self,
        task_id: str,
        exc: TimeLimitExceeded,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        """Another attempt after the backoff, or failed if it was the last: the message
        was acknowledged, so only the record can bring the job back."""
        record = JobRecord.objects.filter(pk=task_id, status=JobStatus.RUNNING).first()
        if record is None:
            return
        error = f"TimeLimitExceeded: the job ran past its hard time limit ({self.time_limit} s)"
        if record.max_attempts and record.attempts >= record.max_attempts:
            services.job_fail(job_id=task_id, attempt=record.attempts, error=error, traceback="")
            self.on_give_up(exc, args, kwargs)
            return
        countdown = self._backoff(record.attempts - 1)
        services.job_schedule_retry(
            job_id=task_id,
            attempt=record.attempts,
            error=error,
            traceback="",
            run_after=timezone.now() + timedelta(seconds=countdown),
        )


def _deferred_until(options: dict[str, Any]) -> datetime | None:
    """When a job queued with these options must run, if that is later than the broker
    should hold it (BROKER_COUNTDOWN_MAX); the countdown or eta is then taken out of the
    options: the sweep sends the job at that time, without one."""
    now = timezone.now()
    eta = options.get("eta")
    countdown = options.get("countdown")
    if isinstance(eta, datetime):
        when = eta if timezone.is_aware(eta) else timezone.make_aware(eta, UTC)
    elif isinstance(eta, str):
        when = datetime.fromisoformat(eta)
    elif countdown:
        when = now + timedelta(seconds=float(countdown))
    else:
        return None
    if (when - now).total_seconds() <= BROKER_COUNTDOWN_MAX:
        return None
    options.pop("eta", None)
    options.pop("countdown", None)
    return when


def _running_id(request: Context) -> str:
    """The id of the job being run: every delivered (or eager) task request has one."""
    if request.id is None:
        raise RuntimeError("a running job's request has no id")
    return request.id


def _arguments(
    args: tuple[Any, ...] | list[Any] | None, kwargs: dict[str, Any] | None
) -> dict[str, Any]:
    """The arguments as recorded: without secrets or personal data (`redact`)."""
    return redact({"args": list(args or ()), "kwargs": dict(kwargs or {})})


def _describe(exc: BaseException) -> str:
    return redact(f"{type(exc).__name__}: {exc}")[:2000]


def _traceback(exc: BaseException) -> str:
    # Tracebacks quote values (an address in a message): redacted like the arguments.
    return redact("".join(tb.format_exception(exc)))[-10000:]

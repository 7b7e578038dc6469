"""The beat, with the job system's sweep: `celery beat` runs it (CELERY_BEAT_SCHEDULER).

Besides sending the periodic jobs, every JOB_SWEEP_SECONDS the beat:

1. takes back the attempts whose lease ran out (their worker died: `jobs_recover_lost`);
2. every minute, makes due again the jobs whose message the broker lost, on queues that
   are empty now (`jobs_resend_lost`, after JOB_RESEND_AFTER seconds);
3. sends the jobs that are due (`jobs_dispatch_due`): retries after their backoff, jobs
   queued with a countdown, messages the broker refused when they were first sent.

It runs in the beat rather than as a periodic job: a job every few seconds would bury the
job records, and the sweep's whole work is to hand messages to the broker, which is the
beat's. The rows are locked with SKIP LOCKED, so a second beat would do no harm, and the
sweep never stops the beat: a database or broker outage is logged and tried again.
"""

import logging
import time
from datetime import timedelta
from typing import Any

from celery import current_app
from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import close_old_connections
from kombu.exceptions import ChannelError

from tasks import services
from tasks.schedule import QUEUES

logger = logging.getLogger(__name__)

RESEND_CHECK_SECONDS = 60.0


def empty_queues() -> list[str]:
    """The job queues that hold no message now (all of them in eager mode: no broker)."""
    if current_app.conf.task_always_eager:
        return []
    empty = []
    with current_app.connection_for_read() as connection:
        # kombu's virtual channel (Redis) has queue_declare; StdChannel does not say so.
        channel: Any = connection.default_channel
        for queue in QUEUES:
            try:
                declared = channel.queue_declare(queue=queue, passive=True)
            except ChannelError:
                # Redis keeps no empty list: an empty queue is one kombu cannot find.
                empty.append(queue)
                continue
            if declared.message_count == 0:
                empty.append(queue)
    return empty


def sweep(*, resend: bool) -> dict[str, int]:
    """One pass of the sweep (see the module docstring); what each step did."""
    done = {"recovered": services.jobs_recover_lost()}
    if resend:
        done["resent"] = services.jobs_resend_lost(
            empty_queues=empty_queues(),
            older_than=timedelta(seconds=settings.JOB_RESEND_AFTER),
        )
    done["sent"] = services.jobs_dispatch_due()
    return done


class JobSweepScheduler(PersistentScheduler):
    """Celery's default scheduler (the schedule kept in a file), plus the sweep."""

    _next_sweep = 0.0
    _next_resend = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        wait = float(super().tick(*args, **kwargs))
        now = time.monotonic()
        if now >= self._next_sweep:
            self._run_sweep(now)
            self._next_sweep = now + settings.JOB_SWEEP_SECONDS
        return max(0.0, min(wait, self._next_sweep - time.monotonic()))

    def _run_sweep(self, now: float) -> None:
        resend = now >= self._next_resend
        # A long-lived process: a connection the server closed meanwhile is replaced.
        close_old_connections()
        try:
            done = sweep(resend=resend)
        except Exception:
            logger.exception("job.sweep_failed")
            return
        finally:
            close_old_connections()
        if resend:
            self._next_resend = now + RESEND_CHECK_SECONDS
        if any(done.values()):
            logger.info("job.sweep", extra=done)

"""The job system's own jobs (the e-mail job is in tasks/emails.py), and the jobs of the
layer below, which cannot declare any (jobs are tasks' `RecordedTask`)."""

import time
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from accounts.services import token_purge_expired
from tasks import services
from tasks.base import RecordedTask
from tasks.retention import PURGE_TIME_BUDGET, retention_purges


# Deletes in batches for PURGE_TIME_BUDGET seconds at most, then queues its next run.
@shared_task(base=RecordedTask, name="tasks.purge_jobs", soft_time_limit=150, time_limit=180)
def purge_jobs() -> dict[str, Any]:
    """Job records past their retention, and what the apps registered to go with them
    (`tasks.retention`: reports and their files), daily, from the beat."""
    deadline = time.monotonic() + PURGE_TIME_BUDGET
    retention = timedelta(days=settings.JOB_RETENTION_DAYS)
    deleted = {"jobs": services.job_purge(older_than=retention, deadline=deadline)}
    for name, purge in retention_purges().items():
        deleted[name] = purge()
    if deleted["jobs"] and time.monotonic() >= deadline:
        purge_jobs.delay()  # stopped by its time budget: the next run goes on
    return deleted


# accounts' job, named after it (the beat entry, records and metrics use that name).
@shared_task(base=RecordedTask, name="accounts.purge_expired_tokens")
def purge_expired_tokens() -> int:
    """Expired refresh tokens and their blacklist entries (daily, from the beat)."""
    return token_purge_expired()

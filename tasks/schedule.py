"""The queues (priorities) of every job, and the job system's own beat entries and routes.

Each app declares its beat entries and the queue of its jobs in `<app>/schedule.py`; the
settings (wiring) merge them with `schedule_merge`.
"""

from collections.abc import Mapping
from typing import Any

from celery.schedules import crontab

# The queues, most urgent first. A job's queue is its priority: workers consume them in
# this order (kombu's Redis `queue_order_strategy: priority`, prefetch 1), so a job on a
# higher queue starts before any queued job of a lower one.
QUEUES = ("critical", "high", "default", "low")

BEAT_SCHEDULE = {
    # Job records and reports past their retention (JOB_/REPORT_RETENTION_DAYS), off-peak.
    "purge-jobs": {"task": "tasks.purge_jobs", "schedule": crontab(hour=3, minute=45)},
    # Refresh tokens past their expiry, with their blacklist entries.
    "purge-expired-tokens": {
        "task": "accounts.purge_expired_tokens",
        "schedule": crontab(hour=4, minute=0),
    },
}

# Queues: critical, high, default, low. Jobs not named in any app's routes go to `default`.
TASK_ROUTES = {
    # People wait for these (a welcome, a reply): ahead of reports and roll-ups.
    "tasks.send_email": {"queue": "high"},
    "tasks.purge_jobs": {"queue": "low"},
    "accounts.purge_expired_tokens": {"queue": "low"},
}


def schedule_merge(*parts: Mapping[str, Any]) -> dict[str, Any]:
    """The apps' beat entries (or routes) in one mapping; a name declared twice is an
    error, not a silent override."""
    merged: dict[str, Any] = {}
    for part in parts:
        twice = sorted(set(merged) & set(part))
        if twice:
            raise ValueError(f"Declared by two apps: {', '.join(twice)}")
        merged.update(part)
    return merged

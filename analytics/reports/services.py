"""Writes of reports: create one, request one (queue its job), purge old ones."""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.models import Report
from analytics.reports.builders import BUILDERS
from analytics.reports.tasks import generate_report
from config.errors import InvalidInput

# A longer range is a data export, not a report: it would hold a worker for minutes.
REPORT_MAX_DAYS = 3 * 366


def report_create(
    *, kind: str, start: date, end: date, format: str, requested_by: User | None = None
) -> Report:
    """A pending report (not queued: `report_request` queues it, `run_report` runs it)."""
    if end < start:
        raise InvalidInput("The range ends before it starts.", fields={"end": ["Before start."]})
    if (end - start).days >= REPORT_MAX_DAYS:
        raise InvalidInput(
            f"A report spans at most {REPORT_MAX_DAYS} days.",
            fields={"end": [f"At most {REPORT_MAX_DAYS} days after start."]},
        )
    if kind not in BUILDERS:
        raise InvalidInput(f"Unknown kind {kind!r}.", fields={"kind": ["Unknown kind."]})
    return Report.objects.create(
        kind=kind,
        start=start,
        end=end,
        format=format,
        requested_by=requested_by,
        task_id=uuid.uuid4(),
    )


@transaction.atomic
def report_request(
    *, kind: str, start: date, end: date, format: str, requested_by: User | None
) -> Report:
    """Create a report and queue its job (`tasks.generate_report`, queue `low`) once the
    report row is committed."""
    report = report_create(
        kind=kind, start=start, end=end, format=format, requested_by=requested_by
    )
    transaction.on_commit(
        lambda: generate_report.apply_async(
            args=(str(report.pk),), task_id=str(report.task_id), actor=requested_by
        )
    )
    return report


def report_purge(*, older_than: timedelta) -> int:
    """Delete reports requested longer than `older_than` ago, with their files."""
    cutoff = timezone.now() - older_than
    deleted = 0
    for report in Report.objects.filter(created_at__lt=cutoff).iterator():
        # The file first: a report row without its file is worse than an orphan file.
        if report.file:
            report.file.delete(save=False)
        report.delete()
        deleted += 1
    return deleted


def report_purge_expired() -> int:
    """The reports past REPORT_RETENTION_DAYS (registered with `tasks.retention`, so run
    by the daily `tasks.purge_jobs` job)."""
    return report_purge(older_than=timedelta(days=settings.REPORT_RETENTION_DAYS))

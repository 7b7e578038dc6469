"""The job system's own jobs (the e-mail job is in tasks/emails.py)."""

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from tasks import services
from tasks.base import RecordedTask


class ReportTask(RecordedTask):
    """A report whose job gives up is marked failed, so nobody polls it forever."""

    abstract = True

    def on_give_up(self, exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        report_id = (list(args or ()) or [kwargs.get("report_id")])[0]
        if report_id:
            services.report_fail(report_id=report_id, error=f"{type(exc).__name__}: {exc}")


# Queue `low` (tasks.schedule): big, and nobody waits for it to the second.
@shared_task(base=ReportTask, name="tasks.generate_report", max_retries=3, retry_backoff=30)
def generate_report(report_id: str) -> dict:
    return services.report_generate(report_id=report_id)


@shared_task(base=RecordedTask, name="tasks.purge_jobs")
def purge_jobs() -> dict:
    """Job records and report files past their retention (daily, from the beat)."""
    return {
        "jobs": services.job_purge(older_than=timedelta(days=settings.JOB_RETENTION_DAYS)),
        "reports": services.report_purge(older_than=timedelta(days=settings.REPORT_RETENTION_DAYS)),
    }

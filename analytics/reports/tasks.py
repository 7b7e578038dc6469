"""The report job."""

from typing import Any

from celery import shared_task

from analytics.reports.generation import report_fail, report_generate
from tasks.base import RecordedTask


class ReportTask(RecordedTask):
    """A report whose job gives up is marked failed, so nobody polls it forever."""

    abstract = True

    def on_give_up(self, exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        report_id = (list(args or ()) or [kwargs.get("report_id")])[0]
        if report_id:
            report_fail(report_id=report_id, error=f"{type(exc).__name__}: {exc}")


# Named when reports were the job system's: the name stays, so that records, metrics and
# messages already queued under it keep working. Queue `low` (analytics/schedule.py).
# Its run time at a million posts is in docs/operations.md ("Time limits").
@shared_task(
    base=ReportTask,
    name="tasks.generate_report",
    max_retries=3,
    retry_backoff=30,
    soft_time_limit=150,
    time_limit=180,
)
def generate_report(report_id: str) -> dict[str, Any]:
    return report_generate(report_id=report_id)

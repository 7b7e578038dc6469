"""What the report job does: build the file, or say that it failed.

Below the job (`analytics.reports.tasks`), which `services.report_request` queues: the
job imports this module, the services import the job, and nothing imports back.
"""

import tempfile
import uuid
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from analytics.models import Report, ReportStatus
from analytics.reports.builders import BUILDERS, report_write
from config.events.bus import publish

# A report file up to this size is written in memory, a larger one to a temporary file.
SPOOL_IN_MEMORY = 8 * 1024 * 1024


def report_generate(*, report_id: uuid.UUID | str) -> dict[str, Any]:
    """Build the report's file and store it through Django's storage API.

    Idempotent: a completed report is left as it is, and a run after a crash replaces
    whatever file the crashed run left (at this report's name in this month's folder: a
    crashed run of last month, the month having turned in between, leaves its file
    behind). `report.completed` is published with the change.
    """
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        raise Report.DoesNotExist(f"No report {report_id}")  # non-retryable
    if report.status == ReportStatus.COMPLETED:
        return {"report": str(report.pk), "rows": report.row_count, "file": report.file.name}
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, error="")
    table = BUILDERS[report.kind](report.start, report.end)
    meta = {"kind": report.kind, "start": report.start, "end": report.end}
    meta["generated_at"] = timezone.now()
    # Written as the rows come, to a temporary file (in memory while small), then copied to
    # the storage: a report over a million posts is a few hundred MB.
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        rows = report_write(table=table, fmt=report.format, meta=meta, target=spool)
        spool.seek(0)
        return _report_store(report, spool, rows=rows)


def _report_store(report: Report, content: IO[bytes], *, rows: int) -> dict[str, Any]:
    """Store the written file and mark the report completed, unless a concurrent run did."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.status == ReportStatus.COMPLETED:
            return {"report": str(report.pk), "rows": report.row_count, "file": report.file.name}
        if report.file:
            report.file.delete(save=False)
        name = f"{report.kind}-{report.start}-{report.end}-{report.pk}.{report.format}"
        # A run that died between writing its file and its commit (worker killed, or an
        # error after the write) left a file that no row names: write over it, or the
        # storage would give this run's file another name beside it. The row lock held
        # here means no live run is writing it.
        leftover = report.file.field.generate_filename(report, name)
        if report.file.storage.exists(leftover):
            report.file.storage.delete(leftover)
        report.file.save(name, File(content, name=name), save=False)
        report.status = ReportStatus.COMPLETED
        report.row_count = rows
        report.completed_at = timezone.now()
        report.error = ""
        report.save(update_fields=["file", "status", "row_count", "completed_at", "error"])
        publish(
            "report.completed",
            aggregate_id=report.pk,
            actor=report.requested_by,
            data={"kind": report.kind, "format": report.format},
        )
    return {"report": str(report.pk), "rows": report.row_count, "file": report.file.name}


def report_fail(*, report_id: uuid.UUID | str, error: str) -> None:
    """The report's job gave up: the report says so (its job record has the traceback)."""
    Report.objects.filter(pk=report_id).exclude(status=ReportStatus.COMPLETED).update(
        status=ReportStatus.FAILED, error=error[:2000]
    )

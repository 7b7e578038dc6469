"""What the report job does: build the file, or say that it failed.

Below the job (`analytics.reports.tasks`), which `services.report_request` queues: the
job imports this module, the services import the job, and nothing imports back.
"""

import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from analytics.models import Report, ReportStatus
from analytics.reports.builders import BUILDERS, report_render
from config.events.bus import publish


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
    content = report_render(
        table=table,
        fmt=report.format,
        meta={
            "kind": report.kind,
            "start": report.start,
            "end": report.end,
            "generated_at": timezone.now(),
        },
    )
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
        report.file.save(name, ContentFile(content), save=False)
        report.status = ReportStatus.COMPLETED
        report.row_count = len(table.rows)
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

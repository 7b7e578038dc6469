"""Reads of reports."""

import uuid

from analytics.models import Report
from analytics.reports.builders import CONTENT_TYPES
from config.errors import NotFoundError
from tasks.selectors import valid_uuid


def report_get(*, report_id: uuid.UUID | str) -> Report:
    report = Report.objects.select_related("requested_by").filter(pk=valid_uuid(report_id)).first()
    if report is None:
        raise NotFoundError("No such report.")
    return report


def report_filename(*, report: Report) -> str:
    """The download's name: what, over which days, and the format."""
    return f"{report.kind}-report-{report.start}-to-{report.end}.{report.format}"


def report_content_type(*, report: Report) -> str:
    return CONTENT_TYPES[report.format]

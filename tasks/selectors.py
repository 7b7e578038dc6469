"""Reads of the job system: job records and reports."""

import uuid

from django.db.models import QuerySet

from blog.selectors.common import apply_filterset
from config.errors import NotFoundError
from tasks.filters import JobFilter
from tasks.models import JobRecord, Report
from tasks.reports import CONTENT_TYPES


def valid_uuid(value) -> uuid.UUID:
    """An id from a URL or a command line, or NotFoundError: a malformed id names nothing."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFoundError(f"No such id: {value!r}.") from exc


def job_list(*, params=None) -> QuerySet[JobRecord]:
    """Job records, newest first, filtered by `status`, `name` and `priority`.

    Invalid filter values raise InvalidInput (400), naming the parameter.
    """
    queryset = JobRecord.objects.select_related("actor").order_by("-created_at", "-id")
    return apply_filterset(JobFilter, params or {}, queryset)


def job_get(*, job_id) -> JobRecord:
    record = JobRecord.objects.select_related("actor").filter(pk=valid_uuid(job_id)).first()
    if record is None:
        raise NotFoundError("No such job.")
    return record


def report_get(*, report_id) -> Report:
    report = Report.objects.select_related("requested_by").filter(pk=valid_uuid(report_id)).first()
    if report is None:
        raise NotFoundError("No such report.")
    return report


def report_filename(*, report: Report) -> str:
    """The download's name: what, over which days, and the format."""
    return f"{report.kind}-report-{report.start}-to-{report.end}.{report.format}"


def report_content_type(*, report: Report) -> str:
    return CONTENT_TYPES[report.format]

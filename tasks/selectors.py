"""Reads of the job system: job records."""

import uuid

from django.db.models import QuerySet

from config.db.filtering import QueryParams, apply_filterset
from config.errors import NotFoundError
from tasks.filters import JobFilter
from tasks.models import JobRecord


def valid_uuid(value: object) -> uuid.UUID:
    """An id from a URL or a command line, or NotFoundError: a malformed id names nothing."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFoundError(f"No such id: {value!r}.") from exc


def job_list(*, params: QueryParams | None = None) -> QuerySet[JobRecord]:
    """Job records, newest first, filtered by `status`, `name` and `priority`.

    Invalid filter values raise InvalidInput (400), naming the parameter.
    """
    queryset = JobRecord.objects.select_related("actor").order_by("-created_at", "-id")
    return apply_filterset(JobFilter, params or {}, queryset)


def job_get(*, job_id: object) -> JobRecord:
    record = JobRecord.objects.select_related("actor").filter(pk=valid_uuid(job_id)).first()
    if record is None:
        raise NotFoundError("No such job.")
    return record

"""`job_retry_many`, behind the admin's retry action: failed jobs retried one by one,
the others counted as left alone before anything changes."""

import pytest

from tasks.models import JobRecord, JobStatus
from tasks.services import job_retry_many
from tests.tasks import jobs  # noqa: F401 - registers the `tests.note_start` job

pytestmark = pytest.mark.django_db


def job(**fields) -> JobRecord:
    return JobRecord.objects.create(
        **{
            "name": "tasks.unknown_job_for_this_test",
            "status": JobStatus.FAILED,
            "attempts": 1,
            "max_attempts": 1,
            **fields,
        }
    )


def test_failed_jobs_are_retried_or_refused_and_the_others_left_alone(
    django_capture_on_commit_callbacks,
):
    redacted = job(arguments={"args": ["[redacted]"], "kwargs": {}})
    unknown = job(arguments={"args": [], "kwargs": {}})
    done = job(status=JobStatus.COMPLETED)
    with django_capture_on_commit_callbacks(execute=False):
        outcome = job_retry_many(
            jobs=JobRecord.objects.filter(pk__in=[redacted.pk, unknown.pk, done.pk])
        )
    assert outcome.retried == []
    assert {record.pk for record, _ in outcome.refused} == {redacted.pk, unknown.pk}
    assert any("redacted" in why for _, why in outcome.refused)
    assert outcome.not_failed == 1


def test_a_retried_job_is_not_counted_as_left_alone(django_capture_on_commit_callbacks):
    failed = job(name="tests.note_start", arguments={"args": ["k", "v"], "kwargs": {}})
    with django_capture_on_commit_callbacks(execute=False):
        outcome = job_retry_many(jobs=JobRecord.objects.filter(pk=failed.pk))
    assert [record.pk for record in outcome.retried] == [failed.pk]
    assert outcome.refused == [] and outcome.not_failed == 0
    failed.refresh_from_db()
    assert failed.status == JobStatus.PENDING

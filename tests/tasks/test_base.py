"""RecordedTask in eager mode: the record, routing, redaction, retries and cancellation.

(Against a real worker: tests/tasks/test_worker.py.)
"""

import uuid

import pytest
from django.db import transaction

from analytics.reports.tasks import generate_report
from config.observability.request_context import request_id_var
from tasks.base import NON_RETRYABLE, RecordedTask, backoff_countdown
from tasks.models import JobRecord, JobStatus
from tasks.services import job_cancel, result_summary
from tests.tasks import jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def notes():
    return jobs.notes()


def test_queuing_records_the_job_pending_with_its_route_request_id_and_actor(
    sent, admin_user, django_capture_on_commit_callbacks
):
    token = request_id_var.set("req-123")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = generate_report.apply_async(args=(str(uuid.uuid4()),), actor=admin_user)
    finally:
        request_id_var.reset(token)

    record = JobRecord.objects.get(pk=result.id)
    assert record.status == JobStatus.PENDING
    assert record.name == "tasks.generate_report"
    # analytics.schedule.TASK_ROUTES: reports are low priority, and the message goes there too.
    assert (record.queue, record.priority) == ("low", "low")
    assert sent[0]["queue"] == "low"
    assert sent[0]["headers"]["request_id"] == "req-123"
    assert record.request_id == "req-123"
    assert record.actor == admin_user
    assert record.max_attempts == generate_report.max_retries + 1
    assert record.attempts == 0


def test_jobs_without_a_route_go_to_default_and_an_explicit_queue_wins(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        plain = jobs.note_start.apply_async(args=("log", "x"))
        urgent = jobs.note_start.apply_async(args=("log", "x"), queue="critical")

    assert JobRecord.objects.get(pk=plain.id).priority == "default"
    assert JobRecord.objects.get(pk=urgent.id).priority == "critical"
    assert [call["queue"] for call in sent] == ["default", "critical"]


def test_recorded_arguments_are_redacted(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = jobs.note_start.apply_async(
            kwargs={"log_key": "ann@example.com", "label": "x", "password": "hunter2"}
        )

    arguments = JobRecord.objects.get(pk=result.id).arguments
    assert arguments["kwargs"] == {
        "log_key": "[redacted]",
        "label": "x",
        "password": "[redacted]",
    }
    # The message itself carries the real values: only the record is redacted.
    assert sent[0]["kwargs"]["password"] == "hunter2"


def test_inside_a_transaction_the_message_waits_for_the_commit(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        result = jobs.note_start.apply_async(args=("log", "x"))
        # Recorded in the transaction, but no worker can get it before the commit.
        assert JobRecord.objects.filter(pk=result.id).exists()
        assert sent == []
    assert len(callbacks) == 1
    assert [call["task_id"] for call in sent] == [result.id]


def test_a_completed_job_records_timings_and_its_result(notes):
    key = jobs.new_key()
    result = jobs.flaky.apply_async(args=(key, 0))

    record = JobRecord.objects.get(pk=result.id)
    assert record.status == JobStatus.COMPLETED
    assert record.attempts == 1
    assert record.result == {"runs": 1, "request_id": None}
    assert record.started_at is not None
    assert record.finished_at >= record.started_at
    assert record.duration_ms is not None


def test_a_passing_error_is_retried_until_the_job_succeeds(notes):
    key = jobs.new_key()
    result = jobs.flaky.apply_async(args=(key, 2))

    record = JobRecord.objects.get(pk=result.id)
    assert record.status == JobStatus.COMPLETED
    assert record.attempts == 3
    assert int(notes.get(f"testjobs:{key}:runs")) == 3
    assert record.error == ""


def test_a_job_fails_after_its_last_attempt(notes):
    key = jobs.new_key()
    with pytest.raises(ConnectionError):
        jobs.always_failing.apply_async(args=(key,))

    record = JobRecord.objects.get(name="tests.always_failing", arguments__args=[key])
    assert record.status == JobStatus.FAILED
    assert record.attempts == record.max_attempts == 3
    assert "Traceback" in record.traceback
    assert record.error == f"ConnectionError: {key}: the remote end is down"


def test_a_non_retryable_error_fails_at_once(notes):
    key = jobs.new_key()
    with pytest.raises(NON_RETRYABLE):
        jobs.bad_input.apply_async(args=(key,))

    record = JobRecord.objects.get(name="tests.bad_input", arguments__args=[key])
    assert record.status == JobStatus.FAILED
    assert record.attempts == 1
    assert int(notes.get(f"testjobs:{key}:runs")) == 1


def test_a_cancelled_job_does_not_run_when_its_message_arrives(sent, notes):
    log = f"testjobs:{jobs.new_key()}:starts"
    result = jobs.note_start.apply_async(args=(log, "x"))
    job_cancel(job_id=result.id)

    # What a worker does with the message: run it (eagerly here) with the same id.
    jobs.note_start.apply(args=(log, "x"), task_id=result.id)

    assert notes.llen(log) == 0
    record = JobRecord.objects.get(pk=result.id)
    assert record.status == JobStatus.CANCELLED
    assert record.attempts == 0


def test_a_message_for_a_completed_job_is_not_run_again(notes):
    log = f"testjobs:{jobs.new_key()}:starts"
    result = jobs.note_start.apply_async(args=(log, "x"))
    assert notes.llen(log) == 1

    jobs.note_start.apply(args=(log, "x"), task_id=result.id)  # a redelivery

    assert notes.llen(log) == 1
    assert JobRecord.objects.get(pk=result.id).attempts == 1


def test_a_message_without_a_record_gets_one_when_it_runs(notes):
    log = f"testjobs:{jobs.new_key()}:starts"
    job_id = str(uuid.uuid4())

    jobs.note_start.apply(args=(log, "x"), task_id=job_id)

    record = JobRecord.objects.get(pk=job_id)
    assert record.status == JobStatus.COMPLETED
    assert record.name == "tests.note_start"
    assert record.attempts == 1


def test_calling_a_job_as_a_function_records_nothing(notes):
    log = f"testjobs:{jobs.new_key()}:starts"
    assert jobs.note_start(log, "x") == "x"
    assert not JobRecord.objects.exists()


def test_backoff_grows_exponentially_with_jitter_and_stops_at_the_maximum():
    for retries in range(6):
        interval = min(600, 2 * 2**retries)
        for _ in range(20):
            countdown = backoff_countdown(retries, base=2, maximum=600)
            assert interval / 2 <= countdown <= interval
    assert backoff_countdown(20, base=2, maximum=600) <= 600
    assert backoff_countdown(3, base=2, maximum=600, jitter=False) == 16


def test_result_summary_is_redacted_and_short():
    assert result_summary({"to": "ann@example.com", "n": 1}) == {"to": "[redacted]", "n": 1}
    summary = result_summary(["x" * 100] * 100)
    assert summary["truncated"] is True
    assert len(summary["preview"]) == 2000
    assert result_summary(None) is None


def test_recorded_task_keeps_celery_autoretry_off():
    # The policy is RecordedTask's own (float backoff, equal jitter): Celery's autoretry
    # wrapper would retry first, with its own countdowns.
    assert RecordedTask.autoretry_for == ()
    assert not hasattr(jobs.flaky, "_orig_run")

"""Waiting in the database: deferred jobs, the sweep that sends them, lost attempts and
lost messages, stale messages, time limits. (The broker is left out: `sent` records what
would have reached it; tests/tasks/test_worker.py and test_drills.py use a real one.)"""

import threading
import uuid
from datetime import timedelta

import pytest
from celery.app.task import Task
from celery.exceptions import TimeLimitExceeded
from django.core.checks import Error
from django.db import connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from analytics.reports.tasks import generate_report
from tasks import services
from tasks.base import BROKER_COUNTDOWN_MAX, LEASE_GRACE_SECONDS, RecordedTask
from tasks.checks import check_time_limits
from tasks.models import JobRecord, JobStatus
from tasks.services import JobCall
from tests.factories import ReportFactory
from tests.tasks import jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def notes():
    return jobs.notes()


@pytest.fixture
def broker_down(monkeypatch, celery_not_eager):
    """Every send fails as kombu fails when Redis does not answer."""
    tries = []

    def refuse(self, args=None, kwargs=None, task_id=None, **options):
        tries.append(task_id)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    return tries


def due_now(record: JobRecord) -> None:
    JobRecord.objects.filter(pk=record.pk).update(run_after=timezone.now() - timedelta(seconds=1))


def test_a_job_queued_with_a_countdown_waits_in_the_database_not_in_the_broker(
    sent, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        later = jobs.note_start.apply_async(args=("log", "later"), countdown=120)
        soon = jobs.note_start.apply_async(args=("log", "soon"), countdown=BROKER_COUNTDOWN_MAX)

    # Only the short countdown reached the broker, with its countdown.
    assert [(call["task_id"], call.get("countdown")) for call in sent] == [(soon.id, 1.0)]
    record = JobRecord.objects.get(pk=later.id)
    assert record.status == JobStatus.PENDING
    assert before + timedelta(seconds=119) < record.run_after < timezone.now() + timedelta(120)
    assert JobCall.unseal(record.message).args == ["log", "later"]
    assert record.dispatch == 0 and record.dispatched_at is None
    assert JobRecord.objects.get(pk=soon.id).run_after is None


def test_the_kept_call_is_encrypted_with_the_real_arguments(sent):
    result = jobs.note_start.apply_async(args=("log", "alice@example.com"), countdown=60)

    record = JobRecord.objects.get(pk=result.id)
    assert b"alice@example.com" not in bytes(record.message)
    assert "alice@example.com" not in str(record.arguments)  # redacted for display
    assert JobCall.unseal(record.message).args == ["log", "alice@example.com"]


def test_the_sweep_sends_due_jobs_once_with_the_next_dispatch_number(sent):
    due = jobs.note_start.apply_async(args=("log", "due"), countdown=60)
    not_yet = jobs.note_start.apply_async(args=("log", "not yet"), countdown=3600)
    due_now(JobRecord.objects.get(pk=due.id))

    assert services.jobs_dispatch_due() == 1
    assert services.jobs_dispatch_due() == 0  # exactly once

    [message] = sent
    assert message["task_id"] == due.id
    assert message["args"] == ("log", "due")
    assert message["queue"] == "default"
    assert message["headers"]["job_dispatch"] == 1
    assert "countdown" not in message and "eta" not in message
    record = JobRecord.objects.get(pk=due.id)
    assert (record.dispatch, record.run_after) == (1, None)
    assert record.dispatched_at is not None
    assert JobRecord.objects.get(pk=not_yet.id).run_after is not None


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_another_sweep_is_skipped_not_sent_twice(sent):
    result = jobs.note_start.apply_async(args=("log", "x"), countdown=60)
    due_now(JobRecord.objects.get(pk=result.id))
    locked, release = threading.Event(), threading.Event()

    def other_sweep():
        # Another beat, in the middle of sending this job: it holds the row's lock.
        try:
            with transaction.atomic():
                JobRecord.objects.select_for_update().get(pk=result.id)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_sweep)
    thread.start()
    try:
        assert locked.wait(10)
        assert services.jobs_dispatch_due() == 0
        assert sent == []
    finally:
        release.set()
        thread.join(10)
    assert services.jobs_dispatch_due() == 1


def test_a_message_the_broker_refuses_after_the_commit_waits_for_the_sweep(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = jobs.note_start.apply_async(args=("log", "x"))

    assert broker_down == [result.id]
    record = JobRecord.objects.get(pk=result.id)
    assert record.status == JobStatus.PENDING  # not failed: it will be sent
    assert record.run_after is not None
    assert "Connection refused" in record.error

    # The broker is still down at the sweep: the job stays due, its dispatch unchanged.
    due_now(record)
    assert services.jobs_dispatch_due() == 0
    record.refresh_from_db()
    assert record.run_after is not None and record.dispatch == 0


def test_a_job_refused_by_the_broker_is_sent_by_the_sweep_once_it_is_back(
    monkeypatch, sent, django_capture_on_commit_callbacks
):
    real = Task.apply_async  # `sent`'s recorder
    down = True

    def flaky(self, *args, **kwargs):
        if down:
            raise OperationalError("Connection refused.")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Task, "apply_async", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        result = jobs.note_start.apply_async(args=("log", "x"))
    down = False
    due_now(JobRecord.objects.get(pk=result.id))

    assert services.jobs_dispatch_due() == 1
    assert [call["task_id"] for call in sent] == [result.id]


def test_the_sweep_sends_due_jobs_in_eager_mode_by_running_them(notes):
    log = f"testjobs:{jobs.new_key()}:starts"
    record_id = uuid.uuid4()
    services.job_create(
        job_id=record_id,
        name="tests.note_start",
        queue="default",
        arguments={},
        max_attempts=1,
        call=JobCall(args=[log, "late"]),
        run_after=timezone.now() - timedelta(seconds=1),
    )

    assert services.jobs_dispatch_due() == 1

    assert notes.lrange(log, 0, -1) == ["late"]
    record = JobRecord.objects.get(pk=record_id)
    assert record.status == JobStatus.COMPLETED
    assert record.message is None and record.run_after is None


def test_a_message_of_an_earlier_dispatch_is_dropped(sent, notes):
    log = f"testjobs:{jobs.new_key()}:starts"
    result = jobs.note_start.apply_async(args=(log, "x"), countdown=60)
    JobRecord.objects.filter(pk=result.id).update(dispatch=2)

    # The broker hands out a copy it kept from dispatch 1: it must not run.
    jobs.note_start.apply(args=(log, "x"), task_id=result.id, headers={"job_dispatch": 1})
    assert notes.llen(log) == 0
    assert JobRecord.objects.get(pk=result.id).attempts == 0

    jobs.note_start.apply(args=(log, "x"), task_id=result.id, headers={"job_dispatch": 2})
    assert notes.lrange(log, 0, -1) == ["x"]
    assert JobRecord.objects.get(pk=result.id).status == JobStatus.COMPLETED


def test_a_running_attempt_holds_a_lease_of_its_hard_time_limit_and_a_grace(notes):
    log = f"testjobs:{jobs.new_key()}:starts"
    before = timezone.now()
    result = jobs.note_start.apply_async(args=(log, "x"))

    record = JobRecord.objects.get(pk=result.id)
    # Finished: nothing is held any more, and the call is not kept.
    assert record.lease_until is None and record.message is None
    assert record.attempt_started_at >= before
    started = services.job_start(
        job_id=uuid.uuid4(),
        name="tests.note_start",
        queue="default",
        arguments={},
        max_attempts=1,
        worker="celery@host-1",
        lease_seconds=jobs.note_start.lease_seconds(),
    )
    expected = timezone.now() + timedelta(seconds=RecordedTask.time_limit + LEASE_GRACE_SECONDS)
    assert abs((started.lease_until - expected).total_seconds()) < 5
    assert started.worker == "celery@host-1"


def running(*, attempts: int, max_attempts: int, lease_ago: float, **fields) -> JobRecord:
    record = JobRecord.objects.create(
        name="tests.note_start",
        status=JobStatus.RUNNING,
        attempts=attempts,
        max_attempts=max_attempts,
        started_at=timezone.now() - timedelta(minutes=10),
        attempt_started_at=timezone.now() - timedelta(minutes=3),
        worker="celery@gone",
        lease_until=timezone.now() - timedelta(seconds=lease_ago),
        message=JobCall(args=["log", "x"]).seal(),
        **fields,
    )
    return record


def test_an_attempt_whose_lease_ran_out_gets_another_one_with_the_reason(sent):
    lost = running(attempts=1, max_attempts=3, lease_ago=1)
    alive = running(attempts=1, max_attempts=3, lease_ago=-60)

    assert services.jobs_recover_lost() == 1

    lost.refresh_from_db()
    assert lost.status == JobStatus.RETRYING
    assert lost.run_after is not None and lost.lease_until is None
    assert lost.error.startswith("WorkerLost: attempt 1 (worker celery@gone)")
    alive.refresh_from_db()
    assert alive.status == JobStatus.RUNNING
    # Due at once: the same sweep sends it, carrying the attempts so far.
    assert services.jobs_dispatch_due() == 1
    assert sent[0]["task_id"] == str(lost.pk)
    assert sent[0]["retries"] == 1


def test_a_lost_last_attempt_fails_the_job_and_calls_its_give_up_hook(sent, admin_user):
    report = ReportFactory(requested_by=admin_user)
    record = running(attempts=4, max_attempts=4, lease_ago=1)
    JobRecord.objects.filter(pk=record.pk).update(
        name=generate_report.name, message=JobCall(args=[str(report.pk)]).seal()
    )

    assert services.jobs_recover_lost() == 1

    record.refresh_from_db()
    assert record.status == JobStatus.FAILED
    assert record.error.startswith("WorkerLost: attempt 4")
    assert record.finished_at is not None and record.message is None
    report.refresh_from_db()
    assert report.status == "failed"
    assert sent == []


def test_a_job_waiting_long_on_an_empty_queue_is_sent_again(sent):
    old = timezone.now() - timedelta(minutes=10)
    lost = jobs.note_start.apply_async(args=("log", "lost"))
    backlog = jobs.note_start.apply_async(args=("log", "backlog"), queue="low")
    recent = jobs.note_start.apply_async(args=("log", "recent"))
    JobRecord.objects.filter(pk__in=[lost.id, backlog.id]).update(dispatched_at=old)
    sent.clear()

    # `low` holds messages (a backlog): its jobs are waiting, not lost.
    count = services.jobs_resend_lost(
        empty_queues=["critical", "high", "default"], older_than=timedelta(minutes=5)
    )

    assert count == 1
    assert services.jobs_dispatch_due() == 1
    assert [(call["task_id"], call["headers"]["job_dispatch"]) for call in sent] == [(lost.id, 1)]
    assert JobRecord.objects.get(pk=recent.id).run_after is None


def test_a_hard_time_limit_retries_the_job_from_the_database_or_fails_it(sent):
    record = running(attempts=1, max_attempts=3, lease_ago=-60)
    last = running(attempts=3, max_attempts=3, lease_ago=-60)
    exc = TimeLimitExceeded(90)

    # What the worker's main process calls after it killed the process running the job.
    jobs.note_start.on_failure(exc, str(record.pk), ("log", "x"), {}, None)
    jobs.note_start.on_failure(exc, str(last.pk), ("log", "x"), {}, None)

    record.refresh_from_db()
    assert record.status == JobStatus.RETRYING
    assert record.run_after > timezone.now()
    assert record.error.startswith("TimeLimitExceeded")
    last.refresh_from_db()
    assert last.status == JobStatus.FAILED
    assert last.error.startswith("TimeLimitExceeded")


def test_retrying_a_failed_job_sends_it_with_a_new_dispatch_number(
    sent, django_capture_on_commit_callbacks
):
    record = running(attempts=3, max_attempts=3, lease_ago=-60)
    JobRecord.objects.filter(pk=record.pk).update(
        status=JobStatus.FAILED, arguments={"args": ["log", "x"], "kwargs": {}}, dispatch=1
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.job_retry(job_id=record.pk)

    [message] = sent
    assert message["headers"]["job_dispatch"] == 2
    assert message["args"] == ("log", "x")
    record.refresh_from_db()
    assert (record.status, record.dispatch, record.run_after) == (JobStatus.PENDING, 2, None)


def test_a_retry_refused_by_the_broker_stays_pending_for_the_sweep(
    broker_down, django_capture_on_commit_callbacks
):
    record = running(attempts=3, max_attempts=3, lease_ago=-60)
    JobRecord.objects.filter(pk=record.pk).update(
        status=JobStatus.FAILED, arguments={"args": ["log", "x"], "kwargs": {}}
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.job_retry(job_id=record.pk)

    record.refresh_from_db()
    assert record.status == JobStatus.PENDING
    assert record.run_after is not None


def test_the_system_check_wants_time_limits_below_the_visibility_timeout(settings):
    assert check_time_limits() == []
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {**options, "visibility_timeout": 100}

    errors = check_time_limits()

    assert {error.id for error in errors} == {"tasks.E002"}
    assert any("tasks.generate_report" in error.msg for error in errors)
    assert all(isinstance(error, Error) for error in errors)


def test_every_job_has_a_soft_limit_below_its_hard_one(monkeypatch):
    monkeypatch.setattr(jobs.note_start, "soft_time_limit", 200)
    [error] = [e for e in check_time_limits() if "tests.note_start" in e.msg]
    assert error.id == "tasks.E001"

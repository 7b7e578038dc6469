"""manage.py jobs, jobs_retry, jobs_cancel (run_report: tests/analytics/test_reports.py)."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

from tasks.models import JobStatus
from tests.factories import JobRecordFactory
from tests.tasks import jobs

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_jobs_lists_newest_first_and_filters():
    failed = JobRecordFactory(status=JobStatus.FAILED, error="OSError: down\nmore", priority="high")
    done = JobRecordFactory(status=JobStatus.COMPLETED, name="tasks.send_email", duration_ms=12)

    out, _ = run("jobs")
    lines = out.splitlines()
    assert [line.split()[1] for line in lines] == [str(done.pk), str(failed.pk)]
    assert "12ms" in lines[0]
    assert lines[1].endswith("OSError: down")

    out, _ = run("jobs", "--status", "failed")
    assert out.split() and str(done.pk) not in out and str(failed.pk) in out
    out, _ = run("jobs", "--name", "tasks.send_email", "--limit", "1")
    assert [line.split()[1] for line in out.splitlines()] == [str(done.pk)]
    _, err = run("jobs", "--priority", "critical")
    assert err.strip() == "No jobs."


def test_jobs_rejects_a_bad_limit():
    with pytest.raises(CommandError) as caught:
        run("jobs", "--limit", "0")
    assert caught.value.returncode == 2


def test_jobs_cancel_cancels_waiting_jobs_and_says_which_it_could_not():
    pending = JobRecordFactory()
    running = JobRecordFactory(status=JobStatus.RUNNING)

    with pytest.raises(CommandError) as caught:
        run("jobs_cancel", str(pending.pk), str(running.pk), "not-an-id")

    assert caught.value.returncode == 1
    pending.refresh_from_db()
    running.refresh_from_db()
    assert pending.status == JobStatus.CANCELLED
    assert running.status == JobStatus.RUNNING


def test_jobs_cancel_exits_0_when_all_were_cancelled():
    job = JobRecordFactory()
    out, _ = run("jobs_cancel", str(job.pk))
    assert "cancelled" in out


def test_jobs_retry_by_id(django_capture_on_commit_callbacks):
    log = f"testjobs:{jobs.new_key()}:starts"
    job = JobRecordFactory(
        status=JobStatus.FAILED, arguments={"args": [log, "again"], "kwargs": {}}
    )

    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("jobs_retry", str(job.pk))

    assert "1 job(s) queued again, 0 refused." in out
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED  # eager: it ran again at once
    assert jobs.notes().lrange(log, 0, -1) == ["again"]


def test_jobs_retry_all_failed_skips_what_it_cannot_retry(django_capture_on_commit_callbacks):
    log = f"testjobs:{jobs.new_key()}:starts"
    retryable = JobRecordFactory(
        status=JobStatus.FAILED, arguments={"args": [log, "x"], "kwargs": {}}
    )
    redacted = JobRecordFactory(
        status=JobStatus.FAILED, arguments={"args": ["[redacted]"], "kwargs": {}}
    )
    completed = JobRecordFactory(
        status=JobStatus.COMPLETED, arguments={"args": [log, "y"], "kwargs": {}}
    )

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError) as caught:
        run("jobs_retry", "--all-failed")

    assert caught.value.returncode == 1
    for record in (retryable, redacted, completed):
        record.refresh_from_db()
    assert retryable.status == JobStatus.COMPLETED
    assert redacted.status == JobStatus.FAILED
    assert jobs.notes().lrange(log, 0, -1) == ["x"]


@pytest.mark.parametrize("args", [(), ("--all-failed", str(uuid.uuid4())), ("x", "--name", "y")])
def test_jobs_retry_usage_errors_exit_2(args):
    with pytest.raises(CommandError) as caught:
        run("jobs_retry", *args)
    assert caught.value.returncode == 2

"""The job system against a real Celery worker on the real Redis (no eager mode).

One worker for the module (`celery -A config worker`, solo pool, the four queues, the
test database), started once; the crash test kills it with SIGKILL and starts another.
The worker sees what the tests commit (`transactional_db`), and the test jobs
(tests/tasks/jobs.py) note their runs in Redis. Every wait is bounded.

The broker is Redis db 10 (`TEST_WORKER_REDIS_DB`), with a key prefix of its own for
this run (`CELERY_BROKER_KEY_PREFIX`): test runs side by side on one Redis (one per
checkout, say) never take each other's messages.
"""

import os
import uuid

import pytest
from django.conf import settings

from blog.models import Tag
from config.observability.request_context import request_id_var
from tasks.models import JobRecord, JobStatus
from tasks.services import job_cancel
from tests.tasks import jobs
from tests.tasks.processes import Worker, jobs_to_broker, process_env, wait_for

RUN = jobs.RUN
FINISHED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("REDIS_URL") and settings.USING_POSTGRES),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]


def wait_finished(job_id, timeout: float = 20) -> JobRecord:
    return wait_for(
        lambda: JobRecord.objects.filter(pk=job_id, status__in=FINISHED).first(),
        timeout=timeout,
        what=f"job {job_id} to finish",
    )


@pytest.fixture(scope="session")
def worker(django_db_setup, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    process = Worker(process_env(RUN), log_path)
    process.start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _eager_jobs(worker, transactional_db, monkeypatch):
    """Overrides tests/conftest.py's: jobs go to the real worker, through its broker."""
    with jobs_to_broker(RUN, monkeypatch):
        yield


@pytest.fixture
def notes():
    return jobs.notes()


def test_a_passing_error_is_retried_with_backoff_until_the_job_succeeds(notes):
    key = jobs.new_key()
    token = request_id_var.set("req-worker-1")
    try:
        result = jobs.flaky.apply_async(args=(key, 2))
    finally:
        request_id_var.reset(token)

    record = wait_finished(result.id)

    assert record.status == JobStatus.COMPLETED
    assert record.attempts == 3
    assert record.max_attempts == 5
    assert record.result == {"runs": 3, "request_id": "req-worker-1"}
    assert record.request_id == "req-worker-1"
    assert record.error == ""
    assert record.queue == "default"
    assert record.started_at <= record.finished_at
    assert record.duration_ms is not None
    runs = [float(t) for t in notes.lrange(f"testjobs:{key}:times", 0, -1)]
    assert len(runs) == 3
    # The countdowns (retry_backoff 0.1 s, doubled, at least half of it with the jitter)
    # are ETAs: a retry never runs before its time.
    assert runs[1] - runs[0] >= 0.05
    assert runs[2] - runs[1] >= 0.1


def test_a_job_gives_up_after_its_maximum_of_attempts(notes):
    key = jobs.new_key()
    result = jobs.always_failing.apply_async(args=(key,))

    record = wait_finished(result.id)

    assert record.status == JobStatus.FAILED
    assert record.max_attempts == 3
    assert record.attempts == 3
    assert int(notes.get(f"testjobs:{key}:runs")) == 3
    assert record.error.startswith("ConnectionError:")
    assert "the remote end is down" in record.traceback
    assert record.finished_at is not None


def test_a_non_retryable_error_fails_at_once(notes):
    key = jobs.new_key()
    result = jobs.bad_input.apply_async(args=(key,))

    record = wait_finished(result.id)

    assert record.status == JobStatus.FAILED
    assert record.attempts == 1
    assert record.max_attempts == 5
    assert int(notes.get(f"testjobs:{key}:runs")) == 1
    assert record.error.startswith("PermanentError:")


def test_a_job_cancelled_before_it_runs_never_runs(notes):
    key = jobs.new_key()
    log = f"testjobs:{key}:starts"
    # The worker is busy: the target waits in its queue behind the job holding it.
    holding = jobs.hold.apply_async(args=(key,))
    wait_for(lambda: notes.get(f"testjobs:{key}:holding"), timeout=20, what="the hold job")
    target = jobs.note_start.apply_async(args=(log, "target"))

    cancelled = job_cancel(job_id=target.id)
    assert cancelled.status == JobStatus.CANCELLED
    notes.rpush(f"testjobs:{key}:release", 1)
    # Queued after the target on the same queue: once it ran, the target was taken.
    after = jobs.note_start.apply_async(args=(log, "after"))
    wait_finished(after.id)

    assert notes.lrange(log, 0, -1) == ["after"]
    record = JobRecord.objects.get(pk=target.id)
    assert record.status == JobStatus.CANCELLED
    assert record.attempts == 0
    assert record.started_at is None
    assert wait_finished(holding.id).status == JobStatus.COMPLETED


def test_a_critical_job_overtakes_a_backlog_of_low_jobs(notes):
    log = f"testjobs:{jobs.new_key()}:starts"
    for number in range(1000):
        jobs.note_start.apply_async(args=(log, f"low-{number}", 5), queue="low")
    started_before = notes.llen(log)
    urgent = jobs.note_start.apply_async(args=(log, "urgent"), queue="critical")

    assert wait_finished(urgent.id, timeout=30).priority == "critical"
    order = notes.lrange(log, 0, -1)
    # Started before it: the low jobs started when it was queued, plus the one the worker
    # may have taken between our count and the send (one at a time: prefetch 1).
    assert order.index("urgent") <= started_before + 2
    # ... while most of the backlog was still waiting.
    assert started_before < 900

    # Drop the rest of the backlog; a last critical job shows the worker is free again.
    notes.delete(f"{RUN}low")
    done = jobs.note_start.apply_async(args=(log, "done"), queue="critical")
    wait_finished(done.id, timeout=30)


def test_a_job_killed_with_its_worker_runs_again_and_takes_effect_once(worker, notes):
    key = jobs.new_key()
    slug = f"kill-{uuid.uuid4().hex[:12]}"
    result = jobs.insert_tag_once.apply_async(args=(key, slug))
    wait_for(lambda: notes.get(f"testjobs:{key}:stalled"), timeout=20, what="the first run")
    assert Tag.objects.filter(slug=slug).count() == 1

    worker.kill()  # SIGKILL mid-job: the message was never acknowledged
    assert JobRecord.objects.get(pk=result.id).status == JobStatus.RUNNING
    worker.start()

    # Redelivered once the visibility timeout (3 s here) has passed.
    record = wait_finished(result.id, timeout=30)
    assert record.status == JobStatus.COMPLETED
    assert int(notes.get(f"testjobs:{key}:runs")) == 2
    assert record.attempts == 2
    assert record.result == "already there"
    assert Tag.objects.filter(slug=slug).count() == 1

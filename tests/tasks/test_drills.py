"""Drills of the job system with real processes (issue 11): a worker killed mid-run, and a
webhook retried on schedule from the database.

Each drill starts its own `celery worker` (and `celery beat`) subprocesses, each in its
own process group (tests/tasks/processes.py), on the test database and the test worker's
Redis db under a key prefix of the drill's own: nothing else (the module worker of
tests/tasks/test_worker.py, another checkout's run) takes its messages, and it can look
at every broker key it has. Every process is killed at teardown, before the test
database is emptied; every wait is bounded.
"""

import json
import os
import time
import uuid
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from analytics.models import DeliveryStatus, Event, ReportFormat, ReportKind, ReportStatus
from analytics.reports.services import report_request
from blog.services import taxonomy as taxonomy_services
from tasks.models import JobRecord, JobStatus
from tests.factories import AdminFactory, EditorFactory
from tests.tasks import jobs
from tests.tasks.processes import Beat, Worker, jobs_to_broker, process_env, wait_for
from tests.webhook_receiver import subscribe

FINISHED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("REDIS_URL") and settings.USING_POSTGRES),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]


@pytest.fixture
def prefix():
    """The drill's broker key prefix (and its notes'): under the run's, which
    tests/tasks/conftest.py deletes at the end."""
    return f"{jobs.RUN}drill-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def processes(transactional_db):
    """The processes a drill starts: all killed (process group) when it ends, before the
    test database is emptied."""
    started: list = []
    yield started
    for process in reversed(started):
        process.stop()
        # Shown when the drill failed (pytest's captured output): what each process said.
        print(f"--- {process.name} log ({process.log_path}):\n{process.log_tail(6000)}")


@pytest.fixture(autouse=True)
def _eager_jobs(transactional_db, prefix, monkeypatch):
    """Overrides tests/conftest.py's: jobs go to the drill's broker, for its workers."""
    with jobs_to_broker(prefix, monkeypatch):
        yield


def broker_holds(prefix: str, job_id) -> bool:
    """Whether the broker has a message of the job anywhere under `prefix`: in a queue
    (each priority's list) or taken by a worker (the `unacked` hash)."""
    client = jobs.notes()
    needle = str(job_id)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        kind = client.type(key)
        if kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = client.hvals(key)
        else:
            continue
        if any(needle in value for value in values):
            return True
    return False


# --- 1. a worker killed while six reports run ------------------------------------------


def _runs(prefix: str, job_id: str, what: str) -> list[dict]:
    return [json.loads(entry) for entry in jobs.notes().lrange(f"{prefix}{job_id}:{what}", 0, -1)]


def _pid_alive(pid: int) -> bool:
    """Whether the process runs: a zombie (killed, not yet reaped by whoever adopted it,
    a container's init may be slow to) does not."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.parent.parent.exists():  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_six_reports_killed_with_their_worker_complete_once_on_a_new_one(
    prefix, processes, tmp_path, settings
):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    visibility = 5
    env = process_env(
        prefix,
        CELERY_VISIBILITY_TIMEOUT=str(visibility),
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        MEDIA_ROOT=str(media),
        # tests/tasks/stalls.py: the first run of each report stalls (csv: while
        # building; json: after writing its file, before its commit).
        TEST_STALL_REPORTS=prefix,
    )

    def start_worker() -> Worker:
        # Production's pool, six processes: the six reports run at once.
        worker = Worker(
            env,
            tmp_path / "worker.log",
            pool="prefork",
            concurrency=6,
            include="tests.tasks.stalls",
        )
        processes.append(worker)
        worker.start()
        return worker

    first = start_worker()
    editor = EditorFactory()
    reports = [
        report_request(
            kind=kind,
            start=date(2026, 1, 1),
            end=date(2026, 1, 31),
            format=fmt,
            requested_by=editor,
        )
        for kind in ReportKind.values
        for fmt in ReportFormat.values
    ]
    job_ids = [str(report.task_id) for report in reports]
    notes = jobs.notes()

    def all_stalled() -> bool:
        running = JobRecord.objects.filter(pk__in=job_ids, status=JobStatus.RUNNING).count()
        return running == 6 and all(notes.llen(f"{prefix}{i}:stalled") for i in job_ids)

    wait_for(all_stalled, timeout=30, what="six reports running and stalled")
    first.kill()  # SIGKILL to the whole process group: the pool's processes too
    killed_at = time.time()
    killed = time.monotonic()
    records = JobRecord.objects.filter(pk__in=job_ids)
    assert {(r.status, r.attempts) for r in records} == {(JobStatus.RUNNING, 1)}
    # The killed runs died before writing a file (csv) and after (json).
    assert {_runs(prefix, i, "stalled")[0]["where"] for i in job_ids} == {"build", "write"}

    start_worker()

    # Their messages were never acknowledged: the new worker gets them back after the
    # visibility timeout (5 s here), restored within a second.
    def all_finished() -> bool:
        # And their runs noted their ends (after the record: task_postrun comes last).
        finished = records.filter(status__in=FINISHED).count() == 6
        return finished and all(notes.llen(f"{prefix}{i}:ends") for i in job_ids)

    wait_for(all_finished, timeout=45, what="the six reports' jobs to finish", interval=0.2)
    # The bound is 5 minutes (production's visibility timeout of 4); here the
    # visibility timeout, a worker's start and the runs.
    recovered_in = time.monotonic() - killed
    assert recovered_in < visibility + 25, recovered_in

    files = sorted(path for path in media.rglob("*") if path.is_file())
    for report in reports:
        report.refresh_from_db()
        record = JobRecord.objects.get(pk=report.task_id)
        label = f"{report.kind}/{report.format}"
        assert (record.status, record.attempts) == (JobStatus.COMPLETED, 2), label
        assert report.status == ReportStatus.COMPLETED, label
        # One file: the one the report names (not a second one beside a crashed run's).
        mine = [path for path in files if str(report.pk) in path.name]
        assert mine == [media / report.file.name], (label, mine)
        completed = Event.objects.filter(type="report.completed", aggregate_id=str(report.pk))
        assert completed.count() == 1, label

        # Never twice at once: the killed run never ended, the second began after the kill.
        starts = _runs(prefix, str(report.task_id), "starts")
        ends = _runs(prefix, str(report.task_id), "ends")
        assert len(starts) == 2, (label, starts)
        assert starts[0]["at"] < killed_at < starts[1]["at"], label
        assert not _pid_alive(starts[0]["pid"]), label
        assert [(end["pid"], end["state"]) for end in ends] == [(starts[1]["pid"], "SUCCESS")], (
            label
        )
    assert len(files) == 6


# --- 2. a webhook whose receiver fails five times ----------------------------------------

# Backoff of the webhook retries in the drill: 2 s, doubled, at most 4 s (each wait between
# half and all of that). 2 s, not 1: a countdown up to a second waits in the broker
# (tasks.base.BROKER_COUNTDOWN_MAX), and the drill is about the waits in the database.
BACKOFF, BACKOFF_MAX = 2, 4
SWEEP_SECONDS = 1


@pytest.mark.slow  # about 25 s: five waits of 1 to 4 s, each up to a sweep longer
def test_a_webhook_failing_five_times_is_retried_on_schedule_from_the_database(
    prefix, processes, tmp_path, receiver, webhook_settings
):
    receiver.answer(500, 500, 500, 500, 500, default=200)
    subscription = subscribe(receiver.url, events=["category.created"])
    env = process_env(
        prefix,
        WEBHOOK_ALLOW_PRIVATE_URLS="1",
        WEBHOOK_TIMEOUT="2",
        WEBHOOK_RETRY_BACKOFF=str(BACKOFF),
        WEBHOOK_RETRY_BACKOFF_MAX=str(BACKOFF_MAX),
        JOB_SWEEP_SECONDS=str(SWEEP_SECONDS),
    )
    # The real beat: its periodic entries (the event relay every 30 s...) come along and
    # find nothing to do; its sweep sends the retries when due.
    beat = Beat(env, tmp_path / "beat.log", tmp_path / "beat-schedule")
    processes.append(beat)
    beat.start()

    # A real change: the event is stored, and its consumers' jobs are queued after commit.
    taxonomy_services.category_create(name="Drills", actor=AdminFactory())
    consumers = list(JobRecord.objects.filter(name="analytics.consume_event"))
    # No worker yet: their messages wait in the queue, and the broker scan sees them.
    assert consumers
    assert all(broker_holds(prefix, job.pk) for job in consumers)

    worker = Worker(env, tmp_path / "worker.log", pool="prefork", concurrency=2)
    processes.append(worker)
    worker.start()

    job = wait_for(
        lambda: JobRecord.objects.filter(name="analytics.deliver_webhook").first(),
        timeout=20,
        what="the delivery job",
    )
    # Per wait (the attempt it follows): did the broker hold a message of the job?
    held: dict[int, list[bool]] = {}
    # When each wait was first seen: the worker records `retrying` just before it
    # acknowledges the attempt's own message, so the first moments of a wait are skipped.
    first_seen: dict[int, float] = {}

    def finished():
        record = JobRecord.objects.get(pk=job.pk)
        if record.status in FINISHED:
            return record
        margin = timezone.now() + timedelta(seconds=0.3)
        if record.status == JobStatus.RETRYING and record.run_after and record.run_after > margin:
            seen = first_seen.setdefault(record.attempts, time.monotonic())
            if time.monotonic() - seen < 0.5:
                return None
            holds = broker_holds(prefix, job.pk)
            again = JobRecord.objects.get(pk=job.pk)
            # Still the same wait (not yet due, so not yet sent): the sample counts.
            if (again.status, again.run_after, again.dispatch) == (
                record.status,
                record.run_after,
                record.dispatch,
            ):
                held.setdefault(record.attempts, []).append(holds)
        return None

    record = wait_for(finished, timeout=50, what="the delivery job to finish", interval=0.1)
    # Two more sweeps: nothing sends it again.
    time.sleep(2 * SWEEP_SECONDS + 0.5)

    assert [request["answer"] for request in receiver.requests] == [500] * 5 + [200]
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 6
    tries = list(delivery.tries.order_by("id").values_list("response_status", flat=True))
    assert tries == [500] * 5 + [200]
    record.refresh_from_db()
    assert (record.status, record.attempts, record.result) == (
        JobStatus.COMPLETED,
        6,
        "delivered",
    )
    # Each retry was sent by the sweep (dispatch numbers 1..5), none by the broker.
    assert record.dispatch == 5
    assert record.run_after is None and record.message is None

    # On schedule: retry n came at least half its backoff later (the jitter's floor), and
    # not much later than all of it and a sweep.
    arrivals = [request["at"] for request in receiver.requests]
    for number, (before, after) in enumerate(pairwise(arrivals)):
        interval = min(BACKOFF_MAX, BACKOFF * 2**number)
        gap = after - before
        assert interval / 2 <= gap <= interval + SWEEP_SECONDS + 2, (number, gap, arrivals)

    # Every wait was seen, and during none did the broker hold a message of the job: the
    # waits were in the database.
    assert sorted(held) == [1, 2, 3, 4, 5], held
    assert not any(any(samples) for samples in held.values()), held

"""The broker outage drill (issue 11): Redis, the job broker, is killed (SIGKILL) and
started again on the same port three times in a row, while readers comment through the
API and a real worker (prefork, two processes, as in production) runs the jobs. Nobody
restarts anything by hand: the worker reconnects by itself, and a worker that kombu
still crashes is started again by its supervisor (`Supervisor`, as systemd does).

Afterwards every job of the run has finished (none left pending, running or retrying)
and every comment's effects happened exactly once: its event dispatched, each consumer
of `comment.created` run on it once, its author's post's stats counting it once, its
notification decided once and its e-mail sent once.

The broker is a redis-server of this test's own (`RedisServer`: a free port, its own
process group, killed at teardown) with an append-only file, as production must run it:
without persistence a restart empties the queues and the unacknowledged set, and the
jobs in them are lost (docs/operations.md, "When Redis restarts"). Its visibility timeout
is 5 s (production: 4 minutes), so the jobs that were running at a kill, cancelled by the
worker, come back within the test. What the broker refused while it was down waits on its
job record and is sent by the job sweep, which the test runs as the beat would. Every wait
is bounded.
"""

import os
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Notification
from analytics.consumers import consumers_for
from analytics.models import ConsumedEvent, Event, PostDailyStats
from analytics.outbox import outbox_relay
from blog.models import Comment
from config.celery import app as celery_app
from tasks.beat import empty_queues
from tasks.models import JobRecord, JobStatus
from tasks.services import jobs_dispatch_due, jobs_resend_lost
from tests import factories
from tests.helpers import client_for, thread_url
from tests.tasks import jobs
from tests.tasks.processes import RedisServer, Supervisor, Worker, use_broker, wait_for

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("REDIS_URL") and settings.USING_POSTGRES),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
    pytest.mark.slow,
]

# Seconds Redis stays down in each of the three cycles, and up between them.
DOWNTIMES = (1.0, 2.0, 3.0)
UPTIME = 3.0
UNFINISHED = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.RETRYING)


@pytest.fixture
def broker(tmp_path):
    server = RedisServer(tmp_path / "redis", appendonly=True)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def supervised_worker(broker, transactional_db, tmp_path):
    database = urlsplit(os.environ["DATABASE_URL"])
    database_url = urlunsplit(database._replace(path=f"/{connection.settings_dict['NAME']}"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker.url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CONN_MAX_AGE": "0",
    }
    worker = Worker(env, tmp_path / "worker.log", pool="prefork", concurrency=2)
    supervisor = Supervisor(worker)
    supervisor.start()
    yield supervisor
    supervisor.stop()


@pytest.fixture(autouse=True)
def _eager_jobs(broker, transactional_db):
    """Overrides tests/conftest.py's: the web side sends jobs to the drill's broker."""
    conf = celery_app.conf
    eager, url, options = conf.task_always_eager, conf.broker_url, conf.broker_transport_options
    use_broker(broker.url(), {**options, "global_keyprefix": ""})
    conf.task_always_eager = False
    yield
    conf.task_always_eager = eager
    use_broker(url, options)


class Commenters(threading.Thread):
    """HTTP load: readers commenting on a post through the API, in turn, until stopped.
    Each comment's body carries a token of its own."""

    def __init__(self, post, readers):
        super().__init__(daemon=True)
        self.url = thread_url(post)
        self.clients = [client_for(reader) for reader in readers]
        self.answers: list[tuple[str, int]] = []
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                token = uuid.uuid4().hex
                client = self.clients[len(self.answers) % len(self.clients)]
                response = client.post(self.url, {"body": f"Drill comment {token}"}, format="json")
                self.answers.append((token, response.status_code))
                self.stopping.wait(0.1)
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
        assert not self.is_alive(), "the commenters did not stop"


def jobs_since(start):
    return JobRecord.objects.filter(created_at__gte=start)


def unfinished(start):
    return jobs_since(start).filter(status__in=UNFINISHED)


def test_jobs_and_side_effects_survive_three_broker_restarts_in_a_row(broker, supervised_worker):
    post = factories.PostFactory()
    # 12 readers: the comment throttle (30 a minute each) never answers 429 here.
    commenters = Commenters(post, [factories.ReaderFactory() for _ in range(12)])
    start = timezone.now()
    commenters.start()

    for downtime in DOWNTIMES:
        time.sleep(UPTIME)
        broker.kill()
        time.sleep(downtime)
        broker.start()
        back = timezone.now()
        # Consuming again (the same worker reconnected, or its successor started): a job
        # finishes after the restart.
        wait_for(
            lambda back=back: jobs_since(start).filter(finished_at__gt=back).exists(),
            timeout=30,
            what="a job to finish after the broker came back",
            interval=0.2,
        )
    time.sleep(UPTIME)
    commenters.stop()
    assert commenters.error is None, commenters.error

    # What the beat does: `relay-events` (every 30 s) hands the events whose dispatch
    # failed while the broker was down to the queue again (none is in flight now), and
    # the job sweep (every few seconds) sends the jobs the broker refused, and those
    # whose message the broker lost: Redis pops a message for a worker (BRPOP) and may
    # die before the worker got it. The beat waits JOB_RESEND_AFTER (5 minutes) for
    # that; the test, 10 s.
    def settled():
        outbox_relay(older_than=timedelta(0))
        jobs_resend_lost(empty_queues=empty_queues(), older_than=timedelta(seconds=10))
        jobs_dispatch_due()
        return not unfinished(start).exists()

    try:
        wait_for(settled, timeout=40, what="every job of the run to finish", interval=1)
    except AssertionError:
        fields = ("name", "status", "attempts", "queue", "created_at", "dispatched_at", "error")
        rows = list(unfinished(start).values_list(*fields)[:20])
        rows.append(("empty queues now", empty_queues(), timezone.now()))
        log = supervised_worker.worker.log_tail()
        raise AssertionError(f"unfinished: {rows}\nworker log:\n{log}") from None

    answers = Counter(status for _, status in commenters.answers)
    assert answers == {201: len(commenters.answers)}, answers
    comments = list(Comment.objects.filter(post=post))
    assert len(comments) == len(commenters.answers) > 30

    # Every comment's event was dispatched, and each consumer ran on it once.
    events = Event.objects.filter(type="comment.created", occurred_at__gte=start)
    assert {e.aggregate_id for e in events} == {str(c.pk) for c in comments}
    assert not events.filter(dispatched_at__isnull=True).exists()
    consumers = {c.name for c in consumers_for("comment.created")}
    consumed = Counter(
        ConsumedEvent.objects.filter(event_id__in=[e.pk for e in events]).values_list(
            "consumer", flat=True
        )
    )
    assert consumed == {name: len(comments) for name in consumers}
    # The rollup counted each comment once: a consumer run twice would count it twice.
    counted = PostDailyStats.objects.filter(post=post).aggregate(n=Sum("comments"))["n"]
    assert counted == len(comments)
    # The post's author is told of each comment once, and e-mailed once.
    told = Notification.objects.filter(kind="comment_on_post", recipient=post.author)
    assert sorted(told.values_list("object_id", flat=True)) == sorted(str(c.pk) for c in comments)
    records = jobs_since(start)
    emails = records.filter(name="tasks.send_email", status=JobStatus.COMPLETED)
    emailed = Counter(r.arguments["args"][2]["comment_id"] for r in emails)
    assert emailed == {c.pk: 1 for c in comments}

    # Every job of the run completed: none failed for the broker's outage.
    statuses = Counter(records.values_list("status", flat=True))
    assert set(statuses) == {JobStatus.COMPLETED}, statuses
    print(
        f"drill: {len(comments)} comments, jobs {dict(statuses)}, "
        f"worker restarts (exit codes) {supervised_worker.restarts}"
    )


def test_a_job_the_broker_refuses_waits_on_its_record_and_goes_when_it_is_back(broker):
    broker.kill()
    # Outside a transaction (an event's dispatch) and after a commit alike, the caller's
    # change stands and so does its job: pending, due again in a few seconds.
    direct = jobs.note_start.apply_async(args=("log", "direct"))
    with transaction.atomic():
        after_commit = jobs.note_start.apply_async(args=("log", "after-commit"))

    for result in (direct, after_commit):
        record = JobRecord.objects.get(pk=result.id)
        assert record.status == JobStatus.PENDING
        assert record.run_after is not None
        assert record.error.startswith("OperationalError:")
    JobRecord.objects.filter(pk__in=[direct.id, after_commit.id]).update(run_after=timezone.now())
    assert jobs_dispatch_due() == 0  # still down: they stay due

    broker.start()
    assert jobs_dispatch_due() == 2
    queued = redis.Redis.from_url(broker.url()).llen("default")
    assert queued == 2
    assert set(
        JobRecord.objects.filter(pk__in=[direct.id, after_commit.id]).values_list(
            "dispatch", flat=True
        )
    ) == {1}

"""Which workers consume which queue: the announcements in the broker's Redis
(config/observability/queue_consumers.py), the worker's step that makes them
(config/observability/worker_presence.py), and real workers started with `-Q`."""

import logging
import os
import time
import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import Queue

from config.observability.queue_consumers import (
    consumers_announce,
    consumers_live,
    consumers_withdraw,
    presence_key,
    redis_seconds,
)
from config.observability.worker_presence import QueuePresence
from tests.helpers import DEAD_REDIS_URL, needs_redis
from tests.redis_proxy import HangingRedisProxy
from tests.tasks import jobs
from tests.tasks.processes import Worker, wait_for

QUEUES = ["critical", "high", "default", "low"]

pytestmark = needs_redis


@pytest.fixture
def broker():
    """The broker's Redis (REDIS_URL's db) and transport options with a key prefix of this
    test's own; its keys are deleted after it."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    options = {"global_keyprefix": f"consumers-tests-{uuid.uuid4().hex[:8]}:"}
    yield client, options
    for key in client.scan_iter(match=f"{options['global_keyprefix']}*"):
        client.delete(key)


def nobody(**consumers):
    """Queue -> live consumers: those given, no one on the others."""
    return {queue: consumers.get(queue, []) for queue in QUEUES}


def test_announced_queues_are_live_the_others_have_no_consumer(broker):
    client, options = broker
    consumers_announce(client, options, "one@a", ["critical", "high"], interval=10)
    consumers_announce(client, options, "two@b", ["critical"], interval=10)

    assert consumers_live(client, options, QUEUES) == nobody(
        critical=["one@a", "two@b"], high=["one@a"]
    )


def test_an_announcement_counts_for_three_intervals_on_the_redis_clock(broker):
    client, options = broker
    consumers_announce(client, options, "one@a", ["low"], interval=10)

    deadline = client.zscore(f"{options['global_keyprefix']}blog:consumers:low", "one@a")
    now = redis_seconds(client.time())
    assert now + 29 < deadline <= now + 30


def test_a_member_past_its_deadline_is_not_live(broker):
    client, options = broker
    consumers_announce(client, options, "quiet@a", ["default"], interval=0.1)
    consumers_announce(client, options, "busy@b", ["default"], interval=10)
    assert consumers_live(client, options, ["default"]) == {"default": ["busy@b", "quiet@a"]}

    time.sleep(0.4)  # past quiet@a's three intervals

    assert consumers_live(client, options, ["default"]) == {"default": ["busy@b"]}
    # Not removed: dead by its deadline alone (a SIGKILLed worker withdraws nothing).
    assert client.zscore(presence_key("default", options), "quiet@a") is not None


def test_an_announcement_prunes_the_dead_members_of_its_queues(broker):
    client, options = broker
    now = redis_seconds(client.time())
    client.zadd(presence_key("high", options), {"killed@a": now - 1})

    consumers_announce(client, options, "alive@b", ["high"], interval=10)

    assert client.zrange(presence_key("high", options), 0, -1) == [b"alive@b"]


def test_withdrawn_queues_lose_the_worker_at_once(broker):
    client, options = broker
    consumers_announce(client, options, "one@a", ["critical", "high", "low"], interval=10)
    consumers_announce(client, options, "one@a", ["critical"], interval=10, withdrawn=["high"])
    assert consumers_live(client, options, QUEUES) == nobody(critical=["one@a"], low=["one@a"])

    consumers_withdraw(client, options, "one@a", ["critical", "low"])

    assert consumers_live(client, options, QUEUES) == nobody()


def test_the_key_prefix_keeps_deployments_apart(broker):
    client, options = broker
    other = {"global_keyprefix": options["global_keyprefix"] + "other:"}
    consumers_announce(client, options, "ours@a", QUEUES, interval=10)

    assert consumers_live(client, other, QUEUES) == nobody()
    assert client.exists(f"{options['global_keyprefix']}blog:consumers:critical")
    assert not client.exists("blog:consumers:critical")


# --- the worker's step, on a stand-in for Celery's consumer ----------------------------------


def celery_consumer(broker_url, options, queues, hostname="step@test"):
    """What QueuePresence reads of Celery's Consumer: its app's broker settings, its
    hostname, and its task consumer's queues."""
    conf = SimpleNamespace(broker_url=broker_url, broker_transport_options=options)
    return SimpleNamespace(
        app=SimpleNamespace(conf=conf),
        hostname=hostname,
        task_consumer=SimpleNamespace(queues=[Queue(name) for name in queues]),
    )


def test_the_step_announces_what_the_task_consumer_consumes(broker):
    client, options = broker
    c = celery_consumer(settings.CELERY_BROKER_URL, options, ["critical", "high"])
    step = QueuePresence(c)

    step.announce(c)
    live = consumers_live(client, options, QUEUES)
    c.task_consumer.queues.pop()  # `cancel_consumer high`
    step.announce(c)
    after_cancel = consumers_live(client, options, QUEUES)
    step.close(c)  # shutdown

    assert live == nobody(critical=["step@test"], high=["step@test"])
    assert after_cancel == nobody(critical=["step@test"])
    assert consumers_live(client, options, QUEUES) == nobody()


def test_the_step_survives_a_dead_redis_and_announces_again_once_it_is_back(broker, caplog):
    client, options = broker
    c = celery_consumer(DEAD_REDIS_URL, options, ["low"])
    step = QueuePresence(c)

    with caplog.at_level(logging.DEBUG, logger="config.observability.worker_presence"):
        step.announce(c)  # raises nothing
        step.announce(c)
        c.app.conf.broker_url = settings.CELERY_BROKER_URL
        step.announce(c)

    levels = [(r.levelname, r.getMessage().split(" (")[0]) for r in caplog.records]
    assert levels == [
        ("WARNING", "worker presence: cannot announce the consumed queues"),
        ("DEBUG", "worker presence: cannot announce the consumed queues"),
        ("INFO", "worker presence: announcing low again"),
    ]
    assert consumers_live(client, options, QUEUES) == nobody(low=["step@test"])


def test_the_step_is_left_out_without_a_redis_broker():
    c = celery_consumer("memory://", {}, QUEUES)

    assert QueuePresence(c).include_if(c) is False
    assert QueuePresence(c).include_if(celery_consumer("rediss://redis:6380/0", {}, [])) is True


# --- real workers ----------------------------------------------------------------------------


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start a worker on some queues (`celery worker -Q`), announcing every `interval`
    seconds, with a broker key prefix of its own; returns it, the broker's client and
    options. The workers are stopped, and their keys deleted, after the test."""
    # pytest-django's test database: the worker queues a job when it is ready.
    database = urlsplit(os.environ["DATABASE_URL"])
    database_url = urlunsplit(database._replace(path=f"/{connection.settings_dict['NAME']}"))
    prefix = f"{jobs.RUN}consumers-{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(jobs.worker_redis_url())
    options = {"global_keyprefix": prefix}
    workers = []

    def start(queues: str, interval: int, broker_url: str | None = None):
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url or jobs.worker_redis_url(),
            "CELERY_BROKER_KEY_PREFIX": prefix,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "WORKER_PRESENCE_SECONDS": str(interval),
            "CONN_MAX_AGE": "0",
        }
        worker = Worker(env, tmp_path / f"worker-{len(workers)}.log", queues=queues)
        workers.append(worker)
        worker.start()
        return worker, client, options

    yield start
    for worker in workers:
        worker.stop()
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


def announced(client, options, queue):
    """The live consumers of every queue, once `queue` has one (else None)."""
    live = consumers_live(client, options, QUEUES)
    return live if live[queue] else None


def test_a_worker_on_some_queues_is_their_consumer_until_it_stops(start_worker):
    worker, client, options = start_worker("critical,high", interval=5)

    live = wait_for(lambda: announced(client, options, "high"), timeout=10, what="the announcement")
    hostname = live["critical"][0]
    assert hostname.startswith("test-worker-")
    assert live == nobody(critical=[hostname], high=[hostname])

    worker.stop()  # SIGTERM: warm shutdown

    assert worker.process.returncode == 0, worker.log_tail()
    # Withdrawn, not expired: its deadline was up to 15 s away.
    assert client.zscore(presence_key("critical", options), hostname) is None
    assert client.zscore(presence_key("high", options), hostname) is None
    assert consumers_live(client, options, QUEUES) == nobody()


def test_a_killed_worker_is_dead_once_three_intervals_have_passed(start_worker):
    worker, client, options = start_worker("critical,high", interval=1)
    live = wait_for(
        lambda: announced(client, options, "critical"), timeout=10, what="the announcement"
    )

    worker.kill()  # SIGKILL: nothing withdrawn
    killed_at = time.monotonic()
    wait_for(
        lambda: not consumers_live(client, options, ["critical"])["critical"],
        timeout=3 + 2,
        what="the killed worker to count as gone",
    )

    # Gone because its last announcement grew old, not removed: its member is still there.
    assert time.monotonic() - killed_at > 1
    assert client.zscore(presence_key("critical", options), live["critical"][0]) is not None
    assert consumers_live(client, options, QUEUES) == nobody()


@pytest.fixture
def proxy():
    """A way to the worker's Redis that can go away (set up before the worker, closed
    after it)."""
    proxy = HangingRedisProxy()
    yield proxy
    proxy.close()


def test_a_worker_cut_off_from_redis_is_gone_then_back_once_it_reconnects(proxy, start_worker):
    broker_url = proxy.url(jobs.WORKER_REDIS_DB)
    worker, client, options = start_worker("critical", interval=1, broker_url=broker_url)
    wait_for(lambda: announced(client, options, "critical"), timeout=10, what="the announcement")

    proxy.cut()  # the worker's broker goes away (the test reads Redis directly)
    wait_for(
        lambda: not announced(client, options, "critical"), timeout=3 + 3, what="it to be gone"
    )
    proxy.restore()

    # Back once the consumer reconnected (kombu retries every 2, 4, 6 ... s).
    live = wait_for(lambda: announced(client, options, "critical"), timeout=30, what="it back")
    assert live["critical"][0].startswith("test-worker-")
    assert worker.process.poll() is None
    assert "Connection to broker lost" in worker.log_tail(100_000)

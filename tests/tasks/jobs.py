"""Jobs for the tests against a real worker (tests/tasks/test_worker.py).

The worker imports this module (`celery worker -I tests.tasks.jobs`). Each job notes
what it did in Redis (the worker's broker db, keys `testjobs:<key>:...`), so the tests
can see runs the job record alone would not show (a run skipped, a run killed).
Backoffs are a fraction of a second, so retries take no time in the tests.
"""

import os
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from celery import shared_task

from blog.models import Tag
from config.observability.request_context import get_request_id
from tasks.base import PermanentError, RecordedTask, RetryableError

# The Redis db of the test worker's broker (and of these notes): not the tests' cache db.
WORKER_REDIS_DB = int(os.environ.get("TEST_WORKER_REDIS_DB", "10"))


def worker_redis_url() -> str:
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit(parts._replace(path=f"/{WORKER_REDIS_DB}"))


def notes() -> redis.Redis:
    return redis.Redis.from_url(worker_redis_url(), decode_responses=True)


# Every Redis key of this test run holds this (the notes, and the test worker's broker
# keys): tests/tasks/conftest.py deletes them at the end, and runs side by side on one
# Redis never meet.
RUN = f"tasks-tests-{uuid.uuid4().hex[:8]}:"


def new_key() -> str:
    return RUN + uuid.uuid4().hex


# Celery takes a float factor; celery-types says bool | int.
FAST_BACKOFF: dict[str, Any] = {"retry_backoff": 0.1, "retry_backoff_max": 0.4}


@shared_task(base=RecordedTask, name="tests.flaky", max_retries=4, **FAST_BACKOFF)
def flaky(key: str, failures: int) -> dict:
    """Fails `failures` times with a passing error, then succeeds."""
    client = notes()
    run = client.incr(f"testjobs:{key}:runs")
    client.rpush(f"testjobs:{key}:times", time.time())
    if run <= failures:
        raise RetryableError(f"attempt {run} of {key} fails")
    # The request that queued the job, as its log lines and the jobs it queues see it.
    return {"runs": run, "request_id": get_request_id()}


@shared_task(base=RecordedTask, name="tests.always_failing", max_retries=2, **FAST_BACKOFF)
def always_failing(key: str) -> None:
    notes().incr(f"testjobs:{key}:runs")
    raise ConnectionError(f"{key}: the remote end is down")


@shared_task(base=RecordedTask, name="tests.bad_input", max_retries=4, **FAST_BACKOFF)
def bad_input(key: str) -> None:
    notes().incr(f"testjobs:{key}:runs")
    raise PermanentError(f"{key}: this input can never work")


@shared_task(base=RecordedTask, name="tests.note_start")
def note_start(log_key: str, label: str, sleep_ms: int = 0) -> str:
    """Notes its label in the start order `log_key`, then works for `sleep_ms`."""
    notes().rpush(log_key, label)
    time.sleep(sleep_ms / 1000)
    return label


@shared_task(base=RecordedTask, name="tests.hold")
def hold(key: str, timeout: float = 20) -> str:
    """Keeps the worker busy until the test pushes to `testjobs:<key>:release`."""
    client = notes()
    client.set(f"testjobs:{key}:holding", 1)
    client.blpop(f"testjobs:{key}:release", timeout=timeout)
    return "released"


@shared_task(base=RecordedTask, name="tests.insert_tag_once")
def insert_tag_once(key: str, slug: str, stall_first: float = 60) -> str:
    """Idempotent: writes one row (a Tag) keyed by `slug`, however many times it runs.

    The first run stalls after its write (the test kills the worker there, before the
    message is acknowledged); the run after redelivery finds the row and finishes.
    """
    client = notes()
    run = client.incr(f"testjobs:{key}:runs")
    _, created = Tag.objects.get_or_create(slug=slug, defaults={"name": slug})
    if run == 1:
        client.set(f"testjobs:{key}:stalled", 1)
        time.sleep(stall_first)
    return "created" if created else "already there"

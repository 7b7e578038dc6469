"""`/metrics` across processes: event counts shared through Redis (flushed after each job,
at a threshold, by a timer, kept while Redis is down), and prometheus' multiprocess mode."""

import os
import subprocess
import sys
import time

import pytest
from django_redis import get_redis_connection
from prometheus_client import REGISTRY

from config.events.bus import publish
from config.observability.metrics import shared
from config.redis.circuit import redis_circuit
from tasks.tasks import purge_jobs
from tests.config.observability.metrics_scrape import Samples, scrape

pytestmark = pytest.mark.django_db


# --- events of every process (shared counters in Redis) --------------------------------------


@pytest.fixture
def shared_counters(settings):
    """Counts buffered until a flush is asked for: no threshold or timer gets in the way."""
    if not shared.shared_counters_enabled():
        pytest.skip("events are counted across processes with the django-redis cache")
    settings.METRICS_FLUSH_EVERY = 1000
    settings.METRICS_FLUSH_SECONDS = 3600
    shared.shared_counters_reset()  # what earlier tests left in this process's buffer
    yield
    shared._buffer.forget()


def stored_events() -> dict:
    """The shared event counts as Redis holds them, without flushing this process."""
    raw = get_redis_connection("default").hgetall(shared._hash_key("events"))
    return {field.decode(): int(n) for field, n in raw.items()}


def view(post_id=1):
    # Published at once (not stored): no transaction or commit to wait for.
    publish("post.viewed", aggregate_id=post_id, data={"slug": "s"}, store=False)


def in_process_views():
    return REGISTRY.get_sample_value("blog_events_total", {"type": "post.viewed"}) or 0


_WORKER = """
import sys
import django
django.setup()
from config.celery import app
from config.events.bus import event_committed, publish

def broken(sender, event, **kwargs):
    raise RuntimeError("broken in a worker")
broken.__module__ = "workerprocess"
event_committed.connect(broken, dispatch_uid="workerprocess.broken")

@app.task(name="metricstest.count_a_view")
def count_a_view():
    publish("post.viewed", aggregate_id=1, data={"slug": "a"}, store=False)

count_a_view.apply()  # run here, as a worker runs it: task_postrun is sent
print("job done", flush=True)
sys.stdin.readline()  # idle, like a worker between jobs, until the test has scraped
publish("post.viewed", aggregate_id=2, data={"slug": "b"}, store=False)
"""


def test_events_and_failures_of_another_process_are_shown(client, shared_counters):
    """A worker's events and failing receivers reach /metrics of a web process: after
    each job, and at the worker's exit."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "METRICS_FLUSH_EVERY": "1000",
        "METRICS_FLUSH_SECONDS": "3600",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline().strip() == "job done", worker.stderr.read()
        after_job = scrape(client)
        _, errors = worker.communicate("go\n", timeout=120)
    finally:
        worker.kill()
    assert worker.returncode == 0, errors
    after_exit = scrape(client)

    failures = "blog_event_receiver_failures_total"
    broken = {"receiver": "workerprocess.broken", "event_type": "post.viewed"}
    assert after_job.get("blog_events_total", type="post.viewed") == 1
    assert after_job.get(failures, **broken) == 1
    assert after_exit.get("blog_events_total", type="post.viewed") == 2
    assert after_exit.get(failures, **broken) == 2
    assert after_exit.get("blog_metrics_source_up", source="events") == 1
    # One family of each name: this process's own (empty) counters are not shown too.
    assert after_exit.text.count("# TYPE blog_events_total counter") == 1
    assert after_exit.text.count("# TYPE blog_event_receiver_failures_total counter") == 1


def test_a_scrape_shows_its_own_process_latest_counts_once(client, shared_counters):
    before_in_process = in_process_views()

    view()
    view()
    samples = scrape(client)

    assert samples.get("blog_events_total", type="post.viewed") == 2
    # One path per configuration: with Redis the in-process counter is not counted too.
    assert in_process_views() == before_in_process


def test_pending_counts_are_flushed_after_each_job(shared_counters):
    view()
    pending = stored_events()

    purge_jobs.delay()  # eager in the tests: run here, and task_postrun is sent

    assert pending == {}
    assert stored_events() == {'["post.viewed"]': 1}


def test_pending_counts_are_flushed_at_the_threshold(settings, shared_counters):
    settings.METRICS_FLUSH_EVERY = 3

    view()
    view()
    below = stored_events()
    view()

    assert below == {}
    assert stored_events() == {'["post.viewed"]': 3}


def test_pending_counts_are_flushed_by_the_timer_in_an_idle_process(settings, shared_counters):
    settings.METRICS_FLUSH_SECONDS = 0.05

    view()  # nothing else happens in this process after it

    for _ in range(250):  # up to 5 s, for a slow machine
        if stored_events():
            break
        time.sleep(0.02)
    assert stored_events() == {'["post.viewed"]': 1}


def test_counts_are_kept_while_redis_is_down_and_shown_when_it_is_back(
    client, settings, shared_counters, redis_down
):
    settings.METRICS_FLUSH_EVERY = 2

    view(1)
    view(2)  # a flush that fails: the counts stay here, the caller never sees the error
    down = scrape(client)
    settings.CACHES = redis_down  # the real Redis again
    redis_circuit.close()  # its circuit would skip Redis a few seconds more
    back = scrape(client)

    assert down.get("blog_metrics_source_up", source="events") == 0
    assert "blog_events_total" not in down.names()
    assert back.get("blog_metrics_source_up", source="events") == 1
    assert back.get("blog_events_total", type="post.viewed") == 2


def test_without_redis_events_are_counted_in_the_process(client, settings):
    """The embedded default: one web process, whose counters are the ones shown."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    before = scrape(client)

    view()
    after = scrape(client)

    assert after.delta(before, "blog_events_total", type="post.viewed") == 1
    assert after.get("blog_metrics_source_up", source="events") is None


# --- several processes ---------------------------------------------------------------------

_COUNT_IN_A_PROCESS = """
import django
django.setup()
from prometheus_client import generate_latest
from config.observability.metrics.instruments import CACHE_OPERATIONS
from config.observability.metrics.views import process_registry
CACHE_OPERATIONS.labels(operation="multiprocess-test", result="ok").inc({n})
print(generate_latest(process_registry()).decode())
"""


def test_multiprocess_mode_sums_the_counters_of_every_process(tmp_path):
    """gunicorn's workers are processes: with PROMETHEUS_MULTIPROC_DIR a scrape of any
    one of them shows the sum of all."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }

    def run(n):
        return subprocess.run(
            [sys.executable, "-c", _COUNT_IN_A_PROCESS.format(n=n)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    run(2)
    output = run(3)

    labels = {"operation": "multiprocess-test", "result": "ok"}
    assert Samples(output).get("blog_cache_operations_total", **labels) == 5
    assert list(tmp_path.glob("counter_*.db"))

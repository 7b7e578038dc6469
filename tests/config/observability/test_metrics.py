"""`/metrics`: who may read it, and what it shows, against the real PostgreSQL and Redis.

In-process counters are global to the test process, so the tests compare a scrape with
the one before; what is read from the database and Redis at scrape time is exact (each
test has its own transaction and a flushed Redis db).
"""

from datetime import timedelta

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from analytics import counters
from analytics.models import DeliveryStatus, Event, WebhookDelivery
from analytics.webhooks.attempts import AttemptOutcome, webhook_delivery_attempt
from analytics.webhooks.services import webhook_deliveries_create, webhook_subscription_create
from blog.services.taxonomy import category_create
from config.cache import cache_fetch, cache_stats_reset
from config.celery import app as celery_app
from config.env import env_networks
from config.events.bus import event_committed, publish
from config.observability.queue_consumers import consumers_announce, consumers_withdraw
from tasks.models import JobRecord
from tasks.schedule import QUEUES
from tasks.tasks import purge_jobs
from tests.config.observability.metrics_scrape import scrape
from tests.factories import JobRecordFactory, PostFactory
from tests.helpers import dead_port

pytestmark = pytest.mark.django_db

OUTSIDE = "203.0.113.7"  # TEST-NET-3: never a default allowed network


# --- access -------------------------------------------------------------------------------


def test_loopback_is_allowed_by_default(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "blog_metrics_source_up" in response.content.decode()


def test_other_addresses_get_a_plain_403(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE)

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")
    assert b"METRICS_TOKEN" in response.content
    assert b"blog_" not in response.content


def test_the_token_opens_it_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"

    allowed = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer scrape-secret")
    wrong = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer guess")
    basic = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Basic scrape-secret")

    assert allowed.status_code == 200
    assert (wrong.status_code, basic.status_code) == (403, 403)


def test_no_token_configured_means_no_token_is_accepted(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 403


def test_allowed_networks_come_from_settings(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]

    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::5").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.0.0.1").status_code == 200
    # Loopback is only a default: a list without it shuts it out.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="").status_code == 403


def test_a_forwarded_address_is_not_trusted(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


def test_only_reads_are_answered(client):
    assert client.post("/metrics").status_code == 405


def test_allowed_networks_setting_is_parsed_strictly(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.1.2.3, 192.168.0.0/16 ,::1")
    assert env_networks("METRICS_ALLOWED_NETWORKS", "") == [
        "10.1.2.3/32",
        "192.168.0.0/16",
        "::1/128",
    ]

    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,localhost")
    with pytest.raises(ImproperlyConfigured, match="localhost"):
        env_networks("METRICS_ALLOWED_NETWORKS", "")


# --- requests, database, cache, events ------------------------------------------------------


def test_requests_are_counted_by_view_method_and_status(client):
    post = PostFactory()
    before = scrape(client)

    client.get("/api/v1/posts/")
    client.get(f"/api/v1/posts/{post.slug}/")
    client.get("/api/v1/posts/no-such-post/")
    after = scrape(client)

    count = "django_http_responses_total_by_status_view_method_total"
    assert after.delta(before, count, view="posts-list", method="GET", status="200") == 1
    assert after.delta(before, count, view="posts-detail", method="GET", status="200") == 1
    assert after.delta(before, count, view="posts-detail", method="GET", status="404") == 1
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert after.delta(before, latency, view="posts-detail", method="GET") == 2
    # Queries go through django-prometheus's wrapper of the configured backend.
    assert after.delta(before, "django_db_execute_total", alias="default", vendor=vendor()) > 0


def vendor():
    from django.db import connection

    return connection.vendor


def test_cache_hits_and_misses_per_namespace_family(client):
    cache_stats_reset()
    for post_id in (1, 2):
        cache_fetch(f"metricstest:{post_id}", "k", lambda: "value")  # misses
    cache_fetch("metricstest:1", "k", lambda: "other")  # a hit

    samples = scrape(client)

    assert samples.get("blog_cache_hits_total", namespace="metricstest") == 1
    assert samples.get("blog_cache_misses_total", namespace="metricstest") == 2
    assert samples.get("blog_cache_operations_total", operation="get", result="ok") >= 3


def failing_receiver(sender, event, **kwargs):
    if event.type == "category.created":
        raise RuntimeError("this receiver is broken")


@pytest.fixture
def broken_receiver():
    event_committed.connect(failing_receiver, dispatch_uid="test-metrics-failing")
    yield f"{__name__}.failing_receiver"
    event_committed.disconnect(dispatch_uid="test-metrics-failing")


def test_events_and_receiver_failures_are_counted(
    client, broken_receiver, django_capture_on_commit_callbacks
):
    before = scrape(client)

    with django_capture_on_commit_callbacks(execute=True):
        category_create(name="Metrics")
    after = scrape(client)

    assert after.delta(before, "blog_events_total", type="category.created") == 1
    failures = "blog_event_receiver_failures_total"
    assert after.delta(before, failures, receiver=broken_receiver, event_type="category.created")
    assert after.get(failures, receiver=broken_receiver, event_type="category.created") >= 1


def test_a_rolled_back_event_is_not_counted(client, django_capture_on_commit_callbacks):
    before = scrape(client)

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                publish("category.created", aggregate_id=1, data={"slug": "gone"})
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    after = scrape(client)

    assert after.delta(before, "blog_events_total", type="category.created") == 0


# --- read at scrape time: jobs, queues, views, webhooks --------------------------------------


def test_jobs_by_name_and_status_with_durations(client):
    purge_jobs.delay()  # eager in the tests: recorded and run in-process
    purge_jobs.delay()

    samples = scrape(client)

    labels = {"name": "tasks.purge_jobs", "status": "completed"}
    assert samples.get("blog_jobs", **labels) == 2
    assert samples.get("blog_job_duration_seconds_count", **labels) == 2
    expected = sum(JobRecord.objects.values_list("duration_ms", flat=True)) / 1000
    assert samples.get("blog_job_duration_seconds_sum", **labels) == pytest.approx(expected)


def test_jobs_waiting_in_the_database_and_overdue_ones(client):
    now = timezone.now()
    # One waits for its time, one is due (the next sweep sends it), one is half an hour late.
    for offset in (timedelta(minutes=10), -timedelta(seconds=20), -timedelta(minutes=30)):
        JobRecordFactory(status="retrying", run_after=now + offset)
    JobRecordFactory(status="cancelled", run_after=now - timedelta(hours=1))  # not waiting

    samples = scrape(client)

    assert samples.get("blog_jobs_waiting") == 3
    assert samples.get("blog_jobs_overdue") == 1
    assert samples.get("blog_jobs_overdue_seconds") == pytest.approx(30 * 60, abs=60)


@pytest.fixture
def jobs_on_broker(settings):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("queue depth is read from a Redis broker (REDIS_URL)")
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True
    # The messages sent go with the test's Redis db (the broker is REDIS_URL's).


def test_queue_depth_is_read_from_the_broker(
    client, jobs_on_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        purge_jobs.delay()  # routed to `low`
        purge_jobs.apply_async(priority=9)  # another priority: another Redis list
        purge_jobs.apply_async(queue="critical")

    samples = scrape(client)

    assert samples.get("blog_queue_depth", queue="low") == 2
    assert samples.get("blog_queue_depth", queue="critical") == 1
    assert samples.get("blog_queue_depth", queue="high") == 0
    assert samples.get("blog_queue_unacked") == 0
    assert samples.get("blog_jobs", name="tasks.purge_jobs", status="pending") == 3
    assert samples.get("blog_metrics_source_up", source="broker") == 1


def test_consumers_of_each_queue_are_read_from_the_broker(client, jobs_on_broker, settings):
    client_of_broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    consumers_announce(client_of_broker, options, "urgent@a", ["critical", "high"], interval=10)
    consumers_announce(client_of_broker, options, "all@b", QUEUES, interval=10)
    consumers_withdraw(client_of_broker, options, "all@b", ["low"])

    samples = scrape(client)

    consumers = {queue: samples.get("blog_queue_consumers", queue=queue) for queue in QUEUES}
    assert consumers == {"critical": 2, "high": 2, "default": 1, "low": 0}


def test_pending_view_counts(client):
    if not counters.view_counter_enabled():
        pytest.skip("views are pending in Redis only with the django-redis cache")
    today = timezone.now().date()
    counters.view_pending_add(post_id=1, day=today, views=3)
    counters.view_pending_add(post_id=2, day=today - timedelta(days=1), views=2)

    pending = scrape(client)
    counters.view_batches_stage()  # a flush that died before applying its batches
    counters.view_pending_add(post_id=1, day=today, views=1)
    staged = scrape(client)

    assert pending.get("blog_views_pending") == 5
    assert pending.get("blog_views_pending_batches") == 0
    assert staged.get("blog_views_pending") == 6
    assert staged.get("blog_views_pending_batches") == 2


@pytest.fixture
def webhook_receiver_url(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_TIMEOUT = 1
    return receiver.url


def test_webhook_deliveries_by_outcome(
    client, webhook_receiver_url, django_capture_on_commit_callbacks
):
    up = webhook_subscription_create(url=webhook_receiver_url, events=["post.updated"])
    down = webhook_subscription_create(
        url=f"http://127.0.0.1:{dead_port()}/", events=["post.updated"]
    )
    webhook_subscription_create(url=webhook_receiver_url, events=["post.updated"])
    with transaction.atomic():
        event = publish("post.updated", aggregate_id=1, data={"slug": "a", "fields": []})
    # The delivery jobs are not run: the attempts below are the test's.
    with django_capture_on_commit_callbacks(execute=False):
        webhook_deliveries_create(event=Event.objects.get(pk=event.id))
    deliveries = {d.subscription_id: d for d in WebhookDelivery.objects.all()}

    ok = webhook_delivery_attempt(delivery_id=deliveries[up.pk].pk, final=True)
    failed = webhook_delivery_attempt(delivery_id=deliveries[down.pk].pk, final=True)
    samples = scrape(client)

    assert (ok, failed) == (AttemptOutcome.DELIVERED, AttemptOutcome.FAILED)
    for status, n in ((DeliveryStatus.DELIVERED, 1), (DeliveryStatus.FAILED, 1), ("pending", 1)):
        assert samples.get("blog_webhook_deliveries", status=status) == n
    assert samples.get("blog_webhook_attempts", outcome="succeeded") == 1
    assert samples.get("blog_webhook_attempts", outcome="failed") == 1


# --- degraded --------------------------------------------------------------------------------


def test_metrics_answer_with_redis_down(client, redis_down):
    purge_jobs.delay()
    cache_fetch("metricstest", "k", lambda: "value")  # a miss that cannot be stored

    samples = scrape(client)

    assert samples.get("blog_metrics_source_up", source="broker") == 0
    assert samples.get("blog_metrics_source_up", source="views") == 0
    assert samples.get("blog_metrics_source_up", source="database") == 1
    assert "blog_queue_depth" not in samples.names()
    assert "blog_queue_consumers" not in samples.names()
    assert "blog_views_pending" not in samples.names()
    assert samples.get("blog_jobs", name="tasks.purge_jobs", status="completed") == 1
    assert samples.get("blog_cache_operations_total", operation="get", result="error") >= 1


def test_metrics_answer_without_redis_at_all(client, settings):
    """The embedded default: the local-memory cache and in-process jobs."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    cache_stats_reset()
    cache_fetch("metricslocal", "k", lambda: "value")
    cache_fetch("metricslocal", "k", lambda: "value")

    samples = scrape(client)

    # Nothing to read rather than something broken: the sources are not reported down.
    assert samples.get("blog_metrics_source_up", source="broker") is None
    assert samples.get("blog_metrics_source_up", source="views") is None
    assert samples.get("blog_metrics_source_up", source="database") == 1
    assert samples.get("blog_cache_hits_total", namespace="metricslocal") == 1
    assert samples.get("blog_cache_misses_total", namespace="metricslocal") == 1

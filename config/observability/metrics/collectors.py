"""Metrics read at scrape time from the shared state: PostgreSQL and Redis.

Jobs run in Celery workers, webhook deliveries too, and views wait in Redis; counting
them in the web process would miss most of it. Reading the state when Prometheus asks
is right whichever process did the work, and costs a few GROUP BY queries and Redis
reads per scrape (every 15-60 s).

Each source is read on its own: one that fails (Redis down, no Redis in the embedded
default, no broker) leaves its families out, logs a warning, and reports 0 in
`blog_metrics_source_up`; the scrape still answers.
"""

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db.models import Count, Sum
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    SummaryMetricFamily,
)
from prometheus_client.metrics_core import Metric

from tasks.schedule import QUEUES

logger = logging.getLogger(__name__)

# A scrape must answer well within Prometheus's timeout (10 s by default) with Redis
# hung: each Redis source costs at most this, twice (connect, read).
REDIS_TIMEOUT_SECONDS = 0.5

# kombu's Redis transport (kombu.transport.redis.Channel): a queue is one list per
# priority step, the step-0 list named as the queue, the others `<queue>\x06\x16<step>`;
# messages handed to a worker and not yet acknowledged wait in the `unacked` hash.
KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)
KOMBU_SEP = "\x06\x16"
KOMBU_UNACKED = "unacked"

_FINISHED = ("completed", "failed", "cancelled")


class StateCollector:
    """A prometheus_client collector (`collect()` yields metric families)."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "blog_metrics_source_up",
            "Whether the scrape could read a source (0: its families are missing).",
            labels=["source"],
        )
        for source, read in (
            ("database", _database_families),
            ("broker", _broker_families),
            ("views", _view_families),
            ("events", _event_families),
        ):
            try:
                families = read()
            except Exception as exc:  # any failure of a source only hides its families
                logger.warning("metrics: %s unreadable: %s: %s", source, type(exc).__name__, exc)
                up.add_metric([source], 0)
                continue
            if families is None:  # not configured here (no broker, no Redis counter)
                continue
            up.add_metric([source], 1)
            yield from families
        try:
            yield from _cache_families()
        except Exception as exc:  # cache_stats() swallows Redis errors; this is a bug's net
            logger.warning("metrics: cache stats unreadable: %s: %s", type(exc).__name__, exc)
        yield up


def _database_families() -> list[Metric]:
    from analytics.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
    from tasks.models import JobRecord

    jobs = GaugeMetricFamily(
        "blog_jobs",
        "Job records by job name and status (records are kept JOB_RETENTION_DAYS).",
        labels=["name", "status"],
    )
    durations = SummaryMetricFamily(
        "blog_job_duration_seconds",
        "Run time of finished jobs by name and final status (over the records kept).",
        labels=["name", "status"],
    )
    rows = (
        JobRecord.objects.order_by()
        .values("name", "status")
        .annotate(n=Count("pk"), timed=Count("duration_ms"), total_ms=Sum("duration_ms"))
    )
    for row in rows:
        labels = [row["name"], row["status"]]
        jobs.add_metric(labels, row["n"])
        if row["status"] in _FINISHED and row["timed"]:
            durations.add_metric(labels, row["timed"], (row["total_ms"] or 0) / 1000)

    deliveries = GaugeMetricFamily(
        "blog_webhook_deliveries",
        "Webhook deliveries (one event to one subscription) by status: pending, "
        "delivered, failed (given up).",
        labels=["status"],
    )
    by_status = dict.fromkeys(DeliveryStatus.values, 0)
    for status_row in WebhookDelivery.objects.order_by().values("status").annotate(n=Count("pk")):
        by_status[status_row["status"]] = status_row["n"]
    for status, n in sorted(by_status.items()):
        deliveries.add_metric([status], n)

    attempts = GaugeMetricFamily(
        "blog_webhook_attempts",
        "HTTP attempts of webhook deliveries by outcome (succeeded, failed).",
        labels=["outcome"],
    )
    by_outcome = {"succeeded": 0, "failed": 0}
    for outcome_row in (
        WebhookAttempt.objects.order_by().values("succeeded").annotate(n=Count("pk"))
    ):
        by_outcome["succeeded" if outcome_row["succeeded"] else "failed"] += outcome_row["n"]
    for outcome, n in sorted(by_outcome.items()):
        attempts.add_metric([outcome], n)

    return [jobs, durations, deliveries, attempts]


_broker_clients: dict[str, redis.Redis] = {}


def _broker_client(url: str) -> redis.Redis:
    # One client (and connection pool) per URL for the process, not one per scrape.
    client = _broker_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        _broker_clients[url] = client
    return client


def queue_keys(queue: str, options: dict[str, Any]) -> list[str]:
    """The Redis lists holding the messages of `queue`, one per priority step (the
    transport options can change the steps, the separator and add a key prefix)."""
    prefix = options.get("global_keyprefix", "")
    sep = options.get("sep", KOMBU_SEP)
    return [
        f"{prefix}{queue}{sep}{step}" if step else f"{prefix}{queue}"
        for step in options.get("priority_steps", KOMBU_PRIORITY_STEPS)
    ]


def _broker_families() -> list[Metric] | None:
    url = settings.CELERY_BROKER_URL or ""
    if urlsplit(url).scheme not in ("redis", "rediss"):
        return None  # in-process jobs (memory://) or another broker: nothing to read here
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
    keys = {queue: queue_keys(queue, options) for queue in QUEUES}
    pipe = _broker_client(url).pipeline(transaction=False)
    for queue in QUEUES:
        for key in keys[queue]:
            pipe.llen(key)
    pipe.hlen(f"{options.get('global_keyprefix', '')}{options.get('unacked_key', KOMBU_UNACKED)}")
    *lengths, unacked = pipe.execute()

    depth = GaugeMetricFamily(
        "blog_queue_depth",
        "Messages waiting in each Celery queue (all priority steps).",
        labels=["queue"],
    )
    start = 0
    for queue in QUEUES:
        end = start + len(keys[queue])
        depth.add_metric([queue], sum(lengths[start:end]))
        start = end
    reserved = GaugeMetricFamily(
        "blog_queue_unacked",
        "Messages handed to workers and not yet acknowledged (running, or waiting for "
        "a retry countdown).",
        value=unacked,
    )
    return [depth, reserved]


def _view_families() -> list[Metric] | None:
    from analytics import counters

    if not counters.view_counter_enabled():
        return None  # views are counted in the database directly: nothing pending
    views, batches = counters.view_pending_totals()
    return [
        GaugeMetricFamily(
            "blog_views_pending",
            "Post views counted in Redis and not yet flushed to the database.",
            value=views,
        ),
        GaugeMetricFamily(
            "blog_views_pending_batches",
            "Staged view batches a flush has still to apply (a few at most).",
            value=batches,
        ),
    ]


def _event_families() -> list[Metric] | None:
    # Events and receiver failures of every process, summed in Redis; without Redis they
    # are the in-process counters of `instruments`, in the process registry.
    from config.observability.metrics.shared import FAMILIES, shared_counters_enabled, shared_totals

    if not shared_counters_enabled():
        return None
    totals = shared_totals()
    families: list[Metric] = []
    for family, (name, documentation, labels) in FAMILIES.items():
        metric = CounterMetricFamily(name, documentation, labels=list(labels))
        for values, n in sorted(totals[family].items()):
            metric.add_metric(list(values), n)
        families.append(metric)
    return families


def _cache_families() -> list[Metric]:
    # cache_stats() reads the hit and miss counts of every process from Redis (of this
    # process alone with the local-memory cache) and reads as empty when Redis is down.
    from config.cache import cache_stats

    hits = CounterMetricFamily(
        "blog_cache_hits",
        "Hits of the namespaced cache by namespace family (`post` sums `post:<id>`).",
        labels=["namespace"],
    )
    misses = CounterMetricFamily(
        "blog_cache_misses",
        "Misses of the namespaced cache by namespace family.",
        labels=["namespace"],
    )
    for namespace, numbers in cache_stats()["namespaces"].items():
        hits.add_metric([namespace], numbers["hits"])
        misses.add_metric([namespace], numbers["misses"])
    return [hits, misses]

"""Metrics read at scrape time from the shared state: PostgreSQL and Redis.

Jobs run in Celery workers, webhook deliveries too, and views wait in Redis; counting
them in the web process would miss most of it. Reading the state when Prometheus asks
is right whichever process did the work, and costs a few GROUP BY queries and Redis
reads per scrape (every 15-60 s).

Each source is read on its own: one that fails (Redis down, no Redis in the embedded
default, no broker) leaves its families out, logs a warning, and reports 0 in
`blog_metrics_source_up`; the scrape still answers.

The plumbing reads its own sources here (the broker's queues, the shared event counters,
the cache's hit rates); the apps register theirs in `ready()` with
`metrics_source_register` (tasks: the job records; analytics: webhook deliveries and the
pending views), since the plumbing may not import them.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from kombu import Queue
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from config.cache import cache_stats
from config.observability.metrics.shared import FAMILIES, shared_counters_enabled, shared_totals
from config.observability.queue_consumers import consumers_parse, consumers_queue_reads
from config.redis.client import redis_client_for_url

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

# Reads a source's families at scrape time; None: the source is not configured here (no
# broker, no Redis counter), so it is not reported at all.
MetricsReader = Callable[[], Iterable[Metric] | None]

_sources: dict[str, list[MetricsReader]] = {}


def metrics_source_register(source: str, read: MetricsReader) -> None:
    """Read `read()` at each scrape as (part of) `source`, the label of
    `blog_metrics_source_up`. Readers sharing a source (the apps' tables, all in the
    `database`) stand or fall together: one failing hides the whole source."""
    readers = _sources.setdefault(source, [])
    if read not in readers:
        readers.append(read)


def _source_read(readers: list[MetricsReader]) -> list[Metric] | None:
    families: list[Metric] = []
    configured = False
    for read in readers:
        read_families = read()
        if read_families is not None:
            configured = True
            families.extend(read_families)
    return families if configured else None


class StateCollector:
    """A prometheus_client collector (`collect()` yields metric families)."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "blog_metrics_source_up",
            "Whether the scrape could read a source (0: its families are missing).",
            labels=["source"],
        )
        for source, readers in list(_sources.items()):
            try:
                families = _source_read(readers)
            except Exception as exc:  # any failure of a source only hides its families
                logger.warning("metrics: %s unreadable: %s: %s", source, type(exc).__name__, exc)
                up.add_metric([source], 0)
                continue
            if families is None:
                continue
            up.add_metric([source], 1)
            yield from families
        try:
            yield from _cache_families()
        except Exception as exc:  # cache_stats() swallows Redis errors; this is a bug's net
            logger.warning("metrics: cache stats unreadable: %s: %s", type(exc).__name__, exc)
        yield up


def queue_keys(queue: str, options: dict[str, Any]) -> list[str]:
    """The Redis lists holding the messages of `queue`, one per priority step (the
    transport options can change the steps, the separator and add a key prefix)."""
    prefix = options.get("global_keyprefix", "")
    sep = options.get("sep", KOMBU_SEP)
    return [
        f"{prefix}{queue}{sep}{step}" if step else f"{prefix}{queue}"
        for step in options.get("priority_steps", KOMBU_PRIORITY_STEPS)
    ]


def _queue_names() -> list[str]:
    # The queues the settings declare (tasks' priorities), in their order: kombu Queues
    # (or, as Celery also takes them, plain names).
    return [
        queue.name if isinstance(queue, Queue) else queue
        for queue in settings.CELERY_TASK_QUEUES or ()
    ]


def _broker_families() -> list[Metric] | None:
    url = settings.CELERY_BROKER_URL or ""
    if urlsplit(url).scheme not in ("redis", "rediss"):
        return None  # in-process jobs (memory://) or another broker: nothing to read here
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
    queues = _queue_names()
    keys = {queue: queue_keys(queue, options) for queue in queues}
    pipe = redis_client_for_url(url, timeout=REDIS_TIMEOUT_SECONDS).pipeline(transaction=False)
    for queue in queues:
        for key in keys[queue]:
            pipe.llen(key)
    pipe.hlen(f"{options.get('global_keyprefix', '')}{options.get('unacked_key', KOMBU_UNACKED)}")
    # The workers' announcements (config.observability.queue_consumers), same round trip.
    presence_replies = consumers_queue_reads(pipe, options, queues)
    replies = pipe.execute()
    *lengths, unacked = replies[:-presence_replies]
    consumers = consumers_parse(replies[-presence_replies:], queues)

    depth = GaugeMetricFamily(
        "blog_queue_depth",
        "Messages waiting in each Celery queue (all priority steps).",
        labels=["queue"],
    )
    start = 0
    for queue in queues:
        end = start + len(keys[queue])
        depth.add_metric([queue], sum(lengths[start:end]))
        start = end
    reserved = GaugeMetricFamily(
        "blog_queue_unacked",
        "Messages handed to workers and not yet acknowledged (running, or about to).",
        value=unacked,
    )
    consuming = GaugeMetricFamily(
        "blog_queue_consumers",
        "Workers consuming each Celery queue, as they announce it (0: nobody runs its jobs).",
        labels=["queue"],
    )
    for queue in queues:
        consuming.add_metric([queue], len(consumers[queue]))
    return [depth, reserved, consuming]


def _event_families() -> list[Metric] | None:
    # Events and receiver failures of every process, summed in Redis; without Redis they
    # are the in-process counters of `instruments`, in the process registry.
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


metrics_source_register("broker", _broker_families)
metrics_source_register("events", _event_families)

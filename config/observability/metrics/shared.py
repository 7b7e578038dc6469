"""Counters every process adds to: `blog_events_total` and
`blog_event_receiver_failures_total`.

Events are published and receivers fail in Celery workers (scheduled publishing, reports,
consumers) as much as in web processes, and only web processes answer `/metrics`. So
with the Redis cache each process buffers its increments and adds them to one Redis hash
per family, in one pipeline of HINCRBY:

- every `METRICS_FLUSH_EVERY` increments, or `METRICS_FLUSH_SECONDS` after the first one
  still pending (a timer, so an idle web process does not sit on its counts);
- after each Celery task (a `task_postrun` receiver, connected by config/apps.py), at
  process exit, and before a scrape reads the hashes (`shared_totals`).

A Redis error (recorded by the circuit breaker of `config.redis`, which then skips Redis
for a while) keeps the counts for the next flush and never reaches the caller.
Without Redis (the embedded default) the in-process counters of `instruments` count
instead: one path per configuration, so nothing is counted twice.
"""

import atexit
import json
import os
import threading
import time
from collections import Counter

from django.conf import settings
from redis import Redis

from config.observability.metrics.instruments import EVENTS, RECEIVER_FAILURES
from config.redis.circuit import redis_available
from config.redis.client import (
    RedisUnavailable,
    redis_client,
    redis_enabled,
    redis_key_prefix,
    redis_run,
)

# family -> (metric name, help, label names). The names and labels are the in-process
# counters' own, so dashboards read the same series in both configurations.
FAMILIES = {
    "events": (
        "blog_events_total",
        "Domain events delivered after commit, by type (every process: web, workers, beat).",
        ("type",),
    ),
    "receiver_failures": (
        "blog_event_receiver_failures_total",
        "After-commit event receivers that raised, by receiver and event type (every process).",
        ("receiver", "event_type"),
    ),
}
# What prometheus_client calls the in-process counters' families (without `_total`): a
# scrape leaves them out while the shared ones are shown, not to expose a name twice.
IN_PROCESS_NAMES = frozenset(name.removesuffix("_total") for name, _, _ in FAMILIES.values())


def shared_counters_enabled() -> bool:
    return redis_enabled()


def _hash_key(family: str) -> str:
    # The names of earlier releases (under the cache's prefix): totals survive a deploy.
    return f"{redis_key_prefix()}:cache:metrics:{family}"


class _Buffer:
    """Increments of this process not yet added to Redis."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: Counter[tuple[str, str]] = Counter()  # (family, json of label values) -> n
        self.ops = 0
        self.flushed_at = time.monotonic()
        self.timer: threading.Timer | None = None

    def add(self, family: str, labels: tuple[str, ...]) -> None:
        with self.lock:
            self.pending[(family, json.dumps(labels))] += 1
            self.ops += 1
            due = (
                self.ops >= settings.METRICS_FLUSH_EVERY
                or time.monotonic() - self.flushed_at >= settings.METRICS_FLUSH_SECONDS
            )
            if not due:
                self._arm()
        if due:
            self.flush()

    def _arm(self) -> None:
        # Under the lock. One timer at a time: it flushes what the window collected.
        if self.timer is None:
            self.timer = threading.Timer(settings.METRICS_FLUSH_SECONDS, self._timed_flush)
            self.timer.daemon = True
            self.timer.start()

    def _timed_flush(self) -> None:
        with self.lock:
            self.timer = None
        if not self.flush():
            with self.lock:  # Redis is down: try again a window later
                if self.pending:
                    self._arm()

    def flush(self) -> bool:
        """Add the pending counts to Redis; False when they are still pending."""
        if not self.pending:  # cheap after every task when nothing was counted
            return True
        if not redis_available():
            return False
        with self.lock:
            pending, self.pending, self.ops = self.pending, Counter(), 0
            self.flushed_at = time.monotonic()
        if not pending:
            return True

        def write(redis: Redis) -> None:
            pipe = redis.pipeline(transaction=False)
            for (family, labels), n in pending.items():
                pipe.hincrby(_hash_key(family), labels, n)
            pipe.execute()

        try:
            redis_run("shared metrics: Redis unavailable, counts kept for the next flush", write)
        except RedisUnavailable:  # keep the counts for the next flush
            with self.lock:
                self.pending.update(pending)
            return False
        return True

    def forget(self) -> None:
        with self.lock:
            self.pending, self.ops, self.flushed_at = Counter(), 0, time.monotonic()
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None

    def after_fork(self) -> None:
        # A forked child (a Celery pool process) starts with a copy of the parent's
        # pending counts, which the parent flushes itself; the timer thread did not follow.
        self.lock = threading.Lock()
        self.pending, self.ops, self.timer = Counter(), 0, None


_buffer = _Buffer()
atexit.register(_buffer.flush)
os.register_at_fork(after_in_child=_buffer.after_fork)


def count_event(event_type: str) -> None:
    if shared_counters_enabled():
        _buffer.add("events", (event_type,))
    else:
        EVENTS.labels(type=event_type).inc()


def count_receiver_failure(receiver: str, event_type: str) -> None:
    if shared_counters_enabled():
        _buffer.add("receiver_failures", (receiver, event_type))
    else:
        RECEIVER_FAILURES.labels(receiver=receiver, event_type=event_type).inc()


def shared_counters_flush() -> bool:
    """Add this process's pending counts to Redis now (never raises); False when some
    are still pending (Redis down)."""
    return _buffer.flush()


def shared_totals() -> dict[str, dict[tuple[str, ...], int]]:
    """family -> {label values: count} over every process, this one's latest included.
    Raises `RedisUnavailable` when Redis cannot be read (the circuit is open, or it fails
    now)."""
    if not _buffer.flush():
        raise RedisUnavailable("the counts of this process could not be added")

    def read(redis: Redis) -> list[dict[bytes, bytes]]:
        pipe = redis.pipeline(transaction=False)
        for family in FAMILIES:
            pipe.hgetall(_hash_key(family))
        return pipe.execute()

    hashes = redis_run("shared metrics: Redis unavailable", read)
    return {
        family: {tuple(json.loads(field)): int(n) for field, n in raw.items()}
        for family, raw in zip(FAMILIES, hashes, strict=True)
    }


def shared_counters_reset() -> None:
    """Drop this process's pending counts and the shared totals (tests)."""
    _buffer.forget()
    if shared_counters_enabled():
        redis_client().delete(*(_hash_key(family) for family in FAMILIES))

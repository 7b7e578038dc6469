"""Hit and miss counters of the namespaced cache, and the namespaces it has seen.

Hits and misses are counted per namespace family (the namespace before ":"), buffered in
the process and added to a Redis hash in one pipeline every `CACHE_STATS_FLUSH_EVERY`
operations or `CACHE_STATS_FLUSH_SECONDS` seconds, so a hit costs no extra round trip on
average. Every namespace that counted an operation is added to a Redis set: the "known"
namespaces that `invalidate_all()` bumps. Without Redis all of this stays in the process.
"""

import atexit
import contextlib
import threading
import time
from collections import Counter
from typing import Any

from django.conf import settings
from redis import Redis

from config.cache.backend import cache_key_prefix
from config.redis.circuit import redis_circuit
from config.redis.client import RedisUnavailable, redis_client, redis_enabled, redis_run


def _stats_key() -> str:
    return f"{cache_key_prefix()}:stats"


def _namespaces_key() -> str:
    return f"{cache_key_prefix()}:namespaces"


def _text(value: bytes | str) -> str:
    # The cache's client answers bytes (no decode_responses); redis-py's types say either.
    return value.decode() if isinstance(value, bytes) else value


class _Stats:
    """Hit and miss counts, buffered in the process and flushed to Redis in batches."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: Counter[tuple[str, str]] = Counter()  # (family, "hits"|"misses") -> n
        self.namespaces: set[str] = set()  # seen since the last flush
        self.local: Counter[tuple[str, str]] = Counter()  # without Redis: the totals themselves
        self.known_local: set[str] = set()
        self.ops = 0
        self.flushed_at = time.monotonic()

    def count(self, namespace: str, kind: str) -> None:
        family = namespace.split(":", 1)[0]
        with self.lock:
            if not redis_enabled():
                self.local[(family, kind)] += 1
                self.known_local.add(namespace)
                return
            self.pending[(family, kind)] += 1
            self.namespaces.add(namespace)
            self.ops += 1
            due = (
                self.ops >= settings.CACHE_STATS_FLUSH_EVERY
                or time.monotonic() - self.flushed_at >= settings.CACHE_STATS_FLUSH_SECONDS
            )
        if due:
            self.flush()

    def flush(self) -> None:
        if not redis_enabled() or redis_circuit.is_open():
            return
        with self.lock:
            pending, namespaces = self.pending, self.namespaces
            self.pending, self.namespaces, self.ops = Counter(), set(), 0
            self.flushed_at = time.monotonic()
        if not pending and not namespaces:
            return

        def write(redis: Redis) -> None:
            pipe = redis.pipeline(transaction=False)
            for (family, kind), n in pending.items():
                pipe.hincrby(_stats_key(), f"{family}:{kind}", n)
            if namespaces:
                pipe.sadd(_namespaces_key(), *sorted(namespaces))
            pipe.execute()

        try:
            redis_run("cache unavailable (stats flush)", write)
        except RedisUnavailable:  # keep the counts for the next flush
            with self.lock:
                self.pending.update(pending)
                self.namespaces |= namespaces

    def reset(self) -> None:
        with self.lock:
            self.pending, self.namespaces, self.local = Counter(), set(), Counter()
            self.known_local, self.ops = set(), 0
        if redis_enabled():
            with contextlib.suppress(RedisUnavailable):  # recorded by the circuit breaker
                redis_run(
                    "cache unavailable (stats reset)",
                    lambda redis: redis.delete(_stats_key(), _namespaces_key()),
                    even_if_open=True,
                )

    def totals(self) -> Counter[tuple[str, str]]:
        """Raises `RedisUnavailable`."""
        if not redis_enabled():
            with self.lock:
                return Counter(self.local)
        self.flush()
        raw = redis_run("cache unavailable (stats read)", lambda redis: redis.hgetall(_stats_key()))
        totals: Counter[tuple[str, str]] = Counter()
        for field, value in raw.items():
            family, kind = _text(field).rsplit(":", 1)
            totals[(family, kind)] = int(value)
        return totals

    def known(self) -> set[str]:
        """Raises `RedisUnavailable`."""
        if not redis_enabled():
            with self.lock:
                return set(self.known_local)
        self.flush()
        members = redis_run(
            "cache unavailable (known namespaces)",
            lambda redis: redis.smembers(_namespaces_key()),
        )
        return {_text(member) for member in members}


_stats = _Stats()
atexit.register(_stats.flush)


def stats_count(namespace: str, kind: str) -> None:
    """Count a hit (`kind="hits"`) or a miss (`"misses"`) of the namespace."""
    _stats.count(namespace, kind)


def stats_namespaces() -> set[str]:
    """Every namespace that ever counted an operation (of every process, on Redis).
    Raises `RedisUnavailable`."""
    return _stats.known()


def _rate(hits: int, misses: int) -> float | None:
    return round(hits / (hits + misses), 4) if hits + misses else None


def cache_stats() -> dict[str, Any]:
    """Hits, misses and hit rate, in total and per namespace family (`post` sums every
    `post:<id>`), over all processes when on Redis; `degraded` counts this process's
    Redis errors, `skipped` the operations the open circuit spared. With Redis down the
    counts read as zero."""
    try:
        totals = _stats.totals()
    except RedisUnavailable:  # recorded, or skipped by the open circuit
        totals = Counter()
    families: dict[str, dict] = {}
    for (family, kind), n in sorted(totals.items()):
        families.setdefault(family, {"hits": 0, "misses": 0})[kind] = n
    for numbers in families.values():
        numbers["hit_rate"] = _rate(numbers["hits"], numbers["misses"])
    hits = sum(n["hits"] for n in families.values())
    misses = sum(n["misses"] for n in families.values())
    return {
        "backend": settings.CACHES["default"]["BACKEND"],
        "hits": hits,
        "misses": misses,
        "hit_rate": _rate(hits, misses),
        "namespaces": families,
        "degraded": redis_circuit.count,
        "skipped": redis_circuit.skipped,
    }


def cache_stats_reset() -> None:
    """Start the counters again from zero."""
    _stats.reset()


def cache_server_info() -> dict[str, Any] | None:
    """Key count and memory of the Redis database (INFO), or None when not on Redis."""
    if not redis_enabled():
        return None
    conn = redis_client()
    memory = conn.info("memory")
    return {
        "keys": conn.dbsize(),
        "used_memory": memory.get("used_memory"),
        "used_memory_human": memory.get("used_memory_human"),
    }

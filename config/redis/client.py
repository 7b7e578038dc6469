"""How to reach Redis.

The shared state of the processes (the cache, the rate limiter, the login lockout, the
view counter, the shared metrics counters) lives in the cache's Redis, `CACHES["default"]`:
`redis_client()` is its raw connection, from django-redis's pool, so it has the cache's
short socket timeouts and follows `settings.CACHES` when tests change it.

`redis_run(what, operation)` is the way in for a caller with a fallback: it skips Redis
while the circuit is open (`config.redis.circuit`), records an error, and raises
`RedisUnavailable` for both, so the caller has one exception to fall back on.

Other Redis servers (the Celery broker, health probes) get their own clients, by URL and
with the caller's timeout, outside the circuit: it speaks for the cache's Redis only, and
a probe must ask the server, not the memory of a past error.
"""

from collections.abc import Callable
from typing import TypeVar

import redis
from django.conf import settings
from django_redis import get_redis_connection
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from config.redis.circuit import redis_circuit, redis_failed

T = TypeVar("T")


class RedisUnavailable(Exception):
    """Redis was skipped (the circuit is open) or failed now; the error is recorded."""


def redis_enabled() -> bool:
    """Whether the cache, and so the shared state, is Redis (django-redis), up or not.
    Without it (the embedded default) each user of Redis has a per-process or database
    path instead."""
    return settings.CACHES.get("default", {}).get("BACKEND", "").startswith("django_redis.")


def redis_key_prefix() -> str:
    """The start of every key the project writes to Redis (the cache's KEY_PREFIX,
    "blog" by default): several sites can share one server."""
    return settings.CACHES.get("default", {}).get("KEY_PREFIX") or "blog"


def redis_client() -> redis.Redis:
    """The raw connection of the cache's Redis (django-redis's pool)."""
    return get_redis_connection("default")


def redis_run(what: str, operation: Callable[[redis.Redis], T], *, even_if_open: bool = False) -> T:
    """`operation(redis_client())`, or `RedisUnavailable` when the circuit is open or
    Redis fails (recorded under `what`: who met it and what it does instead).

    `even_if_open`: try even while the circuit is open, for a write whose loss would
    outlive the outage (a sign-in's forgiveness of past failures)."""
    if not even_if_open and redis_circuit.is_open():
        raise RedisUnavailable("Redis is skipped after an error (circuit open)")
    try:
        return operation(redis_client())
    except (RedisError, OSError) as exc:
        redis_failed(what, exc)
        raise RedisUnavailable(f"{type(exc).__name__}: {exc}") from exc


# One client, so one connection pool, per URL and timeout for the process.
_url_clients: dict[tuple[str, float], redis.Redis] = {}


def redis_client_for_url(url: str, *, timeout: float) -> redis.Redis:
    """A client of another Redis (the Celery broker), outside the circuit; `timeout`
    bounds the connection and each command."""
    client = _url_clients.get((url, timeout))
    if client is None:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        _url_clients[(url, timeout)] = client
    return client


def redis_async_client_for_url(url: str, *, timeout: float) -> AsyncRedis:
    """An asyncio client of `url`, outside the circuit (health probes). A new one each
    call: its connections belong to the event loop that uses them."""
    return AsyncRedis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)

"""Cache operations that show their errors.

django-redis swallows Redis errors (IGNORE_EXCEPTIONS) and answers a default that looks
like a miss; the namespaced cache must tell them apart (an error must not be stored over,
an invalidation that failed must be made later), so it talks to the backend's client
directly, through the Redis circuit breaker, and gets `ERROR` back instead.
"""

from typing import Any, cast

from django.core.cache import cache
from django_redis.cache import RedisCache

from config.observability.metrics.instruments import CACHE_OPERATIONS
from config.redis.circuit import redis_circuit
from config.redis.client import redis_enabled, redis_key_prefix

ERROR: Any = object()  # what `backend_call` returns when the backend failed or was skipped

# How often a caller waiting for another's computation of a value looks for it again.
LOCK_POLL_SECONDS = 0.02


def cache_key_prefix() -> str:
    """The prefix of the cache's own bookkeeping keys in Redis (counters, namespaces)."""
    return f"{redis_key_prefix()}:cache"


def backend_call(method: str, *args: Any, **kwargs: Any) -> Any:
    """A cache operation whose failure is returned as `ERROR` (and recorded), not raised
    and not turned into a default by django-redis; `ERROR` too while the circuit is open.
    A ValueError (`incr` of a missing key) is the caller's to handle."""
    if redis_circuit.is_open():
        return ERROR
    target = cast(RedisCache, cache).client if redis_enabled() else cache
    try:
        result = getattr(target, method)(*args, **kwargs)
    except ValueError:
        CACHE_OPERATIONS.labels(operation=method, result="ok").inc()
        raise
    except Exception as exc:
        CACHE_OPERATIONS.labels(operation=method, result="error").inc()
        redis_circuit.record(f"cache unavailable ({method})", exc)
        return ERROR
    CACHE_OPERATIONS.labels(operation=method, result="ok").inc()
    return result

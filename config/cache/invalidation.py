"""Invalidating namespaces, and the invalidations a Redis outage made this process miss.

An invalidation this process could not make (Redis down, or skipped by the open circuit)
is made as soon as Redis answers again: before this process's next cache read or
invalidation, and after each Celery job (`config.celery`), so values cached before the
outage are not served after it. (A process that dies first leaves them to their TTL.)
"""

import threading
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django_redis.cache import RedisCache

from config.cache.backend import ERROR, backend_call
from config.cache.namespaces import GENERATION_KEY, generation_new
from config.cache.stats import stats_namespaces
from config.observability.metrics.instruments import CACHE_OPERATIONS
from config.redis.circuit import redis_circuit
from config.redis.client import RedisUnavailable, redis_enabled

# Namespaces bumped per round trip when many are invalidated at once (the view counts'
# flush invalidates every post it moved views of: 100,000 one at a time took a minute).
PIPELINE_SIZE = 1000

# What `incr`, or `set` to a new generation when there is none, does for one namespace
# (as django-redis stores them: a plain integer, no expiry), in one atomic step.
_BUMP_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCR', KEYS[1])
end
redis.call('SET', KEYS[1], ARGV[1])
return 0
"""

_missed_invalidations: set[str] = set()
_missed_lock = threading.Lock()


def retry_missed_invalidations() -> None:
    """Make the invalidations missed during an outage, if Redis is back."""
    if not _missed_invalidations or redis_circuit.is_open():
        return
    with _missed_lock:
        missed = sorted(_missed_invalidations)
        _missed_invalidations.clear()
    invalidate(*missed)


def invalidate(*namespaces: str) -> list[str]:
    """Invalidate whole namespaces (O(1) each: one INCR of the generation); returns the
    namespaces invalidated now. The others are made when Redis answers again: with the
    circuit open they are not even tried, so a hanging Redis does not cost a write one
    timeout per namespace."""
    retry_missed_invalidations()
    if len(namespaces) > 1 and redis_enabled():
        return _invalidate_pipelined(namespaces)
    done = []
    for namespace in namespaces:
        gen_key = GENERATION_KEY.format(namespace)
        try:
            result = backend_call("incr", gen_key)
        except ValueError:  # no generation yet: start a new one from the clock
            result = backend_call("set", gen_key, generation_new(), timeout=None)
        if result is ERROR:
            with _missed_lock:
                _missed_invalidations.add(namespace)
        else:
            done.append(namespace)
    return done


def _invalidate_pipelined(namespaces: tuple[str, ...]) -> list[str]:
    """`invalidate` of many namespaces on Redis, PIPELINE_SIZE per round trip. A batch
    that fails is missed as a whole (invalidating again is harmless)."""
    done: list[str] = []
    for start in range(0, len(namespaces), PIPELINE_SIZE):
        batch = namespaces[start : start + PIPELINE_SIZE]
        if redis_circuit.is_open() or not _bump_all(batch):
            with _missed_lock:
                _missed_invalidations.update(batch)
            continue
        done.extend(batch)
    return done


def _bump_all(namespaces: tuple[str, ...]) -> bool:
    client = cast(RedisCache, cache).client
    try:
        redis = client.get_client(write=True)
        bump = redis.register_script(_BUMP_SCRIPT)
        pipe = redis.pipeline(transaction=False)
        for namespace in namespaces:
            key = client.make_key(GENERATION_KEY.format(namespace))
            bump(keys=[key], args=[generation_new()], client=pipe)
        pipe.execute()
    except Exception as exc:
        CACHE_OPERATIONS.labels(operation="incr", result="error").inc()
        redis_circuit.record("cache unavailable (incr)", exc)
        return False
    CACHE_OPERATIONS.labels(operation="incr", result="ok").inc(len(namespaces))
    return True


def known_namespaces() -> list[str]:
    """The namespace families of `CACHE_TTLS` and every namespace that was ever used."""
    try:
        used = stats_namespaces()
    except RedisUnavailable:
        used = set()
    return sorted(set(settings.CACHE_TTLS) | used)


def invalidate_all() -> list[str]:
    """Invalidate every known namespace (`known_namespaces`)."""
    return invalidate(*known_namespaces())

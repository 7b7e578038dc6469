"""Invalidating namespaces, and the invalidations a Redis outage made this process miss.

An invalidation this process could not make (Redis down, or skipped by the open circuit)
is made as soon as Redis answers again: before this process's next cache read or
invalidation, and after each Celery job (`config.celery`), so values cached before the
outage are not served after it. (A process that dies first leaves them to their TTL.)
"""

import threading

from django.conf import settings

from config.cache.backend import ERROR, backend_call
from config.cache.namespaces import GENERATION_KEY, generation_new
from config.cache.stats import stats_namespaces
from config.redis.circuit import redis_circuit
from config.redis.client import RedisUnavailable

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

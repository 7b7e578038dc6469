"""`cache_fetch`: one value of one namespace, with stampede protection.

A cached value is stored as an envelope `(fresh_until, payload)` that lives
`CACHE_STALE_SECONDS` longer than its TTL. Past `fresh_until` one caller (the one that
wins a short `add` lock) recomputes it while the others serve that previous value; with
no value at all, the others wait a bounded time (`CACHE_LOCK_WAIT_MS`) for the winner's,
then compute it themselves. An invalidated namespace has a new generation, so an old
value is never served after an invalidation: staleness is bounded by the TTL alone.

Redis errors are cache misses: the function is called, the error counted and logged by
the circuit breaker (`config.redis.circuit`).
"""

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings

from config.cache.backend import ERROR, LOCK_POLL_SECONDS, backend_call
from config.cache.encryption import value_decrypt, value_encrypt
from config.cache.invalidation import retry_missed_invalidations
from config.cache.namespaces import namespace_generation, namespace_ttl
from config.cache.stats import stats_count

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _open(envelope: Any, sensitive: bool) -> tuple[bool, Any] | None:
    """(fresh, value) from a stored envelope, or None when it is unusable (a key that
    was rotated out, a foreign value)."""
    if envelope is None or envelope is ERROR:
        return None
    try:
        fresh_until, payload = envelope
        return time.time() < fresh_until, value_decrypt(payload) if sensitive else payload
    except Exception:
        logger.info("unusable cached value ignored", exc_info=True)
        return None


def _store(full_key: str, value: Any, ttl: int, sensitive: bool) -> None:
    envelope = (time.time() + ttl, value_encrypt(value) if sensitive else value)
    backend_call("set", full_key, envelope, timeout=ttl + settings.CACHE_STALE_SECONDS)


def cache_fetch(
    namespace: str,
    key: str,
    compute: Callable[[], T],
    *,
    ttl: int | None = None,
    sensitive: bool = False,
    refresh: bool = False,
) -> T:
    """The cached value of `key` in `namespace`, computed by `compute()` on a miss (or
    always, with `refresh`, which then stores the new value). `sensitive` encrypts the
    value before it reaches the cache (`config.cache.encryption`)."""
    retry_missed_invalidations()
    ttl = namespace_ttl(namespace) if ttl is None else ttl
    generation = namespace_generation(namespace)
    if not generation:  # the cache is down: no value can be trusted or stored
        stats_count(namespace, "misses")
        return compute()
    full_key = f"{namespace}:g{generation}:{key}"
    if refresh:
        stats_count(namespace, "misses")
        value = compute()
        _store(full_key, value, ttl, sensitive)
        return value

    envelope = backend_call("get", full_key)
    if envelope is ERROR:
        stats_count(namespace, "misses")
        return compute()
    opened = _open(envelope, sensitive)
    if opened and opened[0]:
        stats_count(namespace, "hits")
        return opened[1]

    lock_key = f"{full_key}:lock"
    locked = backend_call("add", lock_key, 1, timeout=settings.CACHE_LOCK_TIMEOUT)
    if locked is True:
        try:
            # Another caller may have stored it between our read and our lock.
            again = _open(backend_call("get", full_key), sensitive) if envelope is None else None
            if again and again[0]:
                stats_count(namespace, "hits")
                return again[1]
            stats_count(namespace, "misses")
            value = compute()
            _store(full_key, value, ttl, sensitive)
            return value
        finally:
            backend_call("delete", lock_key)
    if locked is ERROR:
        stats_count(namespace, "misses")
        return compute()

    # Someone else is recomputing: serve the previous value, or wait for theirs.
    if opened:
        stats_count(namespace, "hits")
        return opened[1]
    deadline = time.monotonic() + settings.CACHE_LOCK_WAIT_MS / 1000
    while time.monotonic() < deadline:
        time.sleep(LOCK_POLL_SECONDS)
        envelope = backend_call("get", full_key)
        if envelope is ERROR:
            break
        opened = _open(envelope, sensitive)
        if opened:
            stats_count(namespace, "hits")
            return opened[1]
    stats_count(namespace, "misses")
    return compute()

"""The circuit breaker of the Redis every process shares (the cache's, `CACHES["default"]`).

After an error, every user of Redis (the cache, the rate limiter, the login lockout, the
view counter, the shared metrics counters) skips it for `CACHE_CIRCUIT_SECONDS` and takes
its fallback at once: a Redis that hangs costs a request one socket timeout, not one per
operation. One breaker per process for all of them, because they talk to the same server:
an error seen by one is the others' timeout to come.

Errors are counted and logged as warnings at most once per `CACHE_DEGRADED_LOG_SECONDS`
per process, with the number of errors the silence hid.
"""

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)


class RedisCircuit:
    """Errors and skipped operations of this process; open for a while after an error."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0  # errors recorded
        self.skipped = 0  # operations not tried because the circuit was open
        self.unlogged = 0
        self.logged_at = float("-inf")
        self.open_until = 0.0

    def is_open(self) -> bool:
        """True while Redis is skipped after an error (and counts the skip)."""
        if time.monotonic() < self.open_until:
            with self.lock:
                self.skipped += 1
            return True
        return False

    def close(self) -> None:
        """Try Redis again from now on (tests; the circuit also closes by itself)."""
        self.open_until = 0.0

    def record(self, what: str, exc: BaseException) -> None:
        """An error of Redis: counted, logged (rate-limited), and the circuit opened.
        `what` says who met it and what it does instead, e.g. "rate limiter: Redis
        unavailable, limiting per process"."""
        with self.lock:
            self.count += 1
            self.unlogged += 1
            now = time.monotonic()
            self.open_until = now + settings.CACHE_CIRCUIT_SECONDS
            if now - self.logged_at < settings.CACHE_DEGRADED_LOG_SECONDS:
                return
            self.logged_at, suppressed, self.unlogged = now, self.unlogged - 1, 0
        logger.warning(
            "%s: %s: %s; %d more Redis errors since the last report",
            what,
            type(exc).__name__,
            exc,
            suppressed,
        )


redis_circuit = RedisCircuit()


def redis_available() -> bool:
    """False while the circuit is open after a Redis error: callers with a fallback take
    it at once instead of waiting for a timeout."""
    return not redis_circuit.is_open()


def redis_failed(what: str, exc: BaseException) -> None:
    """Record a Redis error (counted, logged, circuit opened); see `RedisCircuit.record`."""
    redis_circuit.record(what, exc)

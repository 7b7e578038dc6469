"""A sliding-window rate limiter on state shared by every web process (Redis).

Each `hit()` is one atomic Lua script on Redis: drop the timestamps older than the window,
count the rest, and record this request only if it is under the limit. Reading and
writing in one step matters: DRF's own throttle reads the history from the cache and
writes it back, so concurrent requests in several processes can all pass on one stale
read, and with django-redis' IGNORE_EXCEPTIONS a dead Redis makes it read an empty
history every time, i.e. it fails open.

Degraded mode, when Redis does not answer: the limiter falls back to a window kept in
this process's memory, with the same rates. Every scope stays limited (login,
registration, comments, the API as a whole); the effective limit becomes the rate times
the number of web processes, and the history starts afresh. Each fallback is counted
(`ratelimit_stats()["degraded"]`); the Redis error is counted and logged (at most once
per `CACHE_DEGRADED_LOG_SECONDS`) by the circuit breaker every user of Redis shares
(`config.redis`), which then skips Redis for `CACHE_CIRCUIT_SECONDS`. Once Redis answers
again the shared window is used again.

Without Redis at all (the embedded default, local-memory cache) callers keep Django's
cache, which is per process anyway (`redis_enabled()` is false).
"""

import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from redis import Redis

from config.redis.client import RedisUnavailable, redis_run

# Returns {1, count} when the hit is recorded, {0, count, oldest score} when refused.
# Scores travel as strings: Lua numbers would come back truncated to integers.
_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(duration))
  return {1, count + 1}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, count, oldest[2]}
"""

# The per-process fallback forgets the least recently used keys beyond this many.
_LOCAL_MAX_KEYS = 10_000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    wait: float | None  # seconds until a request would be allowed, when refused
    degraded: bool = False  # decided by the per-process fallback


class _LocalWindows:
    """The fallback: sliding windows in this process's memory, bounded in size."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str, limit: int, duration: float, now: float) -> Decision:
        with self.lock:
            window = self.windows.pop(key, None) or deque()
            self.windows[key] = window
            while len(self.windows) > _LOCAL_MAX_KEYS:
                self.windows.popitem(last=False)
            while window and window[0] <= now - duration:
                window.popleft()
            if len(window) >= limit:
                return Decision(False, window[0] + duration - now, degraded=True)
            window.append(now)
            return Decision(True, None, degraded=True)

    def clear(self) -> None:
        with self.lock:
            self.windows.clear()


class _Fallbacks:
    """How many decisions this process took without Redis."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    def add(self) -> None:
        with self.lock:
            self.count += 1


_local = _LocalWindows()
_fallbacks = _Fallbacks()


def hit(key: str, limit: int, duration: float, now: float | None = None) -> Decision:
    """Count one request against `key` (at most `limit` in `duration` seconds)."""
    now = time.time() if now is None else now

    def sliding_window(redis: Redis) -> list[Any]:
        return redis.register_script(_SLIDING_WINDOW)(
            keys=[cache.make_key(f"ratelimit:{key}")],
            args=[repr(now), duration, limit, f"{now!r}:{uuid.uuid4().hex[:8]}"],
        )

    try:
        result = redis_run(
            "rate limiter: Redis unavailable, limiting per process until it answers",
            sliding_window,
        )
    except RedisUnavailable:  # failed now, or a moment ago (the circuit is open)
        _fallbacks.add()
        return _local.hit(key, limit, duration, now)
    if result[0]:
        return Decision(True, None)
    oldest = float(result[2]) if len(result) > 2 and result[2] is not None else now
    return Decision(False, max(0.0, oldest + duration - now))


def ratelimit_stats() -> dict[str, int]:
    """This process's count of decisions taken without Redis."""
    return {"degraded": _fallbacks.count}


def ratelimit_reset_local() -> None:
    """Forget the per-process fallback windows (tests; they also expire by themselves)."""
    _local.clear()


__all__ = ["Decision", "hit", "ratelimit_reset_local", "ratelimit_stats"]

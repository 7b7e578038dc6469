"""Pending hits of redirects in Redis: a redirect served costs one `HINCRBY`, not a
database write. `blog.services.redirects.redirect_hits_flush` (beat, every minute)
moves them to `Redirect.hits`:

1. `redirect_hits_stage` renames the pending hash to the staging key (a Lua script,
   atomic: a hit lands either in the staged hash or in a fresh one), unless a staging
   key is still there from a flush that died, which is then applied first;
2. the staged counts are added in one database transaction;
3. `redirect_hits_drop` deletes the staging key.

A flush that dies between 2 and 3 counts that batch twice the next minute: hits are a
traffic figure, and this keeps the counter one hash (the view counter, whose counts feed
statistics, records batch ids for exactly-once). Without Redis (down, or not the cache)
`HitCounterUnavailable` tells the caller to count in the database.
"""

from collections.abc import Callable
from typing import TypeVar

from redis import Redis

from config.redis.client import RedisUnavailable, redis_enabled, redis_key_prefix, redis_run

_T = TypeVar("_T")

# KEYS: pending hash, staging hash. Returns 1 when there is something staged to apply.
_STAGE_SCRIPT = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 1
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  return 1
end
return 0
"""


class HitCounterUnavailable(Exception):
    """Redis is not the counter (no django-redis cache) or cannot be reached."""


def _pending_key() -> str:
    # One hash tag: both keys in one slot of a Redis Cluster, as the script needs.
    return f"{redis_key_prefix()}:{{redirect-hits}}:pending"


def _staged_key() -> str:
    return f"{redis_key_prefix()}:{{redirect-hits}}:staged"


def _call(func: Callable[[Redis], _T]) -> _T:
    if not redis_enabled():
        raise HitCounterUnavailable("the cache is not Redis")
    try:
        return redis_run("redirect hits: Redis unavailable, counted in the database", func)
    except RedisUnavailable as exc:
        raise HitCounterUnavailable(str(exc)) from exc


def redirect_hit_add(*, redirect_id: int) -> None:
    """Count one hit of a redirect. Raises `HitCounterUnavailable`."""
    _call(lambda redis: redis.hincrby(_pending_key(), str(redirect_id), 1))


def redirect_hits_stage() -> dict[int, int]:
    """Stage the pending hits (or take those a dead flush left staged): redirect id ->
    hits to add. Raises `HitCounterUnavailable`."""

    def run(redis: Redis) -> dict[int, int]:
        stage = redis.register_script(_STAGE_SCRIPT)
        if not stage(keys=[_pending_key(), _staged_key()]):
            return {}
        raw = redis.hgetall(_staged_key())
        return {int(key): int(value) for key, value in raw.items()}

    return _call(run)


def redirect_hits_drop() -> None:
    """Forget the staged hits once they are in the database."""
    _call(lambda redis: redis.delete(_staged_key()))


def redirect_hits_pending() -> dict[int, int]:
    """Hits counted and not yet flushed (pending and staged), for tests and the admin."""

    def run(redis: Redis) -> dict[int, int]:
        totals: dict[int, int] = {}
        for key in (_pending_key(), _staged_key()):
            for redirect_id, hits in redis.hgetall(key).items():
                totals[int(redirect_id)] = totals.get(int(redirect_id), 0) + int(hits)
        return totals

    return _call(run)

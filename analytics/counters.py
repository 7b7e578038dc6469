"""Pending post views in Redis: the fast half of the view counter.

A view is one `HINCRBY` on the hash of its day (UTC), post id -> views not yet in the
database, and an `SADD` of the day to the set of days with pending views, both in one
`MULTI`. `analytics.services.view_counts_flush` moves the counts to the database:

1. `view_batches_stage` renames each day's hash to a batch key with a unique id (a Lua
   script, atomic: a view lands either in the batch or in a fresh hash, never in
   between) and adds the batch key to the set of batches;
2. each batch is applied in one database transaction that also records the batch id, so
   a batch applied before a crash is never applied twice;
3. `view_batch_drop` deletes the batch.

A flush that dies between 1 and 3 leaves its batches in the set; the next flush applies
them (or, already applied, just drops them). Nothing is lost, nothing is counted twice.

All keys share the hash tag `{views}`, so they live in one slot of a Redis Cluster, as
the script needs. The counter is Redis only when the cache is django-redis; otherwise (the
local-memory cache of the embedded default) `CounterUnavailable` tells the caller to
count in the database, as it does when Redis is down.
"""

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from redis import Redis

from config.observability.request_context import get_request_id
from config.redis.client import RedisUnavailable, redis_enabled, redis_key_prefix, redis_run


class CounterUnavailable(Exception):
    """Redis is not the counter (no django-redis cache) or cannot be reached."""


@dataclass(frozen=True)
class ViewBatch:
    key: str
    id: uuid.UUID
    day: date
    counts: dict[int, int]


# Rename one day's pending hash to a batch key, atomically with the bookkeeping.
# KEYS: days set, batches set, the day's pending hash, the new batch key. ARGV: the day.
_STAGE_SCRIPT = """
redis.call('SREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[4])
  redis.call('SADD', KEYS[2], KEYS[4])
  return 1
end
return 0
"""


_T = TypeVar("_T")


def _prefix() -> str:
    return f"{redis_key_prefix()}:{{views}}"


def _days_key() -> str:
    return f"{_prefix()}:days"


def _batches_key() -> str:
    return f"{_prefix()}:batches"


def _pending_key(day: str) -> str:
    return f"{_prefix()}:pending:{day}"


def _batch_key(day: str, batch_id: uuid.UUID) -> str:
    return f"{_prefix()}:batch:{day}:{batch_id.hex}"


def _call(func: Callable[[Redis], _T]) -> _T:
    """Run `func(redis)`; any Redis error (down, timeout, read-only replica), or the
    circuit open after one a moment ago, is `CounterUnavailable`, so the caller can fall
    back to the database."""
    if not view_counter_enabled():
        raise CounterUnavailable("the cache is not Redis")
    try:
        return redis_run("view counter: Redis unavailable", func)
    except RedisUnavailable as exc:
        raise CounterUnavailable(str(exc)) from exc


def _decode(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# (request id, post id, day, pending views) of the last view counted in this context: the
# request that counts a view and then shows the live count reads it from the counting
# round trip instead of a second one.
_last_counted: ContextVar[tuple[str, int, date, int] | None] = ContextVar(
    "last_counted_view", default=None
)


def view_pending_add(*, post_id: int, day: date, views: int = 1) -> int:
    """Add views to the post's pending count of `day`; returns that pending count."""
    iso = day.isoformat()
    previous = (day - timedelta(days=1)).isoformat()

    def run(redis: Redis) -> int:
        pipe = redis.pipeline(transaction=True)
        pipe.hincrby(_pending_key(iso), str(post_id), views)
        pipe.sadd(_days_key(), iso)
        pipe.hget(_pending_key(previous), str(post_id))
        counted, _, before = pipe.execute()
        request_id = get_request_id()
        if request_id:
            _last_counted.set((request_id, post_id, day, int(counted) + int(before or 0)))
        return int(counted)

    return _call(run)


def view_pending_get(*, post_id: int, today: date) -> int:
    """Views of the post not yet flushed (today's and yesterday's hashes: a flush runs
    every minute, so older days are empty). Raises `CounterUnavailable`."""
    last = _last_counted.get()
    request_id = get_request_id()
    if last is not None and request_id and last[:3] == (request_id, post_id, today):
        return last[3]  # read when this request counted its view, a moment ago
    days = (today.isoformat(), (today - timedelta(days=1)).isoformat())

    def run(redis: Redis) -> int:
        pipe = redis.pipeline(transaction=False)
        for day in days:
            pipe.hget(_pending_key(day), str(post_id))
        return sum(int(value or 0) for value in pipe.execute())

    return _call(run)


def view_batches_stage() -> list[str]:
    """Move every day's pending hash into a new batch; returns every batch key waiting
    to be applied, including those a crashed flush left behind."""

    def run(redis: Redis) -> list[str]:
        stage = redis.register_script(_STAGE_SCRIPT)
        for raw_day in redis.smembers(_days_key()):
            day = _decode(raw_day)
            keys = [_days_key(), _batches_key(), _pending_key(day), _batch_key(day, uuid.uuid4())]
            stage(keys=keys, args=[day])
        return sorted(_decode(key) for key in redis.smembers(_batches_key()))

    return _call(run)


def view_batch_read(key: str) -> ViewBatch:
    """The counts of one staged batch (key: `<prefix>:batch:<day>:<batch id>`)."""
    _, day, batch_id = key.rsplit(":", 2)
    raw = _call(lambda redis: redis.hgetall(key))
    counts = {int(_decode(post_id)): int(views) for post_id, views in raw.items()}
    return ViewBatch(key=key, id=uuid.UUID(batch_id), day=date.fromisoformat(day), counts=counts)


def view_batch_drop(key: str) -> None:
    """Forget a batch once its counts are in the database."""

    def run(redis: Redis) -> None:
        pipe = redis.pipeline(transaction=True)
        pipe.delete(key)
        pipe.srem(_batches_key(), key)
        pipe.execute()

    _call(run)


def view_counter_enabled() -> bool:
    """Whether views are counted in Redis (the cache is django-redis), up or not."""
    return redis_enabled()


def view_pending_totals() -> tuple[int, int]:
    """(views, batches): views counted in Redis and not yet in the database (in the
    days' hashes and in staged batches), and the staged batches a flush has still to
    apply (more than a few means flushes fail). Raises `CounterUnavailable`."""

    def run(redis: Redis) -> tuple[int, int]:
        batches = [_decode(key) for key in redis.smembers(_batches_key())]
        days = [_pending_key(_decode(day)) for day in redis.smembers(_days_key())]
        pipe = redis.pipeline(transaction=False)
        for key in days + batches:
            pipe.hvals(key)
        views = sum(int(value) for values in pipe.execute() for value in values)
        return views, len(batches)

    return _call(run)

"""Which workers consume which Celery queue, as the workers announce it in the broker's Redis.

Each worker announces, every `WORKER_PRESENCE_SECONDS`, the queues its task consumer
consumes (`config.observability.worker_presence`, a consumer bootstep); `/health/` and
`/metrics` read the announcements to show a queue that nobody consumes. A broadcast
ping or `inspect active_queues` would tell too, but costs its whole timeout (a second or
more) at every probe and scrape; this is one Redis round trip.

One sorted set per queue, `{global_keyprefix}blog:consumers:{queue}`: member the worker's
hostname, score the time until which it counts as alive (the announcement's time plus
`PRESENCE_MISSED_TICKS` intervals, on the Redis server's clock). The worker states its own
deadline, so a reader needs neither the workers' interval nor a clock in step with theirs;
and a dead worker's member (SIGKILL, a lost host) is pruned by score at the next
announcement of any other worker, without a read. One key per queue (not one per worker
with a TTL) keeps the read to one command per queue, however many workers there are.
A worker withdraws its members when it shuts down (warm or cold).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from redis import Redis
from redis.client import Pipeline

# A worker silent for this many intervals counts as gone.
PRESENCE_MISSED_TICKS = 3
# The keys go with the last worker: a day after its last announcement (garbage
# collection only: liveness is the members' scores).
PRESENCE_KEY_TTL_SECONDS = 24 * 60 * 60


def presence_key(queue: str, options: dict[str, Any]) -> str:
    """The sorted set of `queue`'s consumers, under the broker's `global_keyprefix` (as
    kombu's own keys: deployments sharing a Redis database keep apart)."""
    return f"{options.get('global_keyprefix', '')}blog:consumers:{queue}"


def redis_seconds(reply: tuple[int, int]) -> float:
    """Redis's TIME reply (seconds, microseconds) as seconds."""
    seconds, microseconds = reply
    return seconds + microseconds / 1_000_000


def consumers_announce(
    client: Redis,
    options: dict[str, Any],
    hostname: str,
    queues: Iterable[str],
    *,
    interval: float,
    withdrawn: Iterable[str] = (),
) -> None:
    """`hostname` consumes `queues` (alive until `PRESENCE_MISSED_TICKS` intervals from
    now) and no longer `withdrawn`; dead members of those queues are pruned. Two round
    trips: Redis's clock, then the writes."""
    now = redis_seconds(client.time())
    deadline = now + PRESENCE_MISSED_TICKS * interval
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        key = presence_key(queue, options)
        pipe.zadd(key, {hostname: deadline})
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.expire(key, PRESENCE_KEY_TTL_SECONDS)
    for queue in withdrawn:
        pipe.zrem(presence_key(queue, options), hostname)
    pipe.execute()


def consumers_withdraw(
    client: Redis, options: dict[str, Any], hostname: str, queues: Iterable[str]
) -> None:
    """`hostname` consumes none of `queues` any more (it is shutting down)."""
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        pipe.zrem(presence_key(queue, options), hostname)
    pipe.execute()


def consumers_queue_reads(pipe: Pipeline, options: dict[str, Any], queues: Sequence[str]) -> int:
    """Add the reads of `queues`' consumers to `pipe` (Redis's clock first, so that all
    deadlines are judged on it); returns how many replies they take, for
    `consumers_parse`."""
    pipe.time()
    for queue in queues:
        pipe.zrange(presence_key(queue, options), 0, -1, withscores=True)
    return 1 + len(queues)


def consumers_parse(replies: Sequence[Any], queues: Sequence[str]) -> dict[str, list[str]]:
    """The replies of `consumers_queue_reads`: queue -> hostnames alive, sorted (an empty
    list for a queue nobody consumes)."""
    now = redis_seconds(replies[0])
    return {
        queue: sorted(
            member.decode() if isinstance(member, bytes) else member
            for member, deadline in members
            if deadline > now
        )
        for queue, members in zip(queues, replies[1:], strict=True)
    }


def consumers_live(
    client: Redis, options: dict[str, Any], queues: Sequence[str]
) -> dict[str, list[str]]:
    """Queue -> the hostnames of the workers consuming it now; one round trip."""
    pipe = client.pipeline(transaction=False)
    consumers_queue_reads(pipe, options, queues)
    return consumers_parse(pipe.execute(), queues)

"""Health checks (django-health-check 4.x): which parts are checked and which are critical.

django-health-check 4.x has no registry: a check is a dataclass with a `run()` and the view
is given the checks to run. `health_checks()` decides them from the settings at call time,
so the view (`/health/`), the library's `health_check` command and our `manage.py health`
run the same list.

Every check answers under a stable name (`database`, `cache`, `storage`, `migrations`,
`redis`, `broker`, `workers`, `queues`): the library names a result by the check's repr,
which for some checks holds a memory address (`WorkerPing(app=<Celery blog at 0x7f...>)`)
or connection details, and monitoring matches on those keys.

A check whose class says `critical = False` is reported (as a warning) but does not turn
the answer into a 500: `/health/` is what a load balancer or orchestrator acts on, and a
missing Celery worker must not take healthy web processes out of rotation. Jobs wait in
the broker (and in the event outbox) until a worker is back; a dead broker, database,
cache or storage, or pending migrations, break requests now and are critical.
"""

import asyncio
import dataclasses
import datetime
import typing
from typing import Any
from urllib.parse import urlsplit

# The project's app, which config.celery makes current: the plumbing never imports the wiring.
from celery import current_app as celery_app
from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from health_check import Cache, Database, Storage
from health_check.base import HealthCheck, HealthCheckResult
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from redis.asyncio import Redis as AsyncRedis

from config.observability.queue_consumers import consumers_live
from config.redis.client import redis_async_client_for_url, redis_client_for_url

# A health probe answers in about a second or reports the part as down; the web process's
# own timeouts (0.5 s for Redis) are shorter still.
REDIS_TIMEOUT_SECONDS = 1.0
# The ping waits this long for every worker's answer (the number of workers is unknown).
WORKER_PING_SECONDS = 1.0


def is_critical(check: HealthCheck) -> bool:
    return getattr(check, "critical", True)


class NamedCheck:
    """First base of every check here: its repr (the key of its result in every format of
    `/health/` and in `manage.py health`) and its OpenMetrics labels are its `name`."""

    name: typing.ClassVar[str]

    def __repr__(self) -> str:
        return self.name

    @property
    def labels(self) -> dict[str, str]:
        return {"check": self.name}


@dataclasses.dataclass(repr=False)
class DatabaseCheck(NamedCheck, Database):
    """The default database answers a query."""

    name: typing.ClassVar[str] = "database"


@dataclasses.dataclass(repr=False)
class StorageCheck(NamedCheck, Storage):
    """The default storage writes, reads and deletes a file (reports are stored there)."""

    name: typing.ClassVar[str] = "storage"


@dataclasses.dataclass(repr=False)
class RedisCheck(NamedCheck, Redis):
    """The Redis server of REDIS_URL answers (throttles, lockout, counters, broker)."""

    name: typing.ClassVar[str] = "redis"


@dataclasses.dataclass(repr=False)
class CacheCheck(NamedCheck, Cache):
    """The default cache: for django-redis a PING of its client first, then a set/get.

    The Redis cache runs with IGNORE_EXCEPTIONS (a dead Redis is a cache miss for the site),
    so set/get raise nothing and a dead Redis would only show as "key does not match"; the
    ping goes around the backend's error handling and names the cause.
    """

    name: typing.ClassVar[str] = "cache"

    async def run(self) -> None:
        client = getattr(caches[self.alias], "client", None)
        if client is not None and hasattr(client, "get_client"):
            await asyncio.to_thread(_redis_cache_ping, client)
        await super().run()


def _redis_cache_ping(client: Any) -> None:  # django-redis' client, untyped
    try:
        client.get_client(write=True).ping()
    except Exception as e:  # redis.ConnectionError, TimeoutError, ...: all mean "down"
        raise ServiceUnavailable(f"Redis cache does not answer ({type(e).__name__})") from e


def redis_client() -> AsyncRedis:
    # Not behind the circuit breaker: a probe asks Redis now, whatever failed before.
    return redis_async_client_for_url(settings.REDIS_URL, timeout=REDIS_TIMEOUT_SECONDS)


@dataclasses.dataclass(repr=False)
class Migrations(NamedCheck, HealthCheck):
    """No migration is waiting: the code and the database schema agree."""

    name: typing.ClassVar[str] = "migrations"

    alias: str = DEFAULT_DB_ALIAS

    def run(self) -> None:
        connection = connections[self.alias]
        # Checks run in executor threads; a connection this check opens, it closes.
        opened_here = connection.connection is None
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as e:
            raise ServiceUnavailable(f"Migrations cannot be read ({type(e).__name__})") from e
        finally:
            if opened_here:
                connection.close()
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
            raise ServiceUnavailable(f"{len(plan)} pending migration(s): {names}")


@dataclasses.dataclass(repr=False)
class Broker(NamedCheck, HealthCheck):
    """The Celery broker accepts a connection (jobs and the event outbox go through it)."""

    name: typing.ClassVar[str] = "broker"

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=REDIS_TIMEOUT_SECONDS), repr=False
    )

    def run(self) -> None:
        try:
            with celery_app.connection_for_write() as connection:
                # No retry: one refused or timed-out attempt is the answer. kombu annotates
                # the timeout as int; it adds it to time(), so seconds as a float work.
                connection.ensure_connection(
                    max_retries=0,
                    timeout=self.timeout.total_seconds(),  # type: ignore[arg-type]
                )
        except Exception as e:  # kombu raises the transport's own errors
            raise ServiceUnavailable(f"Broker does not answer ({type(e).__name__})") from e


@dataclasses.dataclass(repr=False)
class WorkerPing(NamedCheck, Ping):
    """A Celery worker answers a ping and every queue has a consumer. Not critical."""

    name: typing.ClassVar[str] = "workers"

    critical: typing.ClassVar[bool] = False

    def run(self) -> None:
        try:
            super().run()
        except ServiceUnavailable as e:
            raise ServiceWarning(e.message) from e


@dataclasses.dataclass(repr=False)
class QueueConsumers(NamedCheck, HealthCheck):
    """Every declared queue has a live consumer, as the workers announce it in the broker's
    Redis (`config.observability.queue_consumers`): one Redis round trip, where asking
    the workers (`workers`) waits for their answers. Not critical, as `workers`."""

    name: typing.ClassVar[str] = "queues"

    critical: typing.ClassVar[bool] = False

    def run(self) -> None:
        conf = celery_app.conf
        queues = [queue.name for queue in conf.task_queues or ()] or [conf.task_default_queue]
        client = redis_client_for_url(str(conf.broker_url), timeout=REDIS_TIMEOUT_SECONDS)
        try:
            consumers = consumers_live(client, conf.broker_transport_options or {}, queues)
        except Exception as e:  # redis.ConnectionError, TimeoutError: `broker` says more
            raise ServiceWarning(f"Queue consumers cannot be read ({type(e).__name__})") from e
        idle = [queue for queue in queues if not consumers[queue]]
        if idle:
            raise ServiceWarning(f"no worker consumes: {', '.join(idle)}")


def broker_is_redis() -> bool:
    return urlsplit(str(celery_app.conf.broker_url or "")).scheme in ("redis", "rediss")


def jobs_use_broker() -> bool:
    """False in the embedded default: jobs run in-process, there is no broker or worker."""
    conf = celery_app.conf
    return not conf.task_always_eager and not str(conf.broker_url or "").startswith("memory")


def health_checks() -> list[HealthCheck]:
    checks: list[HealthCheck] = [DatabaseCheck(), CacheCheck(), StorageCheck(), Migrations()]
    if settings.REDIS_URL:
        checks.append(RedisCheck(client_factory=redis_client))
    if jobs_use_broker():
        ping_timeout = datetime.timedelta(seconds=WORKER_PING_SECONDS)
        checks += [Broker(), WorkerPing(app=celery_app, timeout=ping_timeout)]
        if broker_is_redis():  # the workers announce their queues in the broker's Redis
            checks.append(QueueConsumers())
    return checks


def health_results_failed(results: typing.Iterable[HealthCheckResult]) -> bool:
    """True when a critical check failed (warnings of non-critical ones don't count)."""
    return any(result.error and is_critical(result.check) for result in results)


async def health_run() -> list[HealthCheckResult]:
    return list(await asyncio.gather(*(check.get_result() for check in health_checks())))

"""A worker announces the queues it consumes (`config.observability.queue_consumers`).

`QueuePresence` is a step of the worker's consumer blueprint (added by config/celery.py).
The consumer blueprint starts its steps once connected and, after a lost broker
connection, stops them and starts them again once reconnected (celery.worker.consumer.
consumer.Consumer.start): the announcements stop with the connection and come back with
it. It reads the queues from the task consumer at every tick, not from the settings: a
worker started with `-Q critical,high`, or told to `add_consumer`/`cancel_consumer`,
announces what it really consumes.

The writes run in a thread of their own, not on the worker's event loop or timer: a
Redis that hangs costs the thread its socket timeout and never delays the consumer, and
a job running in a solo pool (which holds the event loop) does not silence the worker.
A failed write is logged (a warning the first time, then at debug level) and tried again
at the next tick. At shutdown, warm or cold, the worker withdraws its announcements; a
worker killed outright stops announcing and counts as gone `PRESENCE_MISSED_TICKS`
intervals later.
"""

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

from celery import bootsteps
from django.conf import settings
from redis import Redis

from config.observability.queue_consumers import (
    PRESENCE_MISSED_TICKS,
    consumers_announce,
    consumers_withdraw,
)
from config.redis.client import redis_client_for_url

logger = logging.getLogger(__name__)

# Each command's connect and read; the thread waits, never the worker.
PRESENCE_TIMEOUT_SECONDS = 1.0


class QueuePresence(bootsteps.StartStopStep):
    """Announces, every `WORKER_PRESENCE_SECONDS`, the queues the task consumer consumes."""

    label = "Queue presence"
    # Started after the task consumer (`c.task_consumer`), stopped before it.
    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, c: Any, **kwargs: Any) -> None:  # c: celery's Consumer, untyped
        super().__init__(c, **kwargs)
        self.interval = float(settings.WORKER_PRESENCE_SECONDS)
        self.lock = threading.Lock()
        self.announced: set[str] = set()  # queues that may hold our member
        self.ticker: _Ticker | None = None
        self.failing = False

    def include_if(self, c: Any) -> bool:
        # Announcements live in the broker's Redis; other brokers have no place for them.
        return urlsplit(str(c.app.conf.broker_url or "")).scheme in ("redis", "rediss")

    def start(self, c: Any) -> None:
        self._ticker_stop(wait=False)
        self.ticker = _Ticker(self, c)
        self.ticker.start()

    def stop(self, c: Any) -> None:
        # Also on a lost connection, before a restart: the announcements stop, and the
        # next start announces again. Nothing is withdrawn (Redis is likely what failed;
        # the members expire by themselves if the worker does not come back).
        self._ticker_stop(wait=False)

    def close(self, c: Any) -> None:
        """The consumer shuts down (warm or cold): sent before `stop`, only then."""
        self._ticker_stop(wait=True)
        self.withdraw(c)

    def shutdown(self, c: Any) -> None:
        # At the worker's end, also when it stops while reconnecting (no `close` then).
        self._ticker_stop(wait=True)
        self.withdraw(c)

    def _ticker_stop(self, *, wait: bool) -> None:
        ticker, self.ticker = self.ticker, None
        if ticker is not None:
            ticker.stopped.set()
            if wait:
                # A write under way ends within its timeouts (connect, read; two trips).
                ticker.join(timeout=4 * PRESENCE_TIMEOUT_SECONDS)

    def _client(self, c: Any) -> Redis:
        return redis_client_for_url(str(c.app.conf.broker_url), timeout=PRESENCE_TIMEOUT_SECONDS)

    def announce(self, c: Any) -> None:
        """One tick: announce the consumed queues, withdraw the ones no longer consumed."""
        task_consumer = c.task_consumer
        queues = {queue.name for queue in list(task_consumer.queues)} if task_consumer else set()
        with self.lock:
            withdrawn = self.announced - queues
            self.announced |= queues  # a failed write may still have written some
        if not queues and not withdrawn:
            return
        options = c.app.conf.broker_transport_options or {}
        try:
            consumers_announce(
                self._client(c),
                options,
                c.hostname,
                sorted(queues),
                interval=self.interval,
                withdrawn=sorted(withdrawn),
            )
        except Exception as exc:  # Redis down or slow, or a bug: never the worker's end
            self._failed(exc)
            return
        with self.lock:
            self.announced -= withdrawn
        if self.failing:
            self.failing = False
            logger.info("worker presence: announcing %s again", ", ".join(sorted(queues)))

    def withdraw(self, c: Any) -> None:
        with self.lock:
            queues, self.announced = self.announced, set()
        if not queues:
            return
        options = c.app.conf.broker_transport_options or {}
        try:
            consumers_withdraw(self._client(c), options, c.hostname, sorted(queues))
        except Exception as exc:  # the members expire by themselves
            logger.warning(
                "worker presence: could not withdraw from %s (%s: %s); gone in %g s anyway",
                ", ".join(sorted(queues)),
                type(exc).__name__,
                exc,
                PRESENCE_MISSED_TICKS * self.interval,
            )

    def _failed(self, exc: Exception) -> None:
        log = logger.debug if self.failing else logger.warning
        self.failing = True
        log(
            "worker presence: cannot announce the consumed queues (%s: %s); "
            "trying again every %g s",
            type(exc).__name__,
            exc,
            self.interval,
        )


class _Ticker(threading.Thread):
    """Calls `step.announce(c)` now and every interval until `stopped` is set."""

    def __init__(self, step: QueuePresence, c: Any) -> None:
        super().__init__(name="queue-presence", daemon=True)
        self.step = step
        self.c = c
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.step.announce(self.c)
            self.stopped.wait(self.step.interval)

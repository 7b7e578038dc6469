"""Real job processes for the tests: a `celery worker` and a `celery beat` subprocess,
each in its own process group (killed whole), on the test database and on the test
worker's Redis db with a key prefix of the caller's. Every wait is bounded.

Used by tests/tasks/test_worker.py (one worker for the module) and
tests/tasks/test_drills.py (workers killed and replaced, a beat sweeping).
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.tasks import jobs

BASE_DIR = Path(settings.BASE_DIR)
ALL_QUEUES = "critical,high,default,low"


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up after {timeout}s waiting for {what}")


def process_env(key_prefix: str, **overrides: str) -> dict[str, str]:
    """The environment of a worker or beat of the tests: this process's, on the test
    database (pytest-django's `test_<name>`, which this process now uses) and the test
    worker's broker with `key_prefix`."""
    database = urlsplit(os.environ["DATABASE_URL"])
    database_url = urlunsplit(database._replace(path=f"/{connection.settings_dict['NAME']}"))
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": jobs.worker_redis_url(),
        "CELERY_BROKER_KEY_PREFIX": key_prefix,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # Redelivery of a dead worker's message after 3 s, looked for every second.
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        # No connection kept between jobs: nothing holds the test database at teardown.
        "CONN_MAX_AGE": "0",
        **overrides,
    }


class _Process:
    """A celery subprocess in its own process group, its output in `log_path`."""

    name = "process"

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def _start(self, ready_line: bytes, timeout: float) -> None:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and args)
                [sys.executable, "-m", "celery", "-A", "config", *self.command()],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"the {self.name} exited:\n{self.log_tail()}")
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return ready_line in log.read()

        wait_for(ready, timeout=timeout, what=f"the {self.name} to be ready", interval=0.1)

    def kill(self) -> None:
        """SIGKILL to the whole process group (a prefork worker's children too)."""
        assert self.process is not None, f"the {self.name} was never started"
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group (children of a worker whose main process died).
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


class Worker(_Process):
    """A `celery worker` subprocess in its own process group."""

    name = "worker"

    def __init__(
        self,
        env: dict,
        log_path: Path,
        *,
        pool: str = "solo",
        concurrency: int = 1,
        include: str = "tests.tasks.jobs",
        queues: str = ALL_QUEUES,
    ):
        super().__init__(env, log_path)
        self.pool = pool
        self.concurrency = concurrency
        self.include = include
        self.queues = queues

    def command(self) -> list[str]:
        return [
            "worker",
            f"--pool={self.pool}",
            f"--concurrency={self.concurrency}",
            f"--queues={self.queues}",
            f"--include={self.include}",
            f"--hostname=test-worker-{uuid.uuid4().hex[:8]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ]

    def start(self, timeout: float = 30) -> None:
        self._start(b" ready.", timeout)


class Beat(_Process):
    """A `celery beat` subprocess (the settings' scheduler: periodic jobs and the job
    sweep), its schedule file in `schedule_path`."""

    name = "beat"

    def __init__(self, env: dict, log_path: Path, schedule_path: Path):
        super().__init__(env, log_path)
        self.schedule_path = schedule_path

    def command(self) -> list[str]:
        return [
            "beat",
            f"--scheduler={settings.CELERY_BEAT_SCHEDULER}",
            f"--schedule={self.schedule_path}",
            "--loglevel=INFO",
        ]

    def start(self, timeout: float = 30) -> None:
        self._start(b"beat: Starting", timeout)


class Supervisor:
    """Starts the worker again when it exits, as systemd's Restart=always and `make run`
    do (after 2 s, like them), from a thread, until stopped."""

    def __init__(self, worker: Worker, *, delay: float = 2.0):
        self.worker = worker
        self.delay = delay
        self.restarts: list[int | None] = []  # the exit code of each worker it replaced
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self.worker.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        self.worker.stop()

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            process = self.worker.process
            if process is None or process.poll() is None:
                continue
            self.restarts.append(process.returncode)
            if self._stop.wait(self.delay):
                return
            try:
                self.worker.start()
            except AssertionError:
                continue  # exited again while starting: the next turn starts another


class RedisServer:
    """A redis-server of its own on a free port, in its own process group, that a test
    can kill (SIGKILL: no shutdown save) and start again on the same port and directory.

    `appendonly`: persistence as production should have it (AOF, fsync every second:
    every write is in the file before Redis answers it, so a killed process loses
    nothing; a crashed machine, up to a second). Without it, a restart empties Redis."""

    def __init__(self, directory: Path, *, appendonly: bool = True):
        self.directory = directory
        self.appendonly = appendonly
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10) -> None:
        persistence = ["--appendonly", "yes", "--appendfsync", "everysec"]
        if not self.appendonly:
            persistence = ["--appendonly", "no"]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (a fixed command)
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(self.directory),
                    "--save",
                    "",
                    *persistence,
                ],  # fmt: skip
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def answers() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"redis-server exited: see {self.directory}/redis.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return False
            # Listening is not loading: with an AOF, Redis answers LOADING until it is read.
            try:
                return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
            except redis.RedisError:
                return False

        wait_for(answers, timeout=timeout, what="redis-server to answer", interval=0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice for port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_broker(url: str, transport_options: dict) -> None:
    """Point this process's Celery app at `url`: its pools (kept per URL by kombu) are
    looked up again on the next send."""
    # Settings' attributes are set through its __setattr__; celery-types reads the
    # getter-only property.
    celery_app.conf.broker_url = url  # type: ignore[misc]
    celery_app.conf.broker_transport_options = transport_options
    celery_app._pool = None  # type: ignore[attr-defined]  # private: kombu's pool per app
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def jobs_to_broker(key_prefix: str, monkeypatch) -> Iterator[None]:
    """Jobs queued by this process go to the test worker's broker under `key_prefix`
    (not eager), until the block ends."""
    conf = celery_app.conf
    eager, url, options = conf.task_always_eager, conf.broker_url, conf.broker_transport_options
    monkeypatch.setenv("CELERY_BROKER_URL", jobs.worker_redis_url())
    use_broker(jobs.worker_redis_url(), {**options, "global_keyprefix": key_prefix})
    conf.task_always_eager = False
    try:
        yield
    finally:
        conf.task_always_eager = eager
        use_broker(url, options)

"""Processes the tests start: a real Celery worker (`Worker`), and waiting for what it does
(`wait_for`)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import redis
from django.conf import settings

from config.celery import app as celery_app

BASE_DIR = Path(settings.BASE_DIR)


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up after {timeout}s waiting for {what}")


class Worker:
    """A `celery worker` subprocess in its own process group (the solo pool by default;
    production runs prefork: `pool="prefork", concurrency=2`)."""

    def __init__(
        self,
        env: dict,
        log_path: Path,
        queues: str = "critical,high,default,low",
        *,
        pool: str = "solo",
        concurrency: int = 1,
    ):
        self.env = env
        self.log_path = log_path
        self.queues = queues
        self.pool = pool
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def start(self, timeout: float = 30) -> None:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and args)
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    f"--pool={self.pool}",
                    f"--concurrency={self.concurrency}",
                    f"--queues={self.queues}",
                    "--include=tests.tasks.jobs",
                    f"--hostname=test-worker-{uuid.uuid4().hex[:8]}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.log_tail()}")
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return b" ready." in log.read()

        wait_for(ready, timeout=timeout, what="the worker to be ready", interval=0.1)

    def kill(self) -> None:
        assert self.process is not None, "the worker was never started"
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


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

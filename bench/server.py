"""gunicorn with production settings, started and stopped by the benchmark."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(url: str, data: dict | None = None, timeout: float = 10) -> dict:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


class Gunicorn:
    """`with Gunicorn(env, workers=4) as server:` serves on server.url until the block ends."""

    def __init__(self, env: dict, *, workers: int, port: int | None = None):
        self.env, self.workers = env, workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.metrics_dir = tempfile.mkdtemp(prefix="bench-prometheus-")
        handle, path = tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")
        os.close(handle)
        self.log_path = Path(path)

    def command(self) -> list[str]:
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--worker-tmp-dir=/dev/shm",
            f"--error-logfile={self.log_path}",
            "--log-level=warning",
        ]
        # Production's gunicorn settings (the Procfile's), loaded by path as it expects.
        if (ROOT / "config" / "gunicorn.py").exists():
            command.append("--config=config/gunicorn.py")
        # No --access-logfile: gunicorn writes no access log unless asked to.
        return command

    def __enter__(self):
        # Prometheus' multiprocess mode, as the Procfile runs it, in a directory of our own.
        env = {**self.env, "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir}
        # Django's log lines (warnings and up) go to the same file as gunicorn's.
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.errors()[-3000:]}")
            try:
                if http_json(f"{self.url}/api/v1/ping/", timeout=2) == {"status": "ok"}:
                    return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer /api/v1/ping/ within 60 s")

    def __exit__(self, *exc_info):
        self.stop()
        self.log_path.unlink(missing_ok=True)
        shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        # The master stops its workers on SIGTERM; its session is ours alone.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def errors(self) -> str:
        return self.log_path.read_text(errors="replace")

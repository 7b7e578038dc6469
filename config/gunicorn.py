"""gunicorn's settings for the app (`gunicorn -c config/gunicorn.py ...`, see the Procfile).

Prometheus's multiprocess mode: every gunicorn worker is a process with its own counters.
With PROMETHEUS_MULTIPROC_DIR set, prometheus_client writes each worker's values to files
there and `/metrics`, whichever worker answers, sums the files of all of them.

Loaded by path, not imported as `config.gunicorn`: importing the `config` package would
load Celery and Django into the master process.
"""

import os
from pathlib import Path
from typing import Protocol


class _Worker(Protocol):
    pid: int


def on_starting(server: object) -> None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    # An earlier run's files would be added to this run's numbers: start from zero
    # (Prometheus reads the drop as a counter reset). Only prometheus_client's files go.
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server: object, worker: _Worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        # A dead worker's live gauges are dropped; its counters stay in the sums.
        multiprocess.mark_process_dead(worker.pid)

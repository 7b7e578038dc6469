"""Slows the first run of each report down, from the test side, for the crash drill
(tests/tasks/test_drills.py): its worker imports this module (`--include
tests.tasks.stalls`) with TEST_STALL_REPORTS set to a key prefix for its notes.
Without that variable, importing it changes nothing.

Every run of `tasks.generate_report` notes its start (pid, time) and, if it ends, its end,
under `<prefix><job id>:` in the test worker's Redis db. The first run of a report then
stalls (until the test kills its worker, at most STALL_SECONDS), where its format says:

- csv: while building its table (nothing written yet);
- json: right after its file was written to storage, inside the transaction that would
  mark it completed (the worst moment to die: a file, and no row saying so).
"""

import json
import os
import time
from typing import Any

from celery import current_task
from celery.signals import task_postrun
from django.core.files.storage import FileSystemStorage

from analytics.reports import builders
from tests.tasks import jobs

PREFIX = os.environ.get("TEST_STALL_REPORTS", "")
STALL_SECONDS = 60
REPORT_JOB = "tasks.generate_report"


def _report_job_id() -> str | None:
    task = current_task
    if task is None or task.name != REPORT_JOB:
        return None
    return str(task.request.id)


def _note(job_id: str, what: str, **fields: Any) -> None:
    entry = {"pid": os.getpid(), "at": time.time(), **fields}
    jobs.notes().rpush(f"{PREFIX}{job_id}:{what}", json.dumps(entry))


def _stall_first_run(job_id: str, where: str) -> None:
    runs = jobs.notes().llen(f"{PREFIX}{job_id}:starts")
    if runs == 1:
        _note(job_id, "stalled", where=where)
        time.sleep(STALL_SECONDS)


def _slow_builder(build):
    def slow(start, end):
        job_id = _report_job_id()
        if job_id is not None:
            _note(job_id, "starts")
            if _format(job_id) == "csv":
                _stall_first_run(job_id, "build")
        return build(start, end)

    return slow


def _format(job_id: str) -> str:
    from analytics.models import Report

    return Report.objects.values_list("format", flat=True).get(task_id=job_id)


def _slow_save(save):
    def slow(self, name, content):
        saved = save(self, name, content)
        job_id = _report_job_id()
        if job_id is not None and _format(job_id) == "json":
            _stall_first_run(job_id, "write")
        return saved

    return slow


def _note_end(sender=None, task_id=None, **kwargs: Any) -> None:
    if getattr(sender, "name", None) == REPORT_JOB:
        _note(str(task_id), "ends", state=kwargs.get("state"))


if PREFIX:
    for kind, build in list(builders.BUILDERS.items()):
        builders.BUILDERS[kind] = _slow_builder(build)
    # `_save` (what `save` calls to write): private, so django-stubs do not declare it.
    FileSystemStorage._save = _slow_save(FileSystemStorage._save)  # type: ignore[attr-defined]
    task_postrun.connect(_note_end, weak=False)

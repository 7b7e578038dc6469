import pytest
from celery.app.task import Task

from config.celery import app as celery_app
from tests.tasks import jobs


@pytest.fixture
def celery_not_eager():
    """Queuing sends a message instead of running the job (tests patch the send)."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture(scope="session", autouse=True)
def _delete_notes():
    """The test jobs' notes (and the test worker's broker keys) go with the run."""
    yield
    notes = jobs.notes()
    for key in notes.scan_iter(match=f"*{jobs.RUN}*", count=1000):
        notes.delete(key)


@pytest.fixture
def sent(monkeypatch, celery_not_eager):
    """What reached the broker (Celery's own apply_async), with the broker left out.

    Each test runs in a transaction, so messages go out when on-commit callbacks run
    (`django_capture_on_commit_callbacks(execute=True)`)."""
    calls = []

    def fake_send(self, args=None, kwargs=None, task_id=None, **options):
        call = {"name": self.name, "args": args, "kwargs": kwargs, "task_id": task_id}
        calls.append({**call, **options})
        return self.AsyncResult(task_id)

    monkeypatch.setattr(Task, "apply_async", fake_send)
    return calls

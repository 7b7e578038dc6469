import pytest

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

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from config import cache as cache_module
from config.celery import app as celery_app
from tests import factories


@pytest.fixture(autouse=True)
def _clean_cache():
    # Throttle counters and cached values must not leak from one test to the next, nor
    # the circuit a test with a dead Redis opened.
    cache_module._degradation.close()
    cache_module._missed_invalidations.clear()
    cache.clear()
    yield
    cache_module._degradation.close()
    cache_module._missed_invalidations.clear()
    cache.clear()


@pytest.fixture(autouse=True)
def _reads_uncached(request, settings):
    # Inside the `db` fixture's transaction nothing commits, so no invalidation receiver
    # runs: a read cached before a change would hide it. Tests of the cached reads are
    # marked `cached_reads` and commit for real (transactional_db).
    if request.node.get_closest_marker("cached_reads") is None:
        settings.CACHE_READS = False


@pytest.fixture(autouse=True)
def _eager_jobs():
    # Jobs run in-process unless a test starts a real worker (tests/tasks/test_worker.py).
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def client_for(user):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def reader(db):
    return factories.ReaderFactory()


@pytest.fixture
def author(db):
    return factories.AuthorFactory()


@pytest.fixture
def other_author(db):
    return factories.AuthorFactory()


@pytest.fixture
def editor(db):
    return factories.EditorFactory()


@pytest.fixture
def admin_user(db):
    return factories.AdminFactory()


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def reader_client(reader):
    return client_for(reader)


@pytest.fixture
def author_client(author):
    return client_for(author)


@pytest.fixture
def editor_client(editor):
    return client_for(editor)


@pytest.fixture
def admin_client_api(admin_user):
    return client_for(admin_user)

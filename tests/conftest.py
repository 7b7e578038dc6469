import pytest
from django.core.cache import cache
from django_redis.pool import ConnectionFactory
from rest_framework.test import APIClient

from config.cache import cache_stats_reset
from config.cache import invalidation as cache_invalidation
from config.celery import app as celery_app
from config.events.bus import event_committed
from config.redis.circuit import redis_circuit
from tests import factories
from tests.helpers import DEAD_REDIS_CACHES, DEAD_REDIS_URL, EventLog, client_for, web_client
from tests.webhook_receiver import running_receiver


@pytest.fixture(autouse=True)
def _clean_cache():
    # Throttle counters and cached values must not leak from one test to the next, nor
    # the circuit a test with a dead Redis opened.
    redis_circuit.close()
    cache_invalidation._missed_invalidations.clear()
    cache.clear()
    yield
    redis_circuit.close()
    cache_invalidation._missed_invalidations.clear()
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


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Every test stores its files (media, reports) in a directory of its own, never in
    var/media; a test asks for this fixture to look at them."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


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


@pytest.fixture
def editor_web(editor):
    return web_client(editor)


@pytest.fixture
def admin_web(admin_user):
    return web_client(admin_user)


@pytest.fixture
def fresh_cache_counters():
    """The cache's hit and miss counters from zero (they are shared through Redis)."""
    cache_stats_reset()
    yield
    cache_stats_reset()


@pytest.fixture
def run_committed(django_capture_on_commit_callbacks):
    """Call a service as a request would, then run what follows its commit (event
    dispatch, the consumers' jobs, e-mail jobs: eager here)."""

    def call(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return call


@pytest.fixture
def events(db):
    """The events stored from here on (`events.new()`, `events.types()`)."""
    log = EventLog()
    log.mark()
    return log


@pytest.fixture
def delivered():
    """The events delivered to after-commit receivers, in order."""
    seen = []

    def record(sender, event, **kwargs):
        seen.append(event)

    event_committed.connect(record, dispatch_uid="tests.record_delivered")
    yield seen
    event_committed.disconnect(dispatch_uid="tests.record_delivered")


@pytest.fixture
def redis_down(settings):
    """The cache on a port where nothing listens; yields the real CACHES, to bring Redis
    back."""
    real_caches = settings.CACHES
    settings.CACHES = DEAD_REDIS_CACHES
    yield real_caches
    pool = ConnectionFactory._pools.pop(DEAD_REDIS_URL, None)
    if pool is not None:
        pool.disconnect()


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 (tests/webhook_receiver.py)."""
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def webhook_settings(settings):
    """Webhooks to the local receiver allowed, with a short timeout."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_TIMEOUT = 0.5
    return settings


@pytest.fixture
def eager_retries():
    # With eager propagation a job's retry is raised to its caller; without it, Celery's
    # eager mode runs the retry at once, so a delivery's whole retry life runs in the test.
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous

import pytest

from tests.helpers import DEAD_REDIS_URL


@pytest.fixture
def redis_down(redis_down, settings):
    """Here Redis down is the cache's, the view counter's and the broker's (yields the real
    CACHES, to bring Redis back)."""
    settings.REDIS_URL = DEAD_REDIS_URL
    settings.CELERY_BROKER_URL = DEAD_REDIS_URL
    return redis_down

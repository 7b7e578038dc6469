"""Invalidations missed while Redis was down are made once it answers again, or when a job
ends."""

import pytest
from celery.signals import task_postrun
from django.test import override_settings

from config.cache import cached_result, invalidate, namespace_generation
from config.cache import invalidation as cache_invalidation
from config.redis.circuit import redis_circuit
from tests.helpers import DEAD_REDIS_CACHES, CountingSource, needs_redis

pytestmark = [
    needs_redis,
    pytest.mark.usefixtures("fresh_cache_counters"),
]


def test_an_invalidation_missed_during_an_outage_is_made_when_redis_answers():
    source = CountingSource()
    posts = cached_result("posts")(source)
    assert posts(1)[0] == "v1"
    source.value = "v2"  # changed while Redis is down: its invalidation cannot be made
    with override_settings(CACHES=DEAD_REDIS_CACHES):
        assert invalidate("posts") == []
        assert posts(1)[0] == "v2"  # from the source: the cache is skipped
    redis_circuit.close()  # Redis answers again (the circuit's time is up)
    assert posts(1)[0] == "v2"  # not the v1 cached before the outage
    assert cache_invalidation._missed_invalidations == set()


def test_a_job_makes_its_missed_invalidations_when_it_ends():
    before = namespace_generation("posts")
    cache_invalidation._missed_invalidations.add("posts")
    task_postrun.send(sender=None, task_id="x", task=None, args=(), kwargs={}, retval=None)
    assert namespace_generation("posts") != before
    assert cache_invalidation._missed_invalidations == set()


def test_many_invalidations_missed_during_an_outage_are_all_made_later():
    namespaces = [f"post:{n}" for n in range(5)]
    before = {namespace: namespace_generation(namespace) for namespace in namespaces}
    with override_settings(CACHES=DEAD_REDIS_CACHES):
        assert invalidate(*namespaces) == []
    assert cache_invalidation._missed_invalidations == set(namespaces)
    redis_circuit.close()

    cache_invalidation.retry_missed_invalidations()

    assert all(namespace_generation(ns) == before[ns] + 1 for ns in namespaces)
    assert cache_invalidation._missed_invalidations == set()

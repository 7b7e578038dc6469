"""`cache_read`: values that depend on several namespaces, kept out by `store_if`, computed
once in a stampede, computed every time with Redis down."""

import threading
import time

import pytest
from django.test import override_settings

from config import cache as cache_module
from config.cache import invalidate
from tests.helpers import DEAD_REDIS_CACHES, needs_redis

pytestmark = [
    needs_redis,
    pytest.mark.usefixtures("fresh_cache_counters"),
]


def test_cache_read_depends_on_every_namespace_it_names_or_resolves():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    def read():
        return cache_module.cache_read(
            "thing", "k", compute, depends_on=["shelf"], resolve=lambda: ["item:1", "owner:2"]
        )

    assert read() == 1
    assert read() == 1
    for namespace in ("shelf", "item:1", "owner:2", "thing"):
        invalidate(namespace)
        assert read() == len(calls)  # recomputed once...
        assert read() == len(calls)  # ...then cached again
    assert len(calls) == 5
    invalidate("item:2")  # an unrelated namespace
    assert read() == 5


def test_cache_read_store_if_keeps_values_out():
    values = iter([None, "found"])

    def read():
        return cache_module.cache_read(
            "thing", "k", lambda: next(values), store_if=lambda v: v is not None
        )

    assert read() is None
    assert read() == "found"  # the None was not stored
    assert read() == "found"


@override_settings(CACHE_LOCK_WAIT_MS=3000)
def test_cache_read_stampede_computes_once():
    calls = []
    started = threading.Event()

    def slow():
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return "value"

    results = []

    def reader():
        results.append(cache_module.cache_read("hot", "k", slow, depends_on=["posts"]))

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["value"] * 8
    assert len(calls) == 1


def test_cache_read_with_redis_down_computes_every_time():
    calls = []
    with override_settings(CACHES=DEAD_REDIS_CACHES):
        for _ in range(2):
            assert cache_module.cache_read("thing", "k", lambda: calls.append(1) or 7) == 7
    assert len(calls) == 2

"""`cached_result` (config/cache/) against the real Redis of the test command: results
and counters per namespace, invalidation by generation, bypass and refresh, TTLs,
encryption, stampedes, Redis down."""

import threading
import time
from typing import cast

import pytest
from django.core.cache import cache
from django.test import override_settings
from django_redis.cache import RedisCache

from config import cache as cache_module
from config.cache import cache_fetch, cache_stats, cached_result, invalidate, namespace_generation
from config.cache import results as cache_results
from config.cache.backend import cache_key_prefix
from config.redis.circuit import redis_circuit
from tests.helpers import DEAD_REDIS_CACHES, CountingSource, needs_redis

pytestmark = [
    needs_redis,
    pytest.mark.usefixtures("fresh_cache_counters"),
]


def _raw_value(full_key: str) -> bytes | None:
    """The bytes Redis holds for a cache key (django-redis prefixes and versions it)."""
    return cast(RedisCache, cache).client.get_client().get(cache.make_key(full_key))


def _full_key(func, namespace: str, *args, **kwargs) -> str:
    return namespace_key_for(func, namespace, args, kwargs)


def namespace_key_for(func, namespace, args, kwargs) -> str:
    key = cache_results._arguments_key(func, args, kwargs)
    return f"{namespace}:g{namespace_generation(namespace)}:{key}"


# --- results, counters ---------------------------------------------------------------------


def test_results_are_cached_by_arguments_and_counted_per_namespace():
    source = CountingSource()
    posts = cached_result("posts")(source)

    assert posts(1, order="new") == ("v1", (1,), {"order": "new"})
    source.value = "v2"
    assert posts(1, order="new")[0] == "v1"  # a hit: the source is not asked
    assert posts(2, order="new")[0] == "v2"  # other arguments, other key
    assert source.calls == 2

    stats = cache_stats()
    assert stats["namespaces"]["posts"] == {"hits": 1, "misses": 2, "hit_rate": 0.3333}
    assert (stats["hits"], stats["misses"]) == (1, 2)
    assert stats["backend"] == "django_redis.cache.RedisCache"


@override_settings(CACHE_STATS_FLUSH_EVERY=1000, CACHE_STATS_FLUSH_SECONDS=3600)
def test_counters_are_buffered_then_flushed_to_redis_for_all_processes():
    posts = cached_result("posts")(CountingSource())
    posts(1)
    posts(1)
    stats_key = f"{cache_key_prefix()}:stats"
    redis = cache.client.get_client()
    assert redis.hgetall(stats_key) == {}  # still in this process: no round trip per hit

    cache_stats()  # flushes this process's buffer in one pipeline
    assert redis.hgetall(stats_key) == {b"posts:hits": b"1", b"posts:misses": b"1"}
    assert b"posts" in redis.smembers(f"{cache_key_prefix()}:namespaces")


@override_settings(CACHE_STATS_FLUSH_EVERY=3, CACHE_STATS_FLUSH_SECONDS=3600)
def test_counters_flush_every_n_operations():
    posts = cached_result("posts")(CountingSource())
    for _ in range(3):
        posts(1)
    raw = cache.client.get_client().hgetall(f"{cache_key_prefix()}:stats")
    assert raw == {b"posts:hits": b"2", b"posts:misses": b"1"}


def test_key_callable_and_namespace_callable():
    source = CountingSource()
    post = cached_result(lambda post_id, **kw: f"post:{post_id}", key=lambda post_id, **kw: "x")(
        source
    )
    post(1, lang="en")
    post(1, lang="fr")  # same key by the key callable: a hit
    post(2)
    assert source.calls == 2
    assert set(cache_stats()["namespaces"]) == {"post"}

    invalidate("post:1")
    post(1)
    post(2)
    assert source.calls == 3  # only post:1 was recomputed


# --- invalidation ----------------------------------------------------------------------------


def test_invalidation_bumps_the_generation_and_deletes_nothing():
    source = CountingSource()
    posts = cached_result("posts")(source)
    tags = cached_result("tags")(CountingSource())
    posts(1)
    tags(1)
    old_key = _full_key(source, "posts", 1)
    assert _raw_value(old_key) is not None
    before = namespace_generation("posts")
    keys_before = cache.client.get_client().dbsize()

    assert invalidate("posts") == ["posts"]

    assert namespace_generation("posts") == before + 1
    # O(1): one counter changed, no key deleted (the old value just became unreachable).
    assert cache.client.get_client().dbsize() == keys_before
    assert _raw_value(old_key) is not None
    posts(1)
    assert source.calls == 2
    tags(1)
    assert cache_stats()["namespaces"]["tags"]["hits"] == 1


def test_many_namespaces_are_invalidated_in_pipelines(monkeypatch):
    from config.cache import invalidation as cache_invalidation

    # Three round trips for five namespaces: a batch boundary falls between them.
    monkeypatch.setattr(cache_invalidation, "PIPELINE_SIZE", 2)
    source = CountingSource()
    post = cached_result("post:1")(source)
    post(1)
    used = ["post:1", "post:2", "post:3", "posts"]
    before = {namespace: namespace_generation(namespace) for namespace in used}

    assert invalidate(*used, "never-used-either") == [*used, "never-used-either"]

    assert {namespace: namespace_generation(namespace) for namespace in used} == {
        namespace: generation + 1 for namespace, generation in before.items()
    }
    assert namespace_generation("never-used-either") > 10**15  # from the clock, as one by one
    post(1)
    assert source.calls == 2


def test_a_new_generation_starts_from_the_clock_not_from_one():
    # If Redis evicts a generation, the next one cannot collide with an older one.
    assert namespace_generation("fresh-namespace") > 10**15
    assert invalidate("never-used") == ["never-used"]
    assert namespace_generation("never-used") > 10**15


# --- bypass, refresh, TTL ------------------------------------------------------------------


def test_bypass_skips_the_cache_and_refresh_recomputes_and_stores():
    source = CountingSource()
    posts = cached_result("posts")(source)
    posts(1)
    source.value = "v2"

    assert posts(1, cache_bypass=True)[0] == "v2"
    assert posts.bypass(1)[0] == "v2"
    assert posts(1)[0] == "v1"  # bypass stored nothing

    assert posts(1, cache_refresh=True)[0] == "v2"
    source.value = "v3"
    assert posts(1)[0] == "v2"  # the refreshed value was stored
    assert posts.refresh(1)[0] == "v3"
    assert posts(1)[0] == "v3"


@override_settings(CACHE_TTLS={"short": 1}, CACHE_DEFAULT_TTL=300, CACHE_STALE_SECONDS=5)
def test_ttl_per_namespace_is_honoured():
    source = CountingSource()
    short = cached_result("short")(source)
    short(1)
    full_key = _full_key(source, "short", 1)
    assert 0 < cache.ttl(full_key) <= 1 + 5  # fresh 1 s, kept 5 s more as the stale copy
    assert cache_module.namespace_ttl("short:9") == 1
    assert cache_module.namespace_ttl("other") == 300

    source.value = "v2"
    deadline = time.monotonic() + 5
    while short(1)[0] == "v1" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert short(1)[0] == "v2"


def test_explicit_ttl_overrides_the_namespace_ttl():
    source = CountingSource()
    with override_settings(CACHE_STALE_SECONDS=0):
        cached_result("posts", ttl=2)(source)(1)
        assert 0 < cache.ttl(_full_key(source, "posts", 1)) <= 2


# --- encryption ----------------------------------------------------------------------------


def test_sensitive_values_are_encrypted_in_redis():
    plain = CountingSource("plaintext-canary-value")
    secret = CountingSource("secret-canary-value")
    # (Two Source objects share a function name: two namespaces keep them apart.)
    cached_result("posts")(plain)(1)
    cached_result("users", sensitive=True)(secret)(1)

    assert b"plaintext-canary-value" in _raw_value(_full_key(plain, "posts", 1))
    raw = _raw_value(_full_key(secret, "users", 1))
    assert raw is not None and b"secret-canary-value" not in raw
    assert cached_result("users", sensitive=True)(secret)(1)[0] == "secret-canary-value"
    assert secret.calls == 1


def test_encryption_keys_rotate():
    source = CountingSource("secret-canary-value")
    with override_settings(CACHE_ENCRYPTION_KEYS=["old-key"]):
        profile = cached_result("users", sensitive=True)(source)
        profile(1)
    with override_settings(CACHE_ENCRYPTION_KEYS=["new-key", "old-key"]):
        assert profile(1)[0] == "secret-canary-value"
        assert source.calls == 1  # written with the old key, read with it
    with override_settings(CACHE_ENCRYPTION_KEYS=["new-key"]):
        assert profile(1)[0] == "secret-canary-value"
        assert source.calls == 2  # the old key is gone: unreadable, so a miss


# --- stampede ------------------------------------------------------------------------------


def test_one_caller_computes_a_hot_key_while_the_others_wait():
    calls = []
    release = threading.Event()

    @cached_result("posts")
    def slow(post_id):
        calls.append(post_id)
        release.wait(timeout=5)
        return f"value-{post_id}"

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow(1))) for _ in range(8)]
    for thread in threads:
        thread.start()
    lock_key = f"{_full_key(slow.uncached, 'posts', 1)}:lock"
    deadline = time.monotonic() + 5
    while not cache.has_key(lock_key) and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(timeout=10)

    assert calls == [1]
    assert results == ["value-1"] * 8
    assert not cache.has_key(lock_key)


def test_an_expired_value_is_served_while_another_caller_recomputes_it():
    source = CountingSource("new")
    full_key = "posts:g{}:k".format(namespace_generation("posts"))
    cache.set(full_key, (time.time() - 1, "previous"), timeout=60)  # past its freshness
    cache.add(f"{full_key}:lock", 1, timeout=60)  # another process is recomputing

    assert cache_fetch("posts", "k", source) == "previous"
    assert source.calls == 0

    cache.delete(f"{full_key}:lock")
    assert cache_fetch("posts", "k", source)[0] == "new"  # now this caller recomputes


@override_settings(CACHE_LOCK_WAIT_MS=100)
def test_the_wait_for_another_caller_is_bounded():
    source = CountingSource()
    full_key = "posts:g{}:k".format(namespace_generation("posts"))
    cache.add(f"{full_key}:lock", 1, timeout=60)  # a caller that died while computing

    assert cache_fetch("posts", "k", source)[0] == "v1"
    assert source.calls == 1


# --- Redis down ----------------------------------------------------------------------------


def test_with_redis_down_the_function_is_called_and_the_degradation_counted(caplog):
    source = CountingSource()
    posts = cached_result("posts")(source)
    errors_before = cache_stats()["degraded"]
    redis_circuit.logged_at = float("-inf")  # no report earlier in this process
    with override_settings(CACHES=DEAD_REDIS_CACHES):
        assert posts(1)[0] == "v1"
        assert posts(1)[0] == "v1"
        assert source.calls == 2
        assert invalidate("posts") == []
        stats = cache_stats()  # does not raise
        assert stats["degraded"] > errors_before
    assert "cache unavailable" in caplog.text

"""The cache module (config/cache/) against the real Redis of the test command, its
receiver, endpoint and commands."""

import io
import threading
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import override_settings

from blog.receivers import cache_namespaces_for_event, invalidate_cache_for_event
from blog.services.taxonomy import category_create
from config import cache as cache_module
from config.cache import (
    cache_fetch,
    cache_stats,
    cache_stats_reset,
    cached_result,
    invalidate,
    namespace_generation,
)
from config.events.bus import DomainEvent
from tests.helpers import DEAD_REDIS_CACHES, CountingSource, client_for

pytestmark = pytest.mark.skipif(
    "django_redis" not in settings.CACHES["default"]["BACKEND"],
    reason="these tests run against the Redis of REDIS_URL",
)


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache_stats_reset()
    yield
    cache_stats_reset()


def _raw_value(full_key: str) -> bytes | None:
    """The bytes Redis holds for a cache key (django-redis prefixes and versions it)."""
    return cache.client.get_client().get(cache.make_key(full_key))


def _full_key(func, namespace: str, *args, **kwargs) -> str:
    return namespace_key_for(func, namespace, args, kwargs)


def namespace_key_for(func, namespace, args, kwargs) -> str:
    key = cache_module._arguments_key(func, args, kwargs)
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
    stats_key = f"{cache_module._redis_prefix()}:stats"
    redis = cache.client.get_client()
    assert redis.hgetall(stats_key) == {}  # still in this process: no round trip per hit

    cache_stats()  # flushes this process's buffer in one pipeline
    assert redis.hgetall(stats_key) == {b"posts:hits": b"1", b"posts:misses": b"1"}
    assert b"posts" in redis.smembers(f"{cache_module._redis_prefix()}:namespaces")


@override_settings(CACHE_STATS_FLUSH_EVERY=3, CACHE_STATS_FLUSH_SECONDS=3600)
def test_counters_flush_every_n_operations():
    posts = cached_result("posts")(CountingSource())
    for _ in range(3):
        posts(1)
    raw = cache.client.get_client().hgetall(f"{cache_module._redis_prefix()}:stats")
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
    cache_module._degradation.logged_at = float("-inf")  # no report earlier in this process
    with override_settings(CACHES=DEAD_REDIS_CACHES):
        assert posts(1)[0] == "v1"
        assert posts(1)[0] == "v1"
        assert source.calls == 2
        assert invalidate("posts") == []
        stats = cache_stats()  # does not raise
        assert stats["degraded"] > errors_before
    assert "cache unavailable" in caplog.text


# --- the receiver ------------------------------------------------------------------------


def _event(event_type, aggregate_id="7", **data):
    aggregate_type = event_type.split(".")[0]
    return DomainEvent(
        type=event_type, aggregate_type=aggregate_type, aggregate_id=aggregate_id, data=data
    )


@pytest.mark.parametrize(
    "event, namespaces",
    [
        (_event("post.created", author_id=3), ["posts", "post:7", "categories", "tags"]),
        (_event("post.published", author_id=3), ["posts", "post:7", "categories", "tags"]),
        (_event("post.updated", fields=["title"]), ["posts", "post:7", "categories", "tags"]),
        (_event("post.deleted", slug="x"), ["posts", "post:7", "categories", "tags"]),
        (_event("comment.created", post_id=9), ["post:9", "posts"]),
        (_event("comment.moderated", post_id=9), ["post:9", "posts"]),
        (_event("category.updated", slug="x"), ["categories", "posts", "taxonomy"]),
        (_event("category.deleted", slug="x"), ["categories", "posts", "taxonomy"]),
        (_event("tag.updated", slug="x"), ["tags", "posts", "taxonomy"]),
        (_event("tag.deleted", slug="x"), ["tags", "posts", "taxonomy"]),
        (_event("user.updated", fields=["bio"]), ["user:7", "posts"]),
        (_event("user.deactivated"), ["user:7", "posts"]),
        (_event("user.role_changed", old_role="reader", new_role="author"), ["user:7"]),
        (_event("post.viewed", slug="x"), []),
        (_event("user.logged_in", username="x"), []),
        (_event("report.completed", kind="posts"), []),
    ],
    ids=lambda value: value.type if isinstance(value, DomainEvent) else None,
)
def test_each_event_invalidates_its_namespaces(event, namespaces):
    assert cache_namespaces_for_event(event) == namespaces
    watched = ["posts", "post:7", "post:9", "categories", "tags", "taxonomy", "user:3", "user:7"]
    before = {n: namespace_generation(n) for n in watched}
    invalidate_cache_for_event(sender=None, event=event)
    bumped = [n for n in watched if namespace_generation(n) != before[n]]
    assert sorted(bumped) == sorted(namespaces)


def test_a_committed_change_invalidates_through_the_event_bus(
    db, django_capture_on_commit_callbacks
):
    before = namespace_generation("categories")
    with django_capture_on_commit_callbacks(execute=True):
        category_create(name="Cached things")
        assert namespace_generation("categories") == before  # not before the commit
    assert namespace_generation("categories") == before + 1


# --- endpoint, stats, commands ------------------------------------------------------------

URL = "/api/v1/admin/cache/invalidate/"


def test_invalidate_endpoint_for_admins(admin_user):
    cached_result(lambda post_id: f"post:{post_id}")(CountingSource())(5)
    before = namespace_generation("posts")
    client = client_for(admin_user)

    response = client.post(URL, {"namespace": "posts"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"invalidated": ["posts"]}
    assert namespace_generation("posts") == before + 1

    response = client.post(URL, {}, format="json")
    assert response.status_code == 200
    invalidated = response.json()["invalidated"]
    assert {"posts", "categories", "tags", "post:5"} <= set(invalidated)

    assert client.post(URL, {"namespaces": "posts"}, format="json").status_code == 400


def test_invalidate_endpoint_refuses_others(editor, anon_client):
    assert client_for(editor).post(URL, {}, format="json").status_code == 403
    assert anon_client.post(URL, {}, format="json").status_code == 401


def test_site_stats_report_the_cache_counters(editor):
    posts = cached_result("posts")(CountingSource())
    posts(1)
    posts(1)
    posts(1)
    response = client_for(editor).get("/api/v1/admin/stats/")
    assert response.status_code == 200
    assert response.json()["cache"] == {
        "backend": "django_redis.cache.RedisCache",
        "hits": 2,
        "misses": 1,
        "hit_rate": 0.6667,
    }


def test_cache_stats_command():
    posts = cached_result("posts")(CountingSource())
    posts(1)
    posts(1)
    out = io.StringIO()
    call_command("cache_stats", stdout=out)
    text = out.getvalue()
    assert "backend: django_redis.cache.RedisCache" in text
    assert "posts: hits 1, misses 1, hit rate 50.0%" in text
    assert "keys: " in text and "memory: " in text

    call_command("cache_stats", "--reset", stdout=io.StringIO())
    assert cache_stats()["hits"] == 0


def test_cache_invalidate_command():
    cached_result("user:4")(CountingSource())(1)
    before = {n: namespace_generation(n) for n in ("posts", "tags", "user:4")}
    out = io.StringIO()
    call_command("cache_invalidate", "posts", stdout=out)
    assert out.getvalue() == "invalidated posts\n"
    assert namespace_generation("posts") == before["posts"] + 1
    assert namespace_generation("tags") == before["tags"]

    out = io.StringIO()
    call_command("cache_invalidate", stdout=out)
    assert "invalidated user:4\n" in out.getvalue() and "invalidated tags\n" in out.getvalue()
    assert namespace_generation("user:4") == before["user:4"] + 1


def test_cache_invalidate_command_fails_when_redis_is_down():
    with override_settings(CACHES=DEAD_REDIS_CACHES), pytest.raises(CommandError, match="posts"):
        call_command("cache_invalidate", "posts", stdout=io.StringIO())


# --- cache_read: values that depend on several namespaces ----------------------------------


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


def test_an_invalidation_missed_during_an_outage_is_made_when_redis_answers():
    source = CountingSource()
    posts = cached_result("posts")(source)
    assert posts(1)[0] == "v1"
    source.value = "v2"  # changed while Redis is down: its invalidation cannot be made
    with override_settings(CACHES=DEAD_REDIS_CACHES):
        assert invalidate("posts") == []
        assert posts(1)[0] == "v2"  # from the source: the cache is skipped
    cache_module._degradation.close()  # Redis answers again (the circuit's time is up)
    assert posts(1)[0] == "v2"  # not the v1 cached before the outage
    assert cache_module._missed_invalidations == set()


def test_a_job_makes_its_missed_invalidations_when_it_ends():
    from celery.signals import task_postrun

    before = namespace_generation("posts")
    cache_module._missed_invalidations.add("posts")
    task_postrun.send(sender=None, task_id="x", task=None, args=(), kwargs={}, retval=None)
    assert namespace_generation("posts") != before
    assert cache_module._missed_invalidations == set()

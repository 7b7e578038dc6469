"""config's operator commands `cache_stats` and `cache_invalidate` (`health`:
observability/test_health.py)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from config.cache import cache_stats, cached_result, namespace_generation
from tests.helpers import DEAD_REDIS_CACHES, CountingSource, needs_redis

pytestmark = [
    needs_redis,
    pytest.mark.usefixtures("fresh_cache_counters"),
]


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

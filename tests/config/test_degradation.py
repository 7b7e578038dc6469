"""With Redis stopped or hanging, every endpoint still answers from the database.

A dead port (connection refused) and a proxy that stops answering in the middle of a
request (timeouts). After the first error the cache module's circuit skips Redis for
`CACHE_CIRCUIT_SECONDS`, so a hanging Redis costs a request one socket timeout, not one
per cache operation; the errors are counted and logged.
"""

import pytest
from django.db import connection

from blog.models import Post
from blog.services import posts as post_services
from blog.services.taxonomy import category_create
from config import cache as cache_module
from config.api import ratelimit
from config.redis.circuit import redis_circuit
from tests.factories import PASSWORD, AuthorFactory, EditorFactory, ReaderFactory
from tests.helpers import client_for
from tests.redis_proxy import HangingRedisProxy

pytestmark = [pytest.mark.cached_reads, pytest.mark.django_db(transaction=True)]


def redis_cache(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "blog-degraded",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }


def ok(response, code=200):
    assert response.status_code == code, response.content[:500]
    return response.json() if response.content else None


def exercise_reads_and_writes():
    """The public reads and the main writes, checked against the database."""
    author, editor = AuthorFactory(username="writer"), EditorFactory()
    category = category_create(name="News")
    post = post_services.post_create(
        author=author, title="Hello", body="Body", status="published", category=category,
        tags=["t"],
    )  # fmt: skip
    anon = client_for(None)
    for _ in range(2):  # a second read must not come from anywhere stale either
        assert [p["slug"] for p in ok(anon.get("/api/v1/posts/"))["results"]] == ["hello"]
        assert ok(anon.get("/api/v1/posts/hello/"))["title"] == "Hello"
        assert ok(anon.get("/api/v1/categories/"))["results"][0]["post_count"] == 1
        assert ok(anon.get("/api/v1/tags/"))["results"][0]["slug"] == "t"
        assert ok(anon.get("/api/v1/users/writer/"))["post_count"] == 1
    etag = anon.get("/api/v1/posts/hello/")["ETag"]
    assert anon.get("/api/v1/posts/hello/", HTTP_IF_NONE_MATCH=etag).status_code == 304

    # Views go to the database when Redis can't take them.
    assert Post.objects.get(pk=post.pk).view_count >= 3

    # Writes: a post through the API, a comment, its moderation, a category rename.
    created = ok(
        client_for(author).post(
            "/api/v1/posts/", {"title": "Second", "body": "B", "status": "published"},
            format="json",
        ),
        201,
    )  # fmt: skip
    assert created["status"] == "published"
    comment = ok(
        client_for(ReaderFactory()).post(
            "/api/v1/posts/hello/comments/", {"body": "Nice"}, format="json"
        ),
        201,
    )
    ok(
        client_for(editor).post(
            f"/api/v1/comments/{comment['id']}/moderate/", {"status": "approved"}, format="json"
        )
    )
    ok(client_for(editor).patch("/api/v1/categories/news/", {"name": "World"}, format="json"))

    # And the reads show them at once (nothing was cached, nothing is stale).
    assert [p["slug"] for p in ok(anon.get("/api/v1/posts/"))["results"]] == ["second", "hello"]
    hello = ok(anon.get("/api/v1/posts/hello/"))
    assert hello["comment_count"] == 1
    assert hello["category"]["name"] == "World"
    assert ok(anon.get("/api/v1/users/writer/"))["post_count"] == 2


def test_every_endpoint_answers_from_the_database_with_redis_on_a_dead_port(settings):
    settings.CACHES = redis_cache("redis://127.0.0.1:1/0")
    before = redis_circuit.count
    exercise_reads_and_writes()
    stats = cache_module.cache_stats()
    assert stats["degraded"] > before  # counted (and logged, rate-limited)
    assert stats["skipped"] > 0  # the circuit spared the following operations
    assert ratelimit.ratelimit_stats()["degraded"] > 0  # throttles limited per process

    health = client_for(None).get("/health/", HTTP_ACCEPT="application/json")
    assert health.status_code == 500
    assert "cache" in health.content.decode().lower()


def test_a_redis_that_stops_answering_mid_request_costs_one_timeout(settings):
    proxy = HangingRedisProxy()
    try:
        settings.CACHES = redis_cache(proxy.url(15))
        author = AuthorFactory(username="writer")
        post_services.post_create(author=author, title="One", body="B", status="published")
        anon = client_for(None)
        assert [p["title"] for p in ok(anon.get("/api/v1/posts/"))["results"]] == ["One"]
        post_services.post_create(author=author, title="Two", body="B", status="published")

        # Redis answers the request's first cache reads, then hangs once the database is
        # asked for the (invalidated) list.
        def freeze_on_first_query(execute, sql, params, many, context):
            proxy.freeze()
            return execute(sql, params, many, context)

        errors_before = redis_circuit.count
        with connection.execute_wrapper(freeze_on_first_query):
            response = anon.get("/api/v1/posts/")
        assert [p["title"] for p in ok(response)["results"]] == ["Two", "One"]
        timeouts = redis_circuit.count - errors_before
        assert timeouts == 1  # one operation waited; the rest were skipped
        assert cache_module.cache_stats()["skipped"] > 0

        # Still hanging: the next requests go straight to the database.
        assert ok(anon.get("/api/v1/posts/one/"))["title"] == "One"
        assert redis_circuit.count - errors_before == 1

        # Redis answers again: once the circuit closes, reads use the cache again.
        proxy.thaw()
        redis_circuit.close()
        assert [p["title"] for p in ok(anon.get("/api/v1/posts/"))["results"]] == ["Two", "One"]
    finally:
        proxy.close()


def test_every_endpoint_answers_with_a_redis_that_accepts_but_never_answers(settings):
    """The worst case: connections succeed, then every command waits for its timeout."""
    proxy = HangingRedisProxy()
    try:
        proxy.freeze()
        settings.CACHES = redis_cache(proxy.url(15))
        errors_before = redis_circuit.count
        exercise_reads_and_writes()

        # Sign-ins too: the lockout falls back to the event store while Redis is skipped.
        user = ReaderFactory()
        anon = client_for(None)
        token = anon.post(
            "/api/v1/auth/token/",
            {"username": user.username, "password": PASSWORD},
            format="json",
        )
        assert token.status_code == 200, token.content
        # Few operations waited for their timeout: the circuit skipped the rest.
        assert 1 <= redis_circuit.count - errors_before <= 3
        assert cache_module.cache_stats()["skipped"] > 20
    finally:
        proxy.close()

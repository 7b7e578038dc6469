"""Throttles on shared state (config/api/ratelimit.py, config/api/throttling.py): on the real
Redis, and with Redis down, where they limit per process instead of failing open."""

import pytest
from django.core.cache import cache
from django_redis import get_redis_connection
from rest_framework.throttling import SimpleRateThrottle

from config.api import ratelimit
from config.redis.circuit import redis_circuit
from tests import factories
from tests.helpers import DEAD_REDIS_CACHES, client_for, needs_redis

pytestmark = [
    pytest.mark.django_db,
    needs_redis,
]

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_fallback():
    ratelimit.ratelimit_reset_local()
    yield
    ratelimit.ratelimit_reset_local()


def register(client, n):
    return client.post(
        REGISTER,
        {"username": f"user{n}", "email": f"u{n}@example.com", "password": "tangerine-light-917"},
        format="json",
    )


def test_the_count_lives_in_redis_not_in_the_process(anon_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    for _ in range(2):
        assert anon_client.get("/api/v1/tags/").status_code == 200

    key = cache.make_key("ratelimit:throttle_anon_127.0.0.1")
    assert get_redis_connection("default").zcard(key) == 2
    ratelimit.ratelimit_reset_local()  # nothing kept here matters
    assert anon_client.get("/api/v1/tags/").status_code == 429


def test_refused_requests_do_not_extend_the_window():
    for _ in range(3):
        ratelimit.hit("k", 2, 60, now=1000.0)
    decision = ratelimit.hit("k", 2, 60, now=1030.0)
    assert not decision.allowed and decision.wait == pytest.approx(30.0)
    assert ratelimit.hit("k", 2, 60, now=1060.5).allowed


def test_login_is_throttled_per_address(anon_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "2/min")
    user = factories.ReaderFactory()
    for _ in range(2):
        anon_client.post(TOKEN, {"username": user.username, "password": "x"}, format="json")
    response = anon_client.post(
        TOKEN, {"username": user.username, "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_registration_is_throttled(anon_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "register", "2/hour")
    assert register(anon_client, 1).status_code == 201
    assert register(anon_client, 2).status_code == 201
    response = register(anon_client, 3)
    assert response.status_code == 429
    assert 60 < int(response["Retry-After"]) <= 3600


def test_comment_creation_is_throttled_per_user(monkeypatch, reader, author):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "comment", "1/min")
    post = factories.PostFactory()
    url = f"/api/v1/posts/{post.slug}/comments/"
    assert client_for(reader).post(url, {"body": "one"}, format="json").status_code == 201
    assert client_for(reader).post(url, {"body": "two"}, format="json").status_code == 429
    assert client_for(author).post(url, {"body": "mine"}, format="json").status_code == 201
    # Reading the thread is not a comment.
    assert client_for(reader).get(url).status_code == 200


def test_forged_forwarded_for_does_not_escape_the_throttle(anon_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1/min")
    assert anon_client.get("/api/v1/tags/", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 200
    response = anon_client.get("/api/v1/tags/", HTTP_X_FORWARDED_FOR="10.0.0.2")
    assert response.status_code == 429


# --- Redis down --------------------------------------------------------------------------


def test_with_redis_down_login_is_still_limited_and_the_degradation_counted(
    anon_client, monkeypatch, settings, caplog
):
    settings.CACHES = DEAD_REDIS_CACHES
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "2/min")
    # The warning is rate-limited per process: an earlier test may have used the slot.
    monkeypatch.setattr(redis_circuit, "logged_at", float("-inf"))
    degraded_before = ratelimit.ratelimit_stats()["degraded"]
    for _ in range(2):
        anon_client.post(TOKEN, {"username": "someone", "password": "x"}, format="json")

    response = anon_client.post(TOKEN, {"username": "someone", "password": "x"}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert ratelimit.ratelimit_stats()["degraded"] > degraded_before
    assert "rate limiter: Redis unavailable" in caplog.text


def test_with_redis_down_the_whole_api_is_still_limited(anon_client, monkeypatch, settings):
    settings.CACHES = DEAD_REDIS_CACHES
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    for _ in range(2):
        assert anon_client.get("/api/v1/tags/").status_code == 200
    assert anon_client.get("/api/v1/tags/").status_code == 429


def test_with_redis_down_registration_is_still_limited(anon_client, monkeypatch, settings):
    settings.CACHES = DEAD_REDIS_CACHES
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "register", "1/hour")
    assert register(anon_client, 1).status_code == 201
    assert register(anon_client, 2).status_code == 429

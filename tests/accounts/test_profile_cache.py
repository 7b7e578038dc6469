"""One's own profile (`GET /api/v1/users/me/`) from the cache: encrypted, since it holds
the e-mail address, and invalidated by every change of the user (`user.*` events).

Against the real Redis, committing for real (`transactional_db`), as in production.
"""

from typing import cast

import pytest
from django.core.cache import cache
from django_redis.cache import RedisCache

from config.cache import cache_stats
from tests.factories import AdminFactory, ReaderFactory
from tests.helpers import client_for, needs_redis

pytestmark = [
    pytest.mark.cached_reads,
    pytest.mark.django_db(transaction=True),
    needs_redis,
    pytest.mark.usefixtures("fresh_cache_counters"),
]

ME = "/api/v1/users/me/"


@pytest.fixture
def reader():
    return ReaderFactory(email="canary.reader@example.com", display_name="Canary Reader")


def ok(response):
    assert response.status_code == 200, response.content[:500]
    return response.json()


def user_counts() -> tuple[int, int]:
    numbers = cache_stats()["namespaces"].get("user", {"hits": 0, "misses": 0})
    return numbers["hits"], numbers["misses"]


def stored_profiles(user) -> list[bytes]:
    """The bytes Redis holds for the user's cached own profile (every generation)."""
    redis = cast(RedisCache, cache).client.get_client()
    keys = redis.keys(cache.make_key(f"user:{user.pk}:g*own_profile_data*"))
    return [redis.get(key) for key in keys]


def test_the_profile_is_read_from_the_cache_after_the_first_time(reader, django_assert_num_queries):
    client = client_for(reader)
    first = ok(client.get(ME))
    assert first["email"] == "canary.reader@example.com"

    with django_assert_num_queries(1):  # the token's user only
        assert ok(client.get(ME)) == first

    assert user_counts() == (1, 1)


def test_the_cached_profile_is_encrypted_in_redis(reader):
    ok(client_for(reader).get(ME))

    [raw] = stored_profiles(reader)
    assert raw
    assert b"canary.reader@example.com" not in raw
    assert b"Canary Reader" not in raw


def test_a_profile_change_shows_at_once(reader):
    client = client_for(reader)
    ok(client.get(ME))

    ok(client.patch(ME, {"email": "new.canary@example.com", "bio": "Hello"}, format="json"))

    body = ok(client.get(ME))
    assert (body["email"], body["bio"]) == ("new.canary@example.com", "Hello")
    assert user_counts() == (0, 2)  # the change's event invalidated `user:<id>`


def test_a_role_given_by_an_admin_shows_at_once(reader):
    client = client_for(reader)
    assert ok(client.get(ME))["role"] == "reader"

    admin = client_for(AdminFactory())
    ok(admin.patch(f"/api/v1/admin/users/{reader.username}/", {"role": "author"}, format="json"))

    assert ok(client.get(ME))["role"] == "author"


def test_each_user_has_their_own_cached_profile(reader):
    other = ReaderFactory(email="other.canary@example.com")
    assert ok(client_for(reader).get(ME))["email"] == "canary.reader@example.com"
    assert ok(client_for(other).get(ME))["email"] == "other.canary@example.com"
    assert ok(client_for(reader).get(ME))["email"] == "canary.reader@example.com"


def test_with_cache_reads_off_the_profile_is_not_cached(reader, settings):
    settings.CACHE_READS = False
    client = client_for(reader)
    ok(client.get(ME))
    ok(client.get(ME))
    assert user_counts() == (0, 0)
    assert stored_profiles(reader) == []

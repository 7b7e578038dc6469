"""The editors' statistics from the cache (`stats` namespace): `GET /api/v1/admin/stats/`
and the admin dashboard. Their aggregates are never invalidated, only as old as the
namespace's TTL; the cache's own counters and the dashboard's work lists stay live.

Against the real Redis, committing for real (`transactional_db`), as in production.
"""

import time

import pytest
from django.test import Client
from django.utils import timezone

from analytics.models import SiteDailyStats
from analytics.selectors import site_figures
from blog.models import CommentStatus
from config.cache import cache_fetch, cache_stats, invalidate
from tests.factories import CommentFactory, EditorFactory, PostFactory
from tests.helpers import client_for, needs_redis

pytestmark = [
    pytest.mark.cached_reads,
    pytest.mark.django_db(transaction=True),
    needs_redis,
    pytest.mark.usefixtures("fresh_cache_counters"),
]

ADMIN_STATS = "/api/v1/admin/stats/"
DASHBOARD = "/admin/dashboard/"


def ok(response):
    assert response.status_code == 200, response.content[:500]
    return response.json()


def stats_counts() -> tuple[int, int]:
    numbers = cache_stats()["namespaces"].get("stats", {"hits": 0, "misses": 0})
    return numbers["hits"], numbers["misses"]


# --- GET /api/v1/admin/stats/ -----------------------------------------------------------


def test_admin_stats_are_computed_once_then_read_from_the_cache(
    django_assert_num_queries,
):
    client = client_for(EditorFactory())
    PostFactory()
    assert ok(client.get(ADMIN_STATS))["posts"]["total"] == 1
    assert stats_counts() == (0, 1)

    PostFactory()  # not an invalidation: the figures are as old as the TTL at most
    with django_assert_num_queries(1):  # the token's user; no figure is counted again
        body = ok(client.get(ADMIN_STATS))

    assert body["posts"]["total"] == 1
    assert stats_counts() == (1, 1)


def test_admin_stats_are_recomputed_once_the_ttl_is_over(settings):
    settings.CACHE_TTLS = {**settings.CACHE_TTLS, "stats": 1}
    client = client_for(EditorFactory())
    assert ok(client.get(ADMIN_STATS))["posts"]["total"] == 0
    PostFactory()
    assert ok(client.get(ADMIN_STATS))["posts"]["total"] == 0

    time.sleep(1.1)

    assert ok(client.get(ADMIN_STATS))["posts"]["total"] == 1


def test_invalidating_the_stats_namespace_drops_the_figures():
    client = client_for(EditorFactory())
    assert ok(client.get(ADMIN_STATS))["posts"]["total"] == 0
    PostFactory()

    assert invalidate("stats") == ["stats"]  # what the admin's cache endpoint does

    assert ok(client.get(ADMIN_STATS))["posts"]["total"] == 1


def test_the_cache_counters_in_the_admin_stats_are_live():
    client = client_for(EditorFactory())
    ok(client.get(ADMIN_STATS))
    for _ in range(3):
        cache_fetch("posts", "stats-test", lambda: 1)  # one miss, two hits

    cache = ok(client.get(ADMIN_STATS))["cache"]

    # Counted after the first answer was cached: `posts` and the second read's own hit.
    assert (cache["hits"], cache["misses"]) == (2 + 1, 1 + 1)


def test_with_cache_reads_off_the_admin_stats_are_computed_each_time(settings):
    settings.CACHE_READS = False
    client = client_for(EditorFactory())
    ok(client.get(ADMIN_STATS))
    PostFactory()
    assert ok(client.get(ADMIN_STATS))["posts"]["total"] == 1
    assert stats_counts() == (0, 0)


def test_site_figures_can_be_refreshed():
    assert site_figures()["posts"]["total"] == 0
    PostFactory()
    assert site_figures()["posts"]["total"] == 0
    assert site_figures.refresh()["posts"]["total"] == 1
    assert site_figures()["posts"]["total"] == 1


# --- the admin dashboard ----------------------------------------------------------------


def _today():
    return timezone.now().date()


def web(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_dashboard_aggregates_are_cached_and_its_work_lists_are_live():
    client = web(EditorFactory())
    SiteDailyStats.objects.create(date=_today(), views=12)
    post = PostFactory()
    first = client.get(DASHBOARD).context
    assert (first["views_total"], first["pending_count"]) == (12, 0)

    SiteDailyStats.objects.filter(date=_today()).update(views=40)
    CommentFactory(post=post, status=CommentStatus.PENDING)
    second = client.get(DASHBOARD).context

    assert second["views_total"] == 12  # an aggregate: from the cache
    assert second["pending_count"] == 1  # a work list: read live
    assert stats_counts() == (1, 1)

    invalidate("stats")
    assert client.get(DASHBOARD).context["views_total"] == 40

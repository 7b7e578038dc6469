"""`GET /api/v1/admin/stats/` and `GET /api/v1/posts/{slug}/stats/`: shapes, numbers,
permissions."""

from datetime import timedelta

import pytest
from django.conf import settings

from accounts.models import Role
from analytics.services import post_view_count
from blog.models import CommentStatus, Media, PostStatus
from config.cache import cached_result
from tasks.models import JobStatus
from tests.factories import (
    AuthorFactory,
    CommentFactory,
    DraftPostFactory,
    EventFactory,
    JobRecordFactory,
    PostDailyStatsFactory,
    PostFactory,
    ReaderFactory,
    UserFactory,
)
from tests.helpers import CountingSource, client_for, needs_redis, today

pytestmark = pytest.mark.django_db

ADMIN_STATS = "/api/v1/admin/stats/"


def post_stats_url(slug):
    return f"/api/v1/posts/{slug}/stats/"


# --- admin stats -----------------------------------------------------------------------


def test_admin_stats_permissions(anon_client, reader_client, author_client, editor_client):
    assert anon_client.get(ADMIN_STATS).status_code == 401
    assert reader_client.get(ADMIN_STATS).status_code == 403
    assert author_client.get(ADMIN_STATS).status_code == 403
    assert editor_client.get(ADMIN_STATS).status_code == 200


def test_admin_stats_for_an_admin(admin_client_api):
    assert admin_client_api.get(ADMIN_STATS).status_code == 200


def test_admin_stats_shape_and_numbers(editor):
    # Users: the editor, plus these.
    commenter = ReaderFactory()
    ReaderFactory()
    ReaderFactory(is_active=False)
    author = AuthorFactory()
    UserFactory(username="root", role=Role.READER, is_superuser=True)
    # Posts and comments.
    published = PostFactory(author=author)
    DraftPostFactory(author=author)
    PostFactory(author=author, status=PostStatus.ARCHIVED)
    CommentFactory.create_batch(2, post=published, author=commenter)
    CommentFactory(post=published, author=commenter, status=CommentStatus.SPAM)
    # Events: two recent, one old.
    EventFactory(type="post.created", ago=timedelta(hours=1))
    EventFactory(type="post.created", ago=timedelta(hours=2))
    EventFactory(type="user.registered", ago=timedelta(hours=48))
    # Jobs.
    JobRecordFactory(name="x", queue="low", status=JobStatus.COMPLETED)
    JobRecordFactory(name="y", queue="critical", status=JobStatus.FAILED)
    JobRecordFactory(name="z", queue="low", status=JobStatus.PENDING)
    # Trending: the published post's views.
    PostDailyStatsFactory(post=published, date=today(), views=7, comments=2)

    response = client_for(editor).get(ADMIN_STATS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"users", "posts", "comments", "events", "cache", "tasks"}

    assert body["users"] == {
        "total": 6,
        "active": 5,
        "by_role": {"reader": 3, "author": 1, "editor": 1, "admin": 1},
    }
    assert body["posts"] == {
        "total": 3,
        "by_status": {"draft": 1, "scheduled": 0, "published": 1, "archived": 1},
    }
    assert body["comments"] == {
        "total": 3,
        "by_status": {"pending": 0, "approved": 2, "rejected": 0, "spam": 1},
    }
    assert body["events"] == {
        "total": 3,
        "last_24h": 2,
        "by_type": {"post.created": 2, "user.registered": 1},
    }
    assert body["tasks"] == {
        "by_status": {
            "pending": 1,
            "running": 0,
            "retrying": 0,
            "completed": 1,
            "failed": 1,
            "cancelled": 0,
        },
        "by_queue": {"critical": 1, "high": 0, "default": 0, "low": 2},
    }
    # Hits and misses are not counted yet.
    assert body["cache"] == {
        "backend": settings.CACHES["default"]["BACKEND"],
        "hits": 0,
        "misses": 0,
        "hit_rate": None,
    }
    assert body["trending"] == [
        {
            "id": published.pk,
            "slug": published.slug,
            "title": published.title,
            "views": 7,
            "comments": 2,
            "score": 17,
        }
    ]


def test_admin_stats_of_an_empty_site(editor_client):
    body = editor_client.get(ADMIN_STATS).json()
    assert body["posts"]["total"] == 0 and set(body["posts"]["by_status"]) == set(PostStatus.values)
    assert body["events"] == {"total": 0, "last_24h": 0, "by_type": {}}
    assert body["trending"] == []
    assert body["media"] == {
        "total": 0,
        "bytes": 0,
        "by_status": {"processing": 0, "ready": 0, "failed": 0, "remote": 0},
    }


def test_admin_stats_count_the_media_and_the_bytes_of_their_originals(editor_client):
    for size, status in [(1000, "ready"), (2500, "ready"), (700, "processing"), (300, "failed")]:
        Media.objects.create(
            file=f"library/2026/01/{size:032x}.png", size=size, status=status, alt_text="a"
        )
    Media.objects.create(status="remote", source_url="https://example.com/a.png", alt_text="b")

    body = editor_client.get(ADMIN_STATS).json()

    assert body["media"] == {
        "total": 5,
        "bytes": 4500,
        "by_status": {"processing": 1, "ready": 2, "failed": 1, "remote": 1},
    }


# --- post stats ------------------------------------------------------------------------


def test_post_stats_come_from_the_rolled_up_daily_stats(author):
    post = PostFactory(author=author, view_count=40, comment_count=3)
    PostDailyStatsFactory(post=post, date=today(), views=10, comments=2)
    PostDailyStatsFactory(post=post, date=today() - timedelta(days=3), views=30)
    PostDailyStatsFactory(post=post, date=today() - timedelta(days=5))  # empty
    PostDailyStatsFactory(post=post, date=today() - timedelta(days=40), views=99)
    # A comment the roll-up has not seen yet: the daily numbers don't have it.
    CommentFactory(post=post)

    response = client_for(author).get(post_stats_url(post.slug))
    assert response.status_code == 200
    assert response.json() == {
        "view_count": 40,
        "comment_count": 3,
        "daily": [
            {"date": today().isoformat(), "views": 10, "comments": 2},
            {"date": (today() - timedelta(days=3)).isoformat(), "views": 30, "comments": 0},
        ],
    }


def test_post_stats_view_count_includes_pending_views(author):
    post = PostFactory(author=author, view_count=5)
    post_view_count(post_id=post.pk, views=2)
    assert client_for(author).get(post_stats_url(post.slug)).json()["view_count"] == 7


def test_post_stats_permissions(author, anon_client, reader_client, editor_client):
    post = PostFactory(author=author)
    url = post_stats_url(post.slug)
    assert anon_client.get(url).status_code == 401
    assert reader_client.get(url).status_code == 403
    assert client_for(AuthorFactory()).get(url).status_code == 403
    assert client_for(author).get(url).status_code == 200
    assert editor_client.get(url).status_code == 200


# --- admin stats: the cache's counters ------------------------------------------------


@needs_redis
@pytest.mark.usefixtures("fresh_cache_counters")
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

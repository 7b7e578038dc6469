"""The `analytics` consumer: approved comments per post and day, site totals, trending.

Changes go through the services, with after-commit work run (so the outbox dispatches
the consumer's jobs, in-process in tests), as in production.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.services import user_register
from analytics.consumers import CONSUMERS, event_consume
from analytics.models import Event, PostDailyStats, SiteDailyStats
from analytics.selectors import post_trending
from analytics.services import (
    daily_stats_apply_event,
    post_daily_comments_refresh,
    post_view_count,
    view_counts_flush,
)
from blog.models import Comment, CommentStatus, PostStatus
from blog.services import comments as comment_services
from blog.services import posts as post_services
from tasks.models import JobRecord
from tests.factories import (
    CommentFactory,
    DraftPostFactory,
    EventFactory,
    PostDailyStatsFactory,
    PostFactory,
    ReaderFactory,
)
from tests.helpers import today

pytestmark = pytest.mark.django_db


def post_comments(post, day=None):
    row = PostDailyStats.objects.filter(post=post, date=day or today()).first()
    return row.comments if row else 0


def site(field, day=None):
    row = SiteDailyStats.objects.filter(date=day or today()).first()
    return getattr(row, field) if row else 0


def truth(post):
    """Approved comments of the post per day of creation, from the comments themselves."""
    return dict(
        Comment.objects.filter(post=post, status=CommentStatus.APPROVED)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .order_by()
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )


def rolled_up(post):
    return dict(
        PostDailyStats.objects.filter(post=post, comments__gt=0).values_list("date", "comments")
    )


def test_the_consumer_is_registered_on_the_low_queue():
    target = CONSUMERS["analytics"]
    assert target.queue == "low"
    for event_type in ("comment.created", "comment.moderated", "comment.deleted"):
        assert target.wants(event_type)
    assert not target.wants("post.viewed")


def test_an_approved_comment_is_rolled_up_by_a_low_job(run_committed):
    post, reader = PostFactory(), ReaderFactory()
    run_committed(comment_services.comment_create, post=post, author=reader, body="Nice.")

    assert post_comments(post) == 1
    assert site("comments") == 1
    job = JobRecord.objects.get(name="analytics.consume_event", arguments__args__0="analytics")
    assert job.queue == "low" and job.status == "completed"


def test_moderation_to_and_from_approved_follows(run_committed, settings, editor):
    settings.COMMENTS_REQUIRE_MODERATION = True
    post, reader = PostFactory(), ReaderFactory()
    comment = run_committed(comment_services.comment_create, post=post, author=reader, body="Held.")
    assert comment.status == CommentStatus.PENDING
    assert post_comments(post) == 0 and site("comments") == 0

    run_committed(
        comment_services.comment_moderate, comment=comment, actor=editor, status="approved"
    )
    assert post_comments(post) == 1 and site("comments") == 1

    run_committed(comment_services.comment_moderate, comment=comment, actor=editor, status="spam")
    assert post_comments(post) == 0 and site("comments") == 0

    run_committed(
        comment_services.comment_moderate, comment=comment, actor=editor, status="rejected"
    )
    assert post_comments(post) == 0 and site("comments") == 0


def test_deleting_an_approved_comment_takes_it_off(run_committed):
    post, reader = PostFactory(), ReaderFactory()
    kept = run_committed(comment_services.comment_create, post=post, author=reader, body="One.")
    gone = run_committed(comment_services.comment_create, post=post, author=reader, body="Two.")
    assert post_comments(post) == 2

    run_committed(comment_services.comment_delete, comment=gone, actor=reader)
    assert post_comments(post) == 1 and site("comments") == 1
    assert Comment.objects.filter(pk=kept.pk).exists()


def test_an_edit_that_sends_a_comment_back_to_moderation_takes_it_off(run_committed, settings):
    settings.COMMENT_MAX_LINKS = 1
    post, reader = PostFactory(), ReaderFactory()
    comment = run_committed(
        comment_services.comment_create, post=post, author=reader, body="Plain."
    )
    assert post_comments(post) == 1

    spam = "https://a.example https://b.example https://c.example"
    comment = run_committed(
        comment_services.comment_update, comment=comment, actor=reader, body=spam
    )
    assert comment.status == CommentStatus.PENDING
    assert post_comments(post) == 0 and site("comments") == 0


def test_a_comment_counts_on_the_day_it_was_written(run_committed, editor):
    post = PostFactory()
    three_days_ago = timezone.now() - timedelta(days=3)
    comment = CommentFactory(post=post, status=CommentStatus.PENDING)
    Comment.objects.filter(pk=comment.pk).update(created_at=three_days_ago)
    comment.refresh_from_db()

    run_committed(
        comment_services.comment_moderate, comment=comment, actor=editor, status="approved"
    )
    day = three_days_ago.astimezone(UTC).date()
    assert post_comments(post, day) == 1 and post_comments(post) == 0
    assert site("comments", day) == 1 and site("comments") == 0


def test_the_roll_up_matches_the_comments_after_many_changes(run_committed, settings, editor):
    settings.COMMENTS_REQUIRE_MODERATION = True
    posts, reader = [PostFactory(), PostFactory()], ReaderFactory()
    comments = [
        run_committed(
            comment_services.comment_create, post=posts[i % 2], author=reader, body=f"c{i}"
        )
        for i in range(8)
    ]
    # Some were written on earlier days (rows written directly: only the day matters).
    for i, comment in enumerate(comments[:4]):
        Comment.objects.filter(pk=comment.pk).update(
            created_at=timezone.now() - timedelta(days=i + 1)
        )
        comment.refresh_from_db()
    for comment, status in zip(comments, ["approved"] * 6 + ["spam", "approved"], strict=True):
        run_committed(
            comment_services.comment_moderate, comment=comment, actor=editor, status=status
        )
    run_committed(
        comment_services.comment_moderate, comment=comments[1], actor=editor, status="rejected"
    )
    run_committed(comment_services.comment_delete, comment=comments[2], actor=editor)

    for post in posts:
        assert rolled_up(post) == truth(post)
    days = {d for post in posts for d in truth(post)}
    for day in days:
        assert site("comments", day) == sum(truth(p).get(day, 0) for p in posts)


def test_each_event_is_rolled_up_once(run_committed):
    post, reader = PostFactory(), ReaderFactory()
    run_committed(comment_services.comment_create, post=post, author=reader, body="Once.")
    run_committed(
        post_services.post_publish, post=DraftPostFactory(author=post.author), actor=post.author
    )
    assert site("posts_published") == 1 and site("comments") == 1

    for event in Event.objects.filter(type__in=["comment.created", "post.published"]):
        assert event_consume(consumer_name="analytics", event_id=event.pk) == "duplicate"
    assert site("posts_published") == 1 and site("comments") == 1
    assert post_comments(post) == 1


def test_a_comment_event_applied_again_changes_nothing(run_committed):
    """Comments are recounted, not incremented: a replay of their events is harmless."""
    post, reader = PostFactory(), ReaderFactory()
    run_committed(comment_services.comment_create, post=post, author=reader, body="Once.")
    event = Event.objects.get(type="comment.created")
    daily_stats_apply_event(event=event)
    daily_stats_apply_event(event=event)
    assert post_comments(post) == 1 and site("comments") == 1


def test_site_totals_count_publications_and_registrations(run_committed, author):
    draft = DraftPostFactory(author=author)
    run_committed(post_services.post_publish, post=draft, actor=author)
    run_committed(
        user_register,
        username="newcomer",
        email="newcomer@example.com",
        password="a-long-enough-pass-2026",
    )
    assert site("posts_published") == 1
    assert site("users_registered") == 1
    assert site("comments") == 0


def test_the_events_day_is_the_day_counted():
    yesterday = timezone.now() - timedelta(days=1)
    event = EventFactory(
        id="00000000-0000-4000-8000-000000000001",
        type="user.registered",
        occurred_at=yesterday,
        data={"username": "x", "role": "reader"},
    )
    daily_stats_apply_event(event=event)
    assert site("users_registered", yesterday.date()) == 1
    assert site("users_registered") == 0


# --- trending --------------------------------------------------------------------------


def _stats(post, days_ago, views=0, comments=0):
    PostDailyStatsFactory(
        post=post, date=today() - timedelta(days=days_ago), views=views, comments=comments
    )


def test_trending_weighs_views_and_comments_of_recent_days():
    viewed, discussed, old, quiet = (PostFactory() for _ in range(4))
    draft = PostFactory(status=PostStatus.DRAFT, published_at=None)
    _stats(viewed, 0, views=60)
    _stats(viewed, 2, views=40)  # 100
    _stats(discussed, 1, views=10, comments=20)  # 10 + 20 x 5 = 110
    _stats(old, 10, views=5000)  # outside the window
    _stats(old, 0, views=1)
    _stats(draft, 0, views=9999)  # not published
    _stats(quiet, 0)

    rows = post_trending(days=7, limit=10)
    assert [r["slug"] for r in rows] == [discussed.slug, viewed.slug, old.slug]
    assert rows[0] == {
        "id": discussed.pk,
        "slug": discussed.slug,
        "title": discussed.title,
        "views": 10,
        "comments": 20,
        "score": 110,
    }
    assert rows[1]["views"] == 100 and rows[2]["views"] == 1
    assert [r["slug"] for r in post_trending(days=7, limit=1)] == [discussed.slug]


def test_trending_from_the_views_counter(run_committed):
    first, second = PostFactory(), PostFactory()
    post_view_count(post_id=first.pk, views=3)
    post_view_count(post_id=second.pk, views=2)
    run_committed(comment_services.comment_create, post=second, author=ReaderFactory(), body="Hi.")
    view_counts_flush()
    assert [r["slug"] for r in post_trending()] == [second.slug, first.slug]


def test_days_are_utc_days():
    """A comment written at 23:30 on the 9th in UTC-5 counts on the 10th (UTC)."""
    post = PostFactory()
    late = datetime(2026, 1, 10, 4, 30, tzinfo=UTC)
    comment = CommentFactory(post=post)
    Comment.objects.filter(pk=comment.pk).update(created_at=late)

    assert post_daily_comments_refresh(post_id=post.pk) == {late.date(): 1}
    assert post_comments(post, late.date()) == 1

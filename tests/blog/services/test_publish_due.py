"""The scheduler's service, `post_publish_due`: due posts published once, future ones left,
batches, and concurrent schedulers (row locks)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from blog.models import Post, PostStatus
from blog.services.posts import post_create, post_publish_due
from tests.factories import DraftPostFactory, PostFactory

pytestmark = pytest.mark.django_db


def test_publish_due_publishes_due_posts_once_and_leaves_future_ones(author):
    now = timezone.now()
    due_earlier = DraftPostFactory(status=PostStatus.SCHEDULED, publish_at=now - timedelta(hours=2))
    due_now = DraftPostFactory(status=PostStatus.SCHEDULED, publish_at=now)
    future = DraftPostFactory(status=PostStatus.SCHEDULED, publish_at=now + timedelta(minutes=1))
    draft_in_past = DraftPostFactory(publish_at=now - timedelta(days=1))
    published = PostFactory(publish_at=now - timedelta(days=1), published_at=now)

    assert post_publish_due(now=now) == [due_earlier.pk, due_now.pk]
    assert post_publish_due(now=now) == []

    for post, when in ((due_earlier, due_earlier.publish_at), (due_now, due_now.publish_at)):
        post = Post.objects.get(pk=post.pk)
        assert post.status == PostStatus.PUBLISHED
        assert post.published_at == when
    assert Post.objects.get(pk=future.pk).status == PostStatus.SCHEDULED
    assert Post.objects.get(pk=future.pk).published_at is None
    assert Post.objects.get(pk=draft_in_past.pk).status == PostStatus.DRAFT
    assert Post.objects.get(pk=published.pk).published_at == published.published_at

    # Its time comes later: a later run publishes it, once.
    later = now + timedelta(minutes=5)
    assert post_publish_due(now=later) == [future.pk]
    assert post_publish_due(now=later) == []


def test_publish_due_defaults_to_the_current_time(author):
    post = post_create(
        author=author,
        title="A post",
        body="Some *body* text.",
        status=PostStatus.PUBLISHED,
        publish_at=timezone.now() + timedelta(days=1),
    )
    assert post_publish_due() == []
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert post_publish_due() == [post.pk]
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


def test_publish_due_works_through_more_than_one_batch():
    now = timezone.now()
    posts = [
        DraftPostFactory(status=PostStatus.SCHEDULED, publish_at=now - timedelta(minutes=i))
        for i in range(7)
    ]
    published = post_publish_due(now=now, batch_size=3)
    assert sorted(published) == sorted(p.pk for p in posts)
    assert len(published) == 7
    assert not Post.objects.filter(status=PostStatus.SCHEDULED).exists()


@pytest.mark.django_db(transaction=True)
def test_publish_due_skips_a_post_locked_by_a_concurrent_scheduler():
    """Two schedulers at once never publish a post twice: a row another one holds is
    skipped (SKIP LOCKED), and published by whoever holds it."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    now = timezone.now()
    locked = DraftPostFactory(status=PostStatus.SCHEDULED, publish_at=now - timedelta(minutes=2))
    free = DraftPostFactory(status=PostStatus.SCHEDULED, publish_at=now - timedelta(minutes=1))
    holding, release = threading.Event(), threading.Event()
    errors = []

    def hold_lock():
        try:
            with transaction.atomic():
                list(Post.objects.select_for_update().filter(pk=locked.pk))
                holding.set()
                release.wait(timeout=30)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        assert post_publish_due(now=now) == [free.pk]
    finally:
        release.set()
        thread.join(timeout=30)
    assert not errors
    assert Post.objects.get(pk=locked.pk).status == PostStatus.SCHEDULED
    assert post_publish_due(now=now) == [locked.pk]
    assert post_publish_due(now=now) == []

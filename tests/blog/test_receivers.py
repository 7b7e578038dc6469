"""The blog's cache receiver (blog/receivers.py): each event invalidates the namespaces of
what it changed, after the commit."""

import pytest

from blog.receivers import cache_namespaces_for_event, invalidate_cache_for_event
from blog.services.taxonomy import category_create
from config.cache import namespace_generation
from config.events.bus import DomainEvent
from tests.factories import MediaFactory, PostFactory
from tests.helpers import needs_redis

pytestmark = [
    needs_redis,
    pytest.mark.usefixtures("fresh_cache_counters"),
]


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


@pytest.mark.parametrize("event_type", ["media.updated", "media.processed", "media.deleted"])
def test_a_media_event_invalidates_the_posts_featuring_it(db, event_type):
    media = MediaFactory()
    first, second = PostFactory(featured_image=media), PostFactory(featured_image=media)
    PostFactory()  # without it
    event = _event(event_type, aggregate_id=str(media.pk), media_id=media.pk)
    assert sorted(cache_namespaces_for_event(event)) == sorted(
        ["posts", f"post:{first.pk}", f"post:{second.pk}"]
    )


@pytest.mark.parametrize("event_type", ["media.uploaded", "media.updated", "media.deleted"])
def test_a_media_no_post_features_invalidates_nothing(db, event_type):
    media = MediaFactory()
    PostFactory(body=f"![x](/media/{media.file.name})")  # in a body: the job's business
    event = _event(event_type, aggregate_id=str(media.pk), media_id=media.pk)
    assert cache_namespaces_for_event(event) == []

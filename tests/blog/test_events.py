"""The events of the blog's services: exactly one stored event per committed change, with
its documented payload, for posts, comments and categories (through the API, the services
and the scheduled-publish job); none for a refused or empty change. (The admin's bulk
actions: tests/blog/admin/; the bus itself: tests/config/events/test_bus.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Comment, CommentStatus, Post, PostStatus
from blog.services import posts as post_services
from blog.tasks import publish_due_posts
from config.events.registry import EVENT_TYPES
from tests.factories import CommentFactory, DraftPostFactory, PostFactory, TagFactory
from tests.helpers import assert_event, client_for, only

pytestmark = pytest.mark.django_db

# --- posts ------------------------------------------------------------------------------


def _create_post(client, **data):
    data.setdefault("title", "Event Post")
    data.setdefault("body", "Some *body*.")
    response = client.post("/api/v1/posts/", data)
    assert response.status_code == 201, response.content
    return Post.objects.get(slug=response.json()["slug"])


def test_post_created_as_draft(author, events):
    post = _create_post(client_for(author))

    assert_event(
        only(events, "post.created"),
        "post.created",
        aggregate_id=post.pk,
        actor=author,
        data={"slug": "event-post", "status": PostStatus.DRAFT, "author_id": author.pk},
    )


def test_post_created_published(author, events):
    post = _create_post(client_for(author), status="published")

    created, published = events.new()
    assert_event(
        created,
        "post.created",
        aggregate_id=post.pk,
        actor=author,
        data={"slug": post.slug, "status": PostStatus.PUBLISHED, "author_id": author.pk},
    )
    assert_event(
        published,
        "post.published",
        aggregate_id=post.pk,
        actor=author,
        data={
            "slug": post.slug,
            "published_at": post.published_at.isoformat(),
            "author_id": author.pk,
        },
    )


def test_post_created_for_later_is_scheduled(author, events):
    when = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    post = _create_post(client_for(author), status="published", publish_at=when.isoformat())

    created, scheduled = events.new()
    assert_event(
        created,
        "post.created",
        aggregate_id=post.pk,
        actor=author,
        data={"slug": post.slug, "status": PostStatus.SCHEDULED, "author_id": author.pk},
    )
    assert_event(
        scheduled,
        "post.scheduled",
        aggregate_id=post.pk,
        actor=author,
        data={"slug": post.slug, "publish_at": when.isoformat()},
    )


def test_post_updated(author, events):
    post = DraftPostFactory(author=author)
    response = client_for(author).patch(f"/api/v1/posts/{post.slug}/", {"title": "New title"})
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "post.updated"),
        "post.updated",
        aggregate_id=post.pk,
        actor=author,
        data={"slug": post.slug, "fields": ["title"]},
    )


def test_post_updated_by_an_editor_names_the_editor(author, editor, events):
    post = PostFactory(author=author)
    client_for(editor).patch(f"/api/v1/posts/{post.slug}/", {"body": "Edited.", "tags": ["x"]})

    event = only(events, "post.updated")
    assert event.actor_id == editor.pk
    assert event.data["fields"] == ["body", "tags"]


def test_post_update_that_changes_nothing_records_nothing(author, events):
    tag = TagFactory(name="django", slug="django")
    post = DraftPostFactory(author=author, tags=[tag])
    response = client_for(author).patch(
        f"/api/v1/posts/{post.slug}/", {"title": post.title, "tags": ["django"]}
    )
    assert response.status_code == 200
    assert events.types() == []


def test_post_update_with_a_new_status_records_the_transition(author, events):
    post = DraftPostFactory(author=author)
    response = client_for(author).patch(
        f"/api/v1/posts/{post.slug}/", {"title": "Going live", "status": "published"}
    )
    assert response.status_code == 200, response.content
    post.refresh_from_db()

    updated, published = events.new()
    assert updated.type == "post.updated"
    assert updated.data == {"slug": post.slug, "fields": ["title"]}
    assert_event(
        published,
        "post.published",
        aggregate_id=post.pk,
        actor=author,
        data={
            "slug": post.slug,
            "published_at": post.published_at.isoformat(),
            "author_id": author.pk,
        },
    )


@pytest.mark.parametrize(
    ("start", "status", "event_type"),
    [
        (PostStatus.PUBLISHED, "archived", "post.archived"),
        (PostStatus.PUBLISHED, "draft", "post.unpublished"),
        (PostStatus.ARCHIVED, "published", "post.published"),
    ],
)
def test_post_update_of_status_alone(author, events, start, status, event_type):
    post = PostFactory(author=author, status=start)
    response = client_for(author).patch(f"/api/v1/posts/{post.slug}/", {"status": status})
    assert response.status_code == 200, response.content
    assert events.types() == [event_type]


def test_rescheduling_to_the_past_publishes(author, events):
    post = post_services.post_create(
        author=author,
        title="Later",
        body="Body.",
        status=PostStatus.PUBLISHED,
        publish_at=timezone.now() + timedelta(days=1),
    )
    events.mark()
    post_services.post_update(
        post=post, actor=author, publish_at=timezone.now() - timedelta(minutes=1)
    )

    updated, published = events.new()
    assert updated.data == {"slug": post.slug, "fields": ["publish_at"]}
    assert published.type == "post.published"


def test_post_published(author, events):
    post = DraftPostFactory(author=author)
    response = client_for(author).post(f"/api/v1/posts/{post.slug}/publish/")
    assert response.status_code == 200, response.content
    post.refresh_from_db()

    assert_event(
        only(events, "post.published"),
        "post.published",
        aggregate_id=post.pk,
        actor=author,
        data={
            "slug": post.slug,
            "published_at": post.published_at.isoformat(),
            "author_id": author.pk,
        },
    )


def test_post_scheduled_by_publish_with_a_future_time(author, events):
    when = timezone.now() + timedelta(hours=5)
    post = DraftPostFactory(author=author, publish_at=when)
    response = client_for(author).post(f"/api/v1/posts/{post.slug}/publish/")
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "post.scheduled"),
        "post.scheduled",
        aggregate_id=post.pk,
        actor=author,
        data={"slug": post.slug, "publish_at": when.isoformat()},
    )


def test_publishing_twice_is_a_conflict_and_records_nothing(author, events):
    post = PostFactory(author=author)
    response = client_for(author).post(f"/api/v1/posts/{post.slug}/publish/")
    assert response.status_code == 409
    assert events.types() == []


def test_post_unpublished(author, events):
    post = PostFactory(author=author)
    assert client_for(author).post(f"/api/v1/posts/{post.slug}/unpublish/").status_code == 200

    event = only(events, "post.unpublished")
    assert_event(
        event, "post.unpublished", aggregate_id=post.pk, actor=author, data={"slug": post.slug}
    )


def test_post_archived(editor, events):
    post = PostFactory()
    assert client_for(editor).post(f"/api/v1/posts/{post.slug}/archive/").status_code == 200

    event = only(events, "post.archived")
    assert_event(
        event, "post.archived", aggregate_id=post.pk, actor=editor, data={"slug": post.slug}
    )


def test_post_deleted(author, events):
    post = PostFactory(author=author)
    post_id, slug = post.pk, post.slug
    assert client_for(author).delete(f"/api/v1/posts/{slug}/").status_code == 204

    event = only(events, "post.deleted")
    assert_event(event, "post.deleted", aggregate_id=post_id, actor=author, data={"slug": slug})


def test_scheduled_publish_job_records_one_event_per_post(author, events):
    due = timezone.now() - timedelta(minutes=1)
    posts = [
        DraftPostFactory(author=author, status=PostStatus.SCHEDULED, publish_at=due)
        for _ in range(2)
    ]
    DraftPostFactory(
        author=author, status=PostStatus.SCHEDULED, publish_at=timezone.now() + timedelta(days=1)
    )

    assert publish_due_posts.delay().get() == 2

    new = events.new()
    assert [e.type for e in new] == ["post.published", "post.published"]
    by_post = {e.aggregate_id: e for e in new}
    for post in posts:
        assert_event(
            by_post[str(post.pk)],
            "post.published",
            aggregate_id=post.pk,
            actor=None,  # the scheduler, not a person
            data={"slug": post.slug, "published_at": due.isoformat(), "author_id": author.pk},
        )


def test_post_viewed_is_delivered_but_not_stored(anon_client, events, delivered):
    post = PostFactory()
    response = anon_client.get(f"/api/v1/posts/{post.slug}/")
    assert response.status_code == 200

    viewed = [e for e in delivered if e.type == "post.viewed"]
    assert len(viewed) == 1
    assert viewed[0].aggregate_id == str(post.pk)
    assert viewed[0].data == {"slug": post.slug}
    assert set(viewed[0].data) == set(EVENT_TYPES["post.viewed"][1])
    assert viewed[0].stored is False
    assert events.types() == []


# --- comments ---------------------------------------------------------------------------


def test_comment_created(reader, events):
    post = PostFactory()
    response = client_for(reader).post(f"/api/v1/posts/{post.slug}/comments/", {"body": "Nice."})
    assert response.status_code == 201, response.content

    comment = Comment.objects.get()
    assert_event(
        only(events, "comment.created"),
        "comment.created",
        aggregate_id=comment.pk,
        actor=reader,
        data={
            "post_id": post.pk,
            "parent_id": None,
            "status": CommentStatus.APPROVED,
            "author_id": reader.pk,
        },
    )


def test_comment_created_as_a_held_reply(reader, events, settings):
    settings.COMMENTS_REQUIRE_MODERATION = True
    parent = CommentFactory()
    response = client_for(reader).post(
        f"/api/v1/posts/{parent.post.slug}/comments/", {"body": "Reply.", "parent": parent.pk}
    )
    assert response.status_code == 201, response.content

    event = only(events, "comment.created")
    assert event.data == {
        "post_id": parent.post_id,
        "parent_id": parent.pk,
        "status": CommentStatus.PENDING,
        "author_id": reader.pk,
    }


def test_comment_on_a_closed_post_records_nothing(reader, events):
    post = PostFactory(allow_comments=False)
    response = client_for(reader).post(f"/api/v1/posts/{post.slug}/comments/", {"body": "Hi."})
    assert response.status_code == 403
    assert events.types() == []


def test_comment_updated(reader, events):
    comment = CommentFactory(author=reader)
    response = client_for(reader).patch(f"/api/v1/comments/{comment.pk}/", {"body": "Edited."})
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "comment.updated"),
        "comment.updated",
        aggregate_id=comment.pk,
        actor=reader,
        data={"post_id": comment.post_id, "status": CommentStatus.APPROVED},
    )


def test_comment_deleted(editor, events):
    comment = CommentFactory()
    comment_id, post_id = comment.pk, comment.post_id
    assert client_for(editor).delete(f"/api/v1/comments/{comment_id}/").status_code == 204

    assert_event(
        only(events, "comment.deleted"),
        "comment.deleted",
        aggregate_id=comment_id,
        actor=editor,
        data={"post_id": post_id},
    )


def test_comment_moderated(editor, events):
    comment = CommentFactory()
    response = client_for(editor).post(
        f"/api/v1/comments/{comment.pk}/moderate/", {"status": CommentStatus.REJECTED}
    )
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "comment.moderated"),
        "comment.moderated",
        aggregate_id=comment.pk,
        actor=editor,
        data={
            "post_id": comment.post_id,
            "old_status": CommentStatus.APPROVED,
            "new_status": CommentStatus.REJECTED,
        },
    )


def test_moderating_to_the_current_status_records_nothing(editor, events):
    comment = CommentFactory(status=CommentStatus.APPROVED)
    response = client_for(editor).post(
        f"/api/v1/comments/{comment.pk}/moderate/", {"status": CommentStatus.APPROVED}
    )
    assert response.status_code == 200
    assert events.types() == []


# --- categories -------------------------------------------------------------------------


def test_category_created_updated_deleted(editor, events):
    client = client_for(editor)
    response = client.post("/api/v1/categories/", {"name": "Travel"})
    assert response.status_code == 201, response.content
    category_id = response.json()["id"]
    assert_event(
        only(events, "category.created"),
        "category.created",
        aggregate_id=category_id,
        actor=editor,
        data={"slug": "travel", "parent": None},
    )

    events.mark()
    response = client.patch("/api/v1/categories/travel/", {"description": "Far away."})
    assert response.status_code == 200, response.content
    assert_event(
        only(events, "category.updated"),
        "category.updated",
        aggregate_id=category_id,
        actor=editor,
        data={"slug": "travel", "fields": ["description"], "parent": None},
    )

    events.mark()
    assert client.patch("/api/v1/categories/travel/", {"name": "Travel"}).status_code == 200
    assert events.types() == []  # nothing changed

    events.mark()
    assert client.delete("/api/v1/categories/travel/").status_code == 204
    assert_event(
        only(events, "category.deleted"),
        "category.deleted",
        aggregate_id=category_id,
        actor=editor,
        data={"slug": "travel"},
    )

"""Domain events: exactly one stored event per committed change, with its payload, for
every service that writes (through the API, the admin and the scheduled-publish job);
none for a rolled-back change; personal data redacted; request ids; after-commit
receivers that cannot fail a request; the outbox relay for a lost dispatch."""

import json
import logging
import uuid
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role, User
from analytics.consumers import CONSUMERS, consumer
from analytics.models import ConsumedEvent, Event
from analytics.outbox import event_dispatch
from analytics.tasks import relay_events
from blog.models import Comment, CommentStatus, Post, PostStatus
from blog.services import posts as post_services
from blog.tasks import publish_due_posts
from config.errors import InvalidInput
from config.events.bus import EVENT_TYPES, REDACTED, event_committed, publish, redact
from tasks.models import JobRecord, JobStatus
from tests.conftest import client_for
from tests.factories import (
    PASSWORD,
    CategoryFactory,
    CommentFactory,
    DraftPostFactory,
    PostFactory,
    ReaderFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "tangerine-lighthouse-917"


class EventLog:
    """The events stored since `mark()`, oldest first."""

    def __init__(self):
        self.before = set()

    def mark(self):
        self.before = set(Event.objects.values_list("pk", flat=True))

    def new(self) -> list[Event]:
        return list(
            Event.objects.exclude(pk__in=self.before)
            .select_related("actor")
            .order_by("occurred_at", "id")
        )

    def types(self) -> list[str]:
        return [event.type for event in self.new()]


@pytest.fixture
def events(db):
    log = EventLog()
    log.mark()
    return log


def assert_event(event, event_type, *, aggregate_id, actor, data):
    """The event's type, aggregate, actor and exact payload (keys and values)."""
    aggregate_type, payload_keys = EVENT_TYPES[event_type]
    assert event.type == event_type
    assert event.aggregate_type == aggregate_type
    assert event.aggregate_id == str(aggregate_id)
    assert event.actor_id == (actor.pk if actor else None)
    assert set(event.data) == set(payload_keys), "payload keys differ from the documented ones"
    assert event.data == data


def only(log: EventLog, event_type: str) -> Event:
    new = log.new()
    assert [e.type for e in new] == [event_type]
    return new[0]


@pytest.fixture
def admin_web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def delivered():
    """The events delivered to after-commit receivers, in order."""
    seen = []

    def record(sender, event, **kwargs):
        seen.append(event)

    event_committed.connect(record, dispatch_uid="tests.record_delivered")
    yield seen
    event_committed.disconnect(dispatch_uid="tests.record_delivered")


# --- users ------------------------------------------------------------------------------


def test_user_registered(anon_client, events):
    response = anon_client.post(
        "/api/v1/auth/register/",
        {"username": "alice", "email": "alice@example.com", "password": STRONG_PASSWORD},
    )
    assert response.status_code == 201, response.content

    user = User.objects.get(username="alice")
    event = only(events, "user.registered")
    assert_event(
        event,
        "user.registered",
        aggregate_id=user.pk,
        actor=user,
        data={"username": "alice", "role": Role.READER},
    )
    assert "alice@example.com" not in json.dumps(event.data)


def test_failed_registration_records_nothing(anon_client, reader, events):
    response = anon_client.post(
        "/api/v1/auth/register/",
        {"username": reader.username, "email": "x@example.com", "password": STRONG_PASSWORD},
    )
    assert response.status_code == 400
    assert events.types() == []


def test_user_logged_in(anon_client, reader, events):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": reader.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "user.logged_in"),
        "user.logged_in",
        aggregate_id=reader.pk,
        actor=reader,
        data={"username": reader.username},
    )


def test_user_login_failed_with_a_wrong_password(anon_client, reader, events):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": reader.username, "password": "wrong-password-1"}
    )
    assert response.status_code == 401

    assert_event(
        only(events, "user.login_failed"),
        "user.login_failed",
        aggregate_id=reader.pk,
        actor=None,
        data={"username": reader.username, "reason": "no_active_account"},
    )


def test_user_login_failed_for_an_unknown_user(anon_client, events):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": "nobody", "password": "wrong-password-1"}
    )
    assert response.status_code == 401

    event = only(events, "user.login_failed")
    assert event.aggregate_id == "unknown"
    assert event.data == {"username": "nobody", "reason": "no_active_account"}


def test_login_failed_with_an_email_as_username_keeps_the_address_out(anon_client, events):
    anon_client.post(
        "/api/v1/auth/token/", {"username": "bob@example.com", "password": "wrong-password-1"}
    )

    event = only(events, "user.login_failed")
    assert event.data["username"] == REDACTED
    assert "example.com" not in json.dumps(event.data)


def test_user_updated(reader, events):
    response = client_for(reader).patch(
        "/api/v1/users/me/", {"display_name": "New Name", "bio": "Hello."}
    )
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "user.updated"),
        "user.updated",
        aggregate_id=reader.pk,
        actor=reader,
        data={"fields": ["bio", "display_name"]},
    )


def test_user_updated_email_names_the_field_not_the_address(reader, events):
    response = client_for(reader).patch("/api/v1/users/me/", {"email": "new-address@example.org"})
    assert response.status_code == 200, response.content

    event = only(events, "user.updated")
    assert event.data == {"fields": ["email"]}
    assert "new-address" not in json.dumps(event.data)


def test_profile_patch_that_changes_nothing_records_nothing(reader, events):
    response = client_for(reader).patch("/api/v1/users/me/", {"display_name": reader.display_name})
    assert response.status_code == 200
    assert events.types() == []


def test_user_password_changed(reader, events):
    response = client_for(reader).post(
        "/api/v1/users/me/password/",
        {"old_password": PASSWORD, "new_password": STRONG_PASSWORD},
    )
    assert response.status_code == 204, response.content

    event = only(events, "user.password_changed")
    assert_event(event, "user.password_changed", aggregate_id=reader.pk, actor=reader, data={})


def test_wrong_old_password_records_nothing(reader, events):
    response = client_for(reader).post(
        "/api/v1/users/me/password/",
        {"old_password": "not-it-at-all-1", "new_password": STRONG_PASSWORD},
    )
    assert response.status_code == 400
    assert events.types() == []


def test_user_role_changed(admin_user, reader, events):
    response = client_for(admin_user).patch(
        f"/api/v1/admin/users/{reader.username}/", {"role": Role.AUTHOR}
    )
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "user.role_changed"),
        "user.role_changed",
        aggregate_id=reader.pk,
        actor=admin_user,
        data={"old_role": Role.READER, "new_role": Role.AUTHOR},
    )


def test_user_deactivated_then_activated(admin_user, reader, events):
    client = client_for(admin_user)
    url = f"/api/v1/admin/users/{reader.username}/"

    assert client.patch(url, {"is_active": False}).status_code == 200
    event = only(events, "user.deactivated")
    assert_event(event, "user.deactivated", aggregate_id=reader.pk, actor=admin_user, data={})

    events.mark()
    assert client.patch(url, {"is_active": True}).status_code == 200
    event = only(events, "user.activated")
    assert_event(event, "user.activated", aggregate_id=reader.pk, actor=admin_user, data={})


def test_admin_update_of_role_and_activation_records_both(admin_user, reader, events):
    response = client_for(admin_user).patch(
        f"/api/v1/admin/users/{reader.username}/", {"role": Role.EDITOR, "is_active": False}
    )
    assert response.status_code == 200, response.content
    assert events.types() == ["user.role_changed", "user.deactivated"]


def test_setting_the_current_role_or_activation_records_nothing(admin_user, reader, events):
    account_services.user_set_role(user=reader, role=Role.READER, actor=admin_user)
    account_services.user_set_active(user=reader, is_active=True, actor=admin_user)
    account_services.user_admin_update(
        user=reader, actor=admin_user, role=Role.READER, is_active=True
    )
    assert events.types() == []


def test_admin_bulk_role_action_records_one_event_per_user(admin_web, admin_user, events):
    readers = ReaderFactory.create_batch(2)
    response = admin_web.post(
        "/admin/accounts/user/",
        {"action": "make_author", ACTION_CHECKBOX_NAME: [u.pk for u in readers]},
    )
    assert response.status_code == 302

    new = events.new()
    assert [e.type for e in new] == ["user.role_changed", "user.role_changed"]
    assert {e.aggregate_id for e in new} == {str(u.pk) for u in readers}
    assert all(e.actor_id == admin_user.pk for e in new)


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


# --- the admin's bulk actions for posts ------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "start", "unchangeable", "event_type"),
    [
        ("post_publish", PostStatus.DRAFT, PostStatus.PUBLISHED, "post.published"),
        ("post_unpublish", PostStatus.PUBLISHED, PostStatus.DRAFT, "post.unpublished"),
        ("post_archive", PostStatus.PUBLISHED, PostStatus.ARCHIVED, "post.archived"),
    ],
)
def test_admin_post_action_records_one_event_per_changed_post(
    admin_web, admin_user, events, action, start, unchangeable, event_type
):
    posts = [PostFactory(status=start, published_at=None) for _ in range(2)]
    # One the action refuses (a conflict): it must record nothing.
    refused = PostFactory(status=unchangeable)
    selected = [p.pk for p in posts] + [refused.pk]

    response = admin_web.post(
        "/admin/blog/post/", {"action": action, ACTION_CHECKBOX_NAME: selected}
    )
    assert response.status_code == 302

    new = events.new()
    assert [e.type for e in new] == [event_type, event_type]
    assert {e.aggregate_id for e in new} == {str(p.pk) for p in posts}
    assert all(e.actor_id == admin_user.pk for e in new)


def test_admin_bulk_delete_of_posts_records_one_event_per_post(admin_web, events):
    posts = PostFactory.create_batch(2)
    response = admin_web.post(
        "/admin/blog/post/",
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [p.pk for p in posts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Post.objects.filter(pk__in=[p.pk for p in posts]).exists()

    new = events.new()
    assert [e.type for e in new] == ["post.deleted", "post.deleted"]
    assert {(e.aggregate_id, e.data["slug"]) for e in new} == {(str(p.pk), p.slug) for p in posts}


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


def test_admin_bulk_moderation_records_one_event_per_changed_comment(admin_web, admin_user, events):
    changed = CommentFactory.create_batch(2, status=CommentStatus.PENDING)
    already = CommentFactory(status=CommentStatus.SPAM)
    response = admin_web.post(
        "/admin/blog/comment/",
        {"action": "mark_spam", ACTION_CHECKBOX_NAME: [c.pk for c in [*changed, already]]},
    )
    assert response.status_code == 302

    new = events.new()
    assert [e.type for e in new] == ["comment.moderated", "comment.moderated"]
    assert {e.aggregate_id for e in new} == {str(c.pk) for c in changed}
    for event in new:
        assert event.actor_id == admin_user.pk
        assert event.data["old_status"] == CommentStatus.PENDING
        assert event.data["new_status"] == CommentStatus.SPAM


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
        data={"slug": "travel"},
    )

    events.mark()
    response = client.patch("/api/v1/categories/travel/", {"description": "Far away."})
    assert response.status_code == 200, response.content
    assert_event(
        only(events, "category.updated"),
        "category.updated",
        aggregate_id=category_id,
        actor=editor,
        data={"slug": "travel", "fields": ["description"]},
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


def test_admin_bulk_delete_of_categories_records_one_event_each(admin_web, events):
    categories = CategoryFactory.create_batch(2)
    response = admin_web.post(
        "/admin/blog/category/",
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [c.pk for c in categories],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert events.types() == ["category.deleted", "category.deleted"]


# --- reports ----------------------------------------------------------------------------


def test_report_completed_payload_is_stored_as_documented(events):
    # The reports service (another issue) publishes it; the bus must store it as documented.
    report_id = uuid.uuid4()
    with transaction.atomic():
        publish("report.completed", aggregate_id=report_id, data={"kind": "users", "format": "csv"})

    assert_event(
        only(events, "report.completed"),
        "report.completed",
        aggregate_id=report_id,
        actor=None,
        data={"kind": "users", "format": "csv"},
    )


# --- atomicity --------------------------------------------------------------------------


def test_a_rolled_back_change_leaves_no_event_and_delivers_nothing(
    author, events, delivered, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        post_services.post_create(
            author=author, title="Doomed", body="x", status=PostStatus.PUBLISHED
        )
        assert Event.objects.filter(type="post.published").exists()  # in the transaction
        raise RuntimeError("forced rollback")

    assert events.types() == []
    assert not Post.objects.filter(title="Doomed").exists()
    assert callbacks == []
    assert delivered == []


def test_a_service_failing_after_publishing_leaves_no_event(author, events):
    post = DraftPostFactory(author=author, title="Old")
    # The title change publishes post.updated, then the unknown status fails the service.
    with pytest.raises(InvalidInput):
        post_services.post_update(post=post, actor=author, title="New", status="bogus")

    assert events.types() == []
    post.refresh_from_db()
    assert post.title == "Old"


@pytest.mark.django_db(transaction=True)  # really outside any transaction
def test_a_stored_event_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        publish("category.deleted", aggregate_id=1, data={"slug": "x"})


def test_after_commit_receivers_wait_for_the_commit(
    author, delivered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_services.post_create(author=author, title="T", body="B", status="published")
    assert delivered == []  # nothing outside the database before the commit

    for callback in callbacks:
        callback()
    assert [e.type for e in delivered] == ["post.created", "post.published"]


# --- request id -------------------------------------------------------------------------


def test_events_carry_the_request_id(author, events):
    response = client_for(author).post(
        "/api/v1/posts/",
        {"title": "Traced", "body": "B", "status": "published"},
        HTTP_X_REQUEST_ID="abc-123",
    )
    assert response.status_code == 201
    assert response["X-Request-ID"] == "abc-123"

    new = events.new()
    assert [e.type for e in new] == ["post.created", "post.published"]
    assert {e.request_id for e in new} == {"abc-123"}


def test_events_without_a_request_id_header_get_the_generated_one(author, events):
    response = client_for(author).post("/api/v1/posts/", {"title": "T", "body": "B"})
    event = only(events, "post.created")
    assert event.request_id == response["X-Request-ID"] != ""


# --- the sanitizer ----------------------------------------------------------------------


def test_personal_data_is_stripped_from_stored_payloads(events):
    payload = {
        "fields": ["email", "display_name"],  # names of fields are fine
        "email": "alice@example.com",
        "password": "hunter2-hunter2",
        "new_password1": "hunter3",
        "access_token": "abc",
        "apiKey": "k-123",
        "clientSecret": "s3cr3t",
        "remote_ip": "203.0.113.9",
        "note": "mail carol@example.org from 198.51.100.7 or 2001:db8::1",
        "headers": {"Authorization": "Bearer eyJhbGciOi.eyJzdWIi.c2ln", "X-Trace": "t-1"},
        "items": [{"author_id": 7, "contact": "dave@example.net"}, "10.0.0.1:8080"],
        "publish_at": "2026-01-04T10:00:00.123456+00:00",
        "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.sig",
    }
    with transaction.atomic():
        publish("user.updated", aggregate_id=1, data=payload)

    stored = Event.objects.get(pk=only(events, "user.updated").pk).data
    assert stored == {
        "fields": ["email", "display_name"],
        "email": REDACTED,
        "password": REDACTED,
        "new_password1": REDACTED,
        "access_token": REDACTED,
        "apiKey": REDACTED,
        "clientSecret": REDACTED,
        "remote_ip": REDACTED,
        "note": f"mail {REDACTED} from {REDACTED} or {REDACTED}",
        "headers": {"Authorization": REDACTED, "X-Trace": "t-1"},
        "items": [{"author_id": 7, "contact": REDACTED}, f"{REDACTED}:8080"],
        "publish_at": "2026-01-04T10:00:00.123456+00:00",
        "jwt": REDACTED,
    }
    text = json.dumps(stored)
    for secret in ("@example", "hunter", "203.0.113.9", "2001:db8", "eyJ", "s3cr3t"):
        assert secret not in text


@pytest.mark.parametrize(
    "kept",
    [
        {"author_id": 3},
        {"parent_id": None, "post_id": 4},
        {"published_at": "2026-05-01T12:30:45+00:00"},
        {"time": "12:30:45", "version": "1.2.3", "mac": "ab:cd:ef:01:02:03"},
        {"fields": ["email_notifications"], "count": 2, "ok": True, "ratio": 0.5},
    ],
)
def test_the_sanitizer_keeps_ids_times_and_primitives(kept):
    assert redact(kept) == kept


# --- after-commit receivers -------------------------------------------------------------


def test_a_failing_receiver_does_not_fail_the_request(
    author, delivered, caplog, django_capture_on_commit_callbacks
):
    def explode(sender, event, **kwargs):
        raise RuntimeError("receiver bug")

    event_committed.connect(explode, dispatch_uid="tests.explode")
    try:
        with (
            caplog.at_level(logging.ERROR, logger="config.events.bus"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client_for(author).post(
                "/api/v1/posts/", {"title": "Still fine", "body": "B", "status": "published"}
            )
    finally:
        event_committed.disconnect(dispatch_uid="tests.explode")

    assert response.status_code == 201, response.content
    assert Post.objects.filter(title="Still fine").exists()
    failures = [
        r
        for r in caplog.records
        if r.getMessage() == "event receiver failed" and "receiver bug" in str(r.exc_info[1])
    ]
    assert len(failures) == 2  # logged once per event
    # The other receivers still got every event.
    assert [e.type for e in delivered] == ["post.created", "post.published"]


def test_a_failing_receiver_does_not_fail_a_post_view(anon_client, caplog):
    def explode(sender, event, **kwargs):
        raise RuntimeError("view receiver bug")

    post = PostFactory()
    event_committed.connect(explode, dispatch_uid="tests.explode")
    try:
        with caplog.at_level(logging.ERROR, logger="config.events.bus"):
            response = anon_client.get(f"/api/v1/posts/{post.slug}/")
    finally:
        event_committed.disconnect(dispatch_uid="tests.explode")

    assert response.status_code == 200
    assert any(r.getMessage() == "event receiver failed" for r in caplog.records)


# --- the outbox relay -------------------------------------------------------------------


@pytest.fixture
def recorder_consumer():
    """A consumer of `post.published` that records what it handled."""
    handled = []

    @consumer("tests.recorder", types=["post.published"])
    def record(event):
        handled.append(event.pk)

    yield handled
    CONSUMERS.pop("tests.recorder", None)


def _lost_dispatch_event(author, age: timedelta) -> Event:
    """A post published whose after-commit dispatch never ran (the test's transaction
    never commits, like a process killed right after its commit)."""
    post_services.post_create(author=author, title="Lost", body="B", status="published")
    event = Event.objects.get(type="post.published")
    assert event.dispatched_at is None
    Event.objects.filter(pk=event.pk).update(occurred_at=timezone.now() - age)
    return event


def test_the_relay_delivers_an_event_whose_dispatch_was_lost(author, recorder_consumer):
    event = _lost_dispatch_event(author, age=timedelta(minutes=5))

    relay_events.delay()

    assert recorder_consumer == [event.pk]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert ConsumedEvent.objects.filter(consumer="tests.recorder", event_id=event.pk).exists()
    job = JobRecord.objects.get(name="analytics.consume_event", arguments__args__0="tests.recorder")
    assert job.status == JobStatus.COMPLETED
    assert job.arguments["args"] == ["tests.recorder", str(event.pk)]

    # A second relay finds nothing; a duplicate dispatch is deduplicated by the consumer.
    relay_events.delay()
    event_dispatch(event_id=event.pk, event_type=event.type)
    assert recorder_consumer == [event.pk]


def test_the_relay_leaves_recent_events_to_the_normal_path(author, recorder_consumer):
    event = _lost_dispatch_event(author, age=timedelta(seconds=1))

    relay_events.delay()

    assert recorder_consumer == []
    event.refresh_from_db()
    assert event.dispatched_at is None


def test_the_normal_path_dispatches_after_commit(
    author, recorder_consumer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_services.post_create(author=author, title="Now", body="B", status="published")

    event = Event.objects.get(type="post.published")
    assert recorder_consumer == [event.pk]
    assert event.dispatched_at is not None

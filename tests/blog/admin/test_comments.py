"""Comments in the Django admin: the moderation actions (and the posts' comment counts
they keep), the pending queue, editing a comment."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from blog.models import Comment, CommentStatus
from blog.services import comments as comment_services
from tests.factories import CommentFactory, PostFactory, ReaderFactory
from tests.helpers import admin_action, admin_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def post_with_comments():
    post = PostFactory()
    readers = [ReaderFactory() for _ in range(3)]
    comments = [
        comment_services.comment_create(post=post, author=reader, body=f"Comment {i}")
        for i, reader in enumerate(readers)
    ]
    post.refresh_from_db()
    assert post.comment_count == 3
    return post, comments


def test_bulk_mark_spam_updates_statuses_and_comment_count(editor_web, post_with_comments):
    post, comments = post_with_comments
    response = admin_action(editor_web, "/admin/blog/comment/", "mark_spam", comments[:2])
    assert response.status_code == 302
    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert statuses[comments[0].pk] == CommentStatus.SPAM
    assert statuses[comments[1].pk] == CommentStatus.SPAM
    assert statuses[comments[2].pk] == CommentStatus.APPROVED
    post.refresh_from_db()
    assert post.comment_count == 1
    assert "2 comment(s) marked spam." in admin_messages(response)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("mark_rejected", CommentStatus.REJECTED),
        ("mark_pending", CommentStatus.PENDING),
        ("mark_spam", CommentStatus.SPAM),
    ],
)
def test_every_moderation_action_hides_comments(editor_web, post_with_comments, action, status):
    post, comments = post_with_comments
    admin_action(editor_web, "/admin/blog/comment/", action, comments)
    assert set(Comment.objects.values_list("status", flat=True)) == {status}
    post.refresh_from_db()
    assert post.comment_count == 0


def test_bulk_approve_counts_comments_again(editor_web):
    post = PostFactory()
    pending = [CommentFactory(post=post, status=CommentStatus.PENDING) for _ in range(2)]
    spam = CommentFactory(post=post, status=CommentStatus.SPAM)
    response = admin_action(editor_web, "/admin/blog/comment/", "mark_approved", [*pending, spam])
    assert response.status_code == 302
    assert set(Comment.objects.values_list("status", flat=True)) == {CommentStatus.APPROVED}
    post.refresh_from_db()
    assert post.comment_count == 3


def test_moderation_across_posts_updates_each_count(editor_web):
    first, second = PostFactory(), PostFactory()
    comments = [
        CommentFactory(post=first, status=CommentStatus.PENDING),
        CommentFactory(post=second, status=CommentStatus.PENDING),
        CommentFactory(post=second, status=CommentStatus.PENDING),
    ]
    admin_action(editor_web, "/admin/blog/comment/", "mark_approved", comments)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.comment_count, second.comment_count) == (1, 2)


def test_pending_queue_filter(editor_web):
    CommentFactory(body="Held for review", status=CommentStatus.PENDING)
    CommentFactory(body="Already fine", status=CommentStatus.APPROVED)
    response = editor_web.get("/admin/blog/comment/", {"queue": "pending"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Held for review" in content
    assert "Already fine" not in content


def test_comment_cannot_be_added_in_the_admin(editor_web):
    assert editor_web.get("/admin/blog/comment/add/").status_code == 403


def test_editing_a_comment_body_in_the_admin(editor_web):
    comment = CommentFactory(body="Original")
    url = f"/admin/blog/comment/{comment.pk}/change/"
    assert editor_web.get(url).status_code == 200
    response = editor_web.post(url, {"body": "Edited by an editor"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Edited by an editor"


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

"""Comment moderation over HTTP: the editors' `moderate` endpoint through every status, and
their moderation queue."""

import pytest

from blog.models import CommentStatus
from tests import factories
from tests.helpers import COMMENT_FIELDS, assert_problem, client_for, comment_url, ids, thread_url

pytestmark = pytest.mark.django_db


# --- moderation -----------------------------------------------------------------------------


def moderate(client, comment, status):
    return client.post(f"{comment_url(comment)}moderate/", {"status": status}, format="json")


def test_editor_moderates_through_every_status(editor, post):
    target = factories.CommentFactory(post=post, status=CommentStatus.PENDING)
    factories.CommentFactory(post=post)  # an approved one that stays approved
    client = client_for(editor)
    expected_counts = {"approved": 2, "rejected": 1, "spam": 1, "pending": 1}

    for status in ["approved", "rejected", "approved", "spam", "pending", "approved"]:
        response = moderate(client, target, status)

        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
        assert response.json()["id"] == target.pk
        target.refresh_from_db()
        assert target.status == status
        post.refresh_from_db()
        assert post.comment_count == expected_counts[status], status


def test_admin_may_moderate(admin_user, post):
    target = factories.CommentFactory(post=post, status=CommentStatus.PENDING)

    assert moderate(client_for(admin_user), target, "approved").status_code == 200


def test_moderate_rejects_unknown_status(editor, post):
    target = factories.CommentFactory(post=post, status=CommentStatus.PENDING)

    body = assert_problem(moderate(client_for(editor), target, "deleted"), 400, "validation_error")
    assert "status" in body["fields"]
    target.refresh_from_db()
    assert target.status == CommentStatus.PENDING


@pytest.mark.parametrize("who", ["reader", "author"])
def test_non_editors_may_not_moderate(request, post, who):
    user = request.getfixturevalue(who)
    # Even one's own comment, on one's own post.
    target = factories.CommentFactory(post=post, author=user, status=CommentStatus.PENDING)

    assert_problem(moderate(client_for(user), target, "approved"), 403, "permission_denied")
    target.refresh_from_db()
    assert target.status == CommentStatus.PENDING


def test_moderate_requires_authentication(anon_client, comment):
    assert_problem(moderate(anon_client, comment, "spam"), 401, "not_authenticated")


def test_moderate_unknown_comment_is_404(editor):
    response = client_for(editor).post(
        "/api/v1/comments/987654/moderate/", {"status": "approved"}, format="json"
    )

    assert_problem(response, 404, "not_found")


def test_approved_by_moderation_appears_in_thread(editor, anon_client, post):
    target = factories.CommentFactory(post=post, status=CommentStatus.PENDING)
    assert ids(anon_client.get(thread_url(post))) == []

    moderate(client_for(editor), target, "approved")

    assert ids(anon_client.get(thread_url(post))) == [target.pk]


# --- moderation queue -----------------------------------------------------------------------


@pytest.fixture
def queue(author, other_author, reader):
    first_post = factories.PostFactory(author=author, slug="first-post")
    second_post = factories.PostFactory(author=author, slug="second-post")
    draft = factories.DraftPostFactory(author=author, slug="a-draft")
    return {
        "a": factories.CommentFactory(post=first_post, author=reader, body="Lovely words."),
        "b": factories.CommentFactory(
            post=first_post, author=other_author, status=CommentStatus.PENDING, body="Buy pills"
        ),
        "c": factories.CommentFactory(
            post=second_post, author=reader, status=CommentStatus.SPAM, body="More pills"
        ),
        "d": factories.CommentFactory(
            post=second_post, author=other_author, status=CommentStatus.REJECTED, body="Rude."
        ),
        "e": factories.CommentFactory(post=draft, author=reader, status=CommentStatus.PENDING),
    }


def queue_ids(client, **params):
    return ids(client.get("/api/v1/comments/", params))


def test_queue_lists_all_comments_newest_first(editor, queue):
    response = client_for(editor).get("/api/v1/comments/")

    assert ids(response) == [queue[k].pk for k in "edcba"]
    body = response.json()
    assert body["count"] == 5
    assert set(body["results"][0]) == COMMENT_FIELDS


@pytest.mark.parametrize(
    ("params", "keys"),
    [
        ({"status": "pending"}, "eb"),
        ({"status": "spam"}, "c"),
        ({"post": "first-post"}, "ba"),
        ({"post": "a-draft"}, "e"),
        ({"post": "no-such-post"}, ""),
        ({"search": "pills"}, "cb"),
        ({"search": "PILLS", "status": "pending"}, "b"),
        ({"status": "approved", "post": "first-post"}, "a"),
    ],
)
def test_queue_filters(editor, queue, params, keys):
    assert queue_ids(client_for(editor), **params) == [queue[k].pk for k in keys]


def test_queue_filters_by_author(editor, queue, reader, other_author):
    client = client_for(editor)

    assert queue_ids(client, author=reader.username) == [queue[k].pk for k in "eca"]
    assert queue_ids(client, author=other_author.username) == [queue[k].pk for k in "db"]


def test_queue_bad_status_is_400(editor, queue):
    response = client_for(editor).get("/api/v1/comments/", {"status": "bogus"})

    body = assert_problem(response, 400, "validation_error")
    assert "status" in body["fields"]


def test_queue_paginates(editor, queue):
    response = client_for(editor).get("/api/v1/comments/", {"page_size": 2})

    body = response.json()
    assert len(body["results"]) == 2
    assert body["count"] == 5
    assert body["next"]


@pytest.mark.parametrize("who", ["reader", "author"])
def test_queue_is_for_editors(request, queue, who):
    client = client_for(request.getfixturevalue(who))

    assert_problem(client.get("/api/v1/comments/"), 403, "permission_denied")


def test_queue_anonymous_is_401(anon_client, queue):
    assert_problem(anon_client.get("/api/v1/comments/"), 401, "not_authenticated")


def test_queue_for_admin(admin_user, queue):
    assert len(queue_ids(client_for(admin_user))) == 5

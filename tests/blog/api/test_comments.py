"""The comment endpoints of API.md: threads of a post, writing and replying, editing,
deleting, moderation and the editors' moderation queue."""

import pytest

from blog.models import Comment, CommentStatus, PostStatus
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

COMMENT_FIELDS = {"id", "post", "author", "parent", "body", "status", "created_at", "updated_at"}


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    return body


def thread_url(post):
    return f"/api/v1/posts/{post.slug}/comments/"


def comment_url(comment):
    return f"/api/v1/comments/{comment.pk}/"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def post(author):
    return factories.PostFactory(author=author)


# --- writing --------------------------------------------------------------------------------


def test_comment_on_published_post(reader, post):
    response = client_for(reader).post(thread_url(post), {"body": "Nice post!"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == COMMENT_FIELDS
    assert body["post"] == post.slug
    assert body["author"] == {"username": reader.username, "display_name": reader.display_name}
    assert body["parent"] is None
    assert body["body"] == "Nice post!"
    assert body["status"] == CommentStatus.APPROVED
    comment = Comment.objects.get(pk=body["id"])
    assert comment.author == reader
    assert comment.post == post
    post.refresh_from_db()
    assert post.comment_count == 1


def test_comment_requires_authentication(anon_client, post):
    response = anon_client.post(thread_url(post), {"body": "Hello"}, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert not Comment.objects.exists()


@pytest.mark.parametrize("data", [{}, {"body": ""}, {"body": "   "}])
def test_comment_needs_a_body(reader, post, data):
    response = client_for(reader).post(thread_url(post), data, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "body" in body["fields"]
    assert not Comment.objects.exists()


def test_comment_rejects_unknown_fields(reader, post):
    response = client_for(reader).post(
        thread_url(post), {"body": "Hi", "status": "approved"}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert "status" in body["fields"]


def test_reply_to_a_comment_on_the_same_post(reader, post):
    parent = factories.CommentFactory(post=post)

    response = client_for(reader).post(
        thread_url(post), {"body": "I agree.", "parent": parent.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["parent"] == parent.pk
    assert Comment.objects.get(pk=response.json()["id"]).parent == parent


def test_reply_to_a_comment_on_another_post_is_400(reader, post):
    elsewhere = factories.CommentFactory(post=factories.PostFactory())

    response = client_for(reader).post(
        thread_url(post), {"body": "Wrong thread.", "parent": elsewhere.pk}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["parent"]
    assert not Comment.objects.filter(post=post).exists()


def test_reply_to_unknown_comment_is_400(reader, post):
    response = client_for(reader).post(
        thread_url(post), {"body": "To nobody.", "parent": 987654}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["parent"]


def test_reply_to_someone_elses_pending_comment_is_400(reader, post):
    # A pending comment is invisible to others, so it cannot be replied to (no leak).
    hidden = factories.CommentFactory(post=post, status=CommentStatus.PENDING)

    response = client_for(reader).post(
        thread_url(post), {"body": "Reply.", "parent": hidden.pk}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["parent"]


def test_comment_on_post_with_comments_closed_is_403(reader, author):
    post = factories.PostFactory(author=author, allow_comments=False)

    response = client_for(reader).post(thread_url(post), {"body": "Hello"}, format="json")

    assert_problem(response, 403, "comments_closed")
    assert not Comment.objects.exists()


@pytest.mark.parametrize("status", [PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.ARCHIVED])
@pytest.mark.parametrize("who", ["author", "editor"])
def test_comment_on_unpublished_visible_post_is_403(request, author, who, status):
    # The post's author and editors can see the post, but it is not open for comments.
    post = factories.PostFactory(author=author, status=status)
    client = client_for(request.getfixturevalue(who))

    response = client.post(thread_url(post), {"body": "Early bird."}, format="json")

    assert_problem(response, 403, "comments_closed")
    assert not Comment.objects.exists()


def test_comment_on_invisible_post_is_404(reader, author):
    post = factories.DraftPostFactory(author=author)

    response = client_for(reader).post(thread_url(post), {"body": "Hello"}, format="json")

    assert_problem(response, 404, "not_found")


def test_comment_on_unknown_post_is_404(reader):
    response = client_for(reader).post(
        "/api/v1/posts/no-such-post/comments/", {"body": "Hello"}, format="json"
    )

    assert_problem(response, 404, "not_found")


def test_moderation_setting_makes_new_comments_pending(settings, reader, post):
    settings.COMMENTS_REQUIRE_MODERATION = True

    response = client_for(reader).post(thread_url(post), {"body": "Hold me."}, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == CommentStatus.PENDING
    post.refresh_from_db()
    assert post.comment_count == 0


def test_comment_with_many_links_is_pending(settings, reader, post):
    settings.COMMENT_MAX_LINKS = 3
    few = "See https://a.example/ and https://b.example/ and www.c.example"
    many = few + " and [d](https://d.example/) http://e.example/"
    client = client_for(reader)

    fine = client.post(thread_url(post), {"body": few}, format="json")
    spammy = client.post(thread_url(post), {"body": many}, format="json")

    assert fine.json()["status"] == CommentStatus.APPROVED
    assert spammy.status_code == 201
    assert spammy.json()["status"] == CommentStatus.PENDING
    post.refresh_from_db()
    assert post.comment_count == 1


def test_editing_links_into_a_comment_sends_it_back_to_moderation(settings, reader, post):
    settings.COMMENT_MAX_LINKS = 3
    comment = factories.CommentFactory(post=post, author=reader)
    spam = " ".join(f"https://spam{n}.example/" for n in range(5))

    response = client_for(reader).patch(comment_url(comment), {"body": spam}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == CommentStatus.PENDING


# --- reading a thread -----------------------------------------------------------------------


@pytest.fixture
def thread(post, reader):
    """Comments on `post` in creation order: approved, reader's pending, approved,
    someone's rejected, someone's spam, someone else's pending; and one on another post."""
    someone = factories.ReaderFactory()

    def make(status=CommentStatus.APPROVED, author=someone, on=post):
        return factories.CommentFactory(post=on, author=author, status=status)

    return {
        "first": make(),
        "own_pending": make(CommentStatus.PENDING, author=reader),
        "second": make(),
        "rejected": make(CommentStatus.REJECTED),
        "spam": make(CommentStatus.SPAM),
        "other_pending": make(CommentStatus.PENDING),
        "elsewhere": make(on=factories.PostFactory(author=post.author)),
    }


def test_thread_shows_approved_oldest_first(anon_client, post, thread):
    response = anon_client.get(thread_url(post))

    assert ids(response) == [thread["first"].pk, thread["second"].pk]
    body = response.json()
    assert {"next", "previous", "results"} <= set(body)
    assert set(body["results"][0]) == COMMENT_FIELDS


def test_thread_shows_own_pending_to_its_author(reader, post, thread):
    response = client_for(reader).get(thread_url(post))

    assert ids(response) == [thread["first"].pk, thread["own_pending"].pk, thread["second"].pk]


def test_thread_hides_others_pending(other_author, post, thread):
    assert ids(client_for(other_author).get(thread_url(post))) == [
        thread["first"].pk,
        thread["second"].pk,
    ]


@pytest.mark.parametrize(
    ("status", "keys"),
    [
        ("pending", ["own_pending", "other_pending"]),
        ("approved", ["first", "second"]),
        ("rejected", ["rejected"]),
        ("spam", ["spam"]),
    ],
)
def test_editors_filter_thread_by_status(editor, post, thread, status, keys):
    response = client_for(editor).get(thread_url(post), {"status": status})

    assert ids(response) == [thread[key].pk for key in keys]


def test_editors_bad_status_filter_is_400(editor, post, thread):
    response = client_for(editor).get(thread_url(post), {"status": "bogus"})

    body = assert_problem(response, 400, "validation_error")
    assert "status" in body["fields"]


def test_status_filter_is_for_editors_only(reader, post, thread):
    # A reader's `status=` does not reveal anything: they get the normal view.
    response = client_for(reader).get(thread_url(post), {"status": "rejected"})

    assert ids(response) == [thread["first"].pk, thread["own_pending"].pk, thread["second"].pk]


def test_thread_of_invisible_post_is_404(anon_client, reader):
    draft = factories.DraftPostFactory()
    factories.CommentFactory(post=draft)

    assert_problem(anon_client.get(thread_url(draft)), 404, "not_found")
    assert_problem(client_for(reader).get(thread_url(draft)), 404, "not_found")


def test_thread_of_own_draft_is_visible_to_its_author(author):
    draft = factories.DraftPostFactory(author=author)

    assert client_for(author).get(thread_url(draft)).status_code == 200


# --- editing and deleting -------------------------------------------------------------------


@pytest.fixture
def comment(post, reader):
    return factories.CommentFactory(post=post, author=reader, body="Original.")


def test_author_edits_own_comment(reader, comment):
    response = client_for(reader).patch(comment_url(comment), {"body": "Edited."}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["body"] == "Edited."
    assert body["id"] == comment.pk
    comment.refresh_from_db()
    assert comment.body == "Edited."


def test_editor_edits_any_comment(editor, comment):
    response = client_for(editor).patch(comment_url(comment), {"body": "Tidied."}, format="json")

    assert response.status_code == 200
    comment.refresh_from_db()
    assert comment.body == "Tidied."


@pytest.mark.parametrize("who", ["other_author", "author"])
def test_others_who_see_the_comment_may_not_edit_it(request, comment, who):
    # `author` is the post's author: that does not make the comment theirs.
    client = client_for(request.getfixturevalue(who))

    response = client.patch(comment_url(comment), {"body": "Hijacked."}, format="json")

    assert_problem(response, 403, "permission_denied")
    comment.refresh_from_db()
    assert comment.body == "Original."


def test_others_pending_comment_is_404_for_edit(other_author, post):
    pending = factories.CommentFactory(post=post, status=CommentStatus.PENDING, body="Secret.")

    response = client_for(other_author).patch(comment_url(pending), {"body": "X"}, format="json")

    assert_problem(response, 404, "not_found")
    pending.refresh_from_db()
    assert pending.body == "Secret."


def test_author_edits_own_pending_comment(reader, post):
    pending = factories.CommentFactory(post=post, author=reader, status=CommentStatus.PENDING)

    response = client_for(reader).patch(comment_url(pending), {"body": "Better."}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == CommentStatus.PENDING


def test_edit_requires_authentication(anon_client, comment):
    response = anon_client.patch(comment_url(comment), {"body": "X"}, format="json")

    assert_problem(response, 401, "not_authenticated")


@pytest.mark.parametrize("data", [{"body": ""}, {"status": "approved"}, {}])
def test_edit_validates_input(reader, comment, data):
    response = client_for(reader).patch(comment_url(comment), data, format="json")

    assert_problem(response, 400, "validation_error")
    comment.refresh_from_db()
    assert comment.body == "Original."
    assert comment.status == CommentStatus.APPROVED


def test_edit_unknown_comment_is_404(reader):
    response = client_for(reader).patch("/api/v1/comments/987654/", {"body": "X"}, format="json")

    assert_problem(response, 404, "not_found")


def test_author_deletes_own_comment(reader, post, comment):
    post.refresh_from_db()
    factories.CommentFactory(post=post)  # another approved one stays
    client_for(reader).post(thread_url(post), {"body": "Recount."}, format="json")
    post.refresh_from_db()
    assert post.comment_count == 3

    response = client_for(reader).delete(comment_url(comment))

    assert response.status_code == 204
    assert not Comment.objects.filter(pk=comment.pk).exists()
    post.refresh_from_db()
    assert post.comment_count == 2
    assert comment.pk not in ids(client_for(reader).get(thread_url(post)))


def test_deleting_a_comment_keeps_its_replies(reader, post, comment):
    reply = factories.CommentFactory(post=post, parent=comment)

    assert client_for(reader).delete(comment_url(comment)).status_code == 204

    reply.refresh_from_db()
    assert reply.parent is None


def test_editor_deletes_any_comment(editor, comment):
    assert client_for(editor).delete(comment_url(comment)).status_code == 204
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_others_may_not_delete_a_visible_comment(other_author, comment):
    assert_problem(client_for(other_author).delete(comment_url(comment)), 403, "permission_denied")
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_others_pending_comment_is_404_for_delete(other_author, post):
    pending = factories.CommentFactory(post=post, status=CommentStatus.PENDING)

    assert_problem(client_for(other_author).delete(comment_url(pending)), 404, "not_found")
    assert Comment.objects.filter(pk=pending.pk).exists()


def test_delete_requires_authentication(anon_client, comment):
    assert_problem(anon_client.delete(comment_url(comment)), 401, "not_authenticated")


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

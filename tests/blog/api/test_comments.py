"""The comment endpoints of docs/api.md: writing and replying, the thread of a post, editing
and deleting. (Moderation and its queue: test_moderation.py.)"""

import pytest

from blog.models import Comment, CommentStatus, PostStatus
from tests import factories
from tests.helpers import COMMENT_FIELDS, assert_problem, client_for, comment_url, ids, thread_url

pytestmark = pytest.mark.django_db

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

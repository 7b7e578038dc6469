"""Writing posts over HTTP: lifecycle, slugs, status transitions, revisions, sanitizing,
validation, tags. (Conditional requests: test_post_etags.py; lists: test_post_lists.py.)"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from blog.models import Post, PostStatus, Tag
from blog.services.posts import post_publish_due
from tests.blog.xss import XSS_PAYLOADS, assert_safe_html
from tests.factories import CategoryFactory, TagFactory
from tests.helpers import (
    assert_problem,
    assert_validation_error,
    client_for,
    make_post,
    patch_json,
    post_json,
    post_url,
    put_json,
    slugs,
)

pytestmark = pytest.mark.django_db

POSTS = "/api/v1/posts/"
POST_FIELDS = {
    "id", "slug", "title", "excerpt", "body", "body_html", "status", "author", "category",
    "tags", "featured_image", "allow_comments", "publish_at", "published_at", "created_at",
    "updated_at", "reading_time_minutes", "view_count", "comment_count", "url", "body_format",
}  # fmt: skip


# --- create --------------------------------------------------------------------------------


def test_create_a_draft(author_client, author):
    category = CategoryFactory(slug="news", name="News")
    response = post_json(
        author_client,
        POSTS,
        {"title": "Hello World", "body": "Some **bold** text.", "category": "news"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == POST_FIELDS
    assert body["slug"] == "hello-world"
    assert body["status"] == "draft"
    assert body["published_at"] is None
    assert body["author"] == {"username": author.username, "display_name": author.display_name}
    assert body["category"] == {"slug": "news", "name": "News"}
    assert body["tags"] == []
    assert body["allow_comments"] is True
    assert body["body_format"] == "markdown"  # the default
    assert "<strong>bold</strong>" in body["body_html"]
    assert body["view_count"] == 0 and body["comment_count"] == 0
    assert body["url"].startswith("http://testserver/") and "hello-world" in body["url"]
    assert response["ETag"]
    post = Post.objects.get(slug="hello-world")
    assert post.category == category and post.author == author


def test_create_published(author_client):
    response = post_json(author_client, POSTS, {"title": "T", "body": "B", "status": "published"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "published"
    assert body["published_at"] is not None
    assert slugs(client_for(None).get(POSTS)) == ["t"]


def test_create_published_with_future_publish_at_is_scheduled(author_client):
    when = (timezone.now() + timedelta(days=1)).isoformat()
    response = post_json(
        author_client, POSTS, {"title": "T", "body": "B", "status": "published", "publish_at": when}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "scheduled"
    assert body["published_at"] is None
    assert datetime.fromisoformat(body["publish_at"]) == datetime.fromisoformat(when)
    # Not visible to the public until the scheduler publishes it.
    anon = client_for(None)
    assert slugs(anon.get(POSTS)) == []
    assert_problem(anon.get(post_url("t")), 404, "not_found")


def test_scheduled_post_goes_live_when_the_scheduler_runs(author_client):
    when = timezone.now() + timedelta(hours=1)
    post_json(
        author_client,
        POSTS,
        {"title": "Later", "body": "B", "status": "published", "publish_at": when.isoformat()},
    )
    anon = client_for(None)
    assert post_publish_due(now=when - timedelta(seconds=1)) == []
    assert slugs(anon.get(POSTS)) == []

    (post_id,) = post_publish_due(now=when + timedelta(seconds=1))
    assert post_publish_due(now=when + timedelta(seconds=2)) == []
    response = anon.get(post_url("later"))
    assert response.status_code == 200
    assert response.json()["id"] == post_id
    assert response.json()["status"] == "published"
    assert datetime.fromisoformat(response.json()["published_at"]) == when
    assert slugs(anon.get(POSTS)) == ["later"]


@pytest.mark.parametrize("client_fixture", ["anon_client", "reader_client"])
def test_only_authors_create(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    response = post_json(client, POSTS, {"title": "T", "body": "B"})
    assert response.status_code in (401, 403)
    assert not Post.objects.exists()


# --- slugs ---------------------------------------------------------------------------------


def test_slug_clashes_over_the_api(author_client, editor_client):
    got = [
        post_json(client, POSTS, {"title": "Same Title", "body": "B"}).json()["slug"]
        for client in (author_client, editor_client, author_client)
    ]
    assert got == ["same-title", "same-title-2", "same-title-3"]


def test_slug_is_stable_when_the_title_changes(author_client):
    post_json(author_client, POSTS, {"title": "First title", "body": "B"})
    response = patch_json(author_client, post_url("first-title"), {"title": "Second title"})
    assert response.status_code == 200
    assert response.json()["slug"] == "first-title"
    assert response.json()["title"] == "Second title"
    assert author_client.get(post_url("first-title")).status_code == 200
    assert author_client.get(post_url("second-title")).status_code == 404


def test_unicode_slug_round_trips(author_client):
    response = post_json(author_client, POSTS, {"title": "Café crème", "body": "B"})
    assert response.json()["slug"] == "café-crème"
    response = author_client.get(post_url("café-crème"))
    assert response.status_code == 200
    assert response.json()["title"] == "Café crème"


# --- status transitions --------------------------------------------------------------------


def test_publish_unpublish_archive(author_client, author):
    post = make_post(author, title="Flow")
    url = post_url(post.slug)
    anon = client_for(None)

    response = post_json(author_client, url + "publish/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    assert response.json()["published_at"] is not None
    assert response["ETag"]
    assert anon.get(url).status_code == 200

    response = post_json(author_client, url + "unpublish/")
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert response.json()["published_at"] is None
    assert anon.get(url).status_code == 404

    response = post_json(author_client, url + "archive/")
    assert response.status_code == 200
    assert response.json()["status"] == "archived"
    assert anon.get(url).status_code == 404
    assert slugs(anon.get(POSTS)) == []
    # The author still sees it.
    assert author_client.get(url).json()["status"] == "archived"


def test_publish_with_future_publish_at_gives_scheduled(author_client, author):
    post = make_post(author, publish_at=timezone.now() + timedelta(days=1))
    response = post_json(author_client, post_url(post.slug) + "publish/")
    assert response.status_code == 200
    assert response.json()["status"] == "scheduled"
    assert response.json()["published_at"] is None


def test_unpublish_a_scheduled_post(author_client, author):
    post = make_post(author, status="published", publish_at=timezone.now() + timedelta(days=1))
    response = post_json(author_client, post_url(post.slug) + "unpublish/")
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("published", "publish"),
        ("scheduled", "publish"),
        ("draft", "unpublish"),
        ("archived", "unpublish"),
        ("archived", "archive"),
    ],
)
def test_invalid_transitions_answer_409_conflict(author_client, author, state, action):
    future = timezone.now() + timedelta(days=1)
    if state == "draft":
        post = make_post(author)
    elif state == "scheduled":
        post = make_post(author, status="published", publish_at=future)
    else:
        post = make_post(author, status="published")
        if state == "archived":
            Post.objects.filter(pk=post.pk).update(status=PostStatus.ARCHIVED)
    before = Post.objects.get(pk=post.pk)

    response = post_json(author_client, post_url(post.slug) + f"{action}/")

    assert_problem(response, 409, "conflict")
    after = Post.objects.get(pk=post.pk)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)


def test_status_change_through_patch(author_client, author):
    post = make_post(author)
    response = patch_json(author_client, post_url(post.slug), {"status": "published"})
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    response = patch_json(author_client, post_url(post.slug), {"status": "archived"})
    assert response.json()["status"] == "archived"


def test_transitions_of_another_authors_post(client_for_other, author):
    published = make_post(author, title="Pub", status="published")
    draft = make_post(author, title="Draft")
    for action in ("publish", "unpublish", "archive"):
        # Visible but not theirs: 403; not visible: 404.
        assert_problem(
            post_json(client_for_other, post_url(published.slug) + f"{action}/"),
            403,
            "permission_denied",
        )
        assert_problem(
            post_json(client_for_other, post_url(draft.slug) + f"{action}/"), 404, "not_found"
        )
    assert Post.objects.get(pk=published.pk).status == PostStatus.PUBLISHED
    assert Post.objects.get(pk=draft.pk).status == PostStatus.DRAFT


@pytest.fixture
def client_for_other(other_author):
    return client_for(other_author)


def test_editor_moves_any_post(editor_client, author):
    post = make_post(author)
    assert (
        post_json(editor_client, post_url(post.slug) + "publish/").json()["status"] == "published"
    )
    assert post_json(editor_client, post_url(post.slug) + "archive/").json()["status"] == "archived"


def test_delete(author_client, author):
    post = make_post(author, status="published")
    response = author_client.delete(post_url(post.slug))
    assert response.status_code == 204
    assert_problem(author_client.get(post_url(post.slug)), 404, "not_found")
    assert slugs(client_for(None).get(POSTS)) == []
    assert not Post.objects.filter(pk=post.pk).exists()


# --- revisions -----------------------------------------------------------------------------


def test_revisions_newest_first_and_only_for_title_or_body(author_client, editor_client, author):
    response = post_json(author_client, POSTS, {"title": "V1", "body": "Body 1"})
    url = post_url(response.json()["slug"])
    assert patch_json(author_client, url, {"title": "V2"}).status_code == 200
    assert patch_json(editor_client, url, {"body": "Body 3"}).status_code == 200
    # Not revisions: other fields, unchanged values, lifecycle moves.
    assert (
        patch_json(author_client, url, {"allow_comments": False, "tags": ["x"]}).status_code == 200
    )
    assert patch_json(author_client, url, {"excerpt": "Short."}).status_code == 200
    assert patch_json(author_client, url, {"title": "V2", "body": "Body 3"}).status_code == 200
    assert post_json(author_client, url + "publish/").status_code == 200
    assert put_json(author_client, url, {"title": "V4", "body": "Body 4"}).status_code == 200

    response = author_client.get(url + "revisions/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["title"], r["body"]) for r in results] == [
        ("V4", "Body 4"),
        ("V2", "Body 3"),
        ("V2", "Body 1"),
        ("V1", "Body 1"),
    ]
    assert set(results[0]) == {"id", "title", "body", "created_at", "author"}
    assert results[1]["author"]["username"] != results[0]["author"]["username"]  # the editor
    created = [datetime.fromisoformat(r["created_at"]) for r in results]
    assert created == sorted(created, reverse=True)
    assert editor_client.get(url + "revisions/").status_code == 200


def test_revisions_are_not_for_others(client_for_other, reader_client, author):
    post = make_post(author, status="published")
    url = post_url(post.slug) + "revisions/"
    assert_problem(client_for_other.get(url), 403, "permission_denied")
    assert_problem(reader_client.get(url), 403, "permission_denied")
    assert client_for(None).get(url).status_code == 401


# --- sanitizing ----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [p for p in XSS_PAYLOADS if "\0" not in p])
def test_body_html_never_carries_xss(author_client, payload):
    response = post_json(author_client, POSTS, {"title": "XSS", "body": f"Hello\n\n{payload}"})
    assert response.status_code == 201, response.content
    assert response.json()["body"].endswith(payload)  # the source is kept as written
    assert_safe_html(response.json()["body_html"])


def test_body_html_sanitized_on_update(author_client, author):
    post = make_post(author)
    response = patch_json(
        author_client,
        post_url(post.slug),
        {"body": "<img src=x onerror=alert(1)> [a](javascript:alert(1)) <script>x</script>"},
    )
    assert response.status_code == 200
    assert_safe_html(response.json()["body_html"])


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, ["title", "body"]),
        ({"body": "B"}, ["title"]),
        ({"title": "T"}, ["body"]),
        ({"title": "", "body": "B"}, ["title"]),
        ({"title": "   ", "body": "B"}, ["title"]),
        ({"title": "x" * 201, "body": "B"}, ["title"]),
        ({"title": ["T"], "body": "B"}, ["title"]),
        ({"title": {"a": 1}, "body": "B"}, ["title"]),
        ({"title": True, "body": "B"}, ["title"]),
        ({"title": None, "body": "B"}, ["title"]),
        ({"title": "T", "body": ["B"]}, ["body"]),
        ({"title": "T\u0000", "body": "B"}, ["title"]),
        ({"title": "T", "body": "B\u0000"}, ["body"]),
        ({"title": "T", "body": "B", "titel": "typo"}, ["titel"]),
        ({"title": "T", "body": "B", "slug": "mine"}, ["slug"]),
        ({"title": "T", "body": "B", "view_count": 100}, ["view_count"]),
        ({"title": "T", "body": "B", "category": "no-such-category"}, ["category"]),
        ({"title": "T", "body": "B", "category": 1}, ["category"]),
        ({"title": "T", "body": "B", "tags": "python"}, ["tags"]),
        ({"title": "T", "body": "B", "tags": [["x"]]}, ["tags"]),
        ({"title": "T", "body": "B", "tags": ["!!!"]}, ["tags"]),
        ({"title": "T", "body": "B", "tags": [f"t{i}" for i in range(21)]}, ["tags"]),
        ({"title": "T", "body": "B", "status": "archived"}, ["status"]),
        ({"title": "T", "body": "B", "status": "scheduled"}, ["status"]),
        ({"title": "T", "body": "B", "status": "bogus"}, ["status"]),
        ({"title": "T", "body": "B", "publish_at": "tomorrow"}, ["publish_at"]),
        ({"title": "T", "body": "B", "publish_at": 12}, ["publish_at"]),
        ({"title": "T", "body": "B", "allow_comments": "perhaps"}, ["allow_comments"]),
        ({"title": "T", "body": "B", "allow_comments": [True]}, ["allow_comments"]),
    ],
)
def test_create_validation_errors(author_client, payload, fields):
    response = post_json(author_client, POSTS, payload)
    assert_validation_error(response, *fields)
    assert not Post.objects.exists()


@pytest.mark.parametrize("raw", ["[1, 2]", '"a string"', "42", "null"])
def test_create_with_a_non_object_body_is_400(author_client, raw):
    response = author_client.post(POSTS, data=raw, content_type="application/json")
    assert_validation_error(response)
    assert not Post.objects.exists()


def test_create_with_malformed_json_is_400(author_client):
    response = author_client.post(POSTS, data='{"title": ', content_type="application/json")
    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"titel": "typo"}, "titel"),
        ({"title": ""}, "title"),
        ({"title": ["x"]}, "title"),
        ({"status": "bogus"}, "status"),
        ({"category": "nope"}, "category"),
        ({"allow_comments": "perhaps"}, "allow_comments"),
        ({"author": "someone-else"}, "author"),
    ],
)
def test_patch_validation_errors_change_nothing(author_client, author, payload, field):
    post = make_post(author, title="Keep")
    before = Post.objects.get(pk=post.pk)
    assert_validation_error(patch_json(author_client, post_url(post.slug), payload), field)
    after = Post.objects.get(pk=post.pk)
    assert (after.title, after.updated_at) == ("Keep", before.updated_at)


def test_put_requires_title_and_body(author_client, author):
    post = make_post(author)
    assert_validation_error(put_json(author_client, post_url(post.slug), {"title": "T"}), "body")


# --- tags ----------------------------------------------------------------------------------


def test_unknown_tags_are_created(author_client):
    TagFactory(name="Python", slug="python")
    response = post_json(
        author_client, POSTS, {"title": "T", "body": "B", "tags": ["python", "brand-new", "Web"]}
    )
    assert response.status_code == 201
    assert response.json()["tags"] == ["brand-new", "python", "web"]
    assert set(Tag.objects.values_list("slug", flat=True)) == {"python", "brand-new", "web"}


def test_patch_replaces_tags(author_client, author):
    post = make_post(author, tags=["a", "b"])
    response = patch_json(author_client, post_url(post.slug), {"tags": ["c"]})
    assert response.json()["tags"] == ["c"]
    response = patch_json(author_client, post_url(post.slug), {"title": "Other"})
    assert response.json()["tags"] == ["c"]  # untouched when not given
    response = patch_json(author_client, post_url(post.slug), {"tags": []})
    assert response.json()["tags"] == []


def test_category_can_be_cleared(author_client, author):
    post = make_post(author, category=CategoryFactory())
    response = patch_json(author_client, post_url(post.slug), {"category": None})
    assert response.status_code == 200
    assert response.json()["category"] is None

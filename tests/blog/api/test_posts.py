"""The posts API over HTTP: lifecycle, slugs, revisions, sanitizing, validation, tags,
ETag / If-None-Match / If-Match, cursor pagination, filters and ordering, drafts lists,
full-text search ranking (PostgreSQL) and query-count budgets."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.services import view_counts_flush
from blog.models import Post, PostStatus, Revision, Tag
from blog.services.posts import post_create, post_publish_due
from tests.blog.services.test_posts import XSS_PAYLOADS, assert_safe_html
from tests.conftest import client_for
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    DraftPostFactory,
    PostFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

POSTS = "/api/v1/posts/"
POST_FIELDS = {
    "id", "slug", "title", "excerpt", "body", "body_html", "status", "author", "category",
    "tags", "allow_comments", "publish_at", "published_at", "created_at", "updated_at",
    "reading_time_minutes", "view_count", "comment_count", "url",
}  # fmt: skip


def detail(slug):
    return f"{POSTS}{slug}/"


def post_json(client, path, data=None, **extra):
    return client.post(path, data=json.dumps(data or {}), content_type="application/json", **extra)


def patch_json(client, path, data, **extra):
    return client.patch(path, data=json.dumps(data), content_type="application/json", **extra)


def put_json(client, path, data, **extra):
    return client.put(path, data=json.dumps(data), content_type="application/json", **extra)


def assert_problem(response, status, code):
    assert response.status_code == status, response.content[:800]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    return body


def assert_validation_error(response, *fields):
    body = assert_problem(response, 400, "validation_error")
    assert "fields" in body, body
    for field in fields:
        # Errors inside a list or object are named with dots: `tags.0`.
        names = [name for name in body["fields"] if name.split(".")[0] == field]
        assert names, body
        for name in names:
            assert body["fields"][name] and all(isinstance(m, str) for m in body["fields"][name])
    return body


def make_post(author, **kwargs):
    """A post made the way users make them (through the service)."""
    kwargs.setdefault("title", "A post")
    kwargs.setdefault("body", "Some body text.")
    return post_create(author=author, **kwargs)


def slugs(response):
    assert response.status_code == 200, response.content[:800]
    return [item["slug"] for item in response.json()["results"]]


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
    assert_problem(anon.get(detail("t")), 404, "not_found")


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
    response = anon.get(detail("later"))
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
    response = patch_json(author_client, detail("first-title"), {"title": "Second title"})
    assert response.status_code == 200
    assert response.json()["slug"] == "first-title"
    assert response.json()["title"] == "Second title"
    assert author_client.get(detail("first-title")).status_code == 200
    assert author_client.get(detail("second-title")).status_code == 404


def test_unicode_slug_round_trips(author_client):
    response = post_json(author_client, POSTS, {"title": "Café crème", "body": "B"})
    assert response.json()["slug"] == "café-crème"
    response = author_client.get(detail("café-crème"))
    assert response.status_code == 200
    assert response.json()["title"] == "Café crème"


# --- status transitions --------------------------------------------------------------------


def test_publish_unpublish_archive(author_client, author):
    post = make_post(author, title="Flow")
    url = detail(post.slug)
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
    response = post_json(author_client, detail(post.slug) + "publish/")
    assert response.status_code == 200
    assert response.json()["status"] == "scheduled"
    assert response.json()["published_at"] is None


def test_unpublish_a_scheduled_post(author_client, author):
    post = make_post(author, status="published", publish_at=timezone.now() + timedelta(days=1))
    response = post_json(author_client, detail(post.slug) + "unpublish/")
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

    response = post_json(author_client, detail(post.slug) + f"{action}/")

    assert_problem(response, 409, "conflict")
    after = Post.objects.get(pk=post.pk)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)


def test_status_change_through_patch(author_client, author):
    post = make_post(author)
    response = patch_json(author_client, detail(post.slug), {"status": "published"})
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    response = patch_json(author_client, detail(post.slug), {"status": "archived"})
    assert response.json()["status"] == "archived"


def test_transitions_of_another_authors_post(client_for_other, author):
    published = make_post(author, title="Pub", status="published")
    draft = make_post(author, title="Draft")
    for action in ("publish", "unpublish", "archive"):
        # Visible but not theirs: 403; not visible: 404.
        assert_problem(
            post_json(client_for_other, detail(published.slug) + f"{action}/"),
            403,
            "permission_denied",
        )
        assert_problem(
            post_json(client_for_other, detail(draft.slug) + f"{action}/"), 404, "not_found"
        )
    assert Post.objects.get(pk=published.pk).status == PostStatus.PUBLISHED
    assert Post.objects.get(pk=draft.pk).status == PostStatus.DRAFT


@pytest.fixture
def client_for_other(other_author):
    return client_for(other_author)


def test_editor_moves_any_post(editor_client, author):
    post = make_post(author)
    assert post_json(editor_client, detail(post.slug) + "publish/").json()["status"] == "published"
    assert post_json(editor_client, detail(post.slug) + "archive/").json()["status"] == "archived"


def test_delete(author_client, author):
    post = make_post(author, status="published")
    response = author_client.delete(detail(post.slug))
    assert response.status_code == 204
    assert_problem(author_client.get(detail(post.slug)), 404, "not_found")
    assert slugs(client_for(None).get(POSTS)) == []
    assert not Post.objects.filter(pk=post.pk).exists()


# --- revisions -----------------------------------------------------------------------------


def test_revisions_newest_first_and_only_for_title_or_body(author_client, editor_client, author):
    response = post_json(author_client, POSTS, {"title": "V1", "body": "Body 1"})
    url = detail(response.json()["slug"])
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
    url = detail(post.slug) + "revisions/"
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
        detail(post.slug),
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
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


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
    assert_validation_error(patch_json(author_client, detail(post.slug), payload), field)
    after = Post.objects.get(pk=post.pk)
    assert (after.title, after.updated_at) == ("Keep", before.updated_at)


def test_put_requires_title_and_body(author_client, author):
    post = make_post(author)
    assert_validation_error(put_json(author_client, detail(post.slug), {"title": "T"}), "body")


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
    response = patch_json(author_client, detail(post.slug), {"tags": ["c"]})
    assert response.json()["tags"] == ["c"]
    response = patch_json(author_client, detail(post.slug), {"title": "Other"})
    assert response.json()["tags"] == ["c"]  # untouched when not given
    response = patch_json(author_client, detail(post.slug), {"tags": []})
    assert response.json()["tags"] == []


def test_category_can_be_cleared(author_client, author):
    post = make_post(author, category=CategoryFactory())
    response = patch_json(author_client, detail(post.slug), {"category": None})
    assert response.status_code == 200
    assert response.json()["category"] is None


# --- ETag, If-None-Match, If-Match, views --------------------------------------------------


def test_detail_etag_and_if_none_match(author):
    post = make_post(author, status="published")
    anon = client_for(None)
    first = anon.get(detail(post.slug))
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    response = anon.get(detail(post.slug), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert not response.content

    response = anon.get(detail(post.slug), HTTP_IF_NONE_MATCH='"stale", ' + etag)
    assert response.status_code == 304

    response = anon.get(detail(post.slug), HTTP_IF_NONE_MATCH='"something-else"')
    assert response.status_code == 200
    assert response["ETag"] == etag  # a view does not change the representation's tag


def test_if_none_match_uses_weak_comparison(author):
    """RFC 9110 13.1.2: If-None-Match compares weakly, so `W/"x"` (as proxies that compress
    send back) matches `"x"`; `*` matches any current representation."""
    post = make_post(author, status="published")
    anon = client_for(None)
    etag = anon.get(detail(post.slug))["ETag"]
    assert anon.get(detail(post.slug), HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert anon.get(detail(post.slug), HTTP_IF_NONE_MATCH="*").status_code == 304


def test_a_304_does_not_count_a_view_and_a_200_counts_one(author):
    post = make_post(author, status="published")
    anon = client_for(None)

    def stored_views():  # views wait in Redis for the flush (tests/analytics/...counter)
        view_counts_flush()
        return Post.objects.get(pk=post.pk).view_count

    response = anon.get(detail(post.slug))
    assert response.json()["view_count"] == 1
    etag = response["ETag"]
    assert stored_views() == 1

    assert anon.get(detail(post.slug), HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert stored_views() == 1

    response = anon.get(detail(post.slug))
    assert response.json()["view_count"] == 2
    assert stored_views() == 2


def test_viewing_a_draft_counts_no_view(author_client, author):
    post = make_post(author)
    assert author_client.get(detail(post.slug)).json()["view_count"] == 0
    assert Post.objects.get(pk=post.pk).view_count == 0


def test_etag_changes_when_the_post_changes(author_client, author):
    post = make_post(author, status="published")
    etag = author_client.get(detail(post.slug))["ETag"]
    response = patch_json(author_client, detail(post.slug), {"title": "New"})
    assert response["ETag"] != etag
    assert author_client.get(detail(post.slug), HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert response["ETag"] == author_client.get(detail(post.slug))["ETag"]


def test_if_match_current_applies(author_client, author):
    post = make_post(author, title="Before")
    etag = author_client.get(detail(post.slug))["ETag"]
    response = patch_json(author_client, detail(post.slug), {"title": "After"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["title"] == "After"
    assert response["ETag"] != etag
    # The new tag is current for the next write.
    response = put_json(
        author_client,
        detail(post.slug),
        {"title": "Again", "body": "B"},
        HTTP_IF_MATCH=response["ETag"],
    )
    assert response.status_code == 200


def test_if_match_stale_is_412_and_changes_nothing(author_client, editor_client, author):
    post = make_post(author, title="Before", body="Body")
    stale = author_client.get(detail(post.slug))["ETag"]
    assert patch_json(editor_client, detail(post.slug), {"title": "Editor's"}).status_code == 200
    before = Post.objects.get(pk=post.pk)
    revisions = Revision.objects.filter(post=post).count()

    for send in (patch_json, put_json):
        response = send(
            author_client,
            detail(post.slug),
            {"title": "Mine", "body": "Mine", "tags": ["t"], "status": "published"},
            HTTP_IF_MATCH=stale,
        )
        assert_problem(response, 412, "precondition_failed")

    after = Post.objects.get(pk=post.pk)
    assert (after.title, after.body, after.status) == ("Editor's", "Body", PostStatus.DRAFT)
    assert after.updated_at == before.updated_at
    assert list(after.tags.all()) == []
    assert Revision.objects.filter(post=post).count() == revisions
    assert not Tag.objects.filter(slug="t").exists()


# --- cursor pagination ---------------------------------------------------------------------


def walk(client, url, params):
    """Every page of a cursor-paginated list: (items, pages)."""
    pages = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        pages.append(body)
        if not body["next"]:
            return [item for page in pages for item in page["results"]], pages
        response = client.get(body["next"])


@pytest.fixture
def published_posts():
    """23 published posts, some sharing a `published_at` (ties must not break pages)."""
    base = timezone.now() - timedelta(days=30)
    posts = []
    for i in range(23):
        when = base + timedelta(hours=i // 3)  # groups of three share a time
        posts.append(PostFactory(published_at=when, view_count=i % 4, comment_count=i % 5))
    return posts


def test_cursor_pagination_walks_every_post_once(anon_client, published_posts):
    items, pages = walk(anon_client, POSTS, {"page_size": 5})
    ids = [item["id"] for item in items]
    expected = [
        p.pk for p in sorted(published_posts, key=lambda p: (p.published_at, p.pk), reverse=True)
    ]
    assert ids == expected
    assert len(set(ids)) == 23
    assert [len(page["results"]) for page in pages] == [5, 5, 5, 5, 3]
    assert pages[0]["previous"] is None
    assert all(page["previous"] for page in pages[1:])
    assert all(page["next"] for page in pages[:-1])
    assert "cursor=" in pages[0]["next"]
    assert "page_size=5" in pages[0]["next"]
    assert "body" not in items[0] and "body_html" not in items[0]


def test_cursor_previous_returns_the_page_before(anon_client, published_posts):
    _, pages = walk(anon_client, POSTS, {"page_size": 4})
    for before, page in zip(pages, pages[1:], strict=False):
        back = anon_client.get(page["previous"]).json()
        assert [i["id"] for i in back["results"]] == [i["id"] for i in before["results"]]


@pytest.mark.parametrize("ordering", ["published_at", "-view_count", "-comment_count"])
def test_cursor_pagination_with_each_ordering(anon_client, published_posts, ordering):
    items, _ = walk(anon_client, POSTS, {"page_size": 4, "ordering": ordering})
    everything = anon_client.get(POSTS, {"page_size": 100, "ordering": ordering}).json()
    assert [i["id"] for i in items] == [i["id"] for i in everything["results"]]
    assert len({i["id"] for i in items}) == 23


def test_page_size_default_and_maximum(anon_client):
    PostFactory.create_batch(105)
    assert len(anon_client.get(POSTS).json()["results"]) == 20
    assert len(anon_client.get(POSTS, {"page_size": 7}).json()["results"]) == 7
    body = anon_client.get(POSTS, {"page_size": 1000}).json()
    assert len(body["results"]) == 100
    assert body["next"]


def test_an_invalid_cursor_is_a_problem(anon_client, published_posts):
    response = anon_client.get(POSTS, {"cursor": "not-a-cursor"})
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/problem+json")


# --- filters and ordering ------------------------------------------------------------------


def test_filter_by_category_tag_and_author(anon_client):
    news, sport = CategoryFactory(slug="news"), CategoryFactory(slug="sport")
    python, rust = TagFactory(slug="python", name="python"), TagFactory(slug="rust", name="rust")
    alice, bob = AuthorFactory(username="alice"), AuthorFactory(username="bob")
    a = PostFactory(slug="a", author=alice, category=news, tags=[python])
    b = PostFactory(slug="b", author=bob, category=sport, tags=[python, rust])
    c = PostFactory(slug="c", author=alice, category=None, tags=[rust])
    DraftPostFactory(slug="draft", author=alice, category=news, tags=[python])
    del a, b, c

    assert sorted(slugs(anon_client.get(POSTS, {"category": "news"}))) == ["a"]
    assert sorted(slugs(anon_client.get(POSTS, {"category": "sport"}))) == ["b"]
    assert slugs(anon_client.get(POSTS, {"category": "nothing"})) == []
    assert sorted(slugs(anon_client.get(POSTS, {"tag": "python"}))) == ["a", "b"]
    assert sorted(slugs(anon_client.get(POSTS, {"tag": "rust"}))) == ["b", "c"]
    assert sorted(slugs(anon_client.get(POSTS, {"author": "alice"}))) == ["a", "c"]
    assert sorted(slugs(anon_client.get(POSTS, {"author": "nobody"}))) == []
    assert slugs(anon_client.get(POSTS, {"author": "alice", "tag": "rust"})) == ["c"]
    assert slugs(anon_client.get(POSTS, {"category": "news", "tag": "rust"})) == []


def test_filter_by_published_dates(anon_client):
    for slug, day in (("jan", 10), ("feb", 40), ("mar", 70)):
        PostFactory(slug=slug, published_at=datetime(2024, 1, 1, 12, tzinfo=UTC) + timedelta(day))
    # Dates and datetimes (with an offset, which must survive URL encoding).
    assert slugs(anon_client.get(POSTS, {"published_after": "2024-02-01"})) == ["mar", "feb"]
    assert slugs(anon_client.get(POSTS, {"published_before": "2024-02-28"})) == ["feb", "jan"]
    assert slugs(
        anon_client.get(POSTS, {"published_after": "2024-02-01", "published_before": "2024-02-28"})
    ) == ["feb"]
    assert slugs(anon_client.get(POSTS, {"published_after": "2024-03-11T00:00:00+00:00"})) == [
        "mar"
    ]
    assert slugs(anon_client.get(POSTS, {"published_before": "2024-01-01T00:00:00Z"})) == []


@pytest.mark.parametrize(
    "params",
    [
        {"published_after": "yesterday"},
        {"published_before": "2024-13-45"},
    ],
)
def test_bad_date_filters_are_400(anon_client, params):
    assert_validation_error(anon_client.get(POSTS, params), *params)


def test_orderings(anon_client):
    now = timezone.now()
    PostFactory(slug="old", published_at=now - timedelta(days=3), view_count=5, comment_count=1)
    PostFactory(slug="mid", published_at=now - timedelta(days=2), view_count=50, comment_count=0)
    PostFactory(slug="new", published_at=now - timedelta(days=1), view_count=1, comment_count=9)

    assert slugs(anon_client.get(POSTS)) == ["new", "mid", "old"]
    assert slugs(anon_client.get(POSTS, {"ordering": "-published_at"})) == ["new", "mid", "old"]
    assert slugs(anon_client.get(POSTS, {"ordering": "published_at"})) == ["old", "mid", "new"]
    assert slugs(anon_client.get(POSTS, {"ordering": "-view_count"})) == ["mid", "old", "new"]
    assert slugs(anon_client.get(POSTS, {"ordering": "-comment_count"})) == ["new", "old", "mid"]


@pytest.mark.parametrize("ordering", ["title", "-id", "view_count", "published_at,-id", "?"])
def test_bad_ordering_is_400(anon_client, ordering):
    PostFactory()
    assert_validation_error(anon_client.get(POSTS, {"ordering": ordering}), "ordering")


# --- status lists --------------------------------------------------------------------------


@pytest.fixture
def mixed_posts(author, other_author):
    future = timezone.now() + timedelta(days=1)
    return {
        "mine-draft": make_post(author, title="mine draft"),
        "mine-draft-2": make_post(author, title="mine draft 2"),
        "theirs-draft": make_post(other_author, title="theirs draft"),
        "mine-scheduled": make_post(
            author, title="mine scheduled", status="published", publish_at=future
        ),
        "theirs-scheduled": make_post(
            other_author, title="theirs scheduled", status="published", publish_at=future
        ),
        "mine-published": make_post(author, title="mine published", status="published"),
        "theirs-archived": PostFactory(
            slug="theirs-archived", author=other_author, status=PostStatus.ARCHIVED
        ),
        "mine-archived": PostFactory(slug="mine-archived", author=author, status="archived"),
    }


def test_default_list_is_published_only(author_client, mixed_posts):
    assert slugs(author_client.get(POSTS)) == ["mine-published"]
    assert slugs(author_client.get(POSTS, {"status": "published"})) == ["mine-published"]


def test_status_lists_show_own_posts_to_authors(author_client, mixed_posts):
    assert sorted(slugs(author_client.get(POSTS, {"status": "draft"}))) == [
        "mine-draft",
        "mine-draft-2",
    ]
    assert slugs(author_client.get(POSTS, {"status": "scheduled"})) == ["mine-scheduled"]
    assert slugs(author_client.get(POSTS, {"status": "archived"})) == ["mine-archived"]


def test_status_lists_show_all_posts_to_editors(editor_client, mixed_posts):
    assert sorted(slugs(editor_client.get(POSTS, {"status": "draft"}))) == [
        "mine-draft",
        "mine-draft-2",
        "theirs-draft",
    ]
    assert sorted(slugs(editor_client.get(POSTS, {"status": "scheduled"}))) == [
        "mine-scheduled",
        "theirs-scheduled",
    ]


@pytest.mark.parametrize("status", ["draft", "scheduled", "archived"])
def test_status_lists_are_empty_for_anonymous_and_readers(
    anon_client, reader_client, mixed_posts, status
):
    assert slugs(anon_client.get(POSTS, {"status": status})) == []
    assert slugs(reader_client.get(POSTS, {"status": status})) == []


def test_unknown_status_is_400(anon_client):
    assert_validation_error(anon_client.get(POSTS, {"status": "deleted"}), "status")


def test_drafts_list_pages_with_a_cursor(editor_client, author):
    for i in range(8):
        DraftPostFactory(slug=f"draft-{i}", author=author)
    items, pages = walk(editor_client, POSTS, {"status": "draft", "page_size": 3})
    assert sorted(i["slug"] for i in items) == sorted(f"draft-{i}" for i in range(8))
    assert len(pages) == 3


# --- search (PostgreSQL) -------------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL"
)


@postgres_only
def test_search_title_match_ranks_above_body_match(anon_client, author):
    body_only = make_post(
        author,
        title="Notes from the weekend",
        body="We drove out to see a volcano and it was quiet.",
        status="published",
    )
    title_match = make_post(
        author, title="Volcano season", body="Mountains, heat and ash.", status="published"
    )
    make_post(author, title="Gardening", body="Roses and tulips.", status="published")
    make_post(author, title="Volcano draft", body="Volcano volcano.")  # not published

    response = anon_client.get(POSTS, {"search": "volcano"})
    assert slugs(response) == [title_match.slug, body_only.slug]

    # Stemming: another form of the word finds the same posts.
    assert sorted(slugs(anon_client.get(POSTS, {"search": "volcanoes"}))) == sorted(
        [title_match.slug, body_only.slug]
    )
    assert slugs(anon_client.get(POSTS, {"search": "nothing-like-this"})) == []


@postgres_only
def test_search_with_ordering_uses_the_ordering(anon_client, author):
    older = make_post(author, title="Volcano one", body="x", status="published")
    newer = make_post(author, title="Other", body="a volcano", status="published")
    Post.objects.filter(pk=older.pk).update(published_at=timezone.now() - timedelta(days=2))
    Post.objects.filter(pk=newer.pk).update(view_count=10)
    assert slugs(anon_client.get(POSTS, {"search": "volcano"})) == [older.slug, newer.slug]
    assert slugs(anon_client.get(POSTS, {"search": "volcano", "ordering": "-published_at"})) == [
        newer.slug,
        older.slug,
    ]
    assert slugs(anon_client.get(POSTS, {"search": "volcano", "ordering": "-view_count"})) == [
        newer.slug,
        older.slug,
    ]


@postgres_only
def test_search_combines_with_filters(anon_client, author, other_author):
    mine = make_post(author, title="Volcano", body="x", status="published")
    make_post(other_author, title="Volcano too", body="x", status="published")
    assert slugs(anon_client.get(POSTS, {"search": "volcano", "author": author.username})) == [
        mine.slug
    ]


@postgres_only
def test_search_results_page_with_a_cursor(anon_client, author):
    for i in range(6):
        make_post(author, title=f"Volcano {i}", body="lava " * i, status="published")
    for i in range(6):
        make_post(author, title=f"Trip {i}", body="volcano " * (i + 1), status="published")
    everything = slugs(anon_client.get(POSTS, {"search": "volcano", "page_size": 100}))
    assert len(everything) == 12
    items, _ = walk(anon_client, POSTS, {"search": "volcano", "page_size": 5})
    assert [i["slug"] for i in items] == everything


# --- query budgets -------------------------------------------------------------------------


@pytest.fixture
def many_posts():
    categories = CategoryFactory.create_batch(4)
    tags = TagFactory.create_batch(6)
    authors = AuthorFactory.create_batch(5)
    for i in range(60):
        PostFactory(
            author=authors[i % 5],
            category=categories[i % 4],
            tags=[tags[i % 6], tags[(i + 1) % 6], tags[(i + 2) % 6]],
        )
    return {"category": categories[0].slug, "tag": tags[1].slug}


def _count_queries(client, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(POSTS, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("variant", ["plain", "category", "tag", "ordering"])
def test_list_queries_do_not_grow_with_page_size(anon_client, many_posts, variant):
    params = {
        "plain": {},
        "category": {"category": many_posts["category"]},
        "tag": {"tag": many_posts["tag"]},
        "ordering": {"ordering": "-view_count"},
    }[variant]
    small, small_body = _count_queries(anon_client, {**params, "page_size": 5})
    large, large_body = _count_queries(anon_client, {**params, "page_size": 50})
    assert len(small_body["results"]) == 5
    assert len(large_body["results"]) > 5
    assert all(item["tags"] and item["category"] for item in large_body["results"])
    assert small == large
    assert large <= 2  # the page (with author and category), and the tags of its posts


def test_list_queries_for_an_author_do_not_grow(author, many_posts):
    client = client_for(author)
    for _ in range(30):
        DraftPostFactory(author=author, tags=[TagFactory()], category=CategoryFactory())
    small, _ = _count_queries(client, {"status": "draft", "page_size": 5})
    large, body = _count_queries(client, {"status": "draft", "page_size": 50})
    assert len(body["results"]) == 30
    assert small == large <= 3  # plus the authenticated user


@postgres_only
def test_search_queries_do_not_grow(anon_client, author):
    for i in range(30):
        make_post(author, title=f"Volcano {i}", body="lava", tags=[f"t{i}"], status="published")
    small, _ = _count_queries(anon_client, {"search": "volcano", "page_size": 5})
    large, body = _count_queries(anon_client, {"search": "volcano", "page_size": 50})
    assert len(body["results"]) == 30
    assert small == large <= 2


def test_list_queries_do_not_grow_with_cursor_depth(anon_client, many_posts):
    first, body = _count_queries(anon_client, {"page_size": 10})
    with CaptureQueriesContext(connection) as ctx:
        response = anon_client.get(body["next"])
    assert response.status_code == 200
    assert len(ctx.captured_queries) == first


# A 200 on a published post: the post (with author and category), its tags. The view is
# counted in Redis, not in the database (it reaches the database in the minute's flush),
# so the first view of a post on a day costs no more than the next ones. (Without Redis,
# views are counted in the database: the post's count, its day's and the site's day's
# rows, three more statements.)
DETAIL_BUDGET = 2
DETAIL_BUDGET_FIRST_VIEW_OF_THE_DAY = DETAIL_BUDGET


def test_detail_query_budget(anon_client, django_assert_max_num_queries):
    few = PostFactory(category=CategoryFactory(), tags=TagFactory.create_batch(1))
    many = PostFactory(category=CategoryFactory(), tags=TagFactory.create_batch(15))
    counts = []
    for post in (few, many):  # the first view of each: the same work
        with CaptureQueriesContext(connection) as ctx:
            assert anon_client.get(detail(post.slug)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= DETAIL_BUDGET_FIRST_VIEW_OF_THE_DAY  # tags add nothing
    for post in (few, many):
        with django_assert_max_num_queries(DETAIL_BUDGET):
            assert anon_client.get(detail(post.slug)).status_code == 200


def test_detail_304_is_cheap(anon_client, django_assert_max_num_queries):
    post = PostFactory(tags=TagFactory.create_batch(3))
    etag = anon_client.get(detail(post.slug))["ETag"]
    with django_assert_max_num_queries(2):
        response = anon_client.get(detail(post.slug), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def test_detail_query_budget_for_an_author(author, django_assert_max_num_queries):
    post = make_post(author, tags=["a", "b", "c"], category=CategoryFactory())
    client = client_for(author)
    with django_assert_max_num_queries(3):  # the user, the post, its tags (no view counted)
        assert client.get(detail(post.slug)).status_code == 200

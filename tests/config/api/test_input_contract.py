"""Input the schema refuses is refused by the server too, with a 400 problem, never a 500.

Each case is a finding of a schemathesis run (issue 10): lenient parsing that silently
ignored bad input, and input that reached PostgreSQL and failed there.
"""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from tests.factories import (
    AdminFactory,
    AuthorFactory,
    CategoryFactory,
    CommentFactory,
    DraftPostFactory,
    EditorFactory,
    PostFactory,
    TagFactory,
)
from tests.helpers import assert_problem, client_for

pytestmark = pytest.mark.django_db

POSTS = "/api/v1/posts/"
TAGS = "/api/v1/tags/"
CATEGORIES = "/api/v1/categories/"
EVENTS = "/api/v1/admin/events/"


def _send(client, method, path, data):
    return getattr(client, method)(path, data=json.dumps(data), content_type="application/json")


# --- pagination ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [POSTS, TAGS, CATEGORIES, "/api/v1/admin/tasks/", EVENTS])
@pytest.mark.parametrize("value", ["null", "abc", "0", "-3", "1.5", ""])
def test_a_page_size_that_is_not_a_positive_integer_is_refused(path, value):
    client = client_for(AdminFactory())
    body = assert_problem(client.get(path, {"page_size": value}), 400, "validation_error")
    assert "page_size" in body["fields"]


def test_a_page_size_above_the_maximum_is_still_capped(anon_client):
    TagFactory.create_batch(3)
    assert anon_client.get(TAGS, {"page_size": 1000}).status_code == 200


@pytest.mark.parametrize("value", ["0", "-1", "abc", "null", ""])
def test_a_page_number_that_is_not_a_positive_integer_is_refused(anon_client, value):
    body = assert_problem(anon_client.get(TAGS, {"page": value}), 400, "validation_error")
    assert "page" in body["fields"]


def test_a_page_past_the_end_is_not_found(anon_client):
    TagFactory.create_batch(3)
    assert_problem(anon_client.get(TAGS, {"page": 9}), 404, "not_found")


@pytest.mark.parametrize("path", [POSTS, EVENTS])
@pytest.mark.parametrize("cursor", ["not-a-cursor", "z`f\u00f2", "cD0yMDI2"])
def test_a_malformed_cursor_is_a_400_invalid_cursor(path, cursor):
    client = client_for(AdminFactory())
    body = assert_problem(client.get(path, {"cursor": cursor}), 400, "invalid_cursor")
    assert "cursor" in body["fields"]


# --- filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (POSTS, "published_before"),
        (POSTS, "published_after"),
        (EVENTS, "since"),
        (EVENTS, "until"),
        (EVENTS, "aggregate_type"),
        (EVENTS, "type"),
        ("/api/v1/comments/", "status"),
        ("/api/v1/admin/tasks/", "status"),
        ("/api/v1/admin/tasks/", "priority"),
    ],
)
def test_an_empty_value_for_a_typed_filter_is_refused(path, name):
    client = client_for(AdminFactory())
    body = assert_problem(client.get(path, {name: ""}), 400, "validation_error")
    assert name in body["fields"]


@pytest.mark.parametrize(
    ("path", "name"),
    [(POSTS, "ordering"), (POSTS, "status"), (TAGS, "ordering"), (CATEGORIES, "ordering")],
)
def test_an_empty_ordering_or_status_is_refused(path, name):
    client = client_for(AdminFactory())
    body = assert_problem(client.get(path, {name: ""}), 400, "validation_error")
    assert name in body["fields"]


def test_an_empty_ordering_with_a_search_is_refused(anon_client):
    response = anon_client.get(POSTS, {"search": "volcano", "ordering": ""})
    assert "ordering" in assert_problem(response, 400)["fields"]


def test_an_empty_comment_status_is_refused_for_editors():
    post = PostFactory()
    client = client_for(EditorFactory())
    response = client.get(f"{POSTS}{post.slug}/comments/", {"status": ""})
    assert "status" in assert_problem(response, 400)["fields"]


def test_an_empty_delivery_status_is_refused():
    client = client_for(AdminFactory())
    created = _send(
        client,
        "post",
        "/api/v1/admin/webhooks/",
        {"url": "https://93.184.215.14/hook", "events": ["post.published"]},
    )
    assert created.status_code == 201, created.content
    path = f"/api/v1/admin/webhooks/{created.json()['id']}/deliveries/"
    assert "status" in assert_problem(client.get(path, {"status": ""}), 400)["fields"]


def test_an_empty_text_filter_still_means_no_filter(anon_client):
    PostFactory()
    assert len(anon_client.get(POSTS, {"category": "", "search": ""}).json()["results"]) == 1


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        (POSTS, "published_after", "3488-01-13T05:41:16-19:05"),
        (POSTS, "published_before", "0001-01-02T05:00:00+23:59"),
        (EVENTS, "since", "1133-06-20T01:17:02-17:13"),
        (EVENTS, "until", "2999-01-01T00:00:00+16:30"),
    ],
)
def test_a_time_zone_offset_postgresql_cannot_store_is_normalised(path, name, value):
    client = client_for(AdminFactory())
    assert client.get(path, {name: value}).status_code == 200


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2026-13-01T00:00:00Z"]
)
def test_a_date_time_out_of_range_in_utc_is_refused(anon_client, value):
    body = assert_problem(anon_client.get(POSTS, {"published_after": value}), 400)
    assert "published_after" in body["fields"]


def test_the_offset_is_honoured_not_dropped(anon_client):
    PostFactory(slug="noon", published_at=datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    # 13:30+02:00 is 11:30 UTC: the noon post is after it.
    after = anon_client.get(POSTS, {"published_after": "2026-01-01T13:30:00+02:00"}).json()
    assert [p["slug"] for p in after["results"]] == ["noon"]


# --- strict JSON types in bodies ----------------------------------------------------------


def test_a_number_is_not_a_string():
    client = client_for(EditorFactory())
    response = _send(client, "post", CATEGORIES, {"name": "News", "description": 0})
    body = assert_problem(response, 400, "validation_error")
    assert list(body["fields"]) == ["description"]


def test_a_number_is_not_a_boolean(author_client):
    response = _send(author_client, "post", POSTS, {"title": "T", "body": "B", "allow_comments": 0})
    assert list(assert_problem(response, 400)["fields"]) == ["allow_comments"]


def test_a_string_is_not_a_boolean(reader_client):
    response = _send(reader_client, "patch", "/api/v1/users/me/", {"email_notifications": "yes"})
    assert list(assert_problem(response, 400)["fields"]) == ["email_notifications"]


def test_a_number_is_not_a_namespace():
    client = client_for(AdminFactory())
    response = _send(client, "post", "/api/v1/admin/cache/invalidate/", {"namespace": 0})
    assert list(assert_problem(response, 400)["fields"]) == ["namespace"]


def test_list_items_are_typed_too(author_client):
    response = _send(author_client, "post", POSTS, {"title": "T", "body": "B", "tags": ["a", 0]})
    assert list(assert_problem(response, 400)["fields"]) == ["tags.1"]


def test_a_number_is_not_a_slug_of_a_related_object(author_client):
    CategoryFactory(slug="0")
    response = _send(author_client, "post", POSTS, {"title": "T", "body": "B", "category": 0})
    assert list(assert_problem(response, 400)["fields"]) == ["category"]


def test_a_string_is_not_an_integer(reader_client):
    post = PostFactory()
    parent = CommentFactory(post=post)
    response = _send(
        reader_client,
        "post",
        f"{POSTS}{post.slug}/comments/",
        {"body": "Hello", "parent": str(parent.pk)},
    )
    assert list(assert_problem(response, 400)["fields"]) == ["parent"]


def test_true_is_not_an_integer(reader_client):
    post = PostFactory()
    response = _send(
        reader_client, "post", f"{POSTS}{post.slug}/comments/", {"body": "Hi", "parent": True}
    )
    assert list(assert_problem(response, 400)["fields"]) == ["parent"]


def test_an_empty_slug_is_not_no_category(author_client):
    response = _send(author_client, "post", POSTS, {"title": "T", "body": "B", "category": ""})
    assert list(assert_problem(response, 400)["fields"]) == ["category"]


def test_null_is_still_no_category(author_client):
    response = _send(author_client, "post", POSTS, {"title": "T", "body": "B", "category": None})
    assert response.status_code == 201, response.content
    assert response.json()["category"] is None


def test_well_typed_input_is_still_accepted(author_client):
    CategoryFactory(slug="news")
    response = _send(
        author_client,
        "post",
        POSTS,
        {
            "title": "T",
            "body": "B",
            "category": "news",
            "tags": ["python"],
            "allow_comments": False,
            "publish_at": None,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["allow_comments"] is False


def test_patching_a_comment_still_needs_its_body():
    author = AuthorFactory()
    comment = CommentFactory(author=author)
    response = _send(client_for(author), "patch", f"/api/v1/comments/{comment.pk}/", {})
    assert list(assert_problem(response, 400)["fields"]) == ["body"]


def test_an_empty_event_list_is_refused():
    client = client_for(AdminFactory())
    response = _send(
        client, "post", "/api/v1/admin/webhooks/", {"url": "https://example.com/", "events": []}
    )
    assert list(assert_problem(response, 400)["fields"]) == ["events"]


# --- NUL bytes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/posts/?search=a%00b",
        "/api/v1/posts/?a%00b=1",
        "/api/v1/posts/a%00b/",
        "/api/v1/users/a%00b/",
        "/api/v1/categories/a%00b/",
        "/api/v1/tags/?search=%00",
        "/api/v1/posts/x/comments/?status=a%00",
    ],
)
def test_a_nul_byte_in_an_api_url_is_a_400_problem(anon_client, path):
    PostFactory(slug="x")
    assert_problem(anon_client.get(path), 400, "bad_request")


@pytest.mark.parametrize("path", ["/posts/a%00b/", "/?q=%00", "/categories/a%00/"])
def test_a_nul_byte_in_a_page_url_is_a_400(path):
    response = Client().get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_nul_byte_in_a_body_string_is_refused(author_client):
    response = _send(author_client, "post", POSTS, {"title": "T", "body": "B", "category": "a\0"})
    assert list(assert_problem(response, 400)["fields"]) == ["category"]


def test_a_nul_byte_in_a_login_is_not_a_500(anon_client):
    response = _send(
        anon_client, "post", "/api/v1/auth/token/", {"username": "a\0", "password": "x"}
    )
    assert_problem(response, 400)


# --- problem documents with DEBUG on ------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/posts/a/b/c/", "/api/"])
def test_an_unknown_api_route_is_a_problem_with_debug_on(settings, path):
    settings.DEBUG = True
    response = Client().get(path, HTTP_ACCEPT="text/html")
    assert_problem(response, 404, "not_found")


def test_an_api_route_without_its_slash_still_redirects_with_debug_on(settings):
    settings.DEBUG = True
    response = Client().get("/api/v1/posts")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/posts/"


def test_a_page_outside_the_api_keeps_the_debug_page(settings):
    settings.DEBUG = True
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- conflicts are problem documents ------------------------------------------------------


def test_publishing_a_published_post_is_a_409_problem():
    editor = EditorFactory()
    post = PostFactory(author=editor)
    assert_problem(client_for(editor).post(f"{POSTS}{post.slug}/publish/"), 409, "conflict")


def test_unpublishing_a_draft_is_a_409_problem():
    author = AuthorFactory()
    post = DraftPostFactory(author=author)
    assert_problem(client_for(author).post(f"{POSTS}{post.slug}/unpublish/"), 409, "conflict")

"""Every error under /api/ is a problem document (RFC 9457), never HTML; request ids."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from blog.api.views.posts import PostViewSet
from tests.factories import PostFactory
from tests.helpers import assert_problem, client_for, patch_json, post_json

pytestmark = pytest.mark.django_db


# --- 404 and 405 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/no-such-thing/", "/api/v1/posts/a/b/c/", "/api/", "/api/v2/posts/"],
)
def test_unknown_route_under_api_is_404_problem(anon_client, path):
    assert_problem(anon_client.get(path), 404, "not_found")


def test_unknown_route_is_a_problem_even_when_html_is_preferred():
    response = Client().get("/api/v1/nope/", HTTP_ACCEPT="text/html")
    assert_problem(response, 404, "not_found")


def test_unknown_route_outside_api_is_not_a_problem_document():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "problem+json" not in response["Content-Type"]


def test_missing_post_is_404_problem(anon_client):
    assert_problem(anon_client.get("/api/v1/posts/does-not-exist/"), 404, "not_found")


def test_api_error_is_never_html_for_a_browser():
    # The browsable API renders HTML for successes; an error must still be a problem
    # document (a browser's Accept header prefers text/html).
    response = Client().get(
        "/api/v1/posts/does-not-exist/",
        HTTP_ACCEPT="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/posts/"),
        ("delete", "/api/v1/tags/"),
        ("get", "/api/v1/auth/token/"),
        ("delete", "/api/v1/auth/register/"),
    ],
)
def test_wrong_method_is_405_problem(author_client, method, path):
    response = getattr(author_client, method)(path)
    body = assert_problem(response, 405, "method_not_allowed")
    assert method.upper() in body["detail"]
    assert "Allow" in response


# --- bodies: media type, parse errors, validation, size -----------------------------------


def test_form_encoded_body_is_415_problem(author_client):
    response = author_client.post(
        "/api/v1/posts/",
        data="title=Hello&body=World",
        content_type="application/x-www-form-urlencoded",
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_multipart_body_is_415_problem(author_client):
    response = author_client.post(
        "/api/v1/posts/", {"title": "Hello", "body": "W"}, format="multipart"
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_text_body_is_415_problem(author_client):
    response = author_client.post(
        "/api/v1/posts/", data="just some text", content_type="text/plain"
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_unsupported_media_type_on_register_for_anonymous(anon_client):
    response = anon_client.post(
        "/api/v1/auth/register/",
        data="username=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("raw", ['{"title": "x", ', "{'title': 'x'}", "nope", '{"a": 1}}'])
def test_malformed_json_is_400_problem(author_client, raw):
    # DRF's code for a body that is not JSON is `parse_error`: the request never reached
    # field validation, so there is no `fields` member.
    response = author_client.post("/api/v1/posts/", data=raw, content_type="application/json")
    body = assert_problem(response, 400, "parse_error")
    assert "fields" not in body


def test_unknown_field_is_400_validation_error_naming_it(author_client):
    response = post_json(author_client, "/api/v1/posts/", {"title": "T", "body": "B", "titel": "x"})
    body = assert_problem(response, 400, "validation_error")
    assert body["fields"] == {"titel": ["Unknown field."]}


def test_unknown_field_on_patch_is_400(author_client, author):
    post = PostFactory(author=author)
    response = patch_json(author_client, f"/api/v1/posts/{post.slug}/", {"view_count": 1000})
    body = assert_problem(response, 400, "validation_error")
    assert "view_count" in body["fields"]
    post.refresh_from_db()
    assert post.view_count == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "T", "body": "B", "allow_comments": "perhaps"}, "allow_comments"),
        ({"title": "T", "body": "B", "tags": "not-a-list"}, "tags"),
        ({"title": "T", "body": "B", "publish_at": "tomorrow-ish"}, "publish_at"),
        ({"title": ["a", "list"], "body": "B"}, "title"),
        ({"title": "T", "body": "B", "status": "archived"}, "status"),
        ({"title": "T", "body": "B", "category": "no-such-category"}, "category"),
        ({"body": "B"}, "title"),
    ],
)
def test_wrong_type_or_value_is_400_validation_error_with_fields(author_client, payload, field):
    response = post_json(author_client, "/api/v1/posts/", payload)
    body = assert_problem(response, 400, "validation_error")
    assert field in body["fields"], body
    assert all(isinstance(m, str) for m in body["fields"][field])


def test_json_that_is_not_an_object_is_400_validation_error(author_client):
    response = post_json(author_client, "/api/v1/posts/", ["title", "body"])
    body = assert_problem(response, 400, "validation_error")
    assert "fields" in body


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"body": ""}, "body"), ({"body": "Hi", "parent": "abc"}, "parent"), ({}, "body")],
)
def test_validation_error_on_comment_is_a_problem(reader_client, payload, field):
    post = PostFactory()
    response = post_json(reader_client, f"/api/v1/posts/{post.slug}/comments/", payload)
    body = assert_problem(response, 400, "validation_error")
    assert field in body["fields"]


def test_body_over_the_limit_is_413_problem(author_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    response = post_json(author_client, "/api/v1/posts/", {"title": "T", "body": "x" * 500})
    assert_problem(response, 413, "payload_too_large")


def test_body_under_the_limit_passes(author_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    response = post_json(author_client, "/api/v1/posts/", {"title": "T", "body": "x" * 500})
    assert response.status_code == 201


def test_body_over_the_limit_is_413_even_for_anonymous(anon_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = post_json(
        anon_client,
        "/api/v1/auth/register/",
        {"username": "u", "email": "u@example.com", "password": "p" * 400},
    )
    assert_problem(response, 413, "payload_too_large")


# --- authentication, permission ---------------------------------------------------------


def _bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.parametrize("path", ["/api/v1/users/me/", "/api/v1/posts/"])
def test_garbage_bearer_token_is_401_authentication_failed(path):
    response = _bearer("not.a.jwt").get(path)
    assert_problem(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_bearer_token_is_401_authentication_failed(reader):
    token = AccessToken.for_user(reader)
    token.set_exp(lifetime=-timedelta(minutes=1))
    response = _bearer(str(token)).get("/api/v1/users/me/")
    body = assert_problem(response, 401, "authentication_failed")
    assert "expired" in body["detail"].lower()
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_browser_accept_header_still_gets_problem_json_for_api_errors(author):
    client = client_for(author)
    html = "text/html,application/xhtml+xml,*/*;q=0.8"
    response = post_json(client, "/api/v1/posts/", {"titel": "x"}, HTTP_ACCEPT=html)
    assert_problem(response, 400, "validation_error")
    assert_problem(APIClient().get("/api/v1/users/me/", HTTP_ACCEPT=html), 401)
    assert_problem(client.put("/api/v1/posts/", HTTP_ACCEPT=html), 405, "method_not_allowed")


def test_token_with_a_bad_signature_is_401_authentication_failed(reader):
    token = str(AccessToken.for_user(reader))
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[::-1]}"
    response = _bearer(tampered).get("/api/v1/users/me/")
    assert_problem(response, 401, "authentication_failed")


def test_missing_credentials_is_401_not_authenticated(anon_client):
    response = anon_client.get("/api/v1/users/me/")
    assert_problem(response, 401, "not_authenticated")
    assert "WWW-Authenticate" in response


def test_forbidden_is_403_permission_denied(reader_client):
    response = post_json(reader_client, "/api/v1/posts/", {"title": "T", "body": "B"})
    assert_problem(response, 403, "permission_denied")


# --- throttling -------------------------------------------------------------------------


def test_throttled_request_is_429_problem_with_retry_after(anon_client, monkeypatch):
    # DRF reads the rates at class level, so the settings fixture would not reach them.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    for _ in range(2):
        assert anon_client.get("/api/v1/tags/").status_code == 200
    response = anon_client.get("/api/v1/tags/")
    body = assert_problem(response, 429, "throttled")
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    assert "fields" not in body


def test_throttling_for_users_is_per_user(monkeypatch, reader, author):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "1/min")
    reader_client, author_client = client_for(reader), client_for(author)
    assert reader_client.get("/api/v1/users/me/").status_code == 200
    assert_problem(reader_client.get("/api/v1/users/me/"), 429, "throttled")
    assert author_client.get("/api/v1/users/me/").status_code == 200


# --- request ids ------------------------------------------------------------------------


def test_sane_request_id_is_echoed(anon_client):
    response = anon_client.get("/api/v1/tags/", HTTP_X_REQUEST_ID="abc-123.def:456_x")
    assert response["X-Request-ID"] == "abc-123.def:456_x"


def test_request_id_is_echoed_on_errors_too(anon_client):
    response = anon_client.get("/api/v1/nope/", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-42"


def test_missing_request_id_gets_a_fresh_one(anon_client):
    first = anon_client.get("/api/v1/tags/")["X-Request-ID"]
    second = anon_client.get("/api/v1/tags/")["X-Request-ID"]
    assert first and second and first != second


@pytest.mark.parametrize(
    "incoming",
    [
        "has spaces in it",
        "x" * 500,
        "line\tbreak",
        "<script>alert(1)</script>",
        'quote"d',
        "semi;colon",
    ],
)
def test_insane_request_id_is_replaced(anon_client, incoming):
    response = anon_client.get("/api/v1/tags/", HTTP_X_REQUEST_ID=incoming)
    outgoing = response["X-Request-ID"]
    assert outgoing and outgoing != incoming
    assert len(outgoing) <= 128
    assert " " not in outgoing


def test_request_id_on_non_api_pages(anon_client):
    response = Client().get("/sitemap.xml", HTTP_X_REQUEST_ID="page-req")
    assert response["X-Request-ID"] == "page-req"


# --- unexpected errors ------------------------------------------------------------------


def test_unexpected_exception_in_a_view_is_500_problem(anon_client, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("boom: secret internals")

    monkeypatch.setattr("blog.selectors.posts.post_list", explode)
    response = anon_client.get("/api/v1/posts/")
    body = assert_problem(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()
    assert "boom" not in body["detail"]


def test_unexpected_exception_on_a_write_rolls_back_and_is_500_problem(author_client, monkeypatch):
    from blog.models import Post

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("blog.services.posts.post_update_search_vector", explode)
    response = post_json(author_client, "/api/v1/posts/", {"title": "T", "body": "B"})
    assert_problem(response, 500, "server_error")
    assert not Post.objects.filter(title="T").exists()


def test_exception_escaping_drf_is_a_500_problem_not_html(monkeypatch):
    # An error outside DRF's exception handling reaches Django's handler500.
    def explode(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(PostViewSet, "dispatch", explode)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/posts/", HTTP_ACCEPT="text/html")
    assert_problem(response, 500, "server_error")


# --- schema and docs --------------------------------------------------------------------


def test_schema_answers(anon_client):
    response = anon_client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert "openapi" in response["Content-Type"]


def test_schema_as_json_describes_the_api(anon_client):
    response = anon_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/posts/",
        "/api/v1/posts/{slug}/",
        "/api/v1/posts/{slug}/comments/",
        "/api/v1/comments/",
        "/api/v1/categories/",
        "/api/v1/tags/",
        "/api/v1/auth/token/",
        "/api/v1/users/me/",
    ):
        assert path in paths, path


def test_docs_render_html(anon_client):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "swagger" in content.lower()
    # The start-up script is a file of its own (CSP: no inline script); it loads the schema.
    assert '<script src="/api/v1/docs/?script=">' in content
    script = Client().get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()

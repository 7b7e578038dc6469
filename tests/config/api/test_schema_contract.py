"""The OpenAPI schema says what the server does (issue 10, "the schema tells the truth").

Each test pins one finding of a schemathesis run; the run itself is in
tests/config/api/test_schemathesis.py, the generated client in tests/config/api/test_api_client.py.
"""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

PROBLEM = "application/problem+json"
HTTP_METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method.upper(), operation


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def json_body(schema, path, method):
    operation = schema["paths"][path][method.lower()]
    return resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])


def response_schema(schema, path, method, status, media_type="application/json"):
    operation = schema["paths"][path][method.lower()]
    return resolve(schema, operation["responses"][str(status)]["content"][media_type]["schema"])


# --- every response is typed, every error is a problem document ---------------------------


def test_every_success_response_has_a_body_schema(schema):
    untyped = [
        f"{method} {path} {status}"
        for path, method, operation in operations(schema)
        for status, response in operation["responses"].items()
        if status.startswith("2") and status != "204"
        if not any(media.get("schema") for media in response.get("content", {}).values())
    ]
    assert untyped == []


def test_every_documented_error_is_a_problem_document(schema):
    wrong = [
        f"{method} {path} {status}: {sorted(response.get('content', {}))}"
        for path, method, operation in operations(schema)
        for status, response in operation["responses"].items()
        if status[0] in "45"
        if set(response.get("content", {})) != {PROBLEM}
    ]
    assert wrong == []


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/auth/token/refresh/"])
def test_the_token_endpoints_document_the_tokens(schema, path):
    body = response_schema(schema, path, "POST", 200)
    assert body["properties"]["access"]["type"] == "string"
    assert "access" in body["required"]
    if path.endswith("/token/"):
        assert "refresh" in body["required"]


# --- statuses -----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["publish", "unpublish", "archive"])
def test_post_transitions_document_their_conflict(schema, action):
    responses = schema["paths"][f"/api/v1/posts/{{slug}}/{action}/"]["post"]["responses"]
    assert set(responses["409"]["content"]) == {PROBLEM}


@pytest.mark.parametrize("method", ["put", "patch"])
def test_post_writes_document_the_conflict_of_a_status_change(schema, method):
    # PUT/PATCH may carry `status`; one the current status does not allow is a 409.
    responses = schema["paths"]["/api/v1/posts/{slug}/"][method]["responses"]
    assert set(responses["409"]["content"]) == {PROBLEM}


def test_job_cancel_documents_its_conflict_as_a_problem(schema):
    responses = schema["paths"]["/api/v1/admin/tasks/{job_id}/cancel/"]["post"]["responses"]
    assert set(responses["409"]["content"]) == {PROBLEM}


def test_paginated_lists_document_400_for_bad_paging(schema):
    for path, method, operation in operations(schema):
        names = {p["name"] for p in operation.get("parameters", [])}
        if names & {"page", "cursor", "page_size"}:
            assert "400" in operation["responses"], f"{method} {path}"


def test_numbered_lists_document_404_for_a_page_past_the_end(schema):
    for path, method, operation in operations(schema):
        if any(p["name"] == "page" for p in operation.get("parameters", [])):
            assert "404" in operation["responses"], f"{method} {path}"


def test_paging_parameters_are_positive_integers(schema):
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["name"] in ("page", "page_size"):
                assert parameter["schema"]["type"] == "integer", f"{method} {path}"
                assert parameter["schema"]["minimum"] == 1, f"{method} {path}"


def test_object_rules_document_403_on_reads_behind_a_sign_in(schema):
    responses = schema["paths"]["/api/v1/posts/{slug}/revisions/"]["get"]["responses"]
    assert "403" in responses


# --- request bodies -----------------------------------------------------------------------


def test_strict_request_bodies_forbid_unknown_fields(schema):
    loose = []
    for path, method, operation in operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        if path.startswith("/api/v1/auth/token/"):
            continue  # simplejwt's serializers: unknown fields are ignored there
        body = resolve(schema, content["application/json"]["schema"])
        if body.get("additionalProperties") is not False:
            loose.append(f"{method} {path}")
    assert loose == []


def test_patching_a_comment_requires_its_body(schema):
    assert json_body(schema, "/api/v1/comments/{id}/", "PATCH")["required"] == ["body"]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_webhook_events_must_not_be_empty(schema, method):
    path = "/api/v1/admin/webhooks/" + ("" if method == "POST" else "{id}/")
    assert json_body(schema, path, method)["properties"]["events"]["minItems"] == 1


def test_partial_updates_stay_optional(schema):
    assert "required" not in json_body(schema, "/api/v1/categories/{slug}/", "PATCH")
    assert "required" not in json_body(schema, "/api/v1/posts/{slug}/", "PATCH")


# --- patterns -----------------------------------------------------------------------------


def _patterns(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield where, value
            else:
                yield from _patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _patterns(value, f"{where}/{index}")


def test_no_pattern_relies_on_a_unicode_word_class(schema):
    # JSON Schema patterns are ECMA 262: `\w` is ASCII there, Unicode in Python.
    assert [(where, p) for where, p in _patterns(schema) if "\\w" in p] == []


@pytest.mark.parametrize(
    ("component", "field"),
    [("Category", "slug"), ("Tag", "slug"), ("Post", "slug"), ("CategoryWriteRequest", "slug")],
)
def test_unicode_slugs_match_the_slug_pattern(schema, component, field):
    pattern = schema["components"]["schemas"][component]["properties"][field]["pattern"]
    for slug in ("über-café", "a_b-1", "日本語", "𐐀x"):
        assert re.search(pattern, slug), (pattern, slug)
    for slug in ("a b", "a/b", "a.b", "", "a?", "a\x00"):
        assert not re.search(pattern, slug), (pattern, slug)


def test_unicode_usernames_match_the_username_pattern(schema):
    pattern = schema["components"]["schemas"]["RegisterRequest"]["properties"]["username"][
        "pattern"
    ]
    for name in ("josé", "a.b@c+d-e_f", "ünal"):
        assert re.search(pattern, name), (pattern, name)
    for name in ("a b", "a/b", "a!", "a\x00"):
        assert not re.search(pattern, name), (pattern, name)

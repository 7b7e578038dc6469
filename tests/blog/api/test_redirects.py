"""`/api/v1/admin/redirects/` (docs/api.md, "Redirects"): editors and admins only."""

import pytest

from blog.models import Redirect
from tests.helpers import (
    assert_problem,
    assert_validation_error,
    only,
    post_json,
    results,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/redirects/"
FIELDS = {"id", "old_path", "target", "status_code", "hits", "created_at"}
SITE = "https://blog.example.com"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def detail(redirect_id) -> str:
    return f"{URL}{redirect_id}/"


def test_an_editor_creates_lists_and_deletes_redirects(editor, editor_client, events):
    response = post_json(editor_client, URL, {"old_path": "/2019/05/Hello/", "target": "/new/"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == FIELDS
    assert created["old_path"] == "/2019/05/hello"  # stored normalised
    assert (created["target"], created["status_code"], created["hits"]) == ("/new/", 301, 0)
    assert only(events, "redirect.created").actor == editor

    post_json(editor_client, URL, {"old_path": "/a/", "target": f"{SITE}/b/", "status_code": 307})
    listed = editor_client.get(URL)
    assert listed.status_code == 200
    assert [(r["old_path"], r["status_code"]) for r in results(listed)] == [
        ("/2019/05/hello", 301),
        ("/a", 307),
    ]

    events.mark()
    assert editor_client.delete(detail(created["id"])).status_code == 204
    assert not Redirect.objects.filter(pk=created["id"]).exists()
    assert only(events, "redirect.deleted").aggregate_id == str(created["id"])
    assert_problem(editor_client.delete(detail(created["id"])), 404, "not_found")


def test_an_admin_may_too(admin_client_api):
    response = post_json(admin_client_api, URL, {"old_path": "/a/", "target": "/b/"})
    assert response.status_code == 201
    assert admin_client_api.delete(detail(response.json()["id"])).status_code == 204


def test_anonymous_readers_and_authors_are_refused(anon_client, reader_client, author_client):
    redirect = Redirect.objects.create(old_path="/a", target="/b/")
    body = {"old_path": "/x/", "target": "/y/"}
    assert_problem(anon_client.get(URL), 401, "not_authenticated")
    assert_problem(post_json(anon_client, URL, body), 401, "not_authenticated")
    assert_problem(anon_client.delete(detail(redirect.pk)), 401, "not_authenticated")
    for client in (reader_client, author_client):
        assert_problem(client.get(URL), 403, "permission_denied")
        assert_problem(post_json(client, URL, body), 403, "permission_denied")
        assert_problem(client.delete(detail(redirect.pk)), 403, "permission_denied")
    assert list(Redirect.objects.values_list("old_path", flat=True)) == ["/a"]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "http://evil",
        "https://evil.com/x",
        "/\\evil.com",
        "\\\\evil.com",
        "javascript:alert(1)",
    ],
)
def test_a_target_on_another_host_is_a_400(editor_client, target):
    response = post_json(editor_client, URL, {"old_path": "/x/", "target": target})
    assert_validation_error(response, "target")
    assert not Redirect.objects.exists()


def test_duplicates_loops_bad_paths_codes_and_unknown_fields_are_400s(editor_client):
    post_json(editor_client, URL, {"old_path": "/a/", "target": "/b/"})
    assert_validation_error(
        post_json(editor_client, URL, {"old_path": "/A", "target": "/c/"}), "old_path"
    )
    assert_validation_error(
        post_json(editor_client, URL, {"old_path": "/b/", "target": "/a/"}), "target"
    )
    assert_validation_error(
        post_json(editor_client, URL, {"old_path": "b/", "target": "/a/"}), "old_path"
    )
    assert_validation_error(
        post_json(editor_client, URL, {"old_path": "/x/", "target": "/y/", "status_code": 303}),
        "status_code",
    )
    assert_validation_error(
        post_json(editor_client, URL, {"old_path": "/x/", "target": "/y/", "hits": 5}), "hits"
    )
    assert Redirect.objects.count() == 1

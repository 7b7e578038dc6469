"""The Django admin by role: editors manage content, admins also users, nobody else gets in."""

import pytest
from django.test import Client

from tests.factories import AuthorFactory, CategoryFactory, CommentFactory, PostFactory, TagFactory
from tests.helpers import web_client

pytestmark = pytest.mark.django_db

CONTENT_CHANGELISTS = [
    "/admin/blog/post/",
    "/admin/blog/comment/",
    "/admin/blog/category/",
    "/admin/blog/tag/",
]


def test_editor_sees_the_admin_index(editor_web):
    response = editor_web.get("/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "/admin/blog/post/" in content
    assert "/admin/blog/comment/" in content
    assert "/admin/accounts/user/" not in content


@pytest.mark.parametrize("path", CONTENT_CHANGELISTS)
def test_editor_sees_content_changelists(editor_web, path):
    PostFactory()
    CommentFactory()
    CategoryFactory()
    TagFactory()
    assert editor_web.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/admin/accounts/user/", "/admin/accounts/user/add/", "/admin/accounts/"]
)
def test_editor_may_not_manage_users(editor_web, path):
    assert editor_web.get(path).status_code in (403, 404)


def test_editor_gets_403_on_users_changelist(editor_web):
    assert editor_web.get("/admin/accounts/user/").status_code == 403


def test_editor_may_not_open_a_user(editor_web, reader):
    assert editor_web.get(f"/admin/accounts/user/{reader.pk}/change/").status_code == 403


def test_admin_sees_users(admin_web, reader):
    response = admin_web.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert reader.username in response.content.decode()
    assert admin_web.get(f"/admin/accounts/user/{reader.pk}/change/").status_code == 200
    assert "/admin/accounts/user/" in admin_web.get("/admin/").content.decode()


@pytest.mark.parametrize("path", CONTENT_CHANGELISTS)
def test_admin_sees_content_changelists(admin_web, path):
    assert admin_web.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/admin/", "/admin/blog/post/", "/admin/accounts/user/"])
def test_reader_without_staff_is_redirected_to_login(reader, path):
    assert reader.is_staff is False
    response = web_client(reader).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_is_redirected_to_login():
    response = Client().get("/admin/blog/post/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_flag_without_editor_role_grants_no_content(db):
    # Roles, not the staff flag alone, decide: a staff author manages nothing here.
    author = AuthorFactory(is_staff=True)
    client = web_client(author)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/blog/post/" not in index.content.decode()
    assert client.get("/admin/blog/post/").status_code == 403

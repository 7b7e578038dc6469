"""Refusals of the permission matrix: a refused write changes nothing; what an
unauthenticated or badly authenticated caller gets (401)."""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from blog.models import Category, Comment, CommentStatus
from tests import factories
from tests.helpers import assert_problem, client_for

pytestmark = pytest.mark.django_db


# --- Refusals change nothing ------------------------------------------------------------
# A 401/403/404 must not have written anything behind the answer.


@pytest.mark.parametrize("role", ["anon", "reader", "other"])
def test_refused_post_writes_change_nothing(world, role):
    client = client_for(world.users[role])
    for slug in ("published", "draft"):
        assert client.patch(f"/api/v1/posts/{slug}/", {"title": "Hacked"}).status_code >= 400
        assert client.delete(f"/api/v1/posts/{slug}/").status_code >= 400
        assert client.post(f"/api/v1/posts/{slug}/archive/").status_code >= 400
    assert client.post("/api/v1/posts/published/unpublish/").status_code >= 400
    assert client.post("/api/v1/posts/draft/publish/").status_code >= 400
    world.published.refresh_from_db()
    world.draft.refresh_from_db()
    assert (world.published.title, world.published.status) == ("Published", "published")
    assert (world.draft.title, world.draft.status) == ("Draft", "draft")


@pytest.mark.parametrize("role", ["anon", "author", "other"])
def test_refused_comment_writes_change_nothing(world, role):
    client = client_for(world.users[role])
    for comment in (world.approved, world.pending):
        url = f"/api/v1/comments/{comment.pk}/"
        assert client.patch(url, {"body": "Hacked"}).status_code >= 400
        assert client.post(url + "moderate/", {"status": "spam"}).status_code >= 400
        assert client.delete(url).status_code >= 400
    assert Comment.objects.filter(body="A comment.").count() == 3
    assert not Comment.objects.filter(status=CommentStatus.SPAM).exists()


@pytest.mark.parametrize("role", ["anon", "reader", "author", "other", "editor"])
def test_refused_admin_user_update_changes_nothing(world, role):
    client = client_for(world.users[role])
    response = client.patch("/api/v1/admin/users/target/", {"role": "admin", "is_active": False})
    assert response.status_code in (401, 403)
    world.target.refresh_from_db()
    assert (world.target.role, world.target.is_active) == ("reader", True)


@pytest.mark.parametrize("role", ["anon", "reader", "author", "other"])
def test_refused_category_writes_change_nothing(world, role):
    client = client_for(world.users[role])
    assert client.post("/api/v1/categories/", {"name": "Art"}).status_code in (401, 403)
    assert client.patch("/api/v1/categories/science/", {"name": "X"}).status_code in (401, 403)
    assert client.delete("/api/v1/categories/science/").status_code in (401, 403)
    assert list(Category.objects.values_list("name", flat=True)) == ["Science"]


# --- 401s: what an unauthenticated or badly authenticated caller gets ---------------------


def test_anonymous_write_is_a_not_authenticated_problem_with_a_challenge(world):
    response = client_for(None).post("/api/v1/posts/", {"title": "T", "body": "B"})
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/users/me/"),
        ("POST", "/api/v1/posts/"),
        ("GET", "/api/v1/posts/"),  # a public endpoint still refuses a broken token
        ("PATCH", "/api/v1/posts/published/"),
    ],
)
def test_invalid_token_is_an_authentication_failed_problem(world, method, path):
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    response = getattr(client, method.lower())(path, data={}, format="json")
    assert_problem(response, 401, "authentication_failed")


def test_token_with_bad_credentials_is_401(world):
    response = client_for(None).post(
        "/api/v1/auth/token/", {"username": world.users["reader"].username, "password": "wrong"}
    )
    assert_problem(response, 401, "authentication_failed")


def test_token_for_inactive_user_is_401(world):
    User.objects.filter(pk=world.users["reader"].pk).update(is_active=False)
    credentials = {"username": world.users["reader"].username, "password": factories.PASSWORD}
    response = client_for(None).post("/api/v1/auth/token/", credentials)
    assert_problem(response, 401, "authentication_failed")


def test_blacklisted_refresh_token_is_401(world):
    reader = world.users["reader"]
    refresh = str(RefreshToken.for_user(reader))
    assert client_for(reader).post("/api/v1/auth/logout/", {"refresh": refresh}).status_code == 204
    response = client_for(None).post("/api/v1/auth/token/refresh/", {"refresh": refresh})
    assert_problem(response, 401, "authentication_failed")


def test_deactivated_users_token_stops_working(world):
    reader_client = client_for(world.users["reader"])
    assert reader_client.get("/api/v1/users/me/").status_code == 200
    admin = client_for(world.users["admin"])
    username = world.users["reader"].username
    response = admin.patch(f"/api/v1/admin/users/{username}/", {"is_active": False})
    assert response.status_code == 200
    assert_problem(reader_client.get("/api/v1/users/me/"), 401, "authentication_failed")

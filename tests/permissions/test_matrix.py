"""The permission matrix of docs/api.md: every endpoint of "Auth and users", "Posts",
"Comments", "Categories and tags" (and the admin's user update) for every kind of caller,
with the exact status code each one gets.

The callers (columns):

- ``anon``: no credentials;
- ``reader``: a reader, who wrote every comment of the fixture;
- ``author``: the author of every post of the fixture (their *own* posts);
- ``other``: another author (someone else's posts);
- ``editor`` and ``admin``.

The rules under test: a resource the caller may not see answers 404 (drafts and other
non-published posts of others, pending comments of others); one they can see but not
change answers 403; an unauthenticated write answers 401. An endpoint reserved to a role
(the moderation queue, categories, the admin's user update) answers 403 to every other
authenticated role without looking the object up, so it tells them nothing about which
objects exist either.

Each table row is one endpoint (on one object) with the code for each caller; it expands
into one test per endpoint x caller, named ``<endpoint>-<caller>-<code>``. Every error
answer is also checked to be a problem document with the expected machine code.

The world the rows act on: world.py. What each caller sees in the lists: test_lists.py;
refused writes and 401s: test_refusals.py.
"""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.tokens import password_reset_tokens, uid_encode
from blog.models import Post
from tests import factories
from tests.helpers import assert_problem, client_for
from tests.permissions.world import ROLES

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-Lantern-Orbit-2718"

# The machine code an error status answers with, unless the row names another one.
DEFAULT_CODES = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
}


# Request bodies that depend on the caller. `user` is None for the anonymous caller, who
# then uses the reader's credentials (what an anonymous client holding them would send).
def _credentials(w, user):
    return {"username": (user or w.users["reader"]).username, "password": factories.PASSWORD}


def _refresh(w, user):
    return {"refresh": str(RefreshToken.for_user(user or w.users["reader"]))}


def _password_change(w, user):
    return {"old_password": factories.PASSWORD, "new_password": NEW_PASSWORD}


def _reset_link(w, user):
    # Fresh from the database: the token covers the last sign-in.
    target = User.objects.get(pk=(user or w.users["reader"]).pk)
    return {
        "uid": uid_encode(target),
        "token": password_reset_tokens.make_token(target),
        "new_password": NEW_PASSWORD,
    }


def _registration(w, user):
    return {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password": NEW_PASSWORD,
        "display_name": "New Comer",
    }


def _put_post(w, user):
    return {"title": "Replaced title", "body": "Replaced body."}


CLOSED = (403, "comments_closed")
SPAM = {"status": "spam"}
APPROVE = {"status": "approved"}

# fmt: off
# (method, path, body, codes for (anon, reader, author, other, editor, admin))
AUTH_AND_USERS = [
    ("POST", "/auth/register/", _registration,                 (201, 201, 201, 201, 201, 201)),
    ("POST", "/auth/token/", _credentials,                     (200, 200, 200, 200, 200, 200)),
    ("POST", "/auth/token/refresh/", _refresh,                 (200, 200, 200, 200, 200, 200)),
    ("POST", "/auth/logout/", _refresh,                        (401, 204, 204, 204, 204, 204)),
    ("POST", "/auth/password-reset/", {"email": "x@example.com"}, (202, 202, 202, 202, 202, 202)),
    ("POST", "/auth/password-reset/confirm/", _reset_link,     (204, 204, 204, 204, 204, 204)),
    ("GET", "/users/me/", None,                                (401, 200, 200, 200, 200, 200)),
    ("PATCH", "/users/me/", {"bio": "Hello."},                 (401, 200, 200, 200, 200, 200)),
    ("POST", "/users/me/password/", _password_change,          (401, 204, 204, 204, 204, 204)),
    ("GET", "/users/{w.users[author].username}/", None,        (200, 200, 200, 200, 200, 200)),
    ("GET", "/users/nobody/", None,                            (404, 404, 404, 404, 404, 404)),
    ("PATCH", "/admin/users/target/", {"role": "author"},      (401, 403, 403, 403, 403, 200)),
    ("PATCH", "/admin/users/nobody/", {"role": "author"},      (401, 403, 403, 403, 403, 404)),
]

POSTS = [
    ("GET", "/posts/", None,                                   (200, 200, 200, 200, 200, 200)),
    ("GET", "/posts/?status=draft", None,                      (200, 200, 200, 200, 200, 200)),
    ("POST", "/posts/", {"title": "New", "body": "Text."},     (401, 403, 201, 201, 201, 201)),
    ("GET", "/posts/published/", None,                         (200, 200, 200, 200, 200, 200)),
    ("GET", "/posts/draft/", None,                             (404, 404, 200, 404, 200, 200)),
    ("GET", "/posts/scheduled/", None,                         (404, 404, 200, 404, 200, 200)),
    ("GET", "/posts/archived/", None,                          (404, 404, 200, 404, 200, 200)),
    ("GET", "/posts/missing/", None,                           (404, 404, 404, 404, 404, 404)),
    ("PATCH", "/posts/published/", {"title": "Changed"},       (401, 403, 200, 403, 200, 200)),
    ("PATCH", "/posts/draft/", {"title": "Changed"},           (401, 404, 200, 404, 200, 200)),
    ("PATCH", "/posts/archived/", {"title": "Changed"},        (401, 404, 200, 404, 200, 200)),
    ("PUT", "/posts/published/", _put_post,                    (401, 403, 200, 403, 200, 200)),
    ("PUT", "/posts/draft/", _put_post,                        (401, 404, 200, 404, 200, 200)),
    ("DELETE", "/posts/published/", None,                      (401, 403, 204, 403, 204, 204)),
    ("DELETE", "/posts/draft/", None,                          (401, 404, 204, 404, 204, 204)),
    ("POST", "/posts/draft/publish/", None,                    (401, 404, 200, 404, 200, 200)),
    ("POST", "/posts/published/publish/", None,                (401, 403, 409, 403, 409, 409)),
    ("POST", "/posts/published/unpublish/", None,              (401, 403, 200, 403, 200, 200)),
    ("POST", "/posts/scheduled/unpublish/", None,              (401, 404, 200, 404, 200, 200)),
    ("POST", "/posts/draft/unpublish/", None,                  (401, 404, 409, 404, 409, 409)),
    ("POST", "/posts/published/archive/", None,                (401, 403, 200, 403, 200, 200)),
    ("POST", "/posts/draft/archive/", None,                    (401, 404, 200, 404, 200, 200)),
    ("GET", "/posts/published/revisions/", None,               (401, 403, 200, 403, 200, 200)),
    ("GET", "/posts/draft/revisions/", None,                   (401, 404, 200, 404, 200, 200)),
    ("GET", "/posts/published/stats/", None,                   (401, 403, 200, 403, 200, 200)),
    ("GET", "/posts/draft/stats/", None,                       (401, 404, 200, 404, 200, 200)),
]

COMMENTS = [
    ("GET", "/posts/published/comments/", None,                (200, 200, 200, 200, 200, 200)),
    ("GET", "/posts/draft/comments/", None,                    (404, 404, 200, 404, 200, 200)),
    ("GET", "/posts/missing/comments/", None,                  (404, 404, 404, 404, 404, 404)),
    ("POST", "/posts/published/comments/", {"body": "Hi."},    (401, 201, 201, 201, 201, 201)),
    ("POST", "/posts/draft/comments/", {"body": "Hi."},        (401, 404, CLOSED, 404, CLOSED, CLOSED)),  # noqa: E501
    ("POST", "/posts/closed/comments/", {"body": "Hi."},       (401, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED)),  # noqa: E501
    ("GET", "/comments/", None,                                (401, 403, 403, 403, 200, 200)),
    # GET /comments/{id}/ is served too, though docs/api.md does not list it.
    ("GET", "/comments/{w.approved.pk}/", None,                (200, 200, 200, 200, 200, 200)),
    ("GET", "/comments/{w.pending.pk}/", None,                 (404, 200, 404, 404, 200, 200)),
    ("PATCH", "/comments/{w.approved.pk}/", {"body": "Edit"},  (401, 200, 403, 403, 200, 200)),
    ("PATCH", "/comments/{w.pending.pk}/", {"body": "Edit"},   (401, 200, 404, 404, 200, 200)),
    ("PATCH", "/comments/{w.on_draft.pk}/", {"body": "Edit"},  (401, 404, 403, 404, 200, 200)),
    ("PATCH", "/comments/999999/", {"body": "Edit"},           (401, 404, 404, 404, 404, 404)),
    ("DELETE", "/comments/{w.approved.pk}/", None,             (401, 204, 403, 403, 204, 204)),
    ("DELETE", "/comments/{w.pending.pk}/", None,              (401, 204, 404, 404, 204, 204)),
    ("DELETE", "/comments/{w.on_draft.pk}/", None,             (401, 404, 403, 404, 204, 204)),
    ("POST", "/comments/{w.approved.pk}/moderate/", SPAM,      (401, 403, 403, 403, 200, 200)),
    ("POST", "/comments/{w.pending.pk}/moderate/", APPROVE,    (401, 403, 403, 403, 200, 200)),
    ("POST", "/comments/999999/moderate/", APPROVE,            (401, 403, 403, 403, 404, 404)),
]

CATEGORIES_AND_TAGS = [
    ("GET", "/categories/", None,                              (200, 200, 200, 200, 200, 200)),
    ("GET", "/categories/science/", None,                      (200, 200, 200, 200, 200, 200)),
    ("GET", "/categories/missing/", None,                      (404, 404, 404, 404, 404, 404)),
    ("POST", "/categories/", {"name": "Art"},                  (401, 403, 403, 403, 201, 201)),
    ("PATCH", "/categories/science/", {"name": "Sciences"},    (401, 403, 403, 403, 200, 200)),
    ("PATCH", "/categories/missing/", {"name": "Sciences"},    (401, 403, 403, 403, 404, 404)),
    ("DELETE", "/categories/science/", None,                   (401, 403, 403, 403, 204, 204)),
    ("GET", "/tags/", None,                                    (200, 200, 200, 200, 200, 200)),
]
# fmt: on


def _cells(table):
    """One pytest case per endpoint x caller, from a table with a column per caller."""
    cases = []
    for method, path, body, codes in table:
        assert len(codes) == len(ROLES), path
        for role, expected in zip(ROLES, codes, strict=True):
            status, code = expected if isinstance(expected, tuple) else (expected, None)
            case_id = f"{method} {path}-{role}-{status}"
            cases.append(pytest.param(method, path, body, role, status, code, id=case_id))
    return cases


def _call(world, method, path, body, role):
    user = world.users[role]
    url = "/api/v1" + path.format(w=world)
    data = body(world, user) if callable(body) else body
    return getattr(client_for(user), method.lower())(url, data=data, format="json")


def _check(world, method, path, body, role, status, code):
    response = _call(world, method, path, body, role)
    assert response.status_code == status, (
        f"{method} {path} as {role}: expected {status}, got {response.status_code}: "
        f"{response.content[:500]!r}"
    )
    if status >= 400:
        assert_problem(response, status, code or DEFAULT_CODES[status])
    return response


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "status", "code"), _cells(AUTH_AND_USERS)
)
def test_auth_and_users(world, method, path, body, role, status, code):
    _check(world, method, path, body, role, status, code)


@pytest.mark.parametrize(("method", "path", "body", "role", "status", "code"), _cells(POSTS))
def test_posts(world, method, path, body, role, status, code):
    _check(world, method, path, body, role, status, code)


@pytest.mark.parametrize(("method", "path", "body", "role", "status", "code"), _cells(COMMENTS))
def test_comments(world, method, path, body, role, status, code):
    _check(world, method, path, body, role, status, code)


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "status", "code"), _cells(CATEGORIES_AND_TAGS)
)
def test_categories_and_tags(world, method, path, body, role, status, code):
    _check(world, method, path, body, role, status, code)


def test_reply_to_a_pending_comment_of_someone_else_is_400(world):
    # The parent is looked up among the comments the caller may see: no leak by reply.
    body = {"body": "Reply.", "parent": world.pending.pk}
    response = client_for(world.users["other"]).post("/api/v1/posts/published/comments/", body)
    problem = assert_problem(response, 400, "validation_error")
    assert "parent" in problem["fields"]
    response = client_for(world.users["reader"]).post("/api/v1/posts/published/comments/", body)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("reader", "PUT", "/comments/{w.approved.pk}/"),
        ("editor", "PUT", "/categories/science/"),
        ("editor", "POST", "/tags/"),
        ("reader", "DELETE", "/users/me/"),
        ("admin", "GET", "/admin/users/target/"),
    ],
)
def test_unsupported_methods_are_405_problems(world, role, method, path):
    response = _call(world, method, path, {"body": "x", "name": "x"}, role)
    assert_problem(response, 405, "method_not_allowed")


def test_a_superuser_has_the_admin_role(world):
    superuser = User.objects.create_superuser("root-user", "root@example.com", NEW_PASSWORD)
    client = client_for(superuser)
    assert client.get("/api/v1/users/me/").json()["role"] == "admin"
    assert client.get("/api/v1/posts/draft/").status_code == 200
    assert client.get("/api/v1/comments/").status_code == 200
    assert client.post("/api/v1/categories/", {"name": "Art"}).status_code == 201
    response = client.patch("/api/v1/admin/users/target/", {"role": "author"})
    assert response.status_code == 200
    assert response.json()["role"] == "author"


# --- The post that was deleted is gone for everyone --------------------------------------


@pytest.mark.parametrize("role", ["author", "editor", "admin"])
def test_deleted_post_answers_404_to_everyone(world, role):
    assert client_for(world.users[role]).delete("/api/v1/posts/published/").status_code == 204
    assert not Post.objects.filter(slug="published").exists()
    for other in ROLES:
        response = client_for(world.users[other]).get("/api/v1/posts/published/")
        assert_problem(response, 404, "not_found")

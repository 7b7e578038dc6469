"""The permission matrix of API.md: every endpoint of "Auth and users", "Posts",
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
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from blog.models import Category, Comment, CommentStatus, Post, PostStatus
from tests import factories
from tests.helpers import assert_problem, client_for, ids, slugs

pytestmark = pytest.mark.django_db

ROLES = ("anon", "reader", "author", "other", "editor", "admin")
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


@pytest.fixture
def world(reader, author, other_author, editor, admin_user):
    """One of everything the matrix needs; every post is `author`'s, every comment `reader`'s."""
    now = timezone.now()
    published = factories.PostFactory(author=author, title="Published", slug="published")
    draft = factories.DraftPostFactory(author=author, title="Draft", slug="draft")
    scheduled = factories.PostFactory(
        author=author,
        slug="scheduled",
        status=PostStatus.SCHEDULED,
        published_at=None,
        publish_at=now + timedelta(days=1),
    )
    archived = factories.PostFactory(author=author, slug="archived", status=PostStatus.ARCHIVED)
    closed = factories.PostFactory(author=author, slug="closed", allow_comments=False)
    for post in (published, draft):
        factories.RevisionFactory(post=post)
    approved = factories.CommentFactory(post=published, author=reader)
    pending = factories.CommentFactory(post=published, author=reader, status=CommentStatus.PENDING)
    # Written while the post was published; the post went back to draft since.
    on_draft = factories.CommentFactory(post=draft, author=reader)
    return SimpleNamespace(
        users={
            "anon": None,
            "reader": reader,
            "author": author,
            "other": other_author,
            "editor": editor,
            "admin": admin_user,
        },
        target=factories.ReaderFactory(username="target"),
        published=published,
        draft=draft,
        scheduled=scheduled,
        archived=archived,
        closed=closed,
        approved=approved,
        pending=pending,
        on_draft=on_draft,
        category=factories.CategoryFactory(name="Science", slug="science"),
    )


# Request bodies that depend on the caller. `user` is None for the anonymous caller, who
# then uses the reader's credentials (what an anonymous client holding them would send).
def _credentials(w, user):
    return {"username": (user or w.users["reader"]).username, "password": factories.PASSWORD}


def _refresh(w, user):
    return {"refresh": str(RefreshToken.for_user(user or w.users["reader"]))}


def _password_change(w, user):
    return {"old_password": factories.PASSWORD, "new_password": NEW_PASSWORD}


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
    # GET /comments/{id}/ is served too, though API.md does not list it.
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


# --- What each caller sees in the lists --------------------------------------------------
# The list endpoints answer 200 to everyone; what they hold is the other half of the matrix.


@pytest.mark.parametrize("role", ROLES)
def test_public_post_list_shows_only_published_posts(world, role):
    response = client_for(world.users[role]).get("/api/v1/posts/")
    assert set(slugs(response)) == {"published", "closed"}


# fmt: off
@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        ("draft",     "anon",   set()),
        ("draft",     "reader", set()),
        ("draft",     "author", {"draft"}),
        ("draft",     "other",  set()),
        ("draft",     "editor", {"draft"}),
        ("draft",     "admin",  {"draft"}),
        ("scheduled", "anon",   set()),
        ("scheduled", "reader", set()),
        ("scheduled", "author", {"scheduled"}),
        ("scheduled", "other",  set()),
        ("scheduled", "editor", {"scheduled"}),
        ("scheduled", "admin",  {"scheduled"}),
        ("archived",  "anon",   set()),
        ("archived",  "reader", set()),
        ("archived",  "author", {"archived"}),
        ("archived",  "other",  set()),
        ("archived",  "editor", {"archived"}),
        ("archived",  "admin",  {"archived"}),
    ],
)
# fmt: on
def test_post_list_by_status_shows_own_posts_or_all_to_editors(world, status, role, expected):
    response = client_for(world.users[role]).get(f"/api/v1/posts/?status={status}")
    assert set(slugs(response)) == expected


@pytest.mark.parametrize("role", ["anon", "author", "other", "editor", "admin"])
def test_thread_hides_pending_comments_of_others(world, role):
    response = client_for(world.users[role]).get("/api/v1/posts/published/comments/")
    assert set(ids(response)) == {world.approved.pk}


def test_thread_shows_the_reader_their_own_pending_comment(world):
    response = client_for(world.users["reader"]).get("/api/v1/posts/published/comments/")
    assert set(ids(response)) == {world.approved.pk, world.pending.pk}


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_filter_a_thread_by_status(world, role):
    response = client_for(world.users[role]).get(
        "/api/v1/posts/published/comments/?status=pending"
    )
    assert set(ids(response)) == {world.pending.pk}


@pytest.mark.parametrize("role", ["anon", "author", "other"])
def test_status_filter_of_a_thread_reveals_nothing_to_others(world, role):
    # A non-editor's `status=` does not open the moderation queue: they get the public thread.
    response = client_for(world.users[role]).get(
        "/api/v1/posts/published/comments/?status=pending"
    )
    assert set(ids(response)) == {world.approved.pk}


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_moderation_queue_shows_every_comment_to_editors(world, role):
    response = client_for(world.users[role]).get("/api/v1/comments/")
    assert set(ids(response)) == {world.approved.pk, world.pending.pk, world.on_draft.pk}


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
    response = client_for(None).post("/api/v1/auth/token/", _credentials(world, None))
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


# --- The post that was deleted is gone for everyone --------------------------------------


@pytest.mark.parametrize("role", ["author", "editor", "admin"])
def test_deleted_post_answers_404_to_everyone(world, role):
    assert client_for(world.users[role]).delete("/api/v1/posts/published/").status_code == 204
    assert not Post.objects.filter(slug="published").exists()
    for other in ROLES:
        response = client_for(world.users[other]).get("/api/v1/posts/published/")
        assert_problem(response, 404, "not_found")

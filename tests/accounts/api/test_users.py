"""The user endpoints of docs/api.md through HTTP: one's own profile and password, public
profiles, the admin's user changes. (Registration and tokens: test_auth.py.)"""

import pytest

from accounts.models import Role, User
from blog.models import PostStatus
from tests import factories
from tests.factories import STRONG_PASSWORD
from tests.helpers import PROFILE_FIELDS, assert_problem, client_for, token_obtain

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/auth/token/refresh/"
ME = "/api/v1/users/me/"
PASSWORD = "/api/v1/users/me/password/"

# --- own profile ----------------------------------------------------------------------------


def test_me_requires_authentication(anon_client):
    assert_problem(anon_client.get(ME), 401, "not_authenticated")
    assert_problem(anon_client.patch(ME, {"bio": "x"}, format="json"), 401, "not_authenticated")


def test_me_with_invalid_bearer_token_is_401(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert_problem(anon_client.get(ME), 401, "authentication_failed")


def test_get_me(reader):
    response = client_for(reader).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_FIELDS
    assert body["id"] == reader.pk
    assert body["username"] == reader.username
    assert body["email"] == reader.email
    assert body["role"] == "reader"


def test_get_me_of_superuser_says_admin(db):
    superuser = User.objects.create_superuser("root-user", "root@example.com", STRONG_PASSWORD)

    assert client_for(superuser).get(ME).json()["role"] == "admin"


def test_patch_me_changes_profile(reader):
    response = client_for(reader).patch(
        ME, {"display_name": "Reader R.", "bio": "I read things."}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["display_name"] == "Reader R."
    assert body["bio"] == "I read things."
    reader.refresh_from_db()
    assert reader.display_name == "Reader R."
    assert reader.bio == "I read things."


def test_patch_me_changes_email(reader):
    response = client_for(reader).patch(ME, {"email": "new-address@example.com"}, format="json")

    assert response.status_code == 200
    assert response.json()["email"] == "new-address@example.com"
    reader.refresh_from_db()
    assert reader.email == "new-address@example.com"


def test_patch_me_may_keep_own_email(reader):
    response = client_for(reader).patch(ME, {"email": reader.email.upper()}, format="json")

    assert response.status_code == 200


def test_patch_me_rejects_someone_elses_email(reader, author):
    response = client_for(reader).patch(ME, {"email": author.email.upper()}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["email"]
    reader.refresh_from_db()
    assert reader.email != author.email.upper()


@pytest.mark.parametrize(
    ("field", "value"),
    [("role", "admin"), ("username", "renamed"), ("id", 999), ("is_staff", True)],
)
def test_patch_me_rejects_read_only_and_unknown_fields(reader, field, value):
    # Read-only fields are rejected rather than silently ignored, as unknown ones are:
    # a client that believes it changed its role or username learns at once that it did not.
    response = client_for(reader).patch(ME, {field: value, "bio": "changed"}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert field in body["fields"]
    reader.refresh_from_db()
    assert reader.role == Role.READER
    assert reader.is_staff is False
    assert reader.bio == ""  # nothing of the request was applied


def test_patch_me_rejects_wrong_types(reader):
    response = client_for(reader).patch(ME, {"bio": ["not", "a", "string"]}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "bio" in body["fields"]


# --- password change ------------------------------------------------------------------------


def test_change_password(anon_client, reader):
    old_refresh = token_obtain(anon_client, reader.username, factories.PASSWORD).json()["refresh"]

    response = client_for(reader).post(
        PASSWORD,
        {"old_password": factories.PASSWORD, "new_password": STRONG_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    reader.refresh_from_db()
    assert reader.password.startswith("argon2")
    assert_problem(
        token_obtain(anon_client, reader.username, factories.PASSWORD), 401, "authentication_failed"
    )
    assert token_obtain(anon_client, reader.username, STRONG_PASSWORD).status_code == 200
    # Refresh tokens issued before the change stop working.
    reused = anon_client.post(REFRESH, {"refresh": old_refresh}, format="json")
    assert_problem(reused, 401, "authentication_failed")


def test_change_password_with_wrong_old_password_is_400(anon_client, reader):
    response = client_for(reader).post(
        PASSWORD,
        {"old_password": "wrong-old-password", "new_password": STRONG_PASSWORD},
        format="json",
    )

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["old_password"]
    reader.refresh_from_db()
    assert reader.check_password(factories.PASSWORD)
    assert token_obtain(anon_client, reader.username, factories.PASSWORD).status_code == 200


def test_change_password_rejects_weak_new_password(reader):
    response = client_for(reader).post(
        PASSWORD, {"old_password": factories.PASSWORD, "new_password": "12345678"}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["new_password"]
    reader.refresh_from_db()
    assert reader.check_password(factories.PASSWORD)


def test_change_password_requires_authentication(anon_client):
    response = anon_client.post(
        PASSWORD,
        {"old_password": factories.PASSWORD, "new_password": STRONG_PASSWORD},
        format="json",
    )

    assert_problem(response, 401, "not_authenticated")


# --- public profiles ------------------------------------------------------------------------


def test_public_profile(anon_client, author):
    factories.PostFactory.create_batch(2, author=author)
    factories.DraftPostFactory(author=author)
    factories.PostFactory(author=author, status=PostStatus.SCHEDULED, published_at=None)
    factories.PostFactory(author=author, status=PostStatus.ARCHIVED)
    factories.PostFactory()  # someone else's

    response = anon_client.get(f"/api/v1/users/{author.username}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"username", "display_name", "bio", "role", "date_joined", "post_count"}
    assert "email" not in body
    assert author.email not in response.content.decode()
    assert body["username"] == author.username
    assert body["role"] == "author"
    assert body["post_count"] == 2


def test_public_profile_without_posts_counts_zero(anon_client, reader):
    response = anon_client.get(f"/api/v1/users/{reader.username}/")

    assert response.status_code == 200
    assert response.json()["post_count"] == 0


def test_public_profile_of_unknown_user_is_404(anon_client):
    assert_problem(anon_client.get("/api/v1/users/nobody-at-all/"), 404, "not_found")


def test_public_profile_of_inactive_user_is_404(anon_client):
    user = factories.ReaderFactory(is_active=False)

    assert_problem(anon_client.get(f"/api/v1/users/{user.username}/"), 404, "not_found")


# --- admin user changes ---------------------------------------------------------------------


def admin_users_url(user):
    return f"/api/v1/admin/users/{user.username}/"


@pytest.mark.parametrize(
    ("role", "is_staff"),
    [(Role.EDITOR, True), (Role.ADMIN, True), (Role.AUTHOR, False), (Role.READER, False)],
)
def test_admin_sets_role_and_staff_follows(admin_client_api, role, is_staff):
    user = factories.ReaderFactory() if role != Role.READER else factories.EditorFactory()

    response = admin_client_api.patch(admin_users_url(user), {"role": role}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["role"] == role
    assert body["username"] == user.username
    assert body["is_active"] is True
    user.refresh_from_db()
    assert user.role == role
    assert user.is_staff is is_staff


def test_admin_rejects_unknown_role(admin_client_api, reader):
    response = admin_client_api.patch(admin_users_url(reader), {"role": "overlord"}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "role" in body["fields"]
    reader.refresh_from_db()
    assert reader.role == Role.READER


def test_admin_rejects_unknown_fields(admin_client_api, reader):
    response = admin_client_api.patch(admin_users_url(reader), {"is_staff": True}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "is_staff" in body["fields"]


def test_admin_deactivation_stops_existing_tokens(admin_client_api, anon_client, reader):
    reader_client = client_for(reader)
    refresh = token_obtain(anon_client, reader.username, factories.PASSWORD).json()["refresh"]
    assert reader_client.get(ME).status_code == 200

    response = admin_client_api.patch(admin_users_url(reader), {"is_active": False}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_problem(reader_client.get(ME), 401, "authentication_failed")
    assert_problem(
        anon_client.post(REFRESH, {"refresh": refresh}, format="json"), 401, "authentication_failed"
    )
    assert_problem(
        token_obtain(anon_client, reader.username, factories.PASSWORD), 401, "authentication_failed"
    )


def test_admin_reactivation_lets_user_log_in_again(admin_client_api, anon_client):
    user = factories.ReaderFactory(is_active=False)

    response = admin_client_api.patch(admin_users_url(user), {"is_active": True}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert token_obtain(anon_client, user.username, factories.PASSWORD).status_code == 200


def test_admin_changes_role_and_activation_together(admin_client_api, reader):
    response = admin_client_api.patch(
        admin_users_url(reader), {"role": "author", "is_active": False}, format="json"
    )

    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.role == Role.AUTHOR
    assert reader.is_active is False


def test_admin_patch_unknown_user_is_404(admin_client_api):
    response = admin_client_api.patch(
        "/api/v1/admin/users/nobody-at-all/", {"role": "author"}, format="json"
    )

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("who", ["reader", "author", "editor"])
def test_admin_user_patch_is_for_admins_only(request, who):
    target = factories.ReaderFactory()
    client = client_for(request.getfixturevalue(who))

    response = client.patch(admin_users_url(target), {"role": "admin"}, format="json")

    assert_problem(response, 403, "permission_denied")
    target.refresh_from_db()
    assert target.role == Role.READER


def test_admin_user_patch_anonymous_is_401(anon_client, reader):
    response = anon_client.patch(admin_users_url(reader), {"role": "admin"}, format="json")

    assert_problem(response, 401, "not_authenticated")

"""The auth and user endpoints of API.md: registration, JWT pairs, profiles, passwords,
public profiles and the admin's user changes, through HTTP as a client sees them."""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role, User
from blog.models import PostStatus
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/users/me/"
PASSWORD = "/api/v1/users/me/password/"

STRONG_PASSWORD = "tangerine-lighthouse-917"
PROFILE_FIELDS = {
    "id", "username", "email", "display_name", "bio", "role", "date_joined", "email_notifications",
}  # fmt: skip


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= set(body)
    return body


def register(client, **overrides):
    data = {"username": "alice", "email": "alice@example.com", "password": STRONG_PASSWORD}
    data.update(overrides)
    return client.post(REGISTER, data, format="json")


def obtain(client, username, password):
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


# --- registration -------------------------------------------------------------------------


def test_register_answers_the_user_without_password(anon_client):
    response = register(anon_client, display_name="Alice A.")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PROFILE_FIELDS
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["display_name"] == "Alice A."
    assert body["role"] == Role.READER
    assert "password" not in response.content.decode()
    assert "argon2" not in response.content.decode()

    user = User.objects.get(username="alice")
    assert user.role == Role.READER
    assert not user.is_staff
    assert user.is_active


def test_register_hashes_password_with_argon2(anon_client):
    register(anon_client)

    user = User.objects.get(username="alice")
    assert user.password.startswith("argon2")
    assert user.check_password(STRONG_PASSWORD)


def test_registered_user_can_obtain_tokens(anon_client):
    register(anon_client)

    response = obtain(anon_client, "alice", STRONG_PASSWORD)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice", "Sh0rt!"),  # too short
        ("alice", "password1234"),  # common
        ("alice", "83920174658203"),  # entirely numeric
        ("marmaduke", "marmaduke77"),  # too similar to the username
    ],
    ids=["too-short", "common", "numeric", "similar-to-username"],
)
def test_register_rejects_weak_passwords(anon_client, username, password):
    response = register(anon_client, username=username, password=password)

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["password"]
    assert not User.objects.filter(username=username).exists()


def test_register_rejects_password_similar_to_email(anon_client):
    response = register(
        anon_client, username="someone", email="quetzalcoatl@example.com", password="quetzalcoatl"
    )

    body = assert_problem(response, 400, "validation_error")
    assert "password" in body["fields"]


def test_register_rejects_duplicate_username_case_insensitively(anon_client):
    factories.ReaderFactory(username="alice")

    response = register(anon_client, username="ALICE", email="other@example.com")

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["username"]
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_register_rejects_duplicate_email_case_insensitively(anon_client):
    factories.ReaderFactory(username="bob", email="alice@example.com")

    response = register(anon_client, email="ALICE@Example.COM")

    body = assert_problem(response, 400, "validation_error")
    assert body["fields"]["email"]
    assert not User.objects.filter(username="alice").exists()


def test_register_cannot_choose_a_role(anon_client):
    # `role` is not a registration field: asking for one is an error, never an escalation.
    response = register(anon_client, role="admin")

    body = assert_problem(response, 400, "validation_error")
    assert "role" in body["fields"]
    assert not User.objects.filter(username="alice").exists()


def test_register_rejects_reserved_username(anon_client):
    response = register(anon_client, username="me")

    body = assert_problem(response, 400, "validation_error")
    assert "username" in body["fields"]


def test_register_requires_fields(anon_client):
    response = anon_client.post(REGISTER, {}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert {"username", "email", "password"} <= set(body["fields"])


def test_register_rejects_invalid_email(anon_client):
    response = register(anon_client, email="not-an-email")

    body = assert_problem(response, 400, "validation_error")
    assert "email" in body["fields"]


# --- tokens ---------------------------------------------------------------------------------


def test_token_obtain_gives_a_working_pair(anon_client, reader):
    response = obtain(anon_client, reader.username, factories.PASSWORD)

    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = anon_client.get(ME)
    assert me.status_code == 200
    assert me.json()["username"] == reader.username


def test_token_obtain_with_bad_password_is_401(anon_client, reader):
    response = obtain(anon_client, reader.username, "not-the-password-at-all")

    assert_problem(response, 401, "authentication_failed")


def test_token_obtain_with_unknown_user_is_401(anon_client):
    response = obtain(anon_client, "nobody-here", factories.PASSWORD)

    assert_problem(response, 401, "authentication_failed")


def test_token_obtain_for_inactive_user_is_401(anon_client):
    user = factories.ReaderFactory(is_active=False)

    response = obtain(anon_client, user.username, factories.PASSWORD)

    assert_problem(response, 401, "authentication_failed")


def test_token_obtain_with_missing_fields_is_400(anon_client):
    response = anon_client.post(TOKEN, {"username": "x"}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "password" in body["fields"]


def test_refresh_rotates_and_blacklists_the_old_token(anon_client, reader):
    old_refresh = obtain(anon_client, reader.username, factories.PASSWORD).json()["refresh"]

    response = anon_client.post(REFRESH, {"refresh": old_refresh}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != old_refresh

    # The old refresh token was blacklisted on rotation ...
    reused = anon_client.post(REFRESH, {"refresh": old_refresh}, format="json")
    assert_problem(reused, 401, "authentication_failed")
    # ... while the new one works (and rotates in turn).
    again = anon_client.post(REFRESH, {"refresh": body["refresh"]}, format="json")
    assert again.status_code == 200


def test_refresh_with_garbage_token_is_401(anon_client):
    response = anon_client.post(REFRESH, {"refresh": "not.a.token"}, format="json")

    assert_problem(response, 401, "authentication_failed")


def test_refresh_with_an_access_token_is_401(anon_client, reader):
    access = obtain(anon_client, reader.username, factories.PASSWORD).json()["access"]

    response = anon_client.post(REFRESH, {"refresh": access}, format="json")

    assert_problem(response, 401, "authentication_failed")


def test_logout_blacklists_the_refresh_token(anon_client, reader):
    tokens = obtain(anon_client, reader.username, factories.PASSWORD).json()
    client = client_for(reader)

    response = client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    refreshed = anon_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert_problem(refreshed, 401, "authentication_failed")


def test_logout_requires_authentication(anon_client, reader):
    refresh = str(RefreshToken.for_user(reader))

    response = anon_client.post(LOGOUT, {"refresh": refresh}, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert anon_client.post(REFRESH, {"refresh": refresh}, format="json").status_code == 200


def test_logout_with_someone_elses_token_is_400_and_keeps_it(anon_client, reader, author):
    others_refresh = str(RefreshToken.for_user(author))

    response = client_for(reader).post(LOGOUT, {"refresh": others_refresh}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "refresh" in body["fields"]
    assert anon_client.post(REFRESH, {"refresh": others_refresh}, format="json").status_code == 200


def test_logout_with_invalid_token_is_400(reader):
    response = client_for(reader).post(LOGOUT, {"refresh": "garbage"}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "refresh" in body["fields"]


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
    old_refresh = obtain(anon_client, reader.username, factories.PASSWORD).json()["refresh"]

    response = client_for(reader).post(
        PASSWORD,
        {"old_password": factories.PASSWORD, "new_password": STRONG_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    reader.refresh_from_db()
    assert reader.password.startswith("argon2")
    assert_problem(
        obtain(anon_client, reader.username, factories.PASSWORD), 401, "authentication_failed"
    )
    assert obtain(anon_client, reader.username, STRONG_PASSWORD).status_code == 200
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
    assert obtain(anon_client, reader.username, factories.PASSWORD).status_code == 200


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
    refresh = obtain(anon_client, reader.username, factories.PASSWORD).json()["refresh"]
    assert reader_client.get(ME).status_code == 200

    response = admin_client_api.patch(admin_users_url(reader), {"is_active": False}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_problem(reader_client.get(ME), 401, "authentication_failed")
    assert_problem(
        anon_client.post(REFRESH, {"refresh": refresh}, format="json"), 401, "authentication_failed"
    )
    assert_problem(
        obtain(anon_client, reader.username, factories.PASSWORD), 401, "authentication_failed"
    )


def test_admin_reactivation_lets_user_log_in_again(admin_client_api, anon_client):
    user = factories.ReaderFactory(is_active=False)

    response = admin_client_api.patch(admin_users_url(user), {"is_active": True}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert obtain(anon_client, user.username, factories.PASSWORD).status_code == 200


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

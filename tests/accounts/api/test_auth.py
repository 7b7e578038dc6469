"""The auth endpoints of docs/api.md through HTTP: registration, JWT pairs (obtain, refresh with
rotation, logout)."""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role, User
from tests import factories
from tests.factories import STRONG_PASSWORD
from tests.helpers import PROFILE_FIELDS, assert_problem, client_for, token_obtain

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/users/me/"


def register(client, **overrides):
    data = {"username": "alice", "email": "alice@example.com", "password": STRONG_PASSWORD}
    data.update(overrides)
    return client.post(REGISTER, data, format="json")


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

    response = token_obtain(anon_client, "alice", STRONG_PASSWORD)

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
    response = token_obtain(anon_client, reader.username, factories.PASSWORD)

    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = anon_client.get(ME)
    assert me.status_code == 200
    assert me.json()["username"] == reader.username


def test_token_obtain_with_bad_password_is_401(anon_client, reader):
    response = token_obtain(anon_client, reader.username, "not-the-password-at-all")

    assert_problem(response, 401, "authentication_failed")


def test_token_obtain_with_unknown_user_is_401(anon_client):
    response = token_obtain(anon_client, "nobody-here", factories.PASSWORD)

    assert_problem(response, 401, "authentication_failed")


def test_token_obtain_for_inactive_user_is_401(anon_client):
    user = factories.ReaderFactory(is_active=False)

    response = token_obtain(anon_client, user.username, factories.PASSWORD)

    assert_problem(response, 401, "authentication_failed")


def test_token_obtain_with_missing_fields_is_400(anon_client):
    response = anon_client.post(TOKEN, {"username": "x"}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "password" in body["fields"]


def test_refresh_rotates_and_blacklists_the_old_token(anon_client, reader):
    old_refresh = token_obtain(anon_client, reader.username, factories.PASSWORD).json()["refresh"]

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
    access = token_obtain(anon_client, reader.username, factories.PASSWORD).json()["access"]

    response = anon_client.post(REFRESH, {"refresh": access}, format="json")

    assert_problem(response, 401, "authentication_failed")


def test_logout_blacklists_the_refresh_token(anon_client, reader):
    tokens = token_obtain(anon_client, reader.username, factories.PASSWORD).json()
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

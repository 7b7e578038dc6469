"""The events of the accounts services, one per committed change with its documented payload
(through the API and the service calls), none for a refused or empty change, no personal
data in them."""

import json

import pytest

from accounts import services as account_services
from accounts.models import Role, User
from config.events.bus import REDACTED
from tests.factories import PASSWORD, STRONG_PASSWORD
from tests.helpers import assert_event, client_for, only

pytestmark = pytest.mark.django_db


def test_user_registered(anon_client, events):
    response = anon_client.post(
        "/api/v1/auth/register/",
        {"username": "alice", "email": "alice@example.com", "password": STRONG_PASSWORD},
    )
    assert response.status_code == 201, response.content

    user = User.objects.get(username="alice")
    event = only(events, "user.registered")
    assert_event(
        event,
        "user.registered",
        aggregate_id=user.pk,
        actor=user,
        data={"username": "alice", "role": Role.READER},
    )
    assert "alice@example.com" not in json.dumps(event.data)


def test_failed_registration_records_nothing(anon_client, reader, events):
    response = anon_client.post(
        "/api/v1/auth/register/",
        {"username": reader.username, "email": "x@example.com", "password": STRONG_PASSWORD},
    )
    assert response.status_code == 400
    assert events.types() == []


def test_user_logged_in(anon_client, reader, events):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": reader.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "user.logged_in"),
        "user.logged_in",
        aggregate_id=reader.pk,
        actor=reader,
        data={"username": reader.username},
    )


def test_user_login_failed_with_a_wrong_password(anon_client, reader, events):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": reader.username, "password": "wrong-password-1"}
    )
    assert response.status_code == 401

    assert_event(
        only(events, "user.login_failed"),
        "user.login_failed",
        aggregate_id=reader.pk,
        actor=None,
        data={"username": reader.username, "reason": "no_active_account"},
    )


def test_user_login_failed_for_an_unknown_user(anon_client, events):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": "nobody", "password": "wrong-password-1"}
    )
    assert response.status_code == 401

    event = only(events, "user.login_failed")
    assert event.aggregate_id == "unknown"
    assert event.data == {"username": "nobody", "reason": "no_active_account"}


def test_login_failed_with_an_email_as_username_keeps_the_address_out(anon_client, events):
    anon_client.post(
        "/api/v1/auth/token/", {"username": "bob@example.com", "password": "wrong-password-1"}
    )

    event = only(events, "user.login_failed")
    assert event.data["username"] == REDACTED
    assert "example.com" not in json.dumps(event.data)


def test_user_updated(reader, events):
    response = client_for(reader).patch(
        "/api/v1/users/me/", {"display_name": "New Name", "bio": "Hello."}
    )
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "user.updated"),
        "user.updated",
        aggregate_id=reader.pk,
        actor=reader,
        data={"fields": ["bio", "display_name"]},
    )


def test_user_updated_email_names_the_field_not_the_address(reader, events):
    response = client_for(reader).patch("/api/v1/users/me/", {"email": "new-address@example.org"})
    assert response.status_code == 200, response.content

    event = only(events, "user.updated")
    assert event.data == {"fields": ["email"]}
    assert "new-address" not in json.dumps(event.data)


def test_profile_patch_that_changes_nothing_records_nothing(reader, events):
    response = client_for(reader).patch("/api/v1/users/me/", {"display_name": reader.display_name})
    assert response.status_code == 200
    assert events.types() == []


def test_user_password_changed(reader, events):
    response = client_for(reader).post(
        "/api/v1/users/me/password/",
        {"old_password": PASSWORD, "new_password": STRONG_PASSWORD},
    )
    assert response.status_code == 204, response.content

    event = only(events, "user.password_changed")
    assert_event(event, "user.password_changed", aggregate_id=reader.pk, actor=reader, data={})


def test_wrong_old_password_records_nothing(reader, events):
    response = client_for(reader).post(
        "/api/v1/users/me/password/",
        {"old_password": "not-it-at-all-1", "new_password": STRONG_PASSWORD},
    )
    assert response.status_code == 400
    assert events.types() == []


def test_user_role_changed(admin_user, reader, events):
    response = client_for(admin_user).patch(
        f"/api/v1/admin/users/{reader.username}/", {"role": Role.AUTHOR}
    )
    assert response.status_code == 200, response.content

    assert_event(
        only(events, "user.role_changed"),
        "user.role_changed",
        aggregate_id=reader.pk,
        actor=admin_user,
        data={"old_role": Role.READER, "new_role": Role.AUTHOR},
    )


def test_user_deactivated_then_activated(admin_user, reader, events):
    client = client_for(admin_user)
    url = f"/api/v1/admin/users/{reader.username}/"

    assert client.patch(url, {"is_active": False}).status_code == 200
    event = only(events, "user.deactivated")
    assert_event(event, "user.deactivated", aggregate_id=reader.pk, actor=admin_user, data={})

    events.mark()
    assert client.patch(url, {"is_active": True}).status_code == 200
    event = only(events, "user.activated")
    assert_event(event, "user.activated", aggregate_id=reader.pk, actor=admin_user, data={})


def test_admin_update_of_role_and_activation_records_both(admin_user, reader, events):
    response = client_for(admin_user).patch(
        f"/api/v1/admin/users/{reader.username}/", {"role": Role.EDITOR, "is_active": False}
    )
    assert response.status_code == 200, response.content
    assert events.types() == ["user.role_changed", "user.deactivated"]


def test_setting_the_current_role_or_activation_records_nothing(admin_user, reader, events):
    account_services.user_set_role(user=reader, role=Role.READER, actor=admin_user)
    account_services.user_set_active(user=reader, is_active=True, actor=admin_user)
    account_services.user_admin_update(
        user=reader, actor=admin_user, role=Role.READER, is_active=True
    )
    assert events.types() == []

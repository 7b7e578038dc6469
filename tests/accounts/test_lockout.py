"""The sign-in lockout per username (accounts/lockout.py), through the token endpoint and
the admin's login form, on the real Redis and with Redis down (event-store fallback)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from accounts import lockout
from analytics.models import Event
from config import cache as cache_module
from config.api.ratelimit import ratelimit_reset_local
from tests import factories
from tests.helpers import DEAD_REDIS_CACHES, assert_problem, needs_redis, token_obtain

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
WRONG = "not-the-password-at-all"


@pytest.fixture(autouse=True)
def _small_limits(settings, monkeypatch):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW = 900
    settings.LOGIN_LOCKOUT_SECONDS = 600
    settings.LOGIN_LOCKOUT_MAX_SECONDS = 3600
    # The per-address throttle is tested elsewhere; here it must not answer first.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "1000/min")
    ratelimit_reset_local()


def fail(client, username, times):
    for _ in range(times):
        assert token_obtain(client, username, WRONG).status_code == 401


def failure_reasons(username):
    events = Event.objects.filter(type="user.login_failed", data__username=username)
    return list(events.order_by("occurred_at").values_list("data__reason", flat=True))


def assert_locked(response):
    assert_problem(response, 429, "login_locked")
    return int(response["Retry-After"])


def test_the_limit_of_failures_locks_the_account_even_for_the_right_password(anon_client):
    user = factories.ReaderFactory()
    fail(anon_client, user.username, 3)

    retry_after = assert_locked(token_obtain(anon_client, user.username, factories.PASSWORD))

    assert 0 < retry_after <= 600
    assert failure_reasons(user.username)[-1] == "locked"
    assert len(failure_reasons(user.username)) == 4


def test_failures_below_the_limit_do_not_lock(anon_client):
    user = factories.ReaderFactory()
    fail(anon_client, user.username, 2)
    assert token_obtain(anon_client, user.username, factories.PASSWORD).status_code == 200


def test_a_successful_sign_in_forgets_the_failures(anon_client):
    user = factories.ReaderFactory()
    fail(anon_client, user.username, 2)
    assert token_obtain(anon_client, user.username, factories.PASSWORD).status_code == 200
    fail(anon_client, user.username, 2)
    assert token_obtain(anon_client, user.username, factories.PASSWORD).status_code == 200


def test_usernames_are_counted_case_insensitively(anon_client):
    user = factories.ReaderFactory(username="carol")
    fail(anon_client, "Carol", 2)
    fail(anon_client, "CAROL", 1)
    assert_locked(token_obtain(anon_client, user.username, factories.PASSWORD))


def test_unknown_usernames_lock_like_known_ones(anon_client):
    fail(anon_client, "nobody-here", 3)
    assert_locked(token_obtain(anon_client, "nobody-here", WRONG))


def test_a_lockout_is_per_username(anon_client):
    victim, other = factories.ReaderFactory(), factories.ReaderFactory()
    fail(anon_client, victim.username, 3)
    assert token_obtain(anon_client, other.username, factories.PASSWORD).status_code == 200


@needs_redis
def test_a_repeated_lockout_lasts_twice_as_long(anon_client):
    from django_redis import get_redis_connection

    user = factories.ReaderFactory()
    fail(anon_client, user.username, 3)
    first = assert_locked(token_obtain(anon_client, user.username, WRONG))
    # The lock runs out (without waiting for it): the strikes are remembered.
    get_redis_connection("default").delete(lockout._keys(user.username)[1])
    fail(anon_client, user.username, 3)

    second = assert_locked(token_obtain(anon_client, user.username, WRONG))

    assert first <= 600 < second <= 1200


def test_refused_attempts_do_not_count_as_guesses(anon_client):
    user = factories.ReaderFactory()
    fail(anon_client, user.username, 3)
    for _ in range(5):
        assert_locked(token_obtain(anon_client, user.username, WRONG))
    assert failure_reasons(user.username).count("locked") == 5


# --- Redis down: the event store decides ------------------------------------------------


def test_with_redis_down_failures_in_the_event_store_lock(anon_client, settings, caplog):
    settings.CACHES = DEAD_REDIS_CACHES
    user = factories.ReaderFactory()
    fail(anon_client, user.username, 3)

    retry_after = assert_locked(token_obtain(anon_client, user.username, factories.PASSWORD))

    assert 0 < retry_after <= 900
    # Counted as a degradation (logged by the first component that met the dead Redis).
    assert cache_module.cache_stats()["degraded"] > 0


def test_with_redis_down_a_successful_sign_in_still_forgives(anon_client, settings):
    settings.CACHES = DEAD_REDIS_CACHES
    user = factories.ReaderFactory()
    fail(anon_client, user.username, 2)
    assert token_obtain(anon_client, user.username, factories.PASSWORD).status_code == 200
    fail(anon_client, user.username, 2)
    assert token_obtain(anon_client, user.username, factories.PASSWORD).status_code == 200


def test_failures_counted_while_redis_was_up_lock_when_it_goes_down(anon_client, settings):
    user = factories.ReaderFactory()
    fail(anon_client, user.username, 3)
    settings.CACHES = DEAD_REDIS_CACHES
    assert_locked(token_obtain(anon_client, user.username, factories.PASSWORD))


# --- the admin's login form -------------------------------------------------------------


def admin_login(client, username, password):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password})


def test_admin_login_works_and_records_the_sign_in():
    editor = factories.EditorFactory()
    client = Client()

    response = admin_login(client, editor.username, factories.PASSWORD)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert Event.objects.filter(type="user.logged_in", aggregate_id=str(editor.pk)).exists()


def test_admin_login_failures_lock_the_api_too_and_vice_versa(anon_client):
    editor = factories.EditorFactory()
    client = Client()
    for _ in range(2):
        assert admin_login(client, editor.username, WRONG).status_code == 200
    fail(anon_client, editor.username, 1)

    response = admin_login(client, editor.username, factories.PASSWORD)

    assert response.status_code == 200  # the form again, with the error
    assert "Too many failed sign-ins" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # not signed in
    assert_locked(token_obtain(anon_client, editor.username, factories.PASSWORD))
    assert failure_reasons(editor.username) == ["invalid_login"] * 2 + [
        "no_active_account",
        "locked",
        "locked",
    ]


def test_admin_login_of_a_non_staff_user_is_refused_but_no_guess():
    reader = factories.ReaderFactory()
    client = Client()
    for _ in range(4):
        response = admin_login(client, reader.username, factories.PASSWORD)
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    assert failure_reasons(reader.username) == ["not_staff"] * 4
    assert lockout.login_locked_for(reader.username) is None


def test_admin_login_is_throttled_per_address_with_the_token_endpoint(monkeypatch, anon_client):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "2/min")
    editor = factories.EditorFactory()
    client = Client()
    assert token_obtain(anon_client, editor.username, factories.PASSWORD).status_code == 200
    assert admin_login(client, editor.username, WRONG).status_code == 200

    response = admin_login(client, editor.username, factories.PASSWORD)

    assert "Too many sign-in attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    assert token_obtain(anon_client, editor.username, factories.PASSWORD).status_code == 429


# --- operators ----------------------------------------------------------------------------


def test_login_unlock_command_lifts_a_lockout(anon_client):
    user = factories.ReaderFactory()
    fail(anon_client, user.username, 3)
    assert_locked(token_obtain(anon_client, user.username, factories.PASSWORD))

    out = io.StringIO()
    call_command("login_unlock", user.username, stdout=out)
    assert f"unlocked {user.username} (was locked for" in out.getvalue()
    assert Event.objects.filter(type="user.login_unlocked", aggregate_id=str(user.pk)).exists()
    assert token_obtain(anon_client, user.username, factories.PASSWORD).status_code == 200


def test_login_unlock_also_holds_with_redis_down(anon_client, settings):
    user = factories.ReaderFactory()
    settings.CACHES = DEAD_REDIS_CACHES
    fail(anon_client, user.username, 3)
    assert_locked(token_obtain(anon_client, user.username, factories.PASSWORD))
    call_command("login_unlock", user.username, stdout=io.StringIO())
    assert token_obtain(anon_client, user.username, factories.PASSWORD).status_code == 200


def test_login_unlock_of_an_unknown_username_fails():
    with pytest.raises(CommandError, match="nobody"):
        call_command("login_unlock", "nobody", stdout=io.StringIO())

"""Password reset and invitations through HTTP (docs/api.md, "Accounts and users"): the
request never tells whether an address has an account, the e-mailed link works once and
for an hour, sets the password, revokes the refresh tokens and activates an invited
account. E-mails go the real way: event, `notifications` consumer, `tasks.send_email` job
(eager, after the commit), Django's outbox."""

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from rest_framework.throttling import SimpleRateThrottle

from accounts import services
from accounts.models import User
from accounts.tokens import AccountTokenGenerator, password_reset_tokens, uid_encode
from analytics.models import Event
from tasks.models import JobRecord
from tests import factories
from tests.factories import PASSWORD, STRONG_PASSWORD
from tests.helpers import (
    admin_action,
    admin_messages,
    assert_problem,
    assert_validation_error,
    token_obtain,
)

pytestmark = pytest.mark.django_db

SITE = "https://blog.example"
RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
REFRESH = "/api/v1/auth/token/refresh/"
PAGE = "/account/reset/"
USERS_ADMIN = "/admin/accounts/user/"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE
    settings.PASSWORD_RESET_URL = f"{SITE}/account/reset/"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Make a request (or call) and run what follows its commit: the event's consumers
    and the e-mail job."""

    def call(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return call


@pytest.fixture
def imported_author(db):
    """An author as an import makes them: inactive, without a usable password."""
    return factories.AuthorFactory(is_active=False, password=make_password(None))


def ask_reset(client, committed, email):
    return committed(client.post, RESET, {"email": email}, format="json")


def link_of(message) -> dict[str, str]:
    """The uid and token of the reset link in an e-mail (text and HTML say the same)."""
    (link,) = re.findall(r"https://blog\.example/account/reset/\?\S+", message.body)
    assert f'href="{link.replace("&", "&amp;")}"' in message.alternatives[0][0]
    query = parse_qs(urlsplit(link).query)
    return {"uid": query["uid"][0], "token": query["token"][0]}


def confirm(client, link, password=STRONG_PASSWORD):
    return client.post(CONFIRM, {**link, "new_password": password}, format="json")


# --- the request -------------------------------------------------------------------------


def test_known_and_unknown_addresses_get_the_same_answer(anon_client, committed, reader):
    known = ask_reset(anon_client, committed, reader.email.upper())
    unknown = ask_reset(anon_client, committed, "nobody@example.com")

    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert set(known.json()) == {"detail"}
    assert sorted(known.headers) == sorted(unknown.headers)
    # Both stored one event, of the same type, with the same (empty) payload.
    requested = Event.objects.filter(type="user.password_reset_requested").order_by("occurred_at")
    assert [(e.aggregate_id, e.data) for e in requested] == [
        (str(reader.pk), {}),
        ("unknown", {}),
    ]
    # Only the account's address is written to.
    assert [m.to for m in mail.outbox] == [[reader.email]]


def test_the_email_carries_a_link_and_no_token_is_stored(anon_client, committed, reader):
    ask_reset(anon_client, committed, reader.email)

    (message,) = mail.outbox
    assert message.subject == f"Choose a new password for {reader.username}"
    link = link_of(message)
    assert link["uid"] == uid_encode(reader)
    assert password_reset_tokens.check_token(reader, link["token"])
    # Neither the event nor the job's record holds the token or the address.
    job = JobRecord.objects.get(name="tasks.send_email")
    assert job.arguments["args"][:2] == ["password_reset", reader.pk]
    stored = str(job.arguments) + str(list(Event.objects.values("data", "aggregate_id")))
    assert link["token"] not in stored and reader.email not in stored


def test_the_link_follows_password_reset_url(anon_client, committed, reader, settings):
    settings.PASSWORD_RESET_URL = "https://app.example/reset"
    ask_reset(anon_client, committed, reader.email)

    assert "https://app.example/reset?uid=" in mail.outbox[0].body


def test_an_inactive_account_not_invited_gets_nothing(
    anon_client, committed, reader, imported_author
):
    reader.is_active = False
    reader.save(update_fields=["is_active"])

    for user in (reader, imported_author):
        assert ask_reset(anon_client, committed, user.email).status_code == 202
    assert mail.outbox == []


def test_a_malformed_address_is_a_validation_error(anon_client):
    assert_validation_error(anon_client.post(RESET, {"email": "x"}, format="json"), "email")


def test_the_request_is_throttled_per_address(anon_client, committed, reader, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "password_reset", "2/hour")
    for email in (reader.email, "nobody@example.com"):
        assert ask_reset(anon_client, committed, email).status_code == 202

    response = ask_reset(anon_client, committed, "other@example.com")
    assert_problem(response, 429, "throttled")
    assert 60 < int(response["Retry-After"]) <= 3600
    # The confirmation shares the budget: guessing tokens is throttled too.
    assert_problem(confirm(anon_client, {"uid": "x", "token": "y"}), 429, "throttled")


# --- the confirmation ----------------------------------------------------------------------


def test_the_link_sets_the_password_once(anon_client, committed, reader, events):
    ask_reset(anon_client, committed, reader.email)
    link = link_of(mail.outbox[0])
    events.mark()

    assert confirm(anon_client, link).status_code == 204

    reader.refresh_from_db()
    assert reader.check_password(STRONG_PASSWORD)
    assert token_obtain(anon_client, reader.username, STRONG_PASSWORD).status_code == 200
    assert [(e.type, e.data) for e in events.new()] == [
        ("user.password_reset", {"activated": False}),
        ("user.logged_in", {"username": reader.username}),
    ]
    # Used: the password it was made for is gone.
    assert_problem(confirm(anon_client, link, "another-long-pass-834"), 400, "invalid_token")
    reader.refresh_from_db()
    assert reader.check_password(STRONG_PASSWORD)


def test_a_new_request_leaves_older_links_working_until_one_is_used(anon_client, committed, reader):
    ask_reset(anon_client, committed, reader.email)
    ask_reset(anon_client, committed, reader.email)
    first, second = (link_of(m) for m in mail.outbox)

    assert confirm(anon_client, second).status_code == 204
    assert_problem(confirm(anon_client, first), 400, "invalid_token")


def _token_made_ago(user: User, minutes: int) -> str:
    # The generator's clock turned back: the token is as old as an e-mail sent then.
    generator = AccountTokenGenerator()
    generator._now = lambda: datetime.now() - timedelta(minutes=minutes)  # type: ignore[method-assign]
    return generator.make_token(user)


def test_a_link_expires_after_an_hour(anon_client, reader):
    uid = uid_encode(reader)
    expired = {"uid": uid, "token": _token_made_ago(reader, 61)}
    assert_problem(confirm(anon_client, expired), 400, "invalid_token")

    fresh = {"uid": uid, "token": _token_made_ago(reader, 59)}
    assert confirm(anon_client, fresh).status_code == 204


@pytest.mark.parametrize(
    "link",
    [
        {"uid": "MTIzNDU2Nzg", "token": "x-y"},  # no such user
        {"uid": "!!", "token": "x-y"},  # not base64
        {"uid": "", "token": ""},
    ],
)
def test_a_wrong_link_is_invalid_token(anon_client, link):
    response = confirm(anon_client, link)
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid_token", "validation_error")


def test_a_wrong_token_for_a_real_account_is_invalid_token(anon_client, reader, other_author):
    # A real token, but another account's.
    link = {"uid": uid_encode(reader), "token": password_reset_tokens.make_token(other_author)}
    assert_problem(confirm(anon_client, link), 400, "invalid_token")


def test_a_weak_password_is_refused_and_the_link_still_works(anon_client, reader):
    link = {"uid": uid_encode(reader), "token": password_reset_tokens.make_token(reader)}

    body = assert_validation_error(confirm(anon_client, link, "password"), "new_password")
    assert body["fields"]["new_password"]
    reader.refresh_from_db()
    assert reader.check_password(PASSWORD)
    assert confirm(anon_client, link).status_code == 204


def test_the_reset_revokes_every_refresh_token(anon_client, reader):
    refreshes = [token_obtain(anon_client, reader.username, PASSWORD).json()["refresh"]]
    refreshes.append(token_obtain(anon_client, reader.username, PASSWORD).json()["refresh"])
    # Made after the sign-ins: a sign-in (last_login) voids older links, as in Django.
    reader.refresh_from_db()
    link = {"uid": uid_encode(reader), "token": password_reset_tokens.make_token(reader)}

    assert confirm(anon_client, link).status_code == 204

    for refresh in refreshes:
        assert anon_client.post(REFRESH, {"refresh": refresh}, format="json").status_code == 401


def test_a_deactivated_account_cannot_use_its_link(anon_client, reader):
    link = {"uid": uid_encode(reader), "token": password_reset_tokens.make_token(reader)}
    services.user_set_active(user=reader, is_active=False)

    assert_problem(confirm(anon_client, link), 400, "invalid_token")


# --- invitations ---------------------------------------------------------------------------


def test_an_invited_author_claims_the_account(
    admin_web, admin_user, anon_client, committed, imported_author, events
):
    events.mark()
    response = committed(admin_action, admin_web, USERS_ADMIN, "invite", [imported_author])
    assert response.status_code == 302
    assert admin_messages(response) == ["1 user(s) invited; the link activates them."]

    (invited,) = events.new()
    assert (invited.type, invited.aggregate_id, invited.actor_id) == (
        "user.invited",
        str(imported_author.pk),
        admin_user.pk,
    )
    (message,) = mail.outbox
    assert message.to == [imported_author.email]
    assert "claim" in message.subject.lower() or "waiting" in message.subject.lower()
    link = link_of(message)
    imported_author.refresh_from_db()
    assert not imported_author.is_active

    events.mark()
    assert confirm(anon_client, link).status_code == 204

    imported_author.refresh_from_db()
    assert imported_author.is_active and imported_author.invited_at is None
    assert token_obtain(anon_client, imported_author.username, STRONG_PASSWORD).status_code == 200
    assert [(e.type, e.data) for e in events.new()][:2] == [
        ("user.activated", {}),
        ("user.password_reset", {"activated": True}),
    ]
    assert_problem(confirm(anon_client, link), 400, "invalid_token")


def test_activating_a_passwordless_account_invites_it(admin_web, committed, imported_author):
    active = factories.ReaderFactory(is_active=False)

    response = committed(
        admin_action, admin_web, USERS_ADMIN, "activate", [imported_author, active]
    )

    assert response.status_code == 302
    imported_author.refresh_from_db()
    active.refresh_from_db()
    assert active.is_active
    assert not imported_author.is_active and imported_author.invited_at is not None
    assert [m.to for m in mail.outbox] == [[imported_author.email]]


def test_an_invited_account_may_also_ask_for_a_new_link(anon_client, committed, imported_author):
    services.user_invite(user=imported_author)

    ask_reset(anon_client, committed, imported_author.email)

    (message,) = mail.outbox
    assert confirm(anon_client, link_of(message)).status_code == 204
    imported_author.refresh_from_db()
    assert imported_author.is_active


def test_deactivating_cancels_an_invitation(anon_client, imported_author):
    services.user_invite(user=imported_author)
    link = {
        "uid": uid_encode(imported_author),
        "token": password_reset_tokens.make_token(imported_author),
    }

    services.user_set_active(user=imported_author, is_active=False)

    assert_problem(confirm(anon_client, link), 400, "invalid_token")
    imported_author.refresh_from_db()
    assert not imported_author.is_active and imported_author.invited_at is None


def test_an_active_user_is_not_invited(admin_web, reader):
    response = admin_action(admin_web, USERS_ADMIN, "invite", [reader])

    assert any("Not invited" in m and reader.username in m for m in admin_messages(response))
    reader.refresh_from_db()
    assert reader.invited_at is None


# --- the server's page ---------------------------------------------------------------------


def test_the_page_sets_the_password(client, reader):
    link = {"uid": uid_encode(reader), "token": password_reset_tokens.make_token(reader)}

    page = client.get(PAGE, link)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert 'name="new_password"' in page.content.decode()

    done = client.post(
        PAGE, {**link, "new_password": STRONG_PASSWORD, "new_password_again": STRONG_PASSWORD}
    )
    assert done.status_code == 200
    assert 'id="reset-done"' in done.content.decode()
    reader.refresh_from_db()
    assert reader.check_password(STRONG_PASSWORD)
    # Used now.
    assert 'id="reset-invalid"' in client.get(PAGE, link).content.decode()


def test_the_page_shows_the_validators_and_mismatches(client, reader):
    link = {"uid": uid_encode(reader), "token": password_reset_tokens.make_token(reader)}

    weak = client.post(PAGE, {**link, "new_password": "password", "new_password_again": "password"})
    assert weak.status_code == 400
    assert "too common" in weak.content.decode()

    differ = client.post(
        PAGE, {**link, "new_password": STRONG_PASSWORD, "new_password_again": "something-else-1"}
    )
    assert differ.status_code == 400
    assert "The two passwords differ." in differ.content.decode()
    reader.refresh_from_db()
    assert reader.check_password(PASSWORD)


def test_the_page_refuses_a_wrong_link(client, reader):
    response = client.get(PAGE, {"uid": uid_encode(reader), "token": "1-2"})
    assert response.status_code == 400
    assert 'id="reset-invalid"' in response.content.decode()

"""The event bus (config/events/bus.py): an event stored only with its change's commit,
delivered to after-commit receivers that cannot fail a request, carrying the request id,
its payload redacted."""

import json
import logging
import uuid

import pytest
from django.db import transaction

from analytics.models import Event
from blog.models import Post, PostStatus
from blog.services import posts as post_services
from config.errors import InvalidInput
from config.events.bus import REDACTED, event_committed, publish, redact
from tests.factories import DraftPostFactory, PostFactory
from tests.helpers import assert_event, client_for, only

pytestmark = pytest.mark.django_db


# --- reports ----------------------------------------------------------------------------


def test_report_completed_payload_is_stored_as_documented(events):
    # The reports service (another issue) publishes it; the bus must store it as documented.
    report_id = uuid.uuid4()
    with transaction.atomic():
        publish("report.completed", aggregate_id=report_id, data={"kind": "users", "format": "csv"})

    assert_event(
        only(events, "report.completed"),
        "report.completed",
        aggregate_id=report_id,
        actor=None,
        data={"kind": "users", "format": "csv"},
    )


# --- atomicity --------------------------------------------------------------------------


def test_a_rolled_back_change_leaves_no_event_and_delivers_nothing(
    author, events, delivered, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        post_services.post_create(
            author=author, title="Doomed", body="x", status=PostStatus.PUBLISHED
        )
        assert Event.objects.filter(type="post.published").exists()  # in the transaction
        raise RuntimeError("forced rollback")

    assert events.types() == []
    assert not Post.objects.filter(title="Doomed").exists()
    assert callbacks == []
    assert delivered == []


def test_a_service_failing_after_publishing_leaves_no_event(author, events):
    post = DraftPostFactory(author=author, title="Old")
    # The title change publishes post.updated, then the unknown status fails the service.
    with pytest.raises(InvalidInput):
        post_services.post_update(post=post, actor=author, title="New", status="bogus")

    assert events.types() == []
    post.refresh_from_db()
    assert post.title == "Old"


@pytest.mark.django_db(transaction=True)  # really outside any transaction
def test_a_stored_event_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        publish("category.deleted", aggregate_id=1, data={"slug": "x"})


def test_after_commit_receivers_wait_for_the_commit(
    author, delivered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_services.post_create(author=author, title="T", body="B", status="published")
    assert delivered == []  # nothing outside the database before the commit

    for callback in callbacks:
        callback()
    assert [e.type for e in delivered] == ["post.created", "post.published"]


# --- request id -------------------------------------------------------------------------


def test_events_carry_the_request_id(author, events):
    response = client_for(author).post(
        "/api/v1/posts/",
        {"title": "Traced", "body": "B", "status": "published"},
        HTTP_X_REQUEST_ID="abc-123",
    )
    assert response.status_code == 201
    assert response["X-Request-ID"] == "abc-123"

    new = events.new()
    assert [e.type for e in new] == ["post.created", "post.published"]
    assert {e.request_id for e in new} == {"abc-123"}


def test_events_without_a_request_id_header_get_the_generated_one(author, events):
    response = client_for(author).post("/api/v1/posts/", {"title": "T", "body": "B"})
    event = only(events, "post.created")
    assert event.request_id == response["X-Request-ID"] != ""


# --- the sanitizer ----------------------------------------------------------------------


def test_personal_data_is_stripped_from_stored_payloads(events):
    payload = {
        "fields": ["email", "display_name"],  # names of fields are fine
        "email": "alice@example.com",
        "password": "hunter2-hunter2",
        "new_password1": "hunter3",
        "access_token": "abc",
        "apiKey": "k-123",
        "clientSecret": "s3cr3t",
        "remote_ip": "203.0.113.9",
        "note": "mail carol@example.org from 198.51.100.7 or 2001:db8::1",
        "headers": {"Authorization": "Bearer eyJhbGciOi.eyJzdWIi.c2ln", "X-Trace": "t-1"},
        "items": [{"author_id": 7, "contact": "dave@example.net"}, "10.0.0.1:8080"],
        "publish_at": "2026-01-04T10:00:00.123456+00:00",
        "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.sig",
    }
    with transaction.atomic():
        publish("user.updated", aggregate_id=1, data=payload)

    stored = Event.objects.get(pk=only(events, "user.updated").pk).data
    assert stored == {
        "fields": ["email", "display_name"],
        "email": REDACTED,
        "password": REDACTED,
        "new_password1": REDACTED,
        "access_token": REDACTED,
        "apiKey": REDACTED,
        "clientSecret": REDACTED,
        "remote_ip": REDACTED,
        "note": f"mail {REDACTED} from {REDACTED} or {REDACTED}",
        "headers": {"Authorization": REDACTED, "X-Trace": "t-1"},
        "items": [{"author_id": 7, "contact": REDACTED}, f"{REDACTED}:8080"],
        "publish_at": "2026-01-04T10:00:00.123456+00:00",
        "jwt": REDACTED,
    }
    text = json.dumps(stored)
    for secret in ("@example", "hunter", "203.0.113.9", "2001:db8", "eyJ", "s3cr3t"):
        assert secret not in text


@pytest.mark.parametrize(
    "kept",
    [
        {"author_id": 3},
        {"parent_id": None, "post_id": 4},
        {"published_at": "2026-05-01T12:30:45+00:00"},
        {"time": "12:30:45", "version": "1.2.3", "mac": "ab:cd:ef:01:02:03"},
        {"fields": ["email_notifications"], "count": 2, "ok": True, "ratio": 0.5},
    ],
)
def test_the_sanitizer_keeps_ids_times_and_primitives(kept):
    assert redact(kept) == kept


# --- after-commit receivers -------------------------------------------------------------


def test_a_failing_receiver_does_not_fail_the_request(
    author, delivered, caplog, django_capture_on_commit_callbacks
):
    def explode(sender, event, **kwargs):
        raise RuntimeError("receiver bug")

    event_committed.connect(explode, dispatch_uid="tests.explode")
    try:
        with (
            caplog.at_level(logging.ERROR, logger="config.events.bus"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client_for(author).post(
                "/api/v1/posts/", {"title": "Still fine", "body": "B", "status": "published"}
            )
    finally:
        event_committed.disconnect(dispatch_uid="tests.explode")

    assert response.status_code == 201, response.content
    assert Post.objects.filter(title="Still fine").exists()
    failures = [
        r
        for r in caplog.records
        if r.getMessage() == "event receiver failed" and "receiver bug" in str(r.exc_info[1])
    ]
    assert len(failures) == 2  # logged once per event
    # The other receivers still got every event.
    assert [e.type for e in delivered] == ["post.created", "post.published"]


def test_a_failing_receiver_does_not_fail_a_post_view(anon_client, caplog):
    def explode(sender, event, **kwargs):
        raise RuntimeError("view receiver bug")

    post = PostFactory()
    event_committed.connect(explode, dispatch_uid="tests.explode")
    try:
        with caplog.at_level(logging.ERROR, logger="config.events.bus"):
            response = anon_client.get(f"/api/v1/posts/{post.slug}/")
    finally:
        event_committed.disconnect(dispatch_uid="tests.explode")

    assert response.status_code == 200
    assert any(r.getMessage() == "event receiver failed" for r in caplog.records)

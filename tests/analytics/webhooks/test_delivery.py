"""Webhook delivery against a real HTTP receiver on 127.0.0.1: signing, retries, timeouts,
410, ordering per aggregate, TLS, deduplication, stalled deliveries queued again."""

import json
import shutil
import ssl
import subprocess
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from analytics.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery
from analytics.webhooks import tasks as webhook_tasks
from analytics.webhooks.attempts import AttemptOutcome, webhook_delivery_attempt
from analytics.webhooks.delivery import webhook_post
from analytics.webhooks.services import webhook_deliveries_create
from analytics.webhooks.targets import WebhookTarget
from blog.services import taxonomy as taxonomy_services
from tasks.models import JobRecord
from tests.factories import WebhookAttemptFactory
from tests.helpers import client_for, dead_port
from tests.webhook_receiver import consume, emit, subscribe, verify

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("webhook_settings", "eager_retries"),
]

WEBHOOKS = "/api/v1/admin/webhooks/"
PAYLOAD_FIELDS = {"id", "type", "occurred_at", "aggregate_type", "aggregate_id", "data"}
TRIES = webhook_tasks.MAX_RETRIES + 1


def test_event_is_delivered_signed_through_the_whole_pipeline(
    receiver, admin_user, django_capture_on_commit_callbacks
):
    created = client_for(admin_user).post(
        WEBHOOKS, {"url": receiver.url, "events": ["category.created"]}, format="json"
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    other = subscribe(receiver.url, events=["post.published"])

    # A real service: the event is stored, dispatched after commit, consumed, delivered.
    with django_capture_on_commit_callbacks(execute=True):
        category = taxonomy_services.category_create(name="Hooks", actor=admin_user)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/hook"
    assert request["headers"]["Content-Type"] == "application/json"
    parts = verify(request, secret)
    assert int(parts["t"]) > 0

    # A wrong secret does not verify: the test's check can fail.
    with pytest.raises(AssertionError):
        verify(request, "whsec_wrong")

    event = Event.objects.get(type="category.created", aggregate_id=str(category.pk))
    body = json.loads(request["body"])
    assert set(body) == PAYLOAD_FIELDS
    assert body["id"] == str(event.pk)
    assert body["type"] == "category.created"
    assert body["aggregate_type"] == "category"
    assert body["aggregate_id"] == str(category.pk)
    assert body["data"] == {"slug": category.slug, "parent": None}
    assert body["occurred_at"].endswith("Z")

    delivery = WebhookDelivery.objects.get(subscription_id=created.json()["id"])
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.response_status == 200
    assert delivery.delivered_at is not None
    attempt = delivery.tries.get()
    assert attempt.succeeded and attempt.response_status == 200 and attempt.error == ""
    # The subscription to another type got nothing.
    assert not other.deliveries.exists()


def test_500_is_retried_until_success(receiver, django_capture_on_commit_callbacks, monkeypatch):
    countdowns = []
    real = webhook_tasks.backoff_countdown

    def spy(retries, **kwargs):
        countdowns.append((retries, kwargs["base"]))
        return real(retries, **kwargs)

    monkeypatch.setattr(webhook_tasks, "backoff_countdown", spy)
    receiver.answer(500, 503)
    subscription = subscribe(receiver.url)
    event = emit()

    consume(event, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 3
    assert {body["id"] for body in receiver.bodies()} == {str(event.pk)}
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3
    tries = list(delivery.tries.order_by("id").values_list("response_status", "succeeded"))
    assert tries == [(500, False), (503, False), (200, True)]
    # Backed off exponentially: retry n waits about WEBHOOK_RETRY_BACKOFF * 2**n.
    backoff = settings.WEBHOOK_RETRY_BACKOFF
    assert countdowns == [(0, backoff), (1, backoff)]
    job = JobRecord.objects.get(name="analytics.deliver_webhook")
    assert job.status == "completed" and job.attempts == 3 and job.result == "delivered"


def test_gives_up_after_the_last_try(receiver, django_capture_on_commit_callbacks):
    receiver.answer(default=502)
    subscription = subscribe(receiver.url)

    consume(emit(), django_capture_on_commit_callbacks)

    assert len(receiver.requests) == TRIES
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == TRIES
    assert delivery.response_status == 502
    assert delivery.last_error.startswith("HTTP 502")
    assert delivery.delivered_at is None
    assert WebhookAttempt.objects.filter(delivery=delivery, succeeded=False).count() == TRIES
    job = JobRecord.objects.get(name="analytics.deliver_webhook")
    assert job.attempts == TRIES and job.max_attempts == TRIES and job.result == "failed"
    assert subscription.deliveries.get().subscription.is_active  # 5xx does not deactivate


def test_timeout_is_retried(receiver, django_capture_on_commit_callbacks):
    receiver.answer("hang", 200)
    subscription = subscribe(receiver.url)

    consume(emit(), django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 2
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    first, second = delivery.tries.order_by("id")
    assert first.response_status is None and not first.succeeded
    assert "timed out" in first.error.lower() or "timeout" in first.error.lower()
    assert second.succeeded


def test_unreachable_receiver_is_retried_then_failed(django_capture_on_commit_callbacks):
    # A port nobody listens on: connection refused on every try.
    subscription = subscribe(f"http://127.0.0.1:{dead_port()}/")

    consume(emit(), django_capture_on_commit_callbacks)

    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == TRIES
    assert delivery.response_status is None
    assert delivery.last_error


def test_410_deactivates_the_subscription(receiver, django_capture_on_commit_callbacks):
    receiver.answer(410)
    subscription = subscribe(receiver.url)

    consume(emit(aggregate_id=1), django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1  # no retry
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.response_status == 410
    subscription.refresh_from_db()
    assert subscription.is_active is False

    # Later events are not delivered to it any more.
    consume(emit(aggregate_id=2), django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    assert subscription.deliveries.count() == 1


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_other_4xx_fails_without_retry(receiver, django_capture_on_commit_callbacks, status):
    receiver.answer(status)
    subscription = subscribe(receiver.url)

    consume(emit(), django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1 and delivery.response_status == status
    subscription.refresh_from_db()
    assert subscription.is_active


def test_same_event_consumed_twice_is_delivered_once(receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver.url)
    event = emit()

    assert consume(event, django_capture_on_commit_callbacks) == "consumed"
    assert consume(event, django_capture_on_commit_callbacks) == "duplicate"
    # Even past the consumer's own dedupe (a replay), a delivery is unique per event.
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_create(event=event) == []

    assert len(receiver.requests) == 1
    assert subscription.deliveries.count() == 1


def test_deliveries_of_one_aggregate_go_in_order(receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver.url)
    older = emit(aggregate_id=5, data={"slug": "first", "fields": []})
    newer = emit(aggregate_id=5, data={"slug": "second", "fields": []})
    elsewhere = emit(aggregate_id=6, data={"slug": "other", "fields": []})
    # Deliveries made, their jobs not run yet (the commit is not captured here).
    for event in (newer, older, elsewhere):
        webhook_deliveries_create(event=event)
    by_event = {d.event_id: d.pk for d in subscription.deliveries.all()}

    # The newer one waits while the older one of the same post is pending ...
    outcome = webhook_delivery_attempt(delivery_id=by_event[newer.pk], final=False)
    assert outcome == AttemptOutcome.WAIT
    assert receiver.requests == []
    # ... another post's delivery does not.
    assert webhook_delivery_attempt(delivery_id=by_event[elsewhere.pk], final=False) == (
        AttemptOutcome.DELIVERED
    )
    assert webhook_delivery_attempt(delivery_id=by_event[older.pk], final=False) == (
        AttemptOutcome.DELIVERED
    )
    assert webhook_delivery_attempt(delivery_id=by_event[newer.pk], final=False) == (
        AttemptOutcome.DELIVERED
    )
    assert [body["data"]["slug"] for body in receiver.bodies()] == ["other", "first", "second"]


def test_waiting_delivery_is_sent_anyway_after_the_last_wait(
    receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver.url)
    older, newer = emit(aggregate_id=5), emit(aggregate_id=5)
    webhook_deliveries_create(event=older)  # stays pending: its job never runs
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliveries_create(event=newer)

    # The job waited MAX_WAITS times (as new jobs), then sent it rather than hold it forever.
    assert [body["id"] for body in receiver.bodies()] == [str(newer.pk)]
    delivered = subscription.deliveries.get(event=newer)
    assert delivered.status == DeliveryStatus.DELIVERED and delivered.attempts == 1
    jobs = JobRecord.objects.filter(name="analytics.deliver_webhook")
    assert jobs.count() == webhook_tasks.MAX_WAITS + 1
    assert set(jobs.values_list("result", flat=True)) == {"wait", "delivered"}


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for hooks.example.test (made with the openssl CLI)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.example.test",
         "-addext", "subjectAltName=DNS:hooks.example.test"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_https_connects_to_the_checked_address_and_verifies_the_url_host(
    receiver, tls_files, monkeypatch
):
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    port = receiver.server.server_address[1]
    # The URL's host is a name; the connection goes to the address that was checked.
    target = WebhookTarget(
        scheme="https", host="hooks.example.test", port=port, path="/hook", address="127.0.0.1"
    )

    untrusted = webhook_post(target=target, body=b"{}", headers={})
    assert untrusted.status is None and "CERTIFICATE_VERIFY_FAILED" in untrusted.error

    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now trusted, for this name only
    trusted = webhook_post(target=target, body=b"{}", headers={})
    assert trusted.status == 200, trusted.error
    assert server_names[-1] == "hooks.example.test"
    assert receiver.requests[-1]["headers"]["Host"] == f"hooks.example.test:{port}"

    wrong_name = WebhookTarget(
        scheme="https", host="other.example.test", port=port, path="/", address="127.0.0.1"
    )
    mismatch = webhook_post(target=wrong_name, body=b"{}", headers={})
    assert mismatch.status is None and "mismatch" in mismatch.error.lower()
    assert len(receiver.requests) == 1


def test_deliveries_whose_job_was_lost_are_queued_again(receiver):
    subscription = subscribe(receiver.url)
    older, newer = emit(aggregate_id=5), emit(aggregate_id=5)
    recent, tried = emit(aggregate_id=6), emit(aggregate_id=7)
    # Deliveries whose jobs were never run (the after-commit queuing is not captured here).
    for event in (older, newer, recent, tried):
        webhook_deliveries_create(event=event)
    long_ago = timezone.now() - timedelta(hours=3)
    subscription.deliveries.exclude(event=recent).update(created_at=long_ago)
    attempt = WebhookAttemptFactory(
        delivery=subscription.deliveries.get(event=tried), error="HTTP 503"
    )
    WebhookAttempt.objects.filter(pk=attempt.pk).update(
        attempted_at=timezone.now() - timedelta(minutes=10)
    )

    assert webhook_tasks.requeue_stalled_webhooks.apply().get() == 2

    # The stalled ones, in order; not the new one, nor the one a live job is retrying.
    assert [body["id"] for body in receiver.bodies()] == [str(older.pk), str(newer.pk)]
    statuses = dict(subscription.deliveries.values_list("event_id", "status"))
    assert statuses == {
        older.pk: "delivered",
        newer.pk: "delivered",
        recent.pk: "pending",
        tried.pk: "pending",
    }
    assert webhook_tasks.requeue_stalled_webhooks.apply().get() == 0

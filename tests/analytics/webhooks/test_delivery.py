"""Webhooks against a real HTTP receiver on 127.0.0.1: signing, retries, 410, redelivery,
the private-address guard, the admin API and its permissions, and deduplication."""

import hashlib
import hmac
import json
import shutil
import ssl
import subprocess
import threading
from collections import deque
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.utils import timezone

from analytics.consumers import event_consume
from analytics.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery
from analytics.webhooks import tasks as webhook_tasks
from analytics.webhooks.delivery import webhook_post
from analytics.webhooks.services import (
    AttemptOutcome,
    webhook_deliveries_create,
    webhook_delivery_attempt,
    webhook_subscription_create,
)
from analytics.webhooks.targets import WebhookTarget
from blog.services import taxonomy as taxonomy_services
from config.celery import app as celery_app
from config.errors import InvalidInput
from config.events.bus import publish
from tasks.models import JobRecord
from tests.factories import WebhookAttemptFactory, WebhookDeliveryFactory
from tests.helpers import client_for, dead_port, web_client

pytestmark = pytest.mark.django_db

WEBHOOKS = "/api/v1/admin/webhooks/"
SUBSCRIPTION_FIELDS = {"id", "url", "events", "is_active", "created_at"}
DELIVERY_FIELDS = {
    "id", "event_id", "event_type", "status", "attempts", "response_status", "last_error",
    "created_at", "delivered_at",
}  # fmt: skip
PAYLOAD_FIELDS = {"id", "type", "occurred_at", "aggregate_type", "aggregate_id", "data"}
TRIES = webhook_tasks.MAX_RETRIES + 1


# --- the receiver ---------------------------------------------------------------------


class Receiver:
    """A local webhook receiver: records each request, answers from a script.

    Each scripted answer is a status code, or "hang" (answer nothing until the test ends,
    so the sender times out); when the script is used up it answers `default`.
    """

    def __init__(self, server):
        self.server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}/hook"
        self.requests: list[dict] = []
        self.script: deque = deque()
        self.default = 200
        self.release = threading.Event()
        self.lock = threading.Lock()

    def answer(self, *answers, default=200):
        self.script.extend(answers)
        self.default = default

    def next_answer(self):
        with self.lock:
            return self.script.popleft() if self.script else self.default

    def bodies(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with receiver.lock:
            receiver.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "body": body}
            )
        answer = receiver.next_answer()
        if answer == "hang":
            receiver.release.wait(10)  # bounded: the test's teardown releases it
            return
        try:
            self.send_response(answer)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if answer < 300 else b"receiver says no")
        except OSError:
            pass  # the sender gave up on us

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.receiver = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.receiver
    server.receiver.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def _eager_retries():
    # With eager propagation a job's retry is raised to its caller; without it, Celery's
    # eager mode runs the retry at once, so a delivery's whole retry life runs in the test.
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_TIMEOUT = 0.5
    return settings


# --- helpers --------------------------------------------------------------------------


def subscribe(url, events=("post.updated",), **kwargs):
    return webhook_subscription_create(url=url, events=list(events), **kwargs)


def emit(event_type="post.updated", aggregate_id=1, data=None) -> Event:
    """Store an event as a service would (its after-commit dispatch does not run here)."""
    with transaction.atomic():
        event = publish(
            event_type, aggregate_id=aggregate_id, data=data or {"slug": "a", "fields": []}
        )
    return Event.objects.get(pk=event.id)


def consume(event, django_capture_on_commit_callbacks) -> str:
    """Run the `webhooks` consumer on the event and the delivery jobs it queues."""
    with django_capture_on_commit_callbacks(execute=True):
        return event_consume(consumer_name="webhooks", event_id=event.pk)


def verify(request, secret) -> dict:
    """What a receiver does: recompute the HMAC of "<t>.<body>" and compare."""
    parts = dict(item.split("=", 1) for item in request["headers"]["X-Signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return parts


# --- delivery -------------------------------------------------------------------------


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
    assert body["data"] == {"slug": category.slug}
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
    # Backed off exponentially: retry n waits about RETRY_BACKOFF * 2**n.
    assert countdowns == [(0, webhook_tasks.RETRY_BACKOFF), (1, webhook_tasks.RETRY_BACKOFF)]
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


# --- the private-address guard --------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
        "http://100.64.0.1/",  # shared address space
        "http://0.0.0.0/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://240.0.0.1/",  # reserved
    ],
)
def test_private_and_reserved_targets_are_refused(webhook_settings, admin_user, url):
    webhook_settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = client_for(admin_user).post(
        WEBHOOKS, {"url": url, "events": ["post.updated"]}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert "url" in response.json()["fields"]


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "hook", ""]
)
def test_only_http_urls_are_accepted(admin_user, url):
    response = client_for(admin_user).post(
        WEBHOOKS, {"url": url, "events": ["post.updated"]}, format="json"
    )
    assert response.status_code == 400, response.content


def test_public_address_is_accepted_without_the_setting(webhook_settings):
    webhook_settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    # An IP literal: no DNS needed, and nothing is sent on creation.
    subscription = subscribe("https://93.184.216.34/hook")
    assert subscription.url == "https://93.184.216.34/hook"


def test_private_target_is_refused_at_delivery_too(
    receiver, webhook_settings, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver.url)  # allowed when it was saved
    webhook_settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    consume(emit(), django_capture_on_commit_callbacks)

    assert receiver.requests == []
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1  # refused for good, not retried
    assert "not allowed" in delivery.last_error


def test_unknown_or_undeliverable_event_types_are_refused(admin_user, receiver):
    client = client_for(admin_user)
    for events in (["post.exploded"], [], ["post.viewed"], "post.updated"):
        response = client.post(WEBHOOKS, {"url": receiver.url, "events": events}, format="json")
        assert response.status_code == 400, (events, response.content)
        assert any(name.startswith("events") for name in response.json()["fields"])
    with pytest.raises(InvalidInput):
        subscribe(receiver.url, events=["nope.happened"])


# --- the API --------------------------------------------------------------------------


def test_secret_is_shown_only_on_creation(admin_user, receiver):
    client = client_for(admin_user)
    created = client.post(
        WEBHOOKS,
        {"url": receiver.url, "events": ["post.published", "post.updated", "post.published"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == SUBSCRIPTION_FIELDS | {"secret"}
    assert len(body["secret"]) >= 32
    assert body["events"] == ["post.published", "post.updated"]
    assert body["is_active"] is True
    detail_url = f"{WEBHOOKS}{body['id']}/"

    listed = client.get(WEBHOOKS)
    assert listed.status_code == 200
    assert [set(item) for item in listed.json()["results"]] == [SUBSCRIPTION_FIELDS]
    detail = client.get(detail_url)
    assert detail.status_code == 200 and set(detail.json()) == SUBSCRIPTION_FIELDS
    patched = client.patch(detail_url, {"is_active": False}, format="json")
    assert patched.status_code == 200 and set(patched.json()) == SUBSCRIPTION_FIELDS
    assert body["secret"] not in (listed.content + detail.content + patched.content).decode()


def test_update_and_delete(admin_user, receiver):
    client = client_for(admin_user)
    subscription = subscribe(receiver.url)
    url = f"{WEBHOOKS}{subscription.pk}/"

    response = client.patch(
        url, {"events": ["comment.created"], "url": receiver.url + "/v2"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["events"] == ["comment.created"]
    assert response.json()["url"] == receiver.url + "/v2"
    subscription.refresh_from_db()
    assert subscription.events == ["comment.created"]

    assert client.patch(url, {"secret": "mine"}, format="json").status_code == 400
    assert client.patch(url, {"url": "http://10.0.0.1/"}, format="json").status_code == 200
    assert client.put(url, {"events": ["post.updated"]}, format="json").status_code == 405

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404


def test_deliveries_list_and_redeliver(admin_user, receiver, django_capture_on_commit_callbacks):
    client = client_for(admin_user)
    receiver.answer(400)
    subscription = subscribe(receiver.url)
    event = emit()
    consume(event, django_capture_on_commit_callbacks)
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.FAILED

    listed = client.get(f"{WEBHOOKS}{subscription.pk}/deliveries/")
    assert listed.status_code == 200
    (item,) = listed.json()["results"]
    assert set(item) == DELIVERY_FIELDS
    assert item["event_id"] == str(event.pk)
    assert item["event_type"] == "post.updated"
    assert item["status"] == "failed" and item["attempts"] == 1
    assert item["response_status"] == 400 and item["last_error"].startswith("HTTP 400")
    assert item["delivered_at"] is None
    assert (
        client.get(f"{WEBHOOKS}{subscription.pk}/deliveries/?status=delivered").json()["results"]
        == []
    )
    assert client.get(f"{WEBHOOKS}{subscription.pk}/deliveries/?status=lost").status_code == 400

    redeliver = f"{WEBHOOKS}{subscription.pk}/deliveries/{delivery.pk}/redeliver/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(redeliver)
    assert response.status_code == 202, response.content
    assert set(response.json()) == DELIVERY_FIELDS

    assert [body["id"] for body in receiver.bodies()] == [str(event.pk)] * 2
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2 and delivery.response_status == 200
    item = client.get(f"{WEBHOOKS}{subscription.pk}/deliveries/").json()["results"][0]
    assert item["status"] == "delivered" and item["delivered_at"] is not None

    # Another subscription's delivery is not found under this one.
    other = subscribe(receiver.url)
    assert (
        client.post(f"{WEBHOOKS}{other.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 404
    )
    # An inactive subscription is not sent to: 409.
    client.patch(f"{WEBHOOKS}{subscription.pk}/", {"is_active": False}, format="json")
    response = client.post(redeliver)
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("role", [None, "reader", "author", "editor"])
def test_only_admins_manage_webhooks(role, request, receiver):
    subscription = subscribe(receiver.url)
    delivery = WebhookDeliveryFactory(subscription=subscription, event=emit())
    user = request.getfixturevalue(role) if role else None
    client = client_for(user)
    detail = f"{WEBHOOKS}{subscription.pk}/"
    calls = [
        ("get", WEBHOOKS, None),
        ("post", WEBHOOKS, {"url": receiver.url, "events": ["post.updated"]}),
        ("get", detail, None),
        ("patch", detail, {"is_active": False}),
        ("delete", detail, None),
        ("get", f"{detail}deliveries/", None),
        ("post", f"{detail}deliveries/{delivery.pk}/redeliver/", None),
    ]
    expected = 401 if user is None else 403
    for method, url, data in calls:
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == expected, (method, url, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
    subscription.refresh_from_db()
    assert subscription.is_active
    assert receiver.requests == []


# --- the admin ------------------------------------------------------------------------


def test_admin_pages_show_webhooks_to_admins_only(
    admin_user, editor, receiver, django_capture_on_commit_callbacks
):
    receiver.answer(500, default=400)
    subscription = subscribe(receiver.url)
    consume(emit(), django_capture_on_commit_callbacks)
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2

    admin_client = web_client(admin_user)
    pages = [
        "/admin/analytics/webhooksubscription/",
        f"/admin/analytics/webhooksubscription/{subscription.pk}/change/",
        "/admin/analytics/webhookdelivery/",
        f"/admin/analytics/webhookdelivery/{delivery.pk}/change/",
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        assert subscription.secret not in response.content.decode()
    attempts_page = admin_client.get(pages[3]).content.decode()
    assert "HTTP 500" in attempts_page and "HTTP 400" in attempts_page
    assert admin_client.get("/admin/analytics/webhooksubscription/add/").status_code == 403

    # Switching a subscription off goes through the service; the rest stays read-only.
    response = admin_client.post(pages[1], {"is_active": "", "url": "http://10.0.0.1/"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.is_active is False and subscription.url == receiver.url

    # Redeliver from the deliveries list (the subscription is active again).
    subscription.is_active = True
    subscription.save(update_fields=["is_active"])
    receiver.answer(default=200)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(pages[2], {"action": "redeliver", ACTION_CHECKBOX_NAME: [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3

    editor_client = web_client(editor)
    for page in pages:
        assert editor_client.get(page).status_code == 403, page

"""`/api/v1/admin/webhooks/`: subscriptions (the secret shown once), their deliveries and
redelivery, for admins only."""

import pytest

from analytics.models import DeliveryStatus
from tests.factories import WebhookDeliveryFactory
from tests.helpers import assert_problem, client_for
from tests.webhook_receiver import consume, emit, subscribe

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("webhook_settings", "eager_retries"),
]

WEBHOOKS = "/api/v1/admin/webhooks/"
SUBSCRIPTION_FIELDS = {"id", "url", "events", "is_active", "created_at"}
DELIVERY_FIELDS = {
    "id", "event_id", "event_type", "status", "attempts", "response_status", "last_error",
    "created_at", "delivered_at",
}  # fmt: skip


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
        assert_problem(response, expected)
    subscription.refresh_from_db()
    assert subscription.is_active
    assert receiver.requests == []

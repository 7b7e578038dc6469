"""The private-address guard of webhook targets (analytics/webhooks/targets.py): private,
reserved and non-HTTP URLs refused when subscribing and again when delivering."""

import pytest

from analytics.models import DeliveryStatus
from config.errors import InvalidInput
from tests.helpers import client_for
from tests.webhook_receiver import consume, emit, subscribe

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("webhook_settings", "eager_retries"),
]

WEBHOOKS = "/api/v1/admin/webhooks/"


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

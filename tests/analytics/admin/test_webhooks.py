"""The webhook admin: for admins only, the secret never shown, switching a subscription off
through the service, redelivery."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from analytics.models import DeliveryStatus
from tests.helpers import web_client
from tests.webhook_receiver import consume, emit, subscribe

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("webhook_settings", "eager_retries"),
]


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

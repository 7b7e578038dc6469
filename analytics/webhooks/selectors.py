"""Reads of webhook subscriptions and deliveries."""

from django.db.models import QuerySet

from analytics.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from config.errors import InvalidInput


def webhook_subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("-created_at", "-id")


def webhook_subscription_get(*, subscription_id) -> WebhookSubscription | None:
    return WebhookSubscription.objects.filter(pk=subscription_id).first()


def webhook_delivery_list(
    *, subscription: WebhookSubscription, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    """A subscription's deliveries, newest first, of one status if `status` is given."""
    deliveries = WebhookDelivery.objects.filter(subscription=subscription)
    if status is not None:
        if status not in DeliveryStatus.values:
            message = f"status must be one of {', '.join(DeliveryStatus.values)}."
            raise InvalidInput(message, fields={"status": [message]})
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-created_at", "-id")


def webhook_delivery_get(
    *, subscription: WebhookSubscription, delivery_id
) -> WebhookDelivery | None:
    """A delivery of this subscription (another subscription's delivery is not found)."""
    return WebhookDelivery.objects.filter(subscription=subscription, pk=delivery_id).first()

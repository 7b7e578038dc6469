"""Reads of webhook subscriptions and deliveries."""

from datetime import timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from config.errors import InvalidInput


def webhook_subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("-created_at", "-id")


def webhook_subscription_get(*, subscription_id: int | str) -> WebhookSubscription | None:
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
    *, subscription: WebhookSubscription, delivery_id: int | str
) -> WebhookDelivery | None:
    """A delivery of this subscription (another subscription's delivery is not found)."""
    return WebhookDelivery.objects.filter(subscription=subscription, pk=delivery_id).first()


def webhook_delivery_older_pending_exists(*, delivery: WebhookDelivery) -> bool:
    """Is an earlier event of the same aggregate still pending for this subscription?"""
    event = delivery.event
    return (
        WebhookDelivery.objects.filter(
            subscription_id=delivery.subscription_id,
            status=DeliveryStatus.PENDING,
            event__aggregate_type=event.aggregate_type,
            event__aggregate_id=event.aggregate_id,
        )
        .filter(
            Q(event__occurred_at__lt=event.occurred_at)
            | Q(event__occurred_at=event.occurred_at, pk__lt=delivery.pk)
        )
        .exclude(pk=delivery.pk)
        .exists()
    )


def webhook_deliveries_stalled(
    *, stalled_after: timedelta = timedelta(hours=2), batch_size: int = 200
) -> QuerySet[WebhookDelivery]:
    """The pending deliveries whose job was lost (broker down when it was queued, a
    purged queue): no attempt for `stalled_after`, longer than a live job ever stays
    silent (the longest backoff, waiting on the job record, is an hour), oldest first.
    """
    cutoff = timezone.now() - stalled_after
    last_attempt = Subquery(
        WebhookAttempt.objects.filter(delivery=OuterRef("pk"))
        .order_by("-attempted_at")
        .values("attempted_at")[:1]
    )
    return (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=cutoff)
        .annotate(last_activity=Coalesce(last_attempt, "created_at"))
        .filter(last_activity__lt=cutoff)
        .select_related("event")
        .order_by("created_at", "id")[:batch_size]
    )

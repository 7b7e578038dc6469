"""Writes of webhooks: subscriptions and deliveries (queued for the delivery job; what a
try does is `attempts`)."""

import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from django.db import transaction

from accounts.models import User
from analytics.models import (
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookSubscription,
)
from analytics.webhooks.targets import webhook_url_validate
from analytics.webhooks.tasks import deliver_webhook
from config.errors import ConflictError, InvalidInput
from config.events.registry import EVENT_TYPES, event_types_stored

logger = logging.getLogger(__name__)


def webhook_event_types() -> tuple[str, ...]:
    """The types a subscription may name: the stored ones. The others never reach the
    outbox, so a subscription to them would silently receive nothing: refused instead."""
    return event_types_stored()


def _new_secret() -> str:
    return "whsec_" + secrets.token_hex(32)


def _clean_events(events: object) -> list[str]:
    def refuse(message: str) -> NoReturn:
        raise InvalidInput(message, fields={"events": [message]})

    if not isinstance(events, (list, tuple)) or not events:
        refuse("Give at least one event type.")
    if not all(isinstance(name, str) for name in events):
        refuse("Event types are strings.")
    unknown = [name for name in events if name not in EVENT_TYPES]
    if unknown:
        refuse(f"Unknown event type(s): {', '.join(unknown)}.")
    undeliverable = [name for name in events if name not in webhook_event_types()]
    if undeliverable:
        refuse(f"{', '.join(undeliverable)} is not stored, so never delivered to webhooks.")
    return list(dict.fromkeys(events))  # without duplicates, in the given order


@transaction.atomic
def webhook_subscription_create(
    *, url: str, events: object, is_active: bool = True, actor: User | None = None
) -> WebhookSubscription:
    """A new subscription with a fresh signing secret (the caller shows it once)."""
    subscription = WebhookSubscription.objects.create(
        url=webhook_url_validate(url),
        events=_clean_events(events),
        is_active=is_active,
        secret=_new_secret(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    logger.info(
        "webhook_subscription.created",
        extra={"subscription_id": subscription.pk, "actor_id": getattr(actor, "pk", None)},
    )
    return subscription


@transaction.atomic
def webhook_subscription_update(
    *, subscription: WebhookSubscription, actor: User | None = None, **changes: Any
) -> WebhookSubscription:
    """Change `url`, `events` or `is_active`; the secret stays."""
    unknown = set(changes) - {"url", "events", "is_active"}
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))}.")
    if "url" in changes:
        subscription.url = webhook_url_validate(changes["url"])
    if "events" in changes:
        subscription.events = _clean_events(changes["events"])
    if "is_active" in changes:
        subscription.is_active = bool(changes["is_active"])
    if changes:
        subscription.save(update_fields=list(changes))
    logger.info(
        "webhook_subscription.updated",
        extra={
            "subscription_id": subscription.pk,
            "fields": sorted(changes),
            "actor_id": getattr(actor, "pk", None),
        },
    )
    return subscription


@transaction.atomic
def webhook_subscription_delete(
    *, subscription: WebhookSubscription, actor: User | None = None
) -> None:
    """Delete a subscription with its deliveries; jobs still queued for them do nothing."""
    subscription_id = subscription.pk
    subscription.delete()
    logger.info(
        "webhook_subscription.deleted",
        extra={"subscription_id": subscription_id, "actor_id": getattr(actor, "pk", None)},
    )


@transaction.atomic
def webhook_subscription_set_active_many(
    *, subscriptions: Iterable[WebhookSubscription], is_active: bool, actor: User | None = None
) -> int:
    """Switch several subscriptions on or off (the admin's actions); returns how many."""
    count = 0
    for subscription in subscriptions:
        webhook_subscription_update(subscription=subscription, actor=actor, is_active=is_active)
        count += 1
    return count


def _queue_delivery_callback(delivery_id: int) -> Callable[[], None]:
    # A named function, not a partial: Django logs a failing on_commit callback by name.
    def queue_webhook_delivery() -> None:
        deliver_webhook.apply_async(args=(delivery_id,))

    return queue_webhook_delivery


@transaction.atomic
def webhook_deliveries_create(*, event: Event) -> list[WebhookDelivery]:
    """One delivery of `event` per active subscription to its type, each queued after commit.

    Idempotent: a delivery is unique per (subscription, event), so an event handled twice
    creates (and sends) nothing the second time.
    """
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(is_active=True).only("events")
        # Filtered here, not in SQL: JSON containment differs between databases, and the
        # active subscriptions are few.
        if event.type in (subscription.events or [])
    ]
    created = []
    for subscription in subscriptions:
        delivery, was_created = WebhookDelivery.objects.get_or_create(
            subscription=subscription, event=event, defaults={"event_type": event.type}
        )
        if was_created:
            created.append(delivery)
            # Robust: one delivery's queuing failure must not stop the others.
            transaction.on_commit(_queue_delivery_callback(delivery.pk), robust=True)
    return created


@transaction.atomic
def webhook_delivery_redeliver(
    *, delivery: WebhookDelivery, actor: User | None = None
) -> WebhookDelivery:
    """Send a delivery again, whatever its status (a receiver lost it, or it failed)."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("subscription")
        .get(pk=delivery.pk)
    )
    if not delivery.subscription.is_active:
        raise ConflictError("The subscription is inactive: activate it before redelivering.")
    delivery.status = DeliveryStatus.PENDING
    delivery.delivered_at = None
    delivery.save(update_fields=["status", "delivered_at"])
    # Robust: if queuing fails, the delivery is pending and the stalled-delivery sweep
    # queues it later; the admin's request does not fail after its change committed.
    transaction.on_commit(_queue_delivery_callback(delivery.pk), robust=True)
    logger.info(
        "webhook_delivery.redelivered",
        extra={"delivery_id": delivery.pk, "actor_id": getattr(actor, "pk", None)},
    )
    return delivery

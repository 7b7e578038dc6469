"""Writes of webhooks: subscriptions, deliveries, and the attempts to deliver them."""

import enum
import logging
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NoReturn

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from analytics.models import (
    DeliveryStatus,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from analytics.webhooks.delivery import (
    HttpResult,
    webhook_payload,
    webhook_post,
    webhook_signature,
)
from analytics.webhooks.targets import (
    TargetRefused,
    TargetUnresolvable,
    webhook_target_resolve,
    webhook_url_validate,
)
from config.errors import ConflictError, InvalidInput
from config.events.bus import EVENT_TYPES

logger = logging.getLogger(__name__)

# Events that are not stored (one row per view would swamp the store) never reach the
# outbox, so a subscription to them would silently receive nothing: refuse it instead.
UNDELIVERABLE_EVENT_TYPES = frozenset({"post.viewed"})
SUBSCRIBABLE_EVENT_TYPES = tuple(t for t in EVENT_TYPES if t not in UNDELIVERABLE_EVENT_TYPES)

# Answers worth another try: the receiver is down or overloaded (5xx), or asks for time.
_RETRYABLE_4XX = frozenset({408, 429})
# "Gone": the receiver says this subscription is over; stop sending to it.
_GONE = 410


class AttemptOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # given up: no retry
    RETRY = "retry"  # try again later (the job decides when, and whether it may)
    WAIT = "wait"  # an older delivery of the same aggregate is still pending
    SKIPPED = "skipped"  # nothing to do: gone, or no longer pending


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
    undeliverable = [name for name in events if name in UNDELIVERABLE_EVENT_TYPES]
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


def _queue_delivery_callback(delivery_id: int) -> Callable[[], None]:
    # A named function, not a partial: Django logs a failing on_commit callback by name.
    def queue_webhook_delivery() -> None:
        from analytics.webhooks.tasks import deliver_webhook

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


def webhook_deliveries_requeue_stalled(
    *, stalled_after: timedelta = timedelta(hours=2), batch_size: int = 200
) -> int:
    """Queue again the pending deliveries whose job was lost (broker down when it was
    queued, a purged queue): no attempt for `stalled_after`, longer than a live job ever
    stays silent (the longest retry countdown is an hour, the waits total less).

    Only the oldest pending delivery of each aggregate is queued: the later ones wait
    behind it anyway, and are taken by a later sweep once it is settled.
    """
    cutoff = timezone.now() - stalled_after
    last_attempt = Subquery(
        WebhookAttempt.objects.filter(delivery=OuterRef("pk"))
        .order_by("-attempted_at")
        .values("attempted_at")[:1]
    )
    stalled = (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=cutoff)
        .annotate(last_activity=Coalesce(last_attempt, "created_at"))
        .filter(last_activity__lt=cutoff)
        .select_related("event")
        .order_by("created_at", "id")[:batch_size]
    )
    queued = 0
    for delivery in stalled:
        if _older_pending_exists(delivery):
            continue
        _queue_delivery_callback(delivery.pk)()
        queued += 1
    if queued:
        logger.warning("webhook_delivery.stalled_requeued", extra={"count": queued})
    return queued


def _older_pending_exists(delivery: WebhookDelivery) -> bool:
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


def webhook_delivery_attempt(
    *, delivery_id: int, final: bool, wait_for_older: bool = True
) -> AttemptOutcome:
    """Try a pending delivery once and record the attempt.

    `final`: no retry will follow, so a passing error fails the delivery. With
    `wait_for_older`, a delivery whose aggregate has an older pending delivery to the same
    subscription is not sent (`WAIT`), so a receiver sees one aggregate's events in order.
    The HTTP request runs outside any transaction: no row stays locked while a slow
    receiver answers.
    """
    delivery = (
        WebhookDelivery.objects.select_related("subscription", "event")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return AttemptOutcome.SKIPPED
    subscription = delivery.subscription
    if not subscription.is_active:
        return _delivery_give_up(delivery, "The subscription is inactive.")
    if wait_for_older and _older_pending_exists(delivery):
        return AttemptOutcome.WAIT

    permanent = False
    try:
        target = webhook_target_resolve(subscription.url)
    except TargetUnresolvable as exc:  # DNS may be back later
        result = HttpResult(status=None, error=str(exc), duration_ms=0)
    except TargetRefused as exc:  # the host now points inward: never send there
        result = HttpResult(status=None, error=str(exc), duration_ms=0)
        permanent = True
    else:
        body = webhook_payload(delivery.event)
        headers = {
            "Content-Type": "application/json",
            "X-Signature": webhook_signature(
                secret=subscription.secret, body=body, timestamp=int(time.time())
            ),
            "X-Event-Id": str(delivery.event_id),
            "X-Event-Type": delivery.event_type,
            "X-Delivery-Id": str(delivery.pk),
        }
        result = webhook_post(target=target, body=body, headers=headers)
    return _attempt_record(delivery=delivery, result=result, final=final, permanent=permanent)


@transaction.atomic
def _delivery_give_up(delivery: WebhookDelivery, reason: str) -> AttemptOutcome:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error=reason
    )
    return AttemptOutcome.FAILED


@transaction.atomic
def _attempt_record(
    *, delivery: WebhookDelivery, result: HttpResult, final: bool, permanent: bool
) -> AttemptOutcome:
    ok = result.status is not None and 200 <= result.status < 300
    locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    WebhookAttempt.objects.create(
        delivery=locked,
        response_status=result.status,
        error=result.error,
        duration_ms=result.duration_ms,
        succeeded=ok,
    )
    locked.attempts += 1
    locked.response_status = result.status
    locked.last_error = result.error
    fields = ["attempts", "response_status", "last_error", "status", "delivered_at"]

    if ok:
        outcome = AttemptOutcome.DELIVERED
        locked.status = DeliveryStatus.DELIVERED
        locked.delivered_at = timezone.now()
    elif locked.status != DeliveryStatus.PENDING:
        # Another run settled it meanwhile (a redelivery): keep its verdict.
        outcome = AttemptOutcome.SKIPPED
    elif result.status == _GONE:
        outcome = AttemptOutcome.FAILED
        locked.status = DeliveryStatus.FAILED
        WebhookSubscription.objects.filter(pk=locked.subscription_id).update(is_active=False)
        logger.warning(
            "webhook_subscription.deactivated",
            extra={"subscription_id": locked.subscription_id, "reason": "receiver answered 410"},
        )
    elif permanent or final or not _retryable(result):
        outcome = AttemptOutcome.FAILED
        locked.status = DeliveryStatus.FAILED
    else:
        outcome = AttemptOutcome.RETRY
    locked.save(update_fields=fields)
    logger.info(
        "webhook_delivery.attempted",
        extra={
            "outcome": str(outcome),
            "delivery_id": locked.pk,
            "subscription_id": locked.subscription_id,
            "event_id": str(locked.event_id),
            "response_status": result.status,
            "duration_ms": result.duration_ms,
            "error": result.error[:200],
        },
    )
    return outcome


def _retryable(result: HttpResult) -> bool:
    """Network errors, timeouts and 5xx are passing; other answers are the receiver's no."""
    if result.status is None:
        return True
    return result.status >= 500 or result.status in _RETRYABLE_4XX

"""Attempts to deliver a webhook: one try, recorded, and what its answer means.

Run by the delivery job (`analytics.webhooks.tasks`), which `services` queues: the job
imports this module, the services import the job, and nothing imports back.
"""

import enum
import logging
import time

from django.db import transaction
from django.utils import timezone

from analytics.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from analytics.webhooks.delivery import (
    HttpResult,
    webhook_payload,
    webhook_post,
    webhook_signature,
)
from analytics.webhooks.selectors import webhook_delivery_older_pending_exists
from analytics.webhooks.targets import TargetRefused, TargetUnresolvable, webhook_target_resolve

logger = logging.getLogger(__name__)

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
    if wait_for_older and webhook_delivery_older_pending_exists(delivery=delivery):
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

"""The delivery job: one try per run, retried with exponential backoff until settled;
and the sweep that queues again the deliveries whose job was lost.

The retry policy lives here; what a try does and what its answer means is
`attempts.webhook_delivery_attempt`.
"""

import logging

from celery import shared_task
from django.conf import settings

from analytics.webhooks.attempts import AttemptOutcome, webhook_delivery_attempt
from analytics.webhooks.selectors import (
    webhook_deliveries_stalled,
    webhook_delivery_older_pending_exists,
)
from tasks.base import RecordedTask, backoff_countdown

logger = logging.getLogger(__name__)

# Tries per delivery: 1 + MAX_RETRIES. With the default backoff (WEBHOOK_RETRY_BACKOFF:
# 30 s, 1 min, 2 min, ... up to WEBHOOK_RETRY_BACKOFF_MAX, an hour, each between half and
# all of that) they span 1.5 to 3 hours, so a receiver's short outage or deploy loses
# nothing; past that, an admin redelivers. The waits are kept in the database (the job
# record's run_after), not in the broker.
MAX_RETRIES = 9
# Waiting for an older delivery of the same aggregate: short first (it is usually in
# flight), and bounded, since in-order delivery is "where possible": after this many waits
# the delivery is sent anyway rather than held behind one that may never settle.
MAX_WAITS = 12
WAIT_BACKOFF = 2
WAIT_BACKOFF_MAX = 600


@shared_task(
    base=RecordedTask,
    bind=True,
    name="analytics.deliver_webhook",
    max_retries=MAX_RETRIES,
    # A try is one request of at most WEBHOOK_TIMEOUT seconds.
    soft_time_limit=30,
    time_limit=45,
)
def deliver_webhook(self: RecordedTask, delivery_id: int, waits: int = 0) -> str:
    retries = self.request.retries or 0
    outcome = webhook_delivery_attempt(
        delivery_id=delivery_id,
        final=retries >= self.max_retries,
        wait_for_older=waits < MAX_WAITS,
    )
    if outcome == AttemptOutcome.WAIT:
        # A new job, not a retry: waiting must not use up the delivery's tries, so the
        # retry count is carried over as it is.
        deliver_webhook.apply_async(
            args=(delivery_id,),
            kwargs={"waits": waits + 1},
            countdown=backoff_countdown(waits, base=WAIT_BACKOFF, maximum=WAIT_BACKOFF_MAX),
            retries=retries,
        )
    elif outcome == AttemptOutcome.RETRY:
        countdown = backoff_countdown(
            retries, base=settings.WEBHOOK_RETRY_BACKOFF, maximum=settings.WEBHOOK_RETRY_BACKOFF_MAX
        )
        raise self.retry(countdown=countdown)
    return str(outcome)


@shared_task(base=RecordedTask, name="analytics.requeue_stalled_webhooks", max_retries=0)
def requeue_stalled_webhooks() -> int:
    """Queue again pending deliveries whose job was lost, so none stays pending forever.

    Only the oldest pending delivery of each aggregate is queued: the later ones wait
    behind it anyway, and are taken by a later sweep once it is settled.
    """
    queued = 0
    for delivery in webhook_deliveries_stalled():
        # Checked as each is queued, not beforehand: an older one may be settled by now.
        if webhook_delivery_older_pending_exists(delivery=delivery):
            continue
        deliver_webhook.apply_async(args=(delivery.pk,))
        queued += 1
    if queued:
        logger.warning("webhook_delivery.stalled_requeued", extra={"count": queued})
    return queued

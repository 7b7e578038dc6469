"""The delivery job: one try per run, retried with exponential backoff until settled.

The retry policy lives here; what a try does and what its answer means is
`services.webhook_delivery_attempt`.
"""

from celery import shared_task

from analytics.webhooks.services import (
    AttemptOutcome,
    webhook_deliveries_requeue_stalled,
    webhook_delivery_attempt,
)
from tasks.base import RecordedTask, backoff_countdown

# Tries per delivery: 1 + MAX_RETRIES. With the backoff below (30 s, 1 min, 2 min, ... up
# to an hour, each between half and all of that) they span 1.5 to 3 hours, so a receiver's
# short outage or deploy loses nothing; past that, an admin redelivers.
MAX_RETRIES = 9
RETRY_BACKOFF = 30  # seconds before the first retry, doubled each time ...
RETRY_BACKOFF_MAX = 3600  # ... up to an hour
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
    retry_backoff=RETRY_BACKOFF,
    retry_backoff_max=RETRY_BACKOFF_MAX,
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
        raise self.retry(
            countdown=backoff_countdown(retries, base=RETRY_BACKOFF, maximum=RETRY_BACKOFF_MAX)
        )
    return str(outcome)


@shared_task(base=RecordedTask, name="analytics.requeue_stalled_webhooks", max_retries=0)
def requeue_stalled_webhooks() -> int:
    """Queue again pending deliveries whose job was lost, so none stays pending forever."""
    return webhook_deliveries_requeue_stalled()

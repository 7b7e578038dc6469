"""The outbox consumer that turns stored events into webhook deliveries."""

from analytics.consumers import consumer
from analytics.models import Event
from analytics.webhooks.services import webhook_deliveries_create


# Every type: which ones matter depends on the subscriptions, which change at run time.
@consumer("webhooks", types=None, queue="default")
def create_webhook_deliveries(event: Event) -> None:
    """One delivery per active subscription to the event's type, sent by its own job."""
    webhook_deliveries_create(event=event)

from django.apps import AppConfig

from analytics import events
from config.events.registry import event_types_register

# At import, not in ready(): the admin's autodiscovery (the first app's ready()) and the
# modules it imports read the event types (config.events.registry).
event_types_register(events.EVENT_TYPES)


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from analytics import receivers, selectors
        from config.events.bus import event_committed, event_recorded
        from config.events.store import event_store_reader_register

        event_recorded.connect(receivers.store_event, dispatch_uid="analytics.store_event")
        event_committed.connect(receivers.log_activity, dispatch_uid="analytics.log_activity")
        event_committed.connect(
            receivers.dispatch_event_jobs, dispatch_uid="analytics.dispatch_event_jobs"
        )
        event_committed.connect(receivers.count_post_view, dispatch_uid="analytics.count_post_view")
        # The lockout of accounts reads the failures it recorded (config.events.store).
        event_store_reader_register(selectors.event_times_list)

        # Registers the `analytics` outbox consumer (daily stats roll-ups).
        from analytics import rollups  # noqa: F401

        # Registers the `webhooks` outbox consumer and the `analytics.deliver_webhook` job.
        from analytics.webhooks import consumers as webhook_consumers  # noqa: F401
        from analytics.webhooks import tasks as webhook_tasks  # noqa: F401

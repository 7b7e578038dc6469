from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from analytics import receivers
        from config.events.bus import event_committed, event_recorded

        event_recorded.connect(receivers.store_event, dispatch_uid="analytics.store_event")
        event_committed.connect(receivers.log_activity, dispatch_uid="analytics.log_activity")
        event_committed.connect(
            receivers.dispatch_event_jobs, dispatch_uid="analytics.dispatch_event_jobs"
        )
        event_committed.connect(receivers.count_post_view, dispatch_uid="analytics.count_post_view")

        # Registers the `analytics` outbox consumer (daily stats roll-ups).
        from analytics import rollups  # noqa: F401

        # Registers the `webhooks` outbox consumer and the `analytics.deliver_webhook` job.
        from analytics.webhooks import consumers as webhook_consumers  # noqa: F401
        from analytics.webhooks import tasks as webhook_tasks  # noqa: F401

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

        from analytics import metrics
        from config.observability.metrics.collectors import metrics_source_register

        metrics_source_register("database", metrics.webhook_metric_families)
        metrics_source_register("views", metrics.view_metric_families)

        # Registers the `analytics` outbox consumer (daily stats roll-ups).
        # Registers the `notifications` consumer and its e-mail templates (and so the
        # `tasks.send_email` job) in every process: web, workers, commands.
        from analytics import (
            notifications,  # noqa: F401
            rollups,  # noqa: F401
        )

        # The report job (`tasks.generate_report`); old reports go with old job records.
        from analytics.reports import tasks as report_tasks  # noqa: F401
        from analytics.reports.services import report_purge_expired

        # Registers the `webhooks` outbox consumer and the `analytics.deliver_webhook` job.
        from analytics.webhooks import consumers as webhook_consumers  # noqa: F401
        from analytics.webhooks import tasks as webhook_tasks  # noqa: F401
        from tasks.retention import retention_purge_register

        retention_purge_register("reports", report_purge_expired)

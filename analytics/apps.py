from django.apps import AppConfig

from analytics import events
from config.events.registry import event_types_register

# At import, not in ready(): the admin's autodiscovery (the first app's ready()) and the
# modules it imports read the event types (config.events.registry).
event_types_register(events.EVENT_TYPES)


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Imported for what they register: the outbox consumers `analytics` (daily stats
        # roll-ups), `notifications` (and their e-mail templates) and `webhooks`, and the
        # jobs `analytics.deliver_webhook` and `tasks.generate_report`, in every process.
        from analytics import (
            metrics,
            notifications,  # noqa: F401
            receivers,
            rollups,  # noqa: F401
            selectors,
        )
        from analytics.reports import tasks as report_tasks  # noqa: F401
        from analytics.reports.services import report_purge_expired
        from analytics.webhooks import consumers as webhook_consumers  # noqa: F401
        from analytics.webhooks import tasks as webhook_tasks  # noqa: F401
        from blog.selectors.view_counts import post_view_count_reader_register
        from config.events.bus import event_committed, event_recorded
        from config.events.store import event_store_reader_register
        from config.observability.metrics.collectors import metrics_source_register
        from tasks.retention import retention_purge_register

        event_recorded.connect(receivers.store_event, dispatch_uid="analytics.store_event")
        event_committed.connect(receivers.log_activity, dispatch_uid="analytics.log_activity")
        event_committed.connect(
            receivers.dispatch_event_jobs, dispatch_uid="analytics.dispatch_event_jobs"
        )
        event_committed.connect(receivers.count_post_view, dispatch_uid="analytics.count_post_view")
        # The lockout of accounts reads the failures it recorded (config.events.store).
        event_store_reader_register(selectors.event_times_list)
        # The blog's detail shows the live view count, pending views in Redis included.
        post_view_count_reader_register(selectors.post_view_count_live_of)
        metrics_source_register("database", metrics.webhook_metric_families)
        metrics_source_register("views", metrics.view_metric_families)
        # Old reports go with old job records (the daily `tasks.purge_jobs`).
        retention_purge_register("reports", report_purge_expired)

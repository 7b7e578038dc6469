"""analytics' metrics, read at scrape time (registered with
`config.observability.metrics.collectors` by AnalyticsConfig.ready()): webhook deliveries
and attempts (source `database`), the views counted in Redis and not yet flushed (source
`views`)."""

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from analytics import counters
from analytics.models import DeliveryStatus, WebhookAttempt, WebhookDelivery


def webhook_metric_families() -> list[Metric]:
    deliveries = GaugeMetricFamily(
        "blog_webhook_deliveries",
        "Webhook deliveries (one event to one subscription) by status: pending, "
        "delivered, failed (given up).",
        labels=["status"],
    )
    by_status = dict.fromkeys(DeliveryStatus.values, 0)
    for row in WebhookDelivery.objects.order_by().values("status").annotate(n=Count("pk")):
        by_status[row["status"]] = row["n"]
    for status, n in sorted(by_status.items()):
        deliveries.add_metric([status], n)

    attempts = GaugeMetricFamily(
        "blog_webhook_attempts",
        "HTTP attempts of webhook deliveries by outcome (succeeded, failed).",
        labels=["outcome"],
    )
    by_outcome = {"succeeded": 0, "failed": 0}
    for group in WebhookAttempt.objects.order_by().values("succeeded").annotate(n=Count("pk")):
        by_outcome["succeeded" if group["succeeded"] else "failed"] += group["n"]
    for outcome, n in sorted(by_outcome.items()):
        attempts.add_metric([outcome], n)

    return [deliveries, attempts]


def view_metric_families() -> list[Metric] | None:
    if not counters.view_counter_enabled():
        return None  # views are counted in the database directly: nothing pending
    views, batches = counters.view_pending_totals()
    return [
        GaugeMetricFamily(
            "blog_views_pending",
            "Post views counted in Redis and not yet flushed to the database.",
            value=views,
        ),
        GaugeMetricFamily(
            "blog_views_pending_batches",
            "Staged view batches a flush has still to apply (a few at most).",
            value=batches,
        ),
    ]

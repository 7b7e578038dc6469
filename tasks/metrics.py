"""The job system's metrics, read from the job records at scrape time (registered with
`config.observability.metrics.collectors` by TasksConfig.ready(), source `database`)."""

from django.db.models import Count, Sum
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily

from tasks.models import FINISHED_STATUSES, JobRecord


def job_metric_families() -> list[Metric]:
    jobs = GaugeMetricFamily(
        "blog_jobs",
        "Job records by job name and status (records are kept JOB_RETENTION_DAYS).",
        labels=["name", "status"],
    )
    durations = SummaryMetricFamily(
        "blog_job_duration_seconds",
        "Run time of finished jobs by name and final status (over the records kept).",
        labels=["name", "status"],
    )
    rows = (
        JobRecord.objects.order_by()
        .values("name", "status")
        .annotate(n=Count("pk"), timed=Count("duration_ms"), total_ms=Sum("duration_ms"))
    )
    for row in rows:
        labels = [row["name"], row["status"]]
        jobs.add_metric(labels, row["n"])
        if row["status"] in FINISHED_STATUSES and row["timed"]:
            durations.add_metric(labels, row["timed"], (row["total_ms"] or 0) / 1000)
    return [jobs, durations]

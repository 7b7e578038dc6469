"""The job system's metrics, read from the job records at scrape time (registered with
`config.observability.metrics.collectors` by TasksConfig.ready(), source `database`)."""

from datetime import timedelta

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily

from tasks.models import FINISHED_STATUSES, JobRecord, JobStatus

# The sweep runs every few seconds: a job due for longer than this was not sent.
OVERDUE_AFTER = timedelta(minutes=1)


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
    return [jobs, durations, *_waiting_families()]


def _waiting_families() -> list[Metric]:
    now = timezone.now()
    waiting = JobRecord.objects.filter(
        status__in=(JobStatus.PENDING, JobStatus.RETRYING), run_after__isnull=False
    ).aggregate(
        waiting=Count("pk"),
        overdue=Count("pk", filter=Q(run_after__lt=now - OVERDUE_AFTER)),
        oldest=Min("run_after"),
    )
    oldest = waiting["oldest"]
    return [
        GaugeMetricFamily(
            "blog_jobs_waiting",
            "Jobs waiting in the database for their time (retry backoffs, countdowns).",
            value=waiting["waiting"],
        ),
        GaugeMetricFamily(
            "blog_jobs_overdue",
            "Waiting jobs due for more than a minute and not sent yet: the beat's sweep "
            "is not running, or the broker refuses messages.",
            value=waiting["overdue"],
        ),
        GaugeMetricFamily(
            "blog_jobs_overdue_seconds",
            "How long the most overdue waiting job has been due (0 when none is).",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        ),
    ]

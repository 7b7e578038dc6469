"""The beat schedule and the queue of each job, kept in one place."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # A scheduled post goes live at most ~30 s (plus a job's run time) after its time.
    "publish-due-posts": {"task": "blog.publish_due_posts", "schedule": 30.0},
    # Events whose dispatch after commit was lost are handed to the queue again.
    "relay-events": {"task": "analytics.relay_events", "schedule": 30.0},
    # Views counted in Redis reach Post.view_count and the daily stats within a minute.
    "flush-view-counts": {"task": "analytics.flush_view_counts", "schedule": 60.0},
    # Events past their retention (EVENT_RETENTION_DAYS...) go once a day, off-peak (UTC).
    "purge-events": {"task": "analytics.purge_events", "schedule": crontab(hour=3, minute=15)},
    # Webhook deliveries whose job was lost (broker down when queued) are queued again.
    "requeue-stalled-webhooks": {"task": "analytics.requeue_stalled_webhooks", "schedule": 600.0},
    # Job records and reports past their retention (JOB_/REPORT_RETENTION_DAYS), off-peak.
    "purge-jobs": {"task": "tasks.purge_jobs", "schedule": crontab(hour=3, minute=45)},
    # Refresh tokens past their expiry, with their blacklist entries.
    "purge-expired-tokens": {
        "task": "accounts.purge_expired_tokens",
        "schedule": crontab(hour=4, minute=0),
    },
}

# The queues, most urgent first. A job's queue is its priority: workers consume them in
# this order (kombu's Redis `queue_order_strategy: priority`, prefetch 1), so a job on a
# higher queue starts before any queued job of a lower one.
QUEUES = ("critical", "high", "default", "low")

# Queues: critical, high, default, low. Jobs not named here go to `default`.
TASK_ROUTES = {
    "blog.publish_due_posts": {"queue": "high"},
    "analytics.relay_events": {"queue": "high"},
    "analytics.flush_view_counts": {"queue": "low"},
    "analytics.purge_events": {"queue": "low"},
    "analytics.requeue_stalled_webhooks": {"queue": "low"},
    # People wait for these (a welcome, a reply): ahead of reports and roll-ups.
    "tasks.send_email": {"queue": "high"},
    # Reports are big and nobody waits on the second: behind everything else.
    "tasks.generate_report": {"queue": "low"},
    "tasks.purge_jobs": {"queue": "low"},
    "accounts.purge_expired_tokens": {"queue": "low"},
}

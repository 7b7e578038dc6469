"""analytics' beat entries and the queues of its jobs (merged by the settings)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Events whose dispatch after commit was lost are handed to the queue again.
    "relay-events": {"task": "analytics.relay_events", "schedule": 30.0},
    # Views counted in Redis reach Post.view_count and the daily stats within a minute.
    "flush-view-counts": {"task": "analytics.flush_view_counts", "schedule": 60.0},
    # Events past their retention (EVENT_RETENTION_DAYS...) go once a day, off-peak (UTC).
    "purge-events": {"task": "analytics.purge_events", "schedule": crontab(hour=3, minute=15)},
    # Webhook deliveries whose job was lost (broker down when queued) are queued again.
    "requeue-stalled-webhooks": {"task": "analytics.requeue_stalled_webhooks", "schedule": 600.0},
}

TASK_ROUTES = {
    "analytics.relay_events": {"queue": "high"},
    "analytics.flush_view_counts": {"queue": "low"},
    "analytics.purge_events": {"queue": "low"},
    "analytics.requeue_stalled_webhooks": {"queue": "low"},
    # Reports are big and nobody waits on the second: behind everything else.
    "tasks.generate_report": {"queue": "low"},
}

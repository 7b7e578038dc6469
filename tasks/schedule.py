"""The beat schedule and the queue of each job, kept in one place."""

BEAT_SCHEDULE = {
    # A scheduled post goes live at most ~30 s (plus a job's run time) after its time.
    "publish-due-posts": {"task": "blog.publish_due_posts", "schedule": 30.0},
    # Events whose dispatch after commit was lost are handed to the queue again.
    "relay-events": {"task": "analytics.relay_events", "schedule": 30.0},
}

# Queues: critical, high, default, low. Jobs not named here go to `default`.
TASK_ROUTES = {
    "blog.publish_due_posts": {"queue": "high"},
    "analytics.relay_events": {"queue": "high"},
}

"""blog's beat entries and the queues of its jobs (merged by the settings)."""

BEAT_SCHEDULE = {
    # A scheduled post goes live at most ~30 s (plus a job's run time) after its time.
    "publish-due-posts": {"task": "blog.publish_due_posts", "schedule": 30.0},
    # Redirects' hits counted in Redis reach Redirect.hits within a minute.
    "flush-redirect-hits": {"task": "blog.flush_redirect_hits", "schedule": 60.0},
}

TASK_ROUTES = {
    "blog.publish_due_posts": {"queue": "high"},
    "blog.flush_redirect_hits": {"queue": "low"},
    # After each upload; the uploader does not wait for it.
    "blog.media_make_renditions": {"queue": "default"},
}

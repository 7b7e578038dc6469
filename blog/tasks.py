"""The blog's background jobs: thin wrappers that call a service."""

from celery import shared_task

from blog.services.posts import post_publish_due


@shared_task(name="blog.publish_due_posts", ignore_result=True)
def publish_due_posts() -> int:
    """Publish scheduled posts whose time has come (run every 30 s by the beat)."""
    return len(post_publish_due())

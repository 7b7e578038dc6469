"""The blog's background jobs: thin wrappers that call a service."""

from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from blog.services.post_media import posts_rerender_for_media as _posts_rerender_for_media
from blog.services.posts import post_publish_due
from tasks.base import RecordedTask


@shared_task(base=RecordedTask, name="blog.publish_due_posts", max_retries=0)
def publish_due_posts() -> int:
    """Publish scheduled posts whose time has come (run every 30 s by the beat)."""
    return len(post_publish_due())


@shared_task(base=RecordedTask, name="blog.posts_rerender_for_media")
def posts_rerender_for_media(media_id: int) -> int:
    """Render again the posts that show a media that changed (`blog.services.post_media`)."""
    return len(_posts_rerender_for_media(media_id=media_id))


@worker_ready.connect(dispatch_uid="blog.publish_overdue_at_worker_start")
def publish_overdue_at_worker_start(sender: object = None, **kwargs: Any) -> None:
    """Posts that fell due while no worker ran go live as soon as one starts."""
    publish_due_posts.delay()

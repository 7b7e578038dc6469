"""The blog's background jobs: thin wrappers that call a service."""

from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from blog.services.post_media import posts_rerender_for_media as _posts_rerender_for_media
from blog.services.posts import post_publish_due
from blog.services.redirects import redirect_hits_flush
from blog.services.renditions import media_renditions_fail, media_renditions_make
from tasks.base import RecordedTask


@shared_task(base=RecordedTask, name="blog.publish_due_posts", max_retries=0)
def publish_due_posts() -> int:
    """Publish scheduled posts whose time has come (run every 30 s by the beat)."""
    return len(post_publish_due())


@shared_task(base=RecordedTask, name="blog.flush_redirect_hits", max_retries=0)
def flush_redirect_hits() -> int:
    """Add the redirects' hits counted in Redis to the database (every minute, by the
    beat; with Redis away it fails and the hits wait there for the next run)."""
    return redirect_hits_flush()


@shared_task(base=RecordedTask, name="blog.posts_rerender_for_media")
def posts_rerender_for_media(media_id: int) -> int:
    """Render again the posts that show a media that changed (`blog.services.post_media`)."""
    return len(_posts_rerender_for_media(media_id=media_id))


@worker_ready.connect(dispatch_uid="blog.publish_overdue_at_worker_start")
def publish_overdue_at_worker_start(sender: object = None, **kwargs: Any) -> None:
    """Posts that fell due while no worker ran go live as soon as one starts."""
    publish_due_posts.delay()


class MediaRenditionsTask(RecordedTask):
    """Media whose renditions job gives up is marked failed, not left `processing`."""

    abstract = True

    def on_give_up(self, exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        media_id = (list(args or ()) or [kwargs.get("media_id")])[0]
        if media_id:
            media_renditions_fail(media_id=media_id, error=f"{type(exc).__name__}: {exc}")


# Queue `default` (blog/schedule.py). A 40-megapixel photo takes seconds; an animation
# near the pixel limit (its frames together) a minute on a busy machine: see
# docs/operations.md ("Time limits").
@shared_task(
    base=MediaRenditionsTask,
    name="blog.media_make_renditions",
    max_retries=3,
    soft_time_limit=120,
    time_limit=150,
)
def media_make_renditions(media_id: int) -> dict[str, Any]:
    """Make a media object's renditions (after its upload, or when rebuilt)."""
    media = media_renditions_make(media_id=media_id)
    if media is None:
        return {"media": media_id, "skipped": "deleted"}
    return {"media": media.pk, "status": media.status, "renditions": sorted(media.renditions)}

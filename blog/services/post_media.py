"""Images of the media library in posts: the rendered body gives them their size, alt
text, `loading="lazy"` and a `srcset` of their renditions, and follows the media.

This is done when the body is rendered (on save), not on every read: `body_html` stays
the one rendered form that the API, the pages and the feeds all serve, and reads cost
what they cost before. A media changes after the posts that show it were saved (its
renditions are made by a job after the upload, its alt text can be edited), so those
posts are rendered again then (`posts_rerender_for_media`, a job queued by
`blog.receivers` on `media.processed` and `media.updated`).
"""

from django.db import transaction

from blog.models import BodyFormat, Media, Post
from blog.rendering import annotate_images, image_sources, render_body
from blog.selectors.library_images import library_image_attributes, media_post_ids_in_body
from config.cache import invalidate


def post_body_render(body: str, body_format: str = BodyFormat.MARKDOWN) -> str:
    """The body's safe HTML, library images annotated (one query when it shows any)."""
    html = render_body(body, body_format)
    return annotate_images(html, library_image_attributes(image_sources(html)))


def _invalidate_posts(post_ids: list[int]) -> None:
    invalidate("posts", *(f"post:{pk}" for pk in post_ids))


@transaction.atomic
def posts_rerender_for_media(*, media_id: int) -> list[int]:
    """Render again the body of every post that shows the media; returns the ids of those
    whose HTML changed. They count as changed (`updated_at`, hence their ETag), but keep
    no revision and publish no event: the author's text is the same. Their cached reads
    are invalidated after the commit."""
    media = Media.objects.filter(pk=media_id).first()
    if media is None:
        return []
    changed = []
    candidates = Post.objects.select_for_update().filter(pk__in=media_post_ids_in_body(media=media))
    for post in candidates.order_by("pk"):
        html = post_body_render(post.body, post.body_format)
        if html != post.body_html:
            post.body_html = html
            post.save(update_fields=["body_html", "updated_at"])
            changed.append(post.pk)
    if changed:
        transaction.on_commit(lambda: _invalidate_posts(changed), robust=True)
    return changed

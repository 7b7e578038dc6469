"""After-commit receivers of the blog's domain events (see `config.events.bus`)."""

from typing import Any

from blog import tasks
from blog.selectors.library_images import media_featured_post_ids, media_in_some_body
from config.cache import invalidate
from config.events.bus import DomainEvent

# Events that change nothing a cached read shows.
_NO_CACHE_EFFECT = frozenset(
    {"post.viewed", "user.logged_in", "user.login_failed", "user.login_unlocked"}
)
# User events that change what lists of posts show about their author.
_USER_SHOWN_ON_POSTS = frozenset({"user.updated", "user.deactivated", "user.activated"})
# Media events that change what a post shows of its images (a new media is in no post).
_MEDIA_SHOWN_IN_POSTS = frozenset({"media.updated", "media.processed", "media.deleted"})


def _media_id(event: DomainEvent) -> int | None:
    raw = (event.data or {}).get("media_id") or event.aggregate_id
    return int(raw) if str(raw).isdigit() else None


def cache_namespaces_for_event(event: DomainEvent) -> list[str]:
    """The cache namespaces an event makes stale:

    - `post.*` (created, updated, scheduled, published, unpublished, archived, deleted):
      `posts` (lists, and the post counts of profiles), `post:<id>` (its detail),
      `categories` and `tags` (their post counts);
    - `comment.*`: `post:<post_id>` (its comment count) and `posts` (counts in lists);
    - `category.*` and `tag.*`: their list, `posts` (lists show them) and `taxonomy`
      (every post's detail shows its category's name and its tags);
    - `user.*`: `user:<id>` (the profile, and the author's name on their posts' details);
      a changed name or an account (de)activated also `posts`, whose lists show names;
    - `media.updated`, `media.processed`, `media.deleted`: `posts` and `post:<id>` of each
      post that has the media as its featured image (one query finds them), none when
      no post has; the posts that show it in their body are rendered again by a job
      (`rerender_posts_for_media`), which invalidates them after its commit;
    - `redirect.*`: `redirects` (the 404 fallback's cached lookups, misses included);
    - `post.viewed`, `user.logged_in`, `user.login_failed` and the other types: none (view
      counts are invalidated by their flush; a login changes no public field).
    """
    if event.type in _NO_CACHE_EFFECT:
        return []
    family = event.type.split(".", 1)[0]
    data = event.data or {}
    if family == "post":
        return ["posts", f"post:{event.aggregate_id}", "categories", "tags"]
    if family == "comment":
        return [f"post:{data['post_id']}", "posts"] if data.get("post_id") else ["posts"]
    if family == "redirect":
        return ["redirects"]
    if family == "category":
        return ["categories", "posts", "taxonomy"]
    if family == "tag":
        return ["tags", "posts", "taxonomy"]
    if event.type in _MEDIA_SHOWN_IN_POSTS:
        media_id = _media_id(event)
        post_ids = media_featured_post_ids(media_id=media_id) if media_id else []
        return ["posts", *(f"post:{pk}" for pk in post_ids)] if post_ids else []
    if family == "user" and event.aggregate_id:
        if event.type in _USER_SHOWN_ON_POSTS:
            return [f"user:{event.aggregate_id}", "posts"]
        return [f"user:{event.aggregate_id}"]
    return []


def invalidate_cache_for_event(sender: object, event: DomainEvent, **kwargs: Any) -> None:
    """After commit: invalidate exactly the namespaces the event touches
    (`cache_namespaces_for_event`), O(1) each. If Redis cannot be reached the failure is
    logged and counted by `config.cache`, which makes the invalidation when Redis answers
    again."""
    namespaces = cache_namespaces_for_event(event)
    if namespaces:
        invalidate(*namespaces)


def rerender_posts_for_media(sender: object, event: DomainEvent, **kwargs: Any) -> None:
    """After a media's renditions were made or its alt text changed: queue the job that
    renders again the posts showing it in their body (when there are any)."""
    if event.type not in ("media.processed", "media.updated"):
        return
    fields = (event.data or {}).get("fields")
    if event.type == "media.updated" and fields is not None and "alt_text" not in fields:
        return  # a caption is not in the body's HTML
    media_id = _media_id(event)
    if media_id and media_in_some_body(media_id=media_id):
        tasks.posts_rerender_for_media.delay(media_id)

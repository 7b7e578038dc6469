"""After-commit receivers of the blog's domain events (see `config.events`)."""

from config.cache import invalidate
from config.events import DomainEvent

# Events that change nothing a cached read shows.
_NO_CACHE_EFFECT = frozenset({"post.viewed", "user.logged_in", "user.login_failed"})


def cache_namespaces_for_event(event: DomainEvent) -> list[str]:
    """The cache namespaces an event makes stale:

    - `post.*` (created, updated, scheduled, published, unpublished, archived, deleted):
      `posts`, `post:<id>`, `categories` and `tags` (their post counts), and
      `user:<author_id>` when the payload names the author (created, published);
    - `comment.*`: `post:<post_id>` (its comments and count) and `posts` (counts in lists);
    - `category.*`: `categories` and `posts` (lists show and filter by category);
    - `user.*`: `user:<id>` (the public profile);
    - `post.viewed`, `user.logged_in`, `user.login_failed` and the other types: none (view
      counts are not cached reads; a login changes no public field).
    """
    if event.type in _NO_CACHE_EFFECT:
        return []
    family = event.type.split(".", 1)[0]
    data = event.data or {}
    if family == "post":
        namespaces = ["posts", f"post:{event.aggregate_id}", "categories", "tags"]
        if data.get("author_id") is not None:
            namespaces.append(f"user:{data['author_id']}")
        return namespaces
    if family == "comment":
        return [f"post:{data['post_id']}", "posts"] if data.get("post_id") else ["posts"]
    if family == "category":
        return ["categories", "posts"]
    if family == "user" and event.aggregate_id:
        return [f"user:{event.aggregate_id}"]
    return []


def invalidate_cache_for_event(sender, event: DomainEvent, **kwargs) -> None:
    """After commit: invalidate exactly the namespaces the event touches
    (`cache_namespaces_for_event`), O(1) each. If Redis cannot be reached the failure is
    logged and counted by `config.cache`, and values cached before it expire by their
    TTL."""
    namespaces = cache_namespaces_for_event(event)
    if namespaces:
        invalidate(*namespaces)

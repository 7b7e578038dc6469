"""The domain events blog publishes: type -> (aggregate, payload keys).

Registered by blog/apps.py (see `config.events.registry`).
"""

from config.events.registry import EventType

EVENT_TYPES = {
    "post.created": EventType("post", ("slug", "status", "author_id")),
    "post.updated": EventType("post", ("slug", "fields")),
    "post.scheduled": EventType("post", ("slug", "publish_at")),
    "post.published": EventType("post", ("slug", "published_at", "author_id")),
    "post.unpublished": EventType("post", ("slug",)),
    "post.archived": EventType("post", ("slug",)),
    "post.deleted": EventType("post", ("slug",)),
    "post.viewed": EventType("post", ("slug",)),
    "comment.created": EventType("comment", ("post_id", "parent_id", "status", "author_id")),
    "comment.updated": EventType("comment", ("post_id", "status")),
    "comment.moderated": EventType("comment", ("post_id", "old_status", "new_status")),
    "comment.deleted": EventType("comment", ("post_id",)),
    "category.created": EventType("category", ("slug", "parent")),
    # `parent`: the parent's slug after the change (null for a root), whatever changed.
    "category.updated": EventType("category", ("slug", "fields", "parent")),
    "category.deleted": EventType("category", ("slug",)),
    "tag.created": EventType("tag", ("slug",)),
    "tag.updated": EventType("tag", ("slug", "fields")),
    "tag.deleted": EventType("tag", ("slug",)),
    "media.uploaded": EventType("media", ("media_id", "content_type")),
    "media.updated": EventType("media", ("media_id", "fields")),
    # Its renditions made (`status` ready) or given up on (`failed`).
    "media.processed": EventType("media", ("media_id", "status")),
    "media.deleted": EventType("media", ("media_id",)),
    "redirect.created": EventType("redirect", ("old_path", "target", "status_code")),
    "redirect.deleted": EventType("redirect", ("old_path",)),
}

# Published with `store=False`: one row per view would swamp the store; views feed the
# counters only.
NOT_STORED = frozenset({"post.viewed"})

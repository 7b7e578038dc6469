"""Views of posts: counting one, and the detail read that counts it."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from accounts.requests import RequestUser
from blog.models import Post
from blog.selectors.public_reads import PostDetail, post_detail_read
from blog.selectors.view_counts import post_view_count_live_read
from config.events.bus import publish


def post_count_view(*, post_id: int, slug: str) -> None:
    """Count one view of a published post: a `post.viewed` event, not stored one row per
    view; the view counter (`analytics.receivers.count_post_view`) does the counting.
    Ids, not the post: a view served from the cache loads no post."""
    publish("post.viewed", aggregate_id=post_id, data={"slug": slug}, store=False)


# Not @transaction.atomic: a view writes nothing to the database here (the counter is
# Redis, its fallback has its own transaction), and a detail served from the cache must
# not even open a connection.
def post_detail_visit(
    *,
    slug: str,
    user: RequestUser | None,
    if_none_match: str | None,
    cache_key: str,
    render: Callable[[Post], Any],
    count_view: bool,
) -> PostDetail | None:
    """A reader's visit of a post's detail: the read (`post_detail_read`), one view
    counted when it serves a published post and `count_view` (a GET: a HEAD reads no
    post), and the live view count in the data, this view included."""
    detail = post_detail_read(
        slug=slug, user=user, if_none_match=if_none_match, cache_key=cache_key, render=render
    )
    if detail is None or detail.viewed_post_id is None:
        return detail
    if count_view:
        post_count_view(post_id=detail.viewed_post_id, slug=detail.data["slug"])
    live = post_view_count_live_read(
        post_id=detail.viewed_post_id,
        stored=detail.data["view_count"],
        just_counted=count_view,
    )
    return replace(detail, data={**detail.data, "view_count": live})

"""The blog's public reads through the cache, answered for the caller's If-None-Match.

Here is decided which reads are cached (those the same for every caller: published posts,
categories, tags), under which family and depending on which namespaces, so that the
invalidations (`blog.receivers`) reach them. The views parse, call one of these, and
render; they pass `render`, which turns what was read into the response data (the links
in it are absolute: the request's scheme and host are in `cache_key`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from accounts.requests import RequestUser
from blog.models import Category, Post, PostStatus, Tag
from blog.selectors import posts as post_selectors
from blog.selectors.taxonomy import category_get, category_list, tag_list
from config.api.conditional import (
    ConditionalRead,
    cached_conditional_read,
    etag_in,
    reads_cached,
)
from config.cache import cache_read
from config.db.filtering import QueryParams


@dataclass(frozen=True)
class PostDetail(ConditionalRead):
    """A post's detail. `viewed_post_id` is set when a published post's data is served:
    that read is a view to count (a 304, or a post in another status, is none)."""

    viewed_post_id: int | None = None


def post_list_read(
    *,
    user: RequestUser | None,
    params: QueryParams,
    if_none_match: str | None,
    cache_key: str,
    render: Callable[[QuerySet[Post]], Any],
) -> ConditionalRead | None:
    """The post list. Published posts are the same list for everyone: cached, tagged;
    other statuses are per caller: neither."""

    def compute() -> Any:
        return render(post_selectors.post_list(user=user, params=params))

    if params.get("status", PostStatus.PUBLISHED) != PostStatus.PUBLISHED:
        return ConditionalRead(data=compute())
    return cached_conditional_read(
        "posts", cache_key, compute, if_none_match=if_none_match, depends_on=("posts",)
    )


def _post_detail_entry(
    *, slug: str, cache_key: str, render: Callable[[Post], Any]
) -> dict[str, Any] | None:
    """A published post's public representation, the same for every caller, from the
    cache (no query) or the database: `{"id", "etag", "data"}`; `{"unpublished": post}`
    (never cached) for a post in another status; None when there is no such post."""

    def compute() -> dict[str, Any] | None:
        post = post_selectors.post_get_by_slug(slug=slug)
        if post is None:
            return None
        if post.status != PostStatus.PUBLISHED:
            return {"unpublished": post}
        return {"id": post.pk, "etag": post_selectors.post_etag(post), "data": render(post)}

    if not reads_cached():
        return compute()
    return cache_read(
        "post",
        cache_key,
        compute,
        depends_on=("taxonomy",),
        resolve=lambda: post_selectors.post_cache_namespaces(slug=slug),
        store_if=lambda entry: entry is not None and "data" in entry,
    )


def post_detail_read(
    *,
    slug: str,
    user: RequestUser | None,
    if_none_match: str | None,
    cache_key: str,
    render: Callable[[Post], Any],
) -> PostDetail | None:
    """A post's detail as `user` may see it, or None (no such post, or not theirs to see).

    A published post comes from the cache: a hit, and a 304, run no query. A post in
    another status (the caller's own draft, an editor's view) is read from the database
    each time, and rendered only when the caller's tag is stale.
    """
    entry = _post_detail_entry(slug=slug, cache_key=cache_key, render=render)
    if entry is None or "data" not in entry:
        post = entry and entry["unpublished"]
        if not post or not post_selectors.post_is_visible_to(post=post, user=user):
            return None
        etag = post_selectors.post_etag(post)
        if etag_in(if_none_match, etag):
            return PostDetail(etag=etag, not_modified=True)
        return PostDetail(data=render(post), etag=etag)
    if etag_in(if_none_match, entry["etag"]):
        return PostDetail(etag=entry["etag"], not_modified=True)
    return PostDetail(data=entry["data"], etag=entry["etag"], viewed_post_id=entry["id"])


def category_list_read(
    *,
    params: QueryParams,
    if_none_match: str | None,
    cache_key: str,
    render: Callable[[list[Category]], Any],
) -> ConditionalRead | None:
    return cached_conditional_read(
        "categories",
        cache_key,
        lambda: render(category_list(params=params)),
        if_none_match=if_none_match,
        depends_on=("categories",),
    )


def category_read(
    *,
    slug: str,
    if_none_match: str | None,
    cache_key: str,
    render: Callable[[Category], Any],
) -> ConditionalRead | None:
    """A category with its published post count, or None."""

    def compute() -> Any:
        category = category_get(slug=slug)
        return None if category is None else render(category)

    return cached_conditional_read(
        "categories",
        cache_key,
        compute,
        if_none_match=if_none_match,
        depends_on=("categories",),
    )


def tag_list_read(
    *,
    params: QueryParams,
    if_none_match: str | None,
    cache_key: str,
    render: Callable[[QuerySet[Tag]], Any],
) -> ConditionalRead | None:
    return cached_conditional_read(
        "tags",
        cache_key,
        lambda: render(tag_list(params=params)),
        if_none_match=if_none_match,
        depends_on=("tags",),
    )

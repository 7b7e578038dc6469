"""Writes on posts: creation, edits with revisions, the publishing lifecycle, deletion."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import (
    Case,
    Expression,
    F,
    Func,
    OuterRef,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from blog.models import BodyFormat, Category, Media, Post, PostStatus, Revision, Tag
from blog.rendering import body_text, make_excerpt, reading_time_minutes
from blog.selectors.posts import post_check_can_edit, post_etag
from blog.services.common import make_slug, save_with_unique_slug
from blog.services.post_media import post_body_render
from config.errors import ConflictError, InvalidInput, PermissionDeniedError, PreconditionFailed
from config.events.bus import publish

_EDITABLE = {
    "title", "body", "body_format", "excerpt", "category", "tags", "allow_comments", "publish_at",
    "featured_image",
}  # fmt: skip
_CREATE_STATUSES = {PostStatus.DRAFT, PostStatus.PUBLISHED}


def _render(post: Post) -> None:
    post.body_html = post_body_render(post.body, post.body_format)
    post.reading_time_minutes = reading_time_minutes(
        body_text(post.body, post.body_format, post.body_html)
    )
    if not post.excerpt:
        post.excerpt = make_excerpt(post.body_html)


def _check_featured_image(media: Media | None, actor: User) -> None:
    """A post shows only media its writer may manage: their own, any for editors."""
    if media is not None and not (actor.is_editor or media.uploaded_by_id == actor.pk):
        raise InvalidInput(
            "You may only use your own media as a featured image.",
            fields={"featured_image": ["Not one of your media."]},
        )


def _resolve_tags(raw_tags: Iterable[object]) -> list[Tag]:
    """Tags by slug; unknown ones are created with the text given as their name."""
    tags: list[Tag] = []
    seen: set[str] = set()
    for raw in raw_tags:
        name = str(raw).strip()
        slug = make_slug(name, fallback="", max_length=120)
        if not slug:
            raise InvalidInput(f"Not a valid tag: {raw!r}.", fields={"tags": ["Invalid tag."]})
        if slug in seen:
            continue
        seen.add(slug)
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name[:100]})
        tags.append(tag)
    return tags


def _regexp_replace(text: Expression | F, pattern: str, replacement: str) -> Func:
    return Func(
        text,
        Value(pattern),
        Value(replacement),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )


# The text of a body, in SQL: Markdown's source as it is, an HTML body's sanitized HTML
# without its tags and entities (so attribute values, embed URLs and tag names are not
# searchable words). Tags as the sanitizer writes them: values double-quoted.
_BODY_TEXT = Case(
    When(
        body_format=BodyFormat.HTML,
        then=_regexp_replace(
            _regexp_replace(F("body_html"), r'<(?:"[^"]*"|[^">])*>', " "),
            r"&[#a-zA-Z0-9]+;",
            " ",
        ),
    ),
    default=F("body"),
    output_field=TextField(),
)


def _search_vector(tag_text: Expression) -> CombinedExpression:
    """The stored search vector: title weighted above tags, tags above the body.
    `tag_text` is an expression of the post's tag names, space-separated."""
    config = settings.SEARCH_CONFIG
    return (
        SearchVector("title", weight="A", config=config)
        + SearchVector(tag_text, weight="B", config=config)
        + SearchVector("excerpt", _BODY_TEXT, weight="C", config=config)
    )


def post_update_search_vector(*, post: Post) -> None:
    """Refresh one post's stored search vector (its tags read here: one query)."""
    if connection.vendor != "postgresql":
        return
    tag_text = " ".join(post.tags.values_list("name", flat=True))
    Post.objects.filter(pk=post.pk).update(search_vector=_search_vector(Value(tag_text)))


def post_search_vectors_refresh(
    *, post_ids: Iterable[int] | None = None, batch_size: int = 1000
) -> int:
    """Recompute the stored search vector of many posts (all, or `post_ids`) in SQL, in
    batches of `batch_size` posts; returns how many were refreshed. For tag renames and
    `manage.py rebuild_search_index` (after a change of SEARCH_CONFIG, say)."""
    if connection.vendor != "postgresql":
        return 0
    names = (
        Tag.objects.filter(posts=OuterRef("pk"))
        .values("posts")
        .annotate(text=StringAgg("name", delimiter=" "))
        .values("text")
    )
    tag_text = Coalesce(
        Subquery(names, output_field=TextField()),
        Value("", output_field=TextField()),
        output_field=TextField(),
    )
    ids = Post.objects.order_by("pk").values_list("pk", flat=True)
    if post_ids is not None:
        ids = ids.filter(pk__in=list(post_ids))
    done, last = 0, 0
    while True:
        chunk = list(ids.filter(pk__gt=last)[:batch_size])
        if not chunk:
            return done
        Post.objects.filter(pk__in=chunk).update(search_vector=_search_vector(tag_text))
        done, last = done + len(chunk), chunk[-1]


def _keep_revision(post: Post, actor: User) -> None:
    Revision.objects.create(
        post=post, title=post.title, body=post.body, body_format=post.body_format, author=actor
    )


def _go_live(post: Post, now: datetime) -> None:
    """Published now, or scheduled when `publish_at` lies in the future."""
    if post.publish_at and post.publish_at > now:
        post.status = PostStatus.SCHEDULED
    else:
        post.status = PostStatus.PUBLISHED
        post.published_at = post.published_at or now


def _publish_went_live(post: Post, actor: User | None) -> None:
    if post.status == PostStatus.SCHEDULED:
        assert post.publish_at is not None  # scheduled means: for that time
        publish(
            "post.scheduled",
            aggregate_id=post.pk,
            actor=actor,
            data={"slug": post.slug, "publish_at": post.publish_at.isoformat()},
        )
    elif post.status == PostStatus.PUBLISHED:
        assert post.published_at is not None  # set by every way to publish
        publish(
            "post.published",
            aggregate_id=post.pk,
            actor=actor,
            data={
                "slug": post.slug,
                "published_at": post.published_at.isoformat(),
                "author_id": post.author_id,
            },
        )


@transaction.atomic
def post_create(
    *,
    author: User,
    title: str,
    body: str,
    body_format: str = BodyFormat.MARKDOWN,
    excerpt: str = "",
    category: Category | None = None,
    tags: Iterable[object] = (),
    status: str = PostStatus.DRAFT,
    publish_at: datetime | None = None,
    allow_comments: bool = True,
    featured_image: Media | None = None,
) -> Post:
    if not author.is_author:
        raise PermissionDeniedError("Only authors, editors and admins may write posts.")
    if status not in _CREATE_STATUSES:
        raise InvalidInput(
            "A new post is a draft or published.",
            fields={"status": ["Must be 'draft' or 'published'."]},
        )
    _check_featured_image(featured_image, author)
    post = Post(
        author=author,
        featured_image=featured_image,
        title=title,
        body=body,
        body_format=body_format,
        excerpt=excerpt,
        category=category,
        allow_comments=allow_comments,
        publish_at=publish_at,
    )
    _render(post)
    if status == PostStatus.PUBLISHED:
        _go_live(post, timezone.now())
    save_with_unique_slug(post, make_slug(title, fallback="post", max_length=220))
    post.tags.set(_resolve_tags(tags))
    _keep_revision(post, author)
    post_update_search_vector(post=post)
    publish(
        "post.created",
        aggregate_id=post.pk,
        actor=author,
        data={"slug": post.slug, "status": post.status, "author_id": author.pk},
    )
    _publish_went_live(post, author)
    return post


def _lock(post: Post) -> Post:
    # With its featured image (for the ETag), locking only the post's row.
    return (
        Post.objects.select_related("featured_image")
        .select_for_update(of=("self",))
        .get(pk=post.pk)
    )


def _check_etag(post: Post, if_match: str | None) -> None:
    if if_match is None:
        return
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" not in candidates and post_etag(post) not in candidates:
        raise PreconditionFailed("The post was changed since you read it (stale If-Match).")


@transaction.atomic
def post_update(*, post: Post, actor: User, if_match: str | None = None, **changes: Any) -> Post:
    """Edit a post; a change of title or body keeps a revision. `status` moves it along
    its lifecycle through the same rules as the publish/unpublish/archive services."""
    post_check_can_edit(post=post, actor=actor)
    post = _lock(post)
    _check_etag(post, if_match)
    status = changes.pop("status", None)
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise InvalidInput(f"Not editable: {', '.join(sorted(unknown))}")

    tags = changes.pop("tags", None)
    # An excerpt derived from the body follows the body; one written by hand stays.
    derived_excerpt = post.excerpt == make_excerpt(post.body_html)
    # Only what differs is a change: a PATCH that repeats a value records no event for it.
    changed = {name for name, value in changes.items() if getattr(post, name) != value}
    if "featured_image" in changed:
        _check_featured_image(changes["featured_image"], actor)
    text_changed = bool(changed & {"title", "body", "body_format"})
    for name, value in changes.items():
        setattr(post, name, value)
    if changes.keys() & {"body", "body_format", "excerpt"}:
        if derived_excerpt and "excerpt" not in changes:
            post.excerpt = ""
        _render(post)
    status_before = post.status
    if post.status == PostStatus.SCHEDULED and "publish_at" in changes:
        # Rescheduling: a time in the past (or none) means "publish now".
        post.status = PostStatus.DRAFT
        _go_live(post, timezone.now())
    post.save()
    if tags is not None:
        new_tags = _resolve_tags(tags)
        if {tag.pk for tag in new_tags} != set(post.tags.values_list("pk", flat=True)):
            post.tags.set(new_tags)
            changed.add("tags")
    if text_changed:
        _keep_revision(post, actor)
    if changed & {"title", "body", "body_format", "excerpt", "tags"}:
        post_update_search_vector(post=post)
    if changed:
        publish(
            "post.updated",
            aggregate_id=post.pk,
            actor=actor,
            data={"slug": post.slug, "fields": sorted(changed)},
        )
    if post.status != status_before:
        _publish_went_live(post, actor)
    if status is not None and status != post.status:
        post = _transition(post, actor, status)
    return post


def _transition(post: Post, actor: User, status: str) -> Post:
    transitions: dict[str, Callable[..., Post]] = {
        PostStatus.PUBLISHED: post_publish,
        PostStatus.SCHEDULED: post_publish,
        PostStatus.DRAFT: post_unpublish,
        PostStatus.ARCHIVED: post_archive,
    }
    if status not in transitions:
        raise InvalidInput(f"Unknown status {status!r}.", fields={"status": ["Unknown status."]})
    return transitions[status](post=post, actor=actor)


@transaction.atomic
def post_publish(*, post: Post, actor: User) -> Post:
    """Publish now, or schedule when `publish_at` is in the future."""
    post_check_can_edit(post=post, actor=actor)
    post = _lock(post)
    before = post.status
    _go_live(post, timezone.now())
    if post.status == before:
        raise ConflictError(f"The post is already {before}.")
    post.save(update_fields=["status", "published_at", "updated_at"])
    _publish_went_live(post, actor)
    return post


@transaction.atomic
def post_unpublish(*, post: Post, actor: User) -> Post:
    """Take a published or scheduled post back to draft."""
    post_check_can_edit(post=post, actor=actor)
    post = _lock(post)
    if post.status not in (PostStatus.PUBLISHED, PostStatus.SCHEDULED):
        raise ConflictError(
            f"Only published or scheduled posts can be unpublished, not {post.status}."
        )
    post.status = PostStatus.DRAFT
    post.published_at = None
    post.save(update_fields=["status", "published_at", "updated_at"])
    publish("post.unpublished", aggregate_id=post.pk, actor=actor, data={"slug": post.slug})
    return post


@transaction.atomic
def post_archive(*, post: Post, actor: User) -> Post:
    post_check_can_edit(post=post, actor=actor)
    post = _lock(post)
    if post.status == PostStatus.ARCHIVED:
        raise ConflictError("The post is already archived.")
    post.status = PostStatus.ARCHIVED
    post.save(update_fields=["status", "updated_at"])
    publish("post.archived", aggregate_id=post.pk, actor=actor, data={"slug": post.slug})
    return post


@transaction.atomic
def post_delete(*, post: Post, actor: User) -> None:
    post_check_can_edit(post=post, actor=actor)
    post_id, slug = post.pk, post.slug
    post.delete()
    publish("post.deleted", aggregate_id=post_id, actor=actor, data={"slug": slug})


def post_publish_due(*, now: datetime | None = None, batch_size: int = 100) -> list[int]:
    """Publish every scheduled post whose time has come; returns their ids.

    Each post is published in its own transaction, locked with SKIP LOCKED, so two
    schedulers running at once never publish a post twice.
    """
    now = now or timezone.now()
    published: list[int] = []
    while True:
        with transaction.atomic():
            due = list(
                Post.objects.select_for_update(skip_locked=True)
                .filter(status=PostStatus.SCHEDULED, publish_at__lte=now)
                .order_by("publish_at", "id")[:batch_size]
            )
            for post in due:
                post.status = PostStatus.PUBLISHED
                post.published_at = post.published_at or post.publish_at
                post.save(update_fields=["status", "published_at", "updated_at"])
                _publish_went_live(post, None)
                published.append(post.pk)
        if len(due) < batch_size:
            return published

"""Writes on comments: posting and replying, editing, deleting, moderation."""

import re

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from blog.models import Comment, CommentStatus, Post, PostStatus
from config.errors import InvalidInput, PermissionDeniedError
from config.events.bus import publish

_LINK = re.compile(r"https?://|www\.|\[[^\]]*\]\([^)]*\)", re.IGNORECASE)


def _looks_like_spam(body: str) -> bool:
    return len(_LINK.findall(body)) > settings.COMMENT_MAX_LINKS


def _initial_status(author: User, body: str) -> str:
    if author.is_editor:
        return CommentStatus.APPROVED
    if settings.COMMENTS_REQUIRE_MODERATION or _looks_like_spam(body):
        return CommentStatus.PENDING
    return CommentStatus.APPROVED


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput("A comment needs a body.", fields={"body": ["This field is required."]})
    return body


def post_refresh_comment_count(*, post_id: int) -> None:
    """Recount the approved comments of a post (the denormalized `comment_count`)."""
    approved = (
        Comment.objects.filter(post=OuterRef("pk"), status=CommentStatus.APPROVED)
        .order_by()
        .values("post")
        .annotate(n=Count("id"))
        .values("n")
    )
    Post.objects.filter(pk=post_id).update(comment_count=Coalesce(Subquery(approved), 0))


def comment_check_can_edit(*, comment: Comment, actor: User) -> None:
    if not (actor.is_editor or comment.author_id == actor.pk):
        raise PermissionDeniedError("Only the comment's author and editors may change it.")


@transaction.atomic
def comment_create(*, post: Post, author: User, body: str, parent_id: int | None = None) -> Comment:
    """Comment on a published post that allows comments, or reply to a comment on it."""
    if post.status != PostStatus.PUBLISHED or not post.allow_comments:
        raise PermissionDeniedError("Comments are closed on this post.", code="comments_closed")
    body = _clean_body(body)
    parent = None
    if parent_id is not None:
        parent = (
            Comment.objects.filter(pk=parent_id, post=post)
            .filter(Q(status=CommentStatus.APPROVED) | Q(author=author))
            .first()
        )
        if parent is None:
            raise InvalidInput(
                "The parent must be a comment on the same post.",
                fields={"parent": ["Must be a comment on the same post."]},
            )
    comment = Comment.objects.create(
        post=post, author=author, parent=parent, body=body, status=_initial_status(author, body)
    )
    post_refresh_comment_count(post_id=post.pk)
    publish(
        "comment.created",
        aggregate_id=comment.pk,
        actor=author,
        data={
            "post_id": post.pk,
            "parent_id": comment.parent_id,
            "status": comment.status,
            "author_id": author.pk,
        },
    )
    return comment


@transaction.atomic
def comment_update(*, comment: Comment, actor: User, body: str) -> Comment:
    comment_check_can_edit(comment=comment, actor=actor)
    comment.body = _clean_body(body)
    # An edit must not slip spam past moderation.
    spammy = not actor.is_editor and _looks_like_spam(comment.body)
    if comment.status == CommentStatus.APPROVED and spammy:
        comment.status = CommentStatus.PENDING
    comment.save(update_fields=["body", "status", "updated_at"])
    post_refresh_comment_count(post_id=comment.post_id)
    publish(
        "comment.updated",
        aggregate_id=comment.pk,
        actor=actor,
        data={"post_id": comment.post_id, "status": comment.status},
    )
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, actor: User) -> None:
    comment_check_can_edit(comment=comment, actor=actor)
    post_id, comment_id = comment.post_id, comment.pk
    comment.delete()
    post_refresh_comment_count(post_id=post_id)
    publish("comment.deleted", aggregate_id=comment_id, actor=actor, data={"post_id": post_id})


@transaction.atomic
def comment_moderate(*, comment: Comment, actor: User, status: str) -> Comment:
    """Set a comment's moderation status (editors only)."""
    if not actor.is_editor:
        raise PermissionDeniedError("Only editors may moderate comments.")
    if status not in CommentStatus.values:
        raise InvalidInput(
            f"Unknown status {status!r}.",
            fields={"status": [f"Must be one of: {', '.join(CommentStatus.values)}."]},
        )
    old_status = comment.status
    if old_status == status:
        return comment  # already in that status: no change, no event
    comment.status = status
    comment.save(update_fields=["status", "updated_at"])
    post_refresh_comment_count(post_id=comment.post_id)
    publish(
        "comment.moderated",
        aggregate_id=comment.pk,
        actor=actor,
        data={"post_id": comment.post_id, "old_status": old_status, "new_status": status},
    )
    return comment


@transaction.atomic
def comment_moderate_many(*, comments: QuerySet[Comment], actor: User, status: str) -> int:
    """Moderate several comments at once (admin bulk actions); one by one, so each
    change goes through the same rules as a single moderation."""
    count = 0
    for comment in comments.select_for_update():
        comment_moderate(comment=comment, actor=actor, status=status)
        count += 1
    return count

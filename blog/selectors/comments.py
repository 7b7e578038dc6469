"""Reads on comments: what a caller may see of a post's thread, the moderation queue."""

from django.db.models import Q, QuerySet

from accounts.requests import RequestUser
from blog.filters import CommentFilter
from blog.models import Comment, CommentStatus, Post
from blog.selectors.posts import post_get_visible
from config.db.filtering import QueryParams, apply_filterset
from config.errors import InvalidInput


def _base() -> QuerySet[Comment]:
    return Comment.objects.select_related("author", "post")


def comment_list_for_post(
    *, post: Post, user: RequestUser | None, status: str | None = None
) -> QuerySet[Comment]:
    """Approved comments, oldest first, plus the caller's own pending ones.

    Editors may ask for another status.
    """
    qs = _base().filter(post=post).order_by("created_at", "id")
    if status is not None and user is not None and user.is_authenticated and user.is_editor:
        if status not in CommentStatus.values:
            raise InvalidInput(
                f"Unknown status {status!r}.",
                fields={"status": [f"Must be one of: {', '.join(CommentStatus.values)}."]},
            )
        return qs.filter(status=status)
    visible = Q(status=CommentStatus.APPROVED)
    if user is not None and user.is_authenticated:
        visible |= Q(status=CommentStatus.PENDING, author=user)
    return qs.filter(visible)


def comment_thread_of(
    *, slug: str, user: RequestUser | None, status: str | None = None
) -> QuerySet[Comment] | None:
    """`comment_list_for_post` of the post with that slug; None if the caller cannot see
    the post."""
    post = post_get_visible(slug=slug, user=user)
    return None if post is None else comment_list_for_post(post=post, user=user, status=status)


def comment_moderation_queue(*, params: QueryParams) -> QuerySet[Comment]:
    """Every comment on every post, newest first, for editors."""
    return apply_filterset(CommentFilter, params, _base().order_by("-created_at", "-id"))


def comment_filter_pending(*, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
    """The comments of `queryset` waiting for moderation (the admin's queue filter)."""
    return queryset.filter(status=CommentStatus.PENDING)


def comment_get_visible(*, comment_id: int | str, user: RequestUser | None) -> Comment | None:
    """A comment the caller may see: approved ones, one's own, and all for editors."""
    qs = _base().filter(pk=comment_id)
    if user is not None and user.is_authenticated:
        if not user.is_editor:
            qs = qs.filter(Q(status=CommentStatus.APPROVED) | Q(author=user))
    else:
        qs = qs.filter(status=CommentStatus.APPROVED)
    # A comment on a post the caller cannot see stays hidden too.
    comment = qs.first()
    if comment and not (
        comment.post.status == "published"
        or (
            user is not None
            and user.is_authenticated
            and (user.is_editor or comment.post.author_id == user.pk)
        )
    ):
        return None
    return comment

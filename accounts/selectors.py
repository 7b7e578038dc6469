"""Reads on users."""

from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from accounts.tokens import password_reset_tokens, uid_decode
from config.api.conditional import ConditionalRead, cached_conditional_read


def user_public_queryset() -> QuerySet[User]:
    """Active users with the number of their published posts."""
    return User.objects.filter(is_active=True).annotate(
        post_count=Count("posts", filter=Q(posts__status="published"))
    )


def user_get_public(*, username: str) -> User | None:
    return user_public_queryset().filter(username=username).first()


def user_cache_namespaces(*, username: str) -> list[str]:
    """The cache namespace of a user's public profile: `user:<id>`."""
    pk = User.objects.filter(username=username).values_list("pk", flat=True).first()
    return [f"user:{pk}"] if pk else []


def user_get_by_id(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_get_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username).first()


def user_public_profile_read(
    *,
    username: str,
    if_none_match: str | None,
    cache_key: str,
    render: Callable[[User], Any],
) -> ConditionalRead | None:
    """An active user's public profile, from the cache; None for no such active user."""

    def compute() -> Any:
        user = user_get_public(username=username)
        return None if user is None else render(user)

    # The post count follows every post change (`posts`), the rest the user's own.
    return cached_conditional_read(
        "user",
        cache_key,
        compute,
        if_none_match=if_none_match,
        depends_on=("posts",),
        resolve=lambda: user_cache_namespaces(username=username),
    )


def user_may_reset_password(user: User) -> bool:
    """Whether a reset link may be sent to (and used by) this account: an active one, or
    an inactive one an admin invited (`accounts.services.user_invite`)."""
    return bool(user.email) and (user.is_active or user.is_invited)


def password_reset_link_valid(*, uid: str, token: str) -> bool:
    """Whether a reset link would still work (its page says so before asking a password)."""
    pk = uid_decode(uid)
    user = User.objects.filter(pk=pk).first() if pk is not None else None
    if user is None or not user_may_reset_password(user):
        return False
    return password_reset_tokens.check_token(user, token)

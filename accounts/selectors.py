"""Reads on users."""

from django.db.models import Count, Q, QuerySet

from accounts.models import User


def user_public_queryset() -> QuerySet[User]:
    """Active users with the number of their published posts."""
    return User.objects.filter(is_active=True).annotate(
        post_count=Count("posts", filter=Q(posts__status="published"))
    )


def user_get_public(*, username: str) -> User | None:
    return user_public_queryset().filter(username=username).first()


def user_get_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username).first()

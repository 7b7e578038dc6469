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


def user_cache_namespaces(*, username: str) -> list[str]:
    """The cache namespace of a user's public profile: `user:<id>`."""
    pk = User.objects.filter(username=username).values_list("pk", flat=True).first()
    return [f"user:{pk}"] if pk else []


def user_get_by_id(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_get_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username).first()

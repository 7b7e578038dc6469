"""Reads on categories and tags, with the number of their published posts."""

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict

from blog.filters import CategoryFilter, TagFilter
from blog.models import Category, PostStatus, Tag
from blog.selectors.common import apply_filterset, check_ordering

_ORDERINGS = {"name": ("name", "id"), "-post_count": ("-post_count", "name")}
_PUBLISHED = Q(posts__status=PostStatus.PUBLISHED)


def category_queryset() -> QuerySet[Category]:
    return Category.objects.annotate(post_count=Count("posts", filter=_PUBLISHED))


def category_list(*, params: QueryDict | dict[str, Any]) -> QuerySet[Category]:
    qs = apply_filterset(CategoryFilter, params, category_queryset())
    return qs.order_by(*check_ordering(params, _ORDERINGS, "name"))


def category_get(*, slug: str) -> Category | None:
    return category_queryset().filter(slug=slug).first()


def tag_list(*, params: QueryDict | dict[str, Any]) -> QuerySet[Tag]:
    qs = apply_filterset(
        TagFilter, params, Tag.objects.annotate(post_count=Count("posts", filter=_PUBLISHED))
    )
    return qs.order_by(*check_ordering(params, _ORDERINGS, "name"))

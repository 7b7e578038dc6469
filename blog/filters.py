"""Query-string filters of the blog's lists (django-filter); selectors apply them."""

import django_filters
from django.db.models import Q, QuerySet, Subquery

from blog.models import Category, Comment, CommentStatus, Media, Post, Tag
from config.api.filters import StrictFilterSet, UTCDateTimeFilter


class PostFilter(StrictFilterSet):
    category = django_filters.CharFilter(method="filter_category")
    tag = django_filters.CharFilter(field_name="tags__slug")
    author = django_filters.CharFilter(field_name="author__username")
    published_after = UTCDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = UTCDateTimeFilter(field_name="published_at", lookup_expr="lte")

    class Meta:
        model = Post
        fields = ["category", "tag", "author", "published_after", "published_before"]

    def filter_category(self, queryset: QuerySet[Post], name: str, value: str) -> QuerySet[Post]:
        """The posts of the category and of its descendants (none for an unknown slug).

        The subtree's ids are read first (one small query on the categories, whatever the
        depth), then given to the posts' query as constants: as a subquery, the planner
        cannot know how many posts they have and walks the newest published posts until
        it finds a page, a whole index (1 s) for an old or small category at a million
        posts; with the ids it uses `post_category_pub_idx` there (under 1 ms)."""
        # A row written around the services, with no path, must not match every category.
        path = Category.objects.filter(slug=value).exclude(path="").values("path")[:1]
        subtree = Category.objects.filter(path__startswith=Subquery(path))
        return queryset.filter(category_id__in=list(subtree.values_list("pk", flat=True)))


class CommentFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=CommentStatus.choices)
    post = django_filters.CharFilter(field_name="post__slug")
    author = django_filters.CharFilter(field_name="author__username")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Comment
        fields = ["status", "post", "author", "search"]

    def filter_search(
        self, queryset: QuerySet[Comment], name: str, value: str
    ) -> QuerySet[Comment]:
        return queryset.filter(Q(body__icontains=value) | Q(author__username__icontains=value))


class _NamedFilter(StrictFilterSet):
    search = django_filters.CharFilter(method="filter_search")

    def filter_search(
        self, queryset: QuerySet[Category] | QuerySet[Tag], name: str, value: str
    ) -> QuerySet[Category] | QuerySet[Tag]:
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))


class CategoryFilter(_NamedFilter):
    class Meta:
        model = Category
        fields = ["search"]


class TagFilter(_NamedFilter):
    class Meta:
        model = Tag
        fields = ["search"]


class MediaFilter(StrictFilterSet):
    search = django_filters.CharFilter(method="filter_search")
    uploaded_by = django_filters.CharFilter(field_name="uploaded_by__username")

    class Meta:
        model = Media
        fields = ["search", "uploaded_by"]

    def filter_search(self, queryset: QuerySet[Media], name: str, value: str) -> QuerySet[Media]:
        return queryset.filter(
            Q(alt_text__icontains=value)
            | Q(caption__icontains=value)
            | Q(original_name__icontains=value)
        )

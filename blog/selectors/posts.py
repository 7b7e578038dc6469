"""Reads on posts: what a caller may see, lists with filters and search, revisions."""

import hashlib

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce

from accounts.models import User
from accounts.requests import RequestUser
from blog.filters import PostFilter
from blog.models import Category, Post, PostStatus, Revision
from config.db.filtering import QueryParams, apply_filterset, check_ordering
from config.errors import InvalidInput, PermissionDeniedError

# Orderings the API offers, as ORM orderings. The first field is the cursor's position;
# `-id` breaks ties so that the order is total.
_ORDERINGS = {
    "-published_at": ("-published_at", "-id"),
    "published_at": ("published_at", "id"),
    "-view_count": ("-view_count", "-id"),
    "-comment_count": ("-comment_count", "-id"),
}
# Drafts and scheduled posts have no `published_at`: they sort by their best date.
_UNPUBLISHED_DATE = {"-published_at": "-sort_date", "published_at": "sort_date"}


def post_base_queryset() -> QuerySet[Post]:
    # The featured image and its uploader in the same query: a list's query count does
    # not grow with its page.
    return Post.objects.select_related(
        "author", "category", "featured_image", "featured_image__uploaded_by"
    ).prefetch_related("tags")


def post_visible_queryset(*, user: RequestUser | None) -> QuerySet[Post]:
    """Published posts for everyone; also one's own posts, and every post for editors."""
    qs = post_base_queryset()
    if user is not None and user.is_authenticated:
        if user.is_editor:
            return qs
        return qs.filter(Q(status=PostStatus.PUBLISHED) | Q(author=user))
    return qs.filter(status=PostStatus.PUBLISHED)


def post_get_visible(*, slug: str, user: RequestUser | None) -> Post | None:
    return post_visible_queryset(user=user).filter(slug=slug).first()


def post_get_by_slug(*, slug: str) -> Post | None:
    """The post with that slug, whatever its status (check `post_is_visible_to`)."""
    return post_base_queryset().filter(slug=slug).first()


def post_is_visible_to(*, post: Post, user: RequestUser | None) -> bool:
    """`post_visible_queryset`'s rule for one loaded post."""
    if post.status == PostStatus.PUBLISHED:
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.is_editor or post.author_id == user.pk


def post_check_can_edit(*, post: Post, actor: User) -> None:
    """Raise PermissionDeniedError unless `actor` may change the post (and see its
    revisions and statistics): its author, if still an author, and editors."""
    if not (actor.is_editor or (post.author_id == actor.pk and actor.is_author)):
        raise PermissionDeniedError("Only the post's author and editors may change it.")


def post_get_editable(*, slug: str, user: User) -> Post | None:
    """The post, for a signed-in caller who may change it; None when they cannot even see
    it (a 404, which hides a draft's existence); PermissionDeniedError when they only
    see it."""
    post = post_get_visible(slug=slug, user=user)
    if post is not None:
        post_check_can_edit(post=post, actor=user)
    return post


def post_get_published(*, slug: str) -> Post | None:
    """A published post, for the public pages (whoever asks)."""
    return post_base_queryset().filter(slug=slug, status=PostStatus.PUBLISHED).first()


def post_get_by_id(*, post_id: int) -> Post:
    """The post as stored now, whatever its status (the admin's "before" of an edit);
    raises Post.DoesNotExist."""
    return Post.objects.get(pk=post_id)


def post_cache_namespaces(*, slug: str) -> list[str]:
    """The cache namespaces a post's cached representation depends on (besides
    `taxonomy`): the post's own and its author's (the name shown with it)."""
    row = Post.objects.filter(slug=slug).values_list("pk", "author_id").first()
    return [f"post:{row[0]}", f"user:{row[1]}"] if row else []


def post_etag(post: Post) -> str:
    """The entity tag of a post's representation.

    It follows the post's content and comment count, not its view count: a view must not
    make the caller's own cached copy stale (views are counted on every 200). The featured
    image is part of the representation: its alt text, caption and renditions change it
    without a change of the post (loaded with the post by `post_base_queryset`).
    """
    version = f"{post.pk}:{post.updated_at.isoformat()}:{post.comment_count}"
    media = post.featured_image
    if media is not None:
        version += f":{media.pk}:{media.updated_at.isoformat()}:{media.status}"
        version += f":{media.alt_text}:{media.caption}:{sorted(media.renditions or {})}"
    return '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'


def _search(qs: QuerySet[Post], text: str) -> QuerySet[Post]:
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=settings.SEARCH_CONFIG)
        # ts_rank is a `real`; as `double precision` its value survives the round trip
        # through a pagination cursor exactly (a `real` compared to the decimal text of
        # itself is not equal to it, and the cursor would repeat or skip posts).
        rank = Cast(SearchRank(F("search_vector"), query), FloatField())
        return qs.filter(search_vector=query).annotate(rank=rank)
    # SQLite fallback: a substring match, title hits ranked first.
    return qs.filter(Q(title__icontains=text) | Q(body__icontains=text)).annotate(
        rank=Case(
            When(title__icontains=text, then=Value(2.0)),
            default=Value(1.0),
            output_field=FloatField(),
        )
    )


def post_list(*, user: RequestUser | None, params: QueryParams) -> QuerySet[Post]:
    """Posts for the list endpoint, filtered, searched and ordered.

    Published posts by default; `status=draft|scheduled|archived` lists the caller's own
    (every author's for editors). The ordering is on the queryset, for the paginator.
    """
    status = params.get("status", PostStatus.PUBLISHED)
    if status not in PostStatus.values:
        raise InvalidInput(
            f"Unknown status {status!r}.",
            fields={"status": [f"Must be one of: {', '.join(PostStatus.values)}."]},
        )
    qs = post_base_queryset().filter(status=status)
    if status != PostStatus.PUBLISHED:
        if not (user and user.is_authenticated):
            return qs.none().order_by("-id")
        if not user.is_editor:
            qs = qs.filter(author=user)
        qs = qs.annotate(sort_date=Coalesce("published_at", "publish_at", "created_at"))

    qs = apply_filterset(PostFilter, params, qs)

    search = (params.get("search") or "").strip()
    if search:
        qs = _search(qs, search)
    if search and params.get("ordering") is None:
        ordering: tuple[str, ...] = ("-rank", "-published_at", "-id")
    else:
        ordering = check_ordering(params, _ORDERINGS, "-published_at")
        if status != PostStatus.PUBLISHED:
            ordering = (_UNPUBLISHED_DATE.get(ordering[0], ordering[0]), *ordering[1:])
    return qs.order_by(*ordering)


def post_revisions(*, post: Post) -> QuerySet[Revision]:
    return post.revisions.select_related("author").order_by("-created_at", "-id")


def post_revisions_for_editor(*, slug: str, user: User) -> QuerySet[Revision] | None:
    """A post's revisions, newest first, for whoever may change it (`post_get_editable`:
    None, or PermissionDeniedError, otherwise)."""
    post = post_get_editable(slug=slug, user=user)
    return None if post is None else post_revisions(post=post)


def post_sitemap_list() -> QuerySet[Post]:
    """Every published post, newest first, for the sitemap (which pages through it)."""
    return Post.objects.filter(status=PostStatus.PUBLISHED).order_by("-published_at", "-id")


def post_tag_names(*, post: Post) -> list[str]:
    return list(post.tags.values_list("name", flat=True))


def post_latest_published(*, limit: int = 20, category: Category | None = None) -> QuerySet[Post]:
    qs = post_base_queryset().filter(status=PostStatus.PUBLISHED)
    if category is not None:  # with its descendants' posts
        qs = qs.filter(category__path__startswith=category.path)
    return qs.order_by("-published_at", "-id")[:limit]

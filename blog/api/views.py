"""The blog's API: thin views that parse input, call a service or selector, render."""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.db.models.expressions import Combinable
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from accounts.permissions import IsAuthor, IsEditor
from accounts.requests import AuthenticatedRequest
from analytics.selectors import post_stats, post_view_count_live_of
from blog.api.serializers import (
    CategorySerializer,
    CategoryWriteSerializer,
    CommentCreateSerializer,
    CommentModerateSerializer,
    CommentSerializer,
    CommentUpdateSerializer,
    PostSerializer,
    PostStatsSerializer,
    PostSummarySerializer,
    PostUpdateSerializer,
    PostWriteSerializer,
    RevisionSerializer,
    TagSerializer,
)
from blog.models import Category, Comment, CommentStatus, Post, PostStatus, Tag
from blog.selectors import comments as comment_selectors
from blog.selectors import posts as post_selectors
from blog.selectors import taxonomy as taxonomy_selectors
from blog.services import comments as comment_services
from blog.services import posts as post_services
from blog.services import taxonomy as taxonomy_services
from config.api.conditional import (
    cached_read_response,
    etag_matches,
    reads_cached,
    request_key,
)
from config.api.pagination import CursorPagination, PageNumberPagination
from config.api.throttling import throttles_with_scope
from config.cache import cache_read

_STR = OpenApiTypes.STR
POST_LIST_PARAMETERS = [
    OpenApiParameter("category", _STR, description="Category slug."),
    OpenApiParameter("tag", _STR, description="Tag slug."),
    OpenApiParameter("author", _STR, description="Author's username."),
    OpenApiParameter("search", _STR, description="Full-text search; best match first."),
    OpenApiParameter("published_after", OpenApiTypes.DATETIME),
    OpenApiParameter("published_before", OpenApiTypes.DATETIME),
    OpenApiParameter(
        "ordering", _STR, enum=["-published_at", "published_at", "-view_count", "-comment_count"]
    ),
    OpenApiParameter(
        "status",
        _STR,
        enum=PostStatus.values,
        description="Other than `published`: the caller's own posts (all posts for editors).",
    ),
]
SEARCH_AND_ORDERING = [
    OpenApiParameter("search", _STR),
    OpenApiParameter("ordering", _STR, enum=["name", "-post_count"]),
]
IF_MATCH = OpenApiParameter(
    "If-Match", _STR, OpenApiParameter.HEADER, description="ETag read before; 412 if stale."
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", _STR, OpenApiParameter.HEADER, description="304 if unchanged."
)


_Found = TypeVar("_Found")


def _or_404(found: _Found | None) -> _Found:
    """What the caller just wrote, read back; gone meanwhile is a 404."""
    if found is None:
        raise Http404
    return found


def _with_etag(response: Response, post: Post) -> Response:
    response["ETag"] = post_selectors.post_etag(post)
    return response


@extend_schema_view(
    list=extend_schema(parameters=POST_LIST_PARAMETERS, responses=PostSummarySerializer),
    retrieve=extend_schema(parameters=[IF_NONE_MATCH], responses={200: PostSerializer, 304: None}),
    create=extend_schema(request=PostWriteSerializer, responses={201: PostSerializer}),
    update=extend_schema(
        parameters=[IF_MATCH], request=PostUpdateSerializer, responses=PostSerializer
    ),
    partial_update=extend_schema(
        parameters=[IF_MATCH], request=PostUpdateSerializer, responses=PostSerializer
    ),
    destroy=extend_schema(responses={204: None}),
)
class PostViewSet(viewsets.GenericViewSet):
    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    serializer_class = PostSerializer
    pagination_class = CursorPagination

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "create":
            return [IsAuthor()]
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Post]:
        return post_selectors.post_visible_queryset(user=self.request.user)

    def get_object(self) -> Post:
        post = post_selectors.post_get_visible(slug=self.kwargs["slug"], user=self.request.user)
        if post is None:
            raise Http404
        return post

    def get_ordering(self) -> Sequence[str | Combinable]:
        return self._ordering

    def list(self, request: Request) -> Response:
        # Published posts are the same list for everyone; other statuses are per caller.
        if request.query_params.get("status", PostStatus.PUBLISHED) == PostStatus.PUBLISHED:
            return cached_read_response(
                request, "posts", lambda: self._list_data(request), depends_on=("posts",)
            )
        return Response(self._list_data(request))

    def _list_data(self, request: Request) -> dict[str, Any]:
        queryset = post_selectors.post_list(user=request.user, params=request.query_params)
        self._ordering = queryset.query.order_by
        page = self.paginate_queryset(queryset)
        serializer = PostSummarySerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data).data

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = PostWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = post_services.post_create(author=request.user, **serializer.validated_data)
        post = _or_404(post_selectors.post_get_visible(slug=post.slug, user=request.user))
        response = Response(self.get_serializer(post).data, status=status.HTTP_201_CREATED)
        return _with_etag(response, post)

    def retrieve(self, request: Request, slug: str) -> Response:
        entry = self._detail_entry(request, slug)
        if entry is None or "data" not in entry:
            # Not published: the caller's own draft, an editor's view, or 404.
            post = entry and entry["unpublished"]
            if not post or not post_selectors.post_is_visible_to(post=post, user=request.user):
                raise Http404
            etag = post_selectors.post_etag(post)
            if etag_matches(request, etag):
                return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
            return _with_etag(Response(self.get_serializer(post).data), post)
        if etag_matches(request, entry["etag"]):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": entry["etag"]})
        # A HEAD (link checkers, monitors) reads no post: it is not a view.
        counted = request.method == "GET"
        if counted:
            post_services.post_count_view(post_id=entry["id"], slug=entry["data"]["slug"])
        data = dict(entry["data"])
        # The stored count plus the views not yet flushed from Redis, this one included.
        data["view_count"] = post_view_count_live_of(
            post_id=entry["id"], stored=data["view_count"], just_counted=counted
        )
        return Response(data, headers={"ETag": entry["etag"]})

    def _detail_entry(self, request: Request, slug: str) -> dict[str, Any] | None:
        """A published post's public representation, the same for every caller, from the
        cache (no query) or the database; `{"unpublished": post}` (never cached) for a
        post in another status; None when there is no such post."""

        def compute() -> dict[str, Any] | None:
            post = post_selectors.post_get_by_slug(slug=slug)
            if post is None:
                return None
            if post.status != PostStatus.PUBLISHED:
                return {"unpublished": post}
            data = self.get_serializer(post).data
            return {"id": post.pk, "etag": post_selectors.post_etag(post), "data": data}

        if not reads_cached():
            return compute()
        return cache_read(
            "post",
            request_key(request),
            compute,
            depends_on=("taxonomy",),
            resolve=lambda: post_selectors.post_cache_namespaces(slug=slug),
            store_if=lambda entry: entry is not None and "data" in entry,
        )

    def _update(self, request: AuthenticatedRequest, partial: bool) -> Response:
        post = self.get_object()
        serializer = PostUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        post = post_services.post_update(
            post=post,
            actor=request.user,
            if_match=request.headers.get("If-Match"),
            **serializer.validated_data,
        )
        return self._fresh(post)

    def update(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        return self._update(request, partial=True)

    def destroy(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        post_services.post_delete(post=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _fresh(self, post: Post) -> Response:
        post = _or_404(post_selectors.post_get_visible(slug=post.slug, user=self.request.user))
        return _with_etag(Response(self.get_serializer(post).data), post)

    @extend_schema(request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        return self._fresh(post_services.post_publish(post=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def unpublish(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        post = post_services.post_unpublish(post=self.get_object(), actor=request.user)
        return self._fresh(post)

    @extend_schema(request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        return self._fresh(post_services.post_archive(post=self.get_object(), actor=request.user))

    @extend_schema(responses=RevisionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination)
    def revisions(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        post = self.get_object()
        post_services.post_check_can_edit(post=post, actor=request.user)
        page = self.paginate_queryset(post_selectors.post_revisions(post=post))
        return self.get_paginated_response(RevisionSerializer(page, many=True).data)

    @extend_schema(responses=PostStatsSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def stats(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        post = self.get_object()
        post_services.post_check_can_edit(post=post, actor=request.user)
        return Response(PostStatsSerializer(post_stats(post=post)).data)


class PostCommentListView(GenericAPIView):
    """The thread of one post: read by anyone who can see the post, written by users."""

    serializer_class = CommentSerializer
    throttle_scope = "comment"

    def get_permissions(self) -> list[BasePermission]:
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    def get_throttles(self) -> list[BaseThrottle]:
        if self.request.method == "POST":
            return throttles_with_scope()
        return super().get_throttles()

    def _post(self, slug: str) -> Post:
        post = post_selectors.post_get_visible(slug=slug, user=self.request.user)
        if post is None:
            raise Http404
        return post

    @extend_schema(
        parameters=[
            OpenApiParameter("status", _STR, enum=CommentStatus.values, description="Editors.")
        ],
        responses=CommentSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        comments = comment_selectors.comment_list_for_post(
            post=self._post(slug), user=request.user, status=request.query_params.get("status")
        )
        page = self.paginate_queryset(comments)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        post = self._post(slug)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = comment_services.comment_create(
            post=post,
            author=request.user,
            body=serializer.validated_data["body"],
            parent_id=serializer.validated_data.get("parent"),
        )
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", _STR, enum=CommentStatus.values),
            OpenApiParameter("post", _STR, description="Post slug."),
            OpenApiParameter("author", _STR, description="Author's username."),
            OpenApiParameter("search", _STR),
        ]
    ),
    partial_update=extend_schema(request=CommentUpdateSerializer, responses=CommentSerializer),
    destroy=extend_schema(responses={204: None}),
)
class CommentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CommentSerializer
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "patch", "delete", "post", "head", "options"]

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("list", "moderate"):
            return [IsEditor()]
        if self.action == "retrieve":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Comment]:
        return comment_selectors.comment_moderation_queue(params=self.request.query_params)

    def get_object(self) -> Comment:
        comment = comment_selectors.comment_get_visible(
            comment_id=self.kwargs["pk"], user=self.request.user
        )
        if comment is None:
            raise Http404
        return comment

    def partial_update(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        comment = self.get_object()
        serializer = CommentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = comment_services.comment_update(
            comment=comment, actor=request.user, body=serializer.validated_data["body"]
        )
        return Response(self.get_serializer(comment).data)

    def destroy(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        comment_services.comment_delete(comment=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=CommentModerateSerializer, responses=CommentSerializer)
    @action(detail=True, methods=["post"])
    def moderate(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        comment = self.get_object()
        serializer = CommentModerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = comment_services.comment_moderate(
            comment=comment, actor=request.user, status=serializer.validated_data["status"]
        )
        return Response(self.get_serializer(comment).data)


@extend_schema_view(
    list=extend_schema(parameters=SEARCH_AND_ORDERING),
    create=extend_schema(request=CategoryWriteSerializer, responses={201: CategorySerializer}),
    partial_update=extend_schema(request=CategoryWriteSerializer, responses=CategorySerializer),
    destroy=extend_schema(responses={204: None}),
)
class CategoryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CategorySerializer
    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsEditor()]

    def get_queryset(self) -> QuerySet[Category]:
        return taxonomy_selectors.category_list(params=self.request.query_params)

    def get_object(self) -> Category:
        category = taxonomy_selectors.category_get(slug=self.kwargs["slug"])
        if category is None:
            raise Http404
        return category

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return cached_read_response(
            request,
            "categories",
            lambda: super(CategoryViewSet, self).list(request).data,
            depends_on=("categories",),
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return cached_read_response(
            request,
            "categories",
            lambda: self.get_serializer(self.get_object()).data,
            depends_on=("categories",),
        )

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = CategoryWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = taxonomy_services.category_create(
            actor=request.user, **serializer.validated_data
        )
        category = _or_404(taxonomy_selectors.category_get(slug=category.slug))
        return Response(self.get_serializer(category).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        category = self.get_object()
        serializer = CategoryWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = taxonomy_services.category_update(
            category=category, actor=request.user, **serializer.validated_data
        )
        category = _or_404(taxonomy_selectors.category_get(slug=category.slug))
        return Response(self.get_serializer(category).data)

    def destroy(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        taxonomy_services.category_delete(category=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(list=extend_schema(parameters=SEARCH_AND_ORDERING))
class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TagSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[Tag]:
        return taxonomy_selectors.tag_list(params=self.request.query_params)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return cached_read_response(
            request,
            "tags",
            lambda: super(TagViewSet, self).list(request).data,
            depends_on=("tags",),
        )

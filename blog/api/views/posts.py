"""Posts: the list, the detail (cached, with ETag and view counting), writes, transitions.

The post statistics (`GET /posts/{slug}/stats/`) are analytics' (`analytics.api.stats`)."""

from collections.abc import Sequence
from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.requests import AuthenticatedRequest
from blog.api.serializers import (
    PostSerializer,
    PostSummarySerializer,
    PostUpdateSerializer,
    PostWriteSerializer,
    RevisionSerializer,
)
from blog.models import Post, PostStatus
from blog.selectors import posts as post_selectors
from blog.selectors import public_reads
from blog.services import post_views
from blog.services import posts as post_services
from config.api.conditional import conditional_response, request_key
from config.api.pagination import CursorPagination, PageNumberPagination
from config.api.permissions import IsAuthor
from config.api.schema import documented_problem

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
IF_MATCH = OpenApiParameter(
    "If-Match", _STR, OpenApiParameter.HEADER, description="ETag read before; 412 if stale."
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", _STR, OpenApiParameter.HEADER, description="304 if unchanged."
)


TRANSITION_RESPONSES = {
    200: PostSerializer,
    409: documented_problem("The post is not in a status this transition starts from."),
}

# A write may carry `status`: a change of status that the post's current one does not
# allow (scheduling a published post, say) is the same 409 as the transition endpoints'.
UPDATE_RESPONSES = {
    200: PostSerializer,
    409: documented_problem("The new `status` cannot follow the post's current status."),
}


def _with_etag(response: Response, post: Post) -> Response:
    response["ETag"] = post_selectors.post_etag(post)
    return response


@extend_schema_view(
    list=extend_schema(parameters=POST_LIST_PARAMETERS, responses=PostSummarySerializer),
    retrieve=extend_schema(parameters=[IF_NONE_MATCH], responses={200: PostSerializer, 304: None}),
    create=extend_schema(request=PostWriteSerializer, responses={201: PostSerializer}),
    update=extend_schema(
        parameters=[IF_MATCH], request=PostUpdateSerializer, responses=UPDATE_RESPONSES
    ),
    partial_update=extend_schema(
        parameters=[IF_MATCH], request=PostUpdateSerializer, responses=UPDATE_RESPONSES
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
        return self._visible(self.kwargs["slug"])

    def _visible(self, slug: str) -> Post:
        """The post as the caller may see it; 404 when there is none (or no longer: a
        post read back after a write may have gone meanwhile)."""
        post = post_selectors.post_get_visible(slug=slug, user=self.request.user)
        if post is None:
            raise Http404
        return post

    def get_ordering(self) -> Sequence[str]:
        return self._ordering

    def list(self, request: Request) -> Response:
        read = public_reads.post_list_read(
            user=request.user,
            params=request.query_params,
            if_none_match=request.headers.get("If-None-Match"),
            cache_key=request_key(request),
            render=self._render_page,
        )
        return conditional_response(read)

    def _render_page(self, queryset: QuerySet[Post]) -> dict[str, Any]:
        # The cursor paginator reads the ordering back from the view. `post_list` orders
        # by field names (`check_ordering`'s), never by expressions.
        self._ordering = cast(Sequence[str], queryset.query.order_by)
        page = self.paginate_queryset(queryset)
        serializer = PostSummarySerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data).data

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = PostWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = post_services.post_create(author=request.user, **serializer.validated_data)
        post = self._visible(post.slug)
        response = Response(self.get_serializer(post).data, status=status.HTTP_201_CREATED)
        return _with_etag(response, post)

    def retrieve(self, request: Request, slug: str) -> Response:
        detail = post_views.post_detail_visit(
            slug=slug,
            user=request.user,
            if_none_match=request.headers.get("If-None-Match"),
            cache_key=request_key(request),
            render=lambda post: self.get_serializer(post).data,
            # A HEAD (link checkers, monitors) reads no post: it is not a view.
            count_view=request.method == "GET",
        )
        return conditional_response(detail)

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
        post = self._visible(post.slug)
        return _with_etag(Response(self.get_serializer(post).data), post)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def publish(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        return self._fresh(post_services.post_publish(post=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def unpublish(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        post = post_services.post_unpublish(post=self.get_object(), actor=request.user)
        return self._fresh(post)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def archive(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        return self._fresh(post_services.post_archive(post=self.get_object(), actor=request.user))

    @extend_schema(responses=RevisionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination)
    def revisions(self, request: AuthenticatedRequest, slug: str) -> Response:
        revisions = post_selectors.post_revisions_for_editor(slug=slug, user=request.user)
        if revisions is None:
            raise Http404
        page = self.paginate_queryset(revisions)
        return self.get_paginated_response(RevisionSerializer(page, many=True).data)

"""Posts: the list, the detail (cached, with ETag and view counting), writes, transitions."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsAuthor
from analytics.selectors import post_stats, post_view_count_live_of
from blog.api.serializers import (
    PostSerializer,
    PostStatsSerializer,
    PostSummarySerializer,
    PostUpdateSerializer,
    PostWriteSerializer,
    RevisionSerializer,
)
from blog.models import PostStatus
from blog.selectors import posts as post_selectors
from blog.services import posts as post_services
from config.api.conditional import cached_read_response, etag_matches, reads_cached, request_key
from config.api.pagination import CursorPagination, PageNumberPagination
from config.api.schema import documented_problem
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


def _with_etag(response: Response, post) -> Response:
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

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthor()]
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_queryset(self):
        return post_selectors.post_visible_queryset(user=self.request.user)

    def get_object(self):
        post = post_selectors.post_get_visible(slug=self.kwargs["slug"], user=self.request.user)
        if post is None:
            raise Http404
        return post

    def get_ordering(self):
        return self._ordering

    def list(self, request):
        # Published posts are the same list for everyone; other statuses are per caller.
        if request.query_params.get("status", PostStatus.PUBLISHED) == PostStatus.PUBLISHED:
            return cached_read_response(
                request, "posts", lambda: self._list_data(request), depends_on=("posts",)
            )
        return Response(self._list_data(request))

    def _list_data(self, request) -> dict:
        queryset = post_selectors.post_list(user=request.user, params=request.query_params)
        self._ordering = queryset.query.order_by
        page = self.paginate_queryset(queryset)
        serializer = PostSummarySerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data).data

    def create(self, request):
        serializer = PostWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = post_services.post_create(author=request.user, **serializer.validated_data)
        post = post_selectors.post_get_visible(slug=post.slug, user=request.user)
        response = Response(self.get_serializer(post).data, status=status.HTTP_201_CREATED)
        return _with_etag(response, post)

    def retrieve(self, request, slug=None):
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

    def _detail_entry(self, request, slug) -> dict | None:
        """A published post's public representation, the same for every caller, from the
        cache (no query) or the database; `{"unpublished": post}` (never cached) for a
        post in another status; None when there is no such post."""

        def compute():
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

    def _update(self, request, partial):
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

    def update(self, request, slug=None):
        return self._update(request, partial=False)

    def partial_update(self, request, slug=None):
        return self._update(request, partial=True)

    def destroy(self, request, slug=None):
        post_services.post_delete(post=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _fresh(self, post):
        post = post_selectors.post_get_visible(slug=post.slug, user=self.request.user)
        return _with_etag(Response(self.get_serializer(post).data), post)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        return self._fresh(post_services.post_publish(post=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def unpublish(self, request, slug=None):
        post = post_services.post_unpublish(post=self.get_object(), actor=request.user)
        return self._fresh(post)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def archive(self, request, slug=None):
        return self._fresh(post_services.post_archive(post=self.get_object(), actor=request.user))

    @extend_schema(responses=RevisionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination)
    def revisions(self, request, slug=None):
        post = self.get_object()
        post_services.post_check_can_edit(post=post, actor=request.user)
        page = self.paginate_queryset(post_selectors.post_revisions(post=post))
        return self.get_paginated_response(RevisionSerializer(page, many=True).data)

    @extend_schema(responses=PostStatsSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def stats(self, request, slug=None):
        post = self.get_object()
        post_services.post_check_can_edit(post=post, actor=request.user)
        return Response(PostStatsSerializer(post_stats(post=post)).data)

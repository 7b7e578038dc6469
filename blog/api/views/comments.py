"""Comments: a post's thread, the moderation queue, edits and moderation."""

from django.db.models import QuerySet
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

from accounts.requests import AuthenticatedRequest
from blog.api.serializers import (
    CommentCreateSerializer,
    CommentModerateSerializer,
    CommentSerializer,
    CommentUpdateSerializer,
)
from blog.models import Comment, CommentStatus, Post
from blog.selectors import comments as comment_selectors
from blog.selectors import posts as post_selectors
from blog.services import comments as comment_services
from config.api.permissions import IsEditor
from config.api.throttling import throttles_with_scope

_STR = OpenApiTypes.STR


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
        comments = comment_selectors.comment_thread_of(
            slug=slug, user=request.user, status=request.query_params.get("status")
        )
        if comments is None:
            raise Http404
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

"""Categories and tags."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from accounts.requests import AuthenticatedRequest
from blog.api.serializers import CategorySerializer, CategoryWriteSerializer, TagSerializer
from blog.models import Category, Tag
from blog.selectors import public_reads
from blog.selectors import taxonomy as taxonomy_selectors
from blog.services import taxonomy as taxonomy_services
from config.api.conditional import conditional_response, request_key
from config.api.permissions import IsEditor

_STR = OpenApiTypes.STR
SEARCH_AND_ORDERING = [
    OpenApiParameter("search", _STR),
    OpenApiParameter("ordering", _STR, enum=["name", "-post_count"]),
]


def page_data(view: GenericViewSet, queryset: QuerySet[Any] | list[Any]) -> Any:
    """What DRF's `ListModelMixin.list` answers for `queryset`: a page, or the whole
    list without a paginator."""
    page = view.paginate_queryset(queryset)
    if page is None:
        return view.get_serializer(queryset, many=True).data
    return view.get_paginated_response(view.get_serializer(page, many=True).data).data


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
        # The list and the detail read through `public_reads`; this is DRF's (and the
        # schema's) idea of the resource.
        return taxonomy_selectors.category_queryset()

    def get_object(self) -> Category:
        return self._category(self.kwargs["slug"])

    def _category(self, slug: str) -> Category:
        """404 when there is none (or no longer: a category read back after a write may
        have gone meanwhile)."""
        category = taxonomy_selectors.category_get(slug=slug)
        if category is None:
            raise Http404
        return category

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        read = public_reads.category_list_read(
            params=request.query_params,
            if_none_match=request.headers.get("If-None-Match"),
            cache_key=request_key(request),
            render=lambda categories: page_data(self, categories),
        )
        return conditional_response(read)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        read = public_reads.category_read(
            slug=kwargs["slug"],
            if_none_match=request.headers.get("If-None-Match"),
            cache_key=request_key(request),
            render=lambda category: self.get_serializer(category).data,
        )
        return conditional_response(read)

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = CategoryWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = taxonomy_services.category_create(
            actor=request.user, **serializer.validated_data
        )
        category = self._category(category.slug)
        return Response(self.get_serializer(category).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: AuthenticatedRequest, slug: str | None = None) -> Response:
        category = self.get_object()
        serializer = CategoryWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = taxonomy_services.category_update(
            category=category, actor=request.user, **serializer.validated_data
        )
        category = self._category(category.slug)
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
        read = public_reads.tag_list_read(
            params=request.query_params,
            if_none_match=request.headers.get("If-None-Match"),
            cache_key=request_key(request),
            render=lambda tags: page_data(self, tags),
        )
        return conditional_response(read)

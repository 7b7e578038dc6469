"""The media library: upload (multipart), list, read, alt text and caption, delete.

Authors manage their own media, editors all of it; someone else's media is not found by
an author (what one may not see is not found), and readers are refused the library."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.requests import AuthenticatedRequest
from blog.api.serializers import MediaSerializer, MediaUpdateSerializer, MediaUploadSerializer
from blog.models import Media
from blog.selectors import media as media_selectors
from blog.services import media as media_services
from config.api.pagination import CursorPagination
from config.api.permissions import IsAuthor
from config.api.schema import documented_problem
from config.api.uploads import UploadLimit, upload_limit_check, upload_limit_install

MEDIA_LIST_PARAMETERS = [
    OpenApiParameter(
        "search", OpenApiTypes.STR, description="In the alt text, caption and file name."
    ),
    OpenApiParameter("uploaded_by", OpenApiTypes.STR, description="The uploader's username."),
]
UPLOAD_RESPONSES = {
    201: MediaSerializer,
    400: documented_problem(
        "Not a JPEG, PNG, GIF or WebP image (`unsupported_media`), more pixels than "
        "MEDIA_MAX_PIXELS (`image_too_large`), a damaged image (`invalid_image`), or a "
        "missing field (`validation_error`)."
    ),
    413: documented_problem("The file is larger than MEDIA_MAX_UPLOAD_BYTES."),
}


@extend_schema_view(
    list=extend_schema(parameters=MEDIA_LIST_PARAMETERS, responses=MediaSerializer),
    create=extend_schema(
        request={"multipart/form-data": MediaUploadSerializer}, responses=UPLOAD_RESPONSES
    ),
    retrieve=extend_schema(responses=MediaSerializer),
    partial_update=extend_schema(request=MediaUpdateSerializer, responses=MediaSerializer),
    destroy=extend_schema(
        responses={
            204: None,
            409: documented_problem("A post uses it as its featured image (`media_in_use`)."),
        }
    ),
)
class MediaViewSet(viewsets.GenericViewSet):
    serializer_class = MediaSerializer
    pagination_class = CursorPagination
    permission_classes = [IsAuthor]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = "[0-9]+"
    upload_limit: UploadLimit | None = None

    def get_parsers(self) -> list[BaseParser]:
        # Called before the action is known: the method tells. Only an upload is multipart.
        if getattr(self.request, "method", None) == "POST":
            return [MultiPartParser()]
        return [JSONParser()]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before authentication, whose CSRF check (session clients) may read the body.
        if request.method == "POST":
            self.upload_limit = upload_limit_install(request, settings.MEDIA_MAX_UPLOAD_BYTES)
        super().initial(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return media_selectors.media_list(user=self.request.user, params=self.request.query_params)

    def get_ordering(self) -> Sequence[str]:
        return media_selectors.MEDIA_ORDERING

    def get_object(self) -> Media:
        return self._visible(int(self.kwargs["pk"]))

    def _visible(self, media_id: int) -> Media:
        media = media_selectors.media_get(media_id=media_id, user=self.request.user)
        if media is None:
            raise Http404
        return media

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: AuthenticatedRequest) -> Response:
        data = request.data  # parsed here, its file held to the limit
        if self.upload_limit is not None:
            upload_limit_check(self.upload_limit)
        serializer = MediaUploadSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        media = media_services.media_upload(uploaded_by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(media).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        media = self.get_object()
        serializer = MediaUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        media = media_services.media_update(
            media=media, actor=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(self._visible(media.pk)).data)

    def destroy(self, request: AuthenticatedRequest, pk: str) -> Response:
        media_services.media_delete(media=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

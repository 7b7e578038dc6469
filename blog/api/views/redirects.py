"""Redirects of old paths (editors): list, create, delete."""

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.requests import AuthenticatedRequest
from blog.api.serializers import RedirectSerializer, RedirectWriteSerializer
from blog.models import Redirect
from blog.selectors import redirects as redirect_selectors
from blog.services import redirects as redirect_services
from config.api.permissions import IsEditor
from config.api.schema import documented_problem


@extend_schema_view(
    list=extend_schema(responses=RedirectSerializer),
    create=extend_schema(
        request=RedirectWriteSerializer,
        responses={
            201: RedirectSerializer,
            400: documented_problem(
                "An old path already redirected or not a path, a target on another host "
                "or not a path or URL of this site, a loop (`validation_error`)."
            ),
        },
    ),
    destroy=extend_schema(responses={204: None}),
)
class RedirectViewSet(viewsets.GenericViewSet):
    serializer_class = RedirectSerializer
    permission_classes = [IsEditor]
    http_method_names = ["get", "post", "delete", "head", "options"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Redirect]:
        return redirect_selectors.redirect_list()

    def get_object(self) -> Redirect:
        redirect = redirect_selectors.redirect_get(redirect_id=int(self.kwargs["pk"]))
        if redirect is None:
            raise Http404
        return redirect

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(redirect_selectors.redirect_list())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = RedirectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        redirect = redirect_services.redirect_create(
            actor=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(redirect).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: AuthenticatedRequest, pk: str) -> Response:
        redirect_services.redirect_delete(redirect=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

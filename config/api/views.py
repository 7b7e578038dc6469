"""API views that belong to no app."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class PingView(APIView):
    """The cheapest answer the API can give: no database, no cache read of its own.

    It still passes through every middleware, the authenticators, the throttles and the
    renderer, so the benchmark (bench/) uses it as the stack's ceiling to compare the real
    endpoints with.
    """

    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer("Ping", {"status": serializers.CharField()}),
        operation_id="ping",
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})

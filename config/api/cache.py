"""`POST /api/v1/admin/cache/invalidate/`: drop cached reads, for admins."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.permissions import IsAdmin
from config.api.serializers import StrictSerializer
from config.cache import invalidate, invalidate_all


class CacheInvalidateSerializer(StrictSerializer):
    namespace = serializers.CharField(
        required=False,
        max_length=200,
        help_text="A namespace (`posts`, `post:42`, ...); every known one when omitted.",
    )


class CacheInvalidatedSerializer(serializers.Serializer):
    invalidated = serializers.ListField(child=serializers.CharField())


class CacheInvalidateView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        request=CacheInvalidateSerializer,
        responses=CacheInvalidatedSerializer,
        operation_id="admin_cache_invalidate",
    )
    def post(self, request: Request) -> Response:
        params = CacheInvalidateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        namespace = params.validated_data.get("namespace")
        done = invalidate(namespace) if namespace else invalidate_all()
        return Response(CacheInvalidatedSerializer({"invalidated": done}).data)

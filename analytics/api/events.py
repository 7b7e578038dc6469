"""`GET /api/v1/admin/events/`: the event store (audit trail), for admins."""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from analytics.filters import AGGREGATE_TYPES
from analytics.models import Event
from analytics.selectors import event_list
from config.api.pagination import CursorPagination
from config.api.permissions import IsAdmin
from config.events.registry import EVENT_TYPES


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, help_text="Username."
    )
    # A declared field named like Serializer.data: DRF's metaclass moves it into
    # _declared_fields, so the property is not shadowed at run time; the stub cannot know.
    data = serializers.DictField(  # type: ignore[assignment]
        read_only=True, help_text="Ids and primitives, no personal data."
    )
    request_id = serializers.CharField(read_only=True, help_text="Empty if no request caused it.")

    class Meta:
        model = Event
        fields = [
            "id", "type", "occurred_at", "actor", "aggregate_type", "aggregate_id", "data",
            "request_id",
        ]  # fmt: skip
        read_only_fields = fields


EVENT_FILTERS = [
    OpenApiParameter(
        "type",
        OpenApiTypes.STR,
        enum=list(EVENT_TYPES),
        many=True,
        description="Event type; repeat the parameter for several.",
    ),
    OpenApiParameter("actor", OpenApiTypes.STR, description="The actor's username."),
    OpenApiParameter("aggregate_type", OpenApiTypes.STR, enum=AGGREGATE_TYPES),
    OpenApiParameter("aggregate_id", OpenApiTypes.STR),
    OpenApiParameter(
        "since", OpenApiTypes.DATETIME, description="ISO 8601; events at or after it."
    ),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="ISO 8601; events before it."),
]


@extend_schema_view(get=extend_schema(parameters=EVENT_FILTERS, operation_id="admin_events_list"))
class EventListView(ListAPIView):
    """Newest first, keyset-paginated: a page costs the same at any depth."""

    permission_classes = [IsAdmin]
    serializer_class = EventSerializer
    pagination_class = CursorPagination

    def get_queryset(self) -> QuerySet[Event]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request
            return Event.objects.none()
        return event_list(params=self.request.query_params)

    def get_ordering(self) -> tuple[str, ...]:
        return ("-occurred_at", "-id")

"""Admin API of webhooks: subscriptions, their deliveries, and redelivery (admins only)."""

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.requests import AuthenticatedRequest
from analytics.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from analytics.webhooks import selectors, services
from config.api.pagination import PageNumberPagination
from config.api.permissions import IsAdmin
from config.api.problems import PROBLEM_CONTENT_TYPE
from config.api.serializers import ProblemSerializer, StrictSerializer


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "is_active", "created_at"]
        read_only_fields = fields


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    """The answer to a creation: the only time the signing secret is shown."""

    secret = serializers.CharField(
        read_only=True, help_text="Signing secret for X-Signature; shown only in this answer."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookSubscriptionWriteSerializer(StrictSerializer):
    """A new subscription: an http(s) URL on a public address, and the event types."""

    # A plain string: the services check the scheme and the host's addresses.
    url = serializers.CharField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=services.webhook_event_types()),
        allow_empty=False,
        max_length=len(services.webhook_event_types()),
    )
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookSubscriptionUpdateSerializer(StrictSerializer):
    """Changes to a subscription; the secret cannot be changed."""

    url = serializers.CharField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=services.webhook_event_types()),
        allow_empty=False,
        max_length=len(services.webhook_event_types()),
        required=False,
    )
    is_active = serializers.BooleanField(required=False)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


SUBSCRIPTION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    retrieve=extend_schema(parameters=[SUBSCRIPTION_ID]),
    create=extend_schema(
        request=WebhookSubscriptionWriteSerializer,
        responses={201: WebhookSubscriptionCreatedSerializer},
    ),
    partial_update=extend_schema(
        parameters=[SUBSCRIPTION_ID],
        request=WebhookSubscriptionUpdateSerializer,
        responses=WebhookSubscriptionSerializer,
    ),
    destroy=extend_schema(parameters=[SUBSCRIPTION_ID], responses={204: None}),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAdmin]
    serializer_class = WebhookSubscriptionSerializer
    pagination_class = PageNumberPagination
    # For the schema (the path id's type); the rows come from the selectors.
    queryset = WebhookSubscription.objects.none()
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return selectors.webhook_subscription_list()

    def get_object(self) -> WebhookSubscription:
        subscription = selectors.webhook_subscription_get(subscription_id=self.kwargs["pk"])
        if subscription is None:
            raise Http404
        return subscription

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = WebhookSubscriptionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = services.webhook_subscription_create(
            actor=request.user, **serializer.validated_data
        )
        return Response(
            WebhookSubscriptionCreatedSerializer(subscription).data,
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        subscription = self.get_object()
        serializer = WebhookSubscriptionUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        subscription = services.webhook_subscription_update(
            subscription=subscription, actor=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(subscription).data)

    def destroy(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        services.webhook_subscription_delete(subscription=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[
            SUBSCRIPTION_ID,
            OpenApiParameter("status", OpenApiTypes.STR, enum=DeliveryStatus.values),
        ],
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        deliveries = selectors.webhook_delivery_list(
            subscription=self.get_object(), status=request.query_params.get("status")
        )
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        parameters=[SUBSCRIPTION_ID, DELIVERY_ID],
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description="The subscription is inactive."
            ),
        },
        description="Queue the delivery again (whatever its status); 409 if the "
        "subscription is inactive.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>\d+)/redeliver",
        url_name="redeliver",
    )
    def redeliver(self, request: AuthenticatedRequest, pk: str, delivery_id: str) -> Response:
        delivery = selectors.webhook_delivery_get(
            subscription=self.get_object(), delivery_id=delivery_id
        )
        if delivery is None:
            raise Http404
        delivery = services.webhook_delivery_redeliver(delivery=delivery, actor=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

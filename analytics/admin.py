"""Operations pages of analytics, for admins."""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.requests import request_user
from analytics.models import (
    Event,
    Report,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from analytics.webhooks import services as webhook_services
from config.admin import RoleAdminMixin
from config.errors import DomainError
from config.events.registry import EVENT_TYPES, event_aggregate_types


class _ReadOnlyMixin:
    """Rows written only by the services and jobs: shown, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Subscriptions are created through the API, which shows the new secret once; here
    admins read them and switch them on or off. The secret is never shown."""

    admin_role_required = True
    list_display = ["url", "events", "is_active", "created_at", "created_by"]
    list_filter = ["is_active"]
    search_fields = ["url"]
    fields = ["url", "events", "is_active", "created_at", "created_by"]
    readonly_fields = ["url", "events", "created_at", "created_by"]
    actions = ["activate", "deactivate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: forms.Form, change: bool
    ) -> None:
        webhook_services.webhook_subscription_update(
            subscription=obj, actor=request_user(request), is_active=obj.is_active
        )

    def delete_model(self, request: HttpRequest, obj: WebhookSubscription) -> None:
        webhook_services.webhook_subscription_delete(subscription=obj, actor=request_user(request))

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]
    ) -> None:
        for subscription in queryset:
            webhook_services.webhook_subscription_delete(
                subscription=subscription, actor=request_user(request)
            )

    def _set_active(
        self, request: HttpRequest, queryset: QuerySet[WebhookSubscription], is_active: bool
    ) -> None:
        count = webhook_services.webhook_subscription_set_active_many(
            subscriptions=queryset, is_active=is_active, actor=request_user(request)
        )
        self.message_user(request, f"{count} subscription(s) updated.")

    @admin.action(description="Activate selected subscriptions")
    def activate(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate selected subscriptions")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        self._set_active(request, queryset, False)


class WebhookAttemptInline(_ReadOnlyMixin, RoleAdminMixin, admin.TabularInline):
    admin_role_required = True
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("attempted_at", "succeeded", "response_status", "duration_ms", "error")
    readonly_fields = fields
    ordering = ["-attempted_at", "-id"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnlyMixin, RoleAdminMixin, admin.ModelAdmin):
    """Each delivery with its attempts; a failed one can be sent again."""

    admin_role_required = True
    list_display = [
        "id", "subscription", "event_type", "status", "attempts", "response_status",
        "created_at", "delivered_at",
    ]  # fmt: skip
    list_filter = ["status", "event_type"]
    list_select_related = ["subscription"]
    search_fields = ["subscription__url", "event_type"]
    fields = (
        "subscription", "event_id", "event_type", "status", "attempts", "response_status",
        "last_error", "created_at", "delivered_at",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Redeliver selected deliveries")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        queued = 0
        for delivery in queryset:
            try:
                webhook_services.webhook_delivery_redeliver(
                    delivery=delivery, actor=request_user(request)
                )
                queued += 1
            except DomainError as exc:
                self.message_user(request, f"Delivery {delivery.pk}: {exc}", messages.ERROR)
        if queued:
            self.message_user(request, f"{queued} delivery(ies) queued again.")


class _ChoicesFilter(admin.SimpleListFilter):
    """A filter whose choices are known in advance: no DISTINCT scan of a large table."""

    values: list[str] = []
    parameter_name: str

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, value) for value in self.values]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Event]) -> QuerySet[Event]:
        if self.value():
            return queryset.filter(**{self.parameter_name: self.value()})
        return queryset


class EventTypeFilter(_ChoicesFilter):
    title = "type"
    parameter_name = "type"
    values = sorted(EVENT_TYPES)


class AggregateTypeFilter(_ChoicesFilter):
    title = "aggregate type"
    parameter_name = "aggregate_type"
    values = event_aggregate_types()


@admin.register(Event)
class EventAdmin(_ReadOnlyMixin, RoleAdminMixin, admin.ModelAdmin):
    """The event store, the audit trail: read-only for admins, kept by its retention."""

    admin_role_required = True
    list_display = [
        "occurred_at", "type", "actor", "aggregate_type", "aggregate_id", "request_id",
        "dispatched_at",
    ]  # fmt: skip
    list_filter = [EventTypeFilter, AggregateTypeFilter, ("occurred_at", admin.DateFieldListFilter)]
    # Exact matches (`=`): an audit search looks up one aggregate, user or request.
    search_fields = ["=aggregate_id", "=actor__username", "=request_id"]
    search_help_text = "An aggregate id, an actor's username or a request id."
    list_select_related = ["actor"]
    ordering = ["-occurred_at", "-id"]
    # Counting the whole store for "N total" on every page is a full scan.
    show_full_result_count = False
    fields = (
        "id", "type", "occurred_at", "actor", "aggregate_type", "aggregate_id", "payload",
        "request_id", "dispatched_at",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="data")
    def payload(self, event: Event) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(event.data, indent=2, sort_keys=True))


@admin.register(Report)
class ReportAdmin(_ReadOnlyMixin, RoleAdminMixin, admin.ModelAdmin):
    """Reports are requested through the API or `run_report`; admins look at them here."""

    admin_role_required = True
    list_display = ["created_at", "kind", "format", "start", "end", "status", "row_count"]
    list_filter = ["kind", "format", "status"]
    list_select_related = ["requested_by"]
    # A tuple, as the job records': the same names are `readonly_fields`, which Django's
    # types want a list or tuple of names (`fields` may also group them).
    fields = (
        "id", "kind", "format", "start", "end", "status", "task_id", "file", "row_count",
        "error", "requested_by", "created_at", "completed_at",
    )  # fmt: skip
    readonly_fields = fields

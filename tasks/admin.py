"""Job records in the admin: read-only, for admins; failed jobs can be retried."""

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts.requests import request_user
from config.admin import RoleAdminMixin
from tasks import services
from tasks.models import JobRecord


class ReadOnlyAdminMixin(RoleAdminMixin):
    """Records are written by the job system only; the admin looks, and acts by actions."""

    admin_role_required = True

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(JobRecord)
class JobRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at", "name", "status", "priority", "attempts", "max_attempts",
        "duration_ms", "run_after", "short_error",
    ]  # fmt: skip
    list_filter = ["status", "priority", "queue", "name", "created_at"]
    search_fields = ["id", "name", "request_id", "error"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    actions = ["retry_failed"]
    fields = (
        "id", "name", "status", "queue", "priority", "attempts", "max_attempts",
        "created_at", "started_at", "finished_at", "duration_ms", "arguments", "result",
        "error", "traceback", "request_id", "actor", "run_after", "dispatch", "dispatched_at",
        "attempt_started_at", "worker", "lease_until",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="error")
    def short_error(self, obj: JobRecord) -> str:
        return obj.error[:80]

    @admin.action(description="Retry the selected failed jobs (same arguments)")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[JobRecord]) -> None:
        outcome = services.job_retry_many(jobs=queryset, actor=request_user(request))
        self.message_user(request, f"{len(outcome.retried)} job(s) queued again.")
        if outcome.not_failed:
            message = f"{outcome.not_failed} job(s) not failed: left alone."
            self.message_user(request, message, messages.INFO)
        if outcome.refused:
            refusals = [f"{record.name} {record.pk}: {why}" for record, why in outcome.refused]
            self.message_user(request, "; ".join(refusals), messages.WARNING)

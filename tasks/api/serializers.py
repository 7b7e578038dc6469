from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from config.api.serializers import StrictSerializer
from tasks.models import JobRecord, Report, ReportFormat, ReportKind


@extend_schema_field(OpenApiTypes.ANY)
class AnyJSONField(serializers.JSONField):
    """Any JSON value (a job's result summary: an object, a list, a string, a number)."""


class JobSerializer(serializers.ModelSerializer):
    """A job record as listed: the fields of the API contract."""

    result = AnyJSONField(read_only=True, allow_null=True)

    class Meta:
        model = JobRecord
        fields = [
            "id", "name", "status", "priority", "queue", "attempts", "max_attempts",
            "created_at", "started_at", "finished_at", "duration_ms", "result", "error",
        ]  # fmt: skip
        read_only_fields = fields


class JobDetailSerializer(JobSerializer):
    """One job record: also its (redacted) arguments, traceback, request id and actor."""

    arguments = serializers.JSONField(read_only=True)
    actor: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "arguments", "traceback", "request_id", "actor"]
        read_only_fields = fields


class ReportRequestSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    start = serializers.DateField(help_text="First day (UTC), included.")
    end = serializers.DateField(help_text="Last day (UTC), included.")
    format = serializers.ChoiceField(choices=ReportFormat.choices)


class ReportAcceptedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ["id", "status", "task_id"]
        read_only_fields = fields


class ReportSerializer(serializers.ModelSerializer):
    requested_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id", "kind", "format", "start", "end", "status", "task_id", "row_count",
            "error", "requested_by", "created_at", "completed_at", "download_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, report: Report) -> str | None:
        if report.status != "completed":
            return None
        request = self.context.get("request")
        path = reverse("admin-reports-download", kwargs={"report_id": report.pk})
        return request.build_absolute_uri(path) if request else path

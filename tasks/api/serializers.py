from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from tasks.models import JobRecord


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
            "run_after",
        ]  # fmt: skip
        read_only_fields = fields


class JobDetailSerializer(JobSerializer):
    """One job record: also its (redacted) arguments, traceback, request id and actor, and
    its current attempt (when it started, on which worker, until when it holds the job)."""

    arguments = serializers.JSONField(read_only=True)
    actor: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta(JobSerializer.Meta):
        fields = [
            *JobSerializer.Meta.fields, "arguments", "traceback", "request_id", "actor",
            "attempt_started_at", "worker", "lease_until",
        ]  # fmt: skip
        read_only_fields = fields

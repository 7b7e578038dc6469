"""Admin API of reports: request one, poll it, download it (editors)."""

import uuid

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.requests import AuthenticatedRequest
from analytics.models import Report, ReportFormat, ReportKind
from analytics.reports import selectors, services
from config.api.permissions import IsEditor
from config.api.serializers import StrictSerializer


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


class ReportCreateView(APIView):
    permission_classes = [IsEditor]

    @extend_schema(
        tags=["admin"],
        request=ReportRequestSerializer,
        responses={202: ReportAcceptedSerializer},
        summary="Request a report",
        description="Generated in the background (queue `low`); poll the report for its "
        "status, then download it.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_request(requested_by=request.user, **serializer.validated_data)
        return Response(ReportAcceptedSerializer(report).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["admin"])
class ReportDetailView(generics.RetrieveAPIView):
    permission_classes = [IsEditor]
    serializer_class = ReportSerializer

    def get_object(self) -> Report:
        return selectors.report_get(report_id=self.kwargs["report_id"])


class ReportDownloadView(APIView):
    permission_classes = [IsEditor]

    @extend_schema(
        tags=["admin"],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/json"): OpenApiTypes.BINARY,
        },
        summary="Download a finished report",
        description="404 until the report is completed.",
    )
    def get(self, request: AuthenticatedRequest, report_id: uuid.UUID) -> FileResponse:
        report = selectors.report_get(report_id=report_id)
        if report.status != "completed" or not report.file:
            raise Http404
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=selectors.report_filename(report=report),
            content_type=selectors.report_content_type(report=report),
        )

"""The job system's admin API: thin views over tasks.services and tasks.selectors."""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdmin, IsEditor
from config.api.schema import documented_problem
from tasks import selectors, services
from tasks.api.serializers import (
    JobDetailSerializer,
    JobSerializer,
    ReportAcceptedSerializer,
    ReportRequestSerializer,
    ReportSerializer,
)
from tasks.models import JobStatus
from tasks.schedule import QUEUES

_CONFLICT = documented_problem("The job is running or finished.")


@extend_schema(
    tags=["admin"],
    parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=JobStatus.values),
        OpenApiParameter("name", OpenApiTypes.STR, description="The job's name, exactly."),
        OpenApiParameter("priority", OpenApiTypes.STR, enum=list(QUEUES)),
    ],
)
class JobListView(generics.ListAPIView):
    """Recorded jobs, newest first."""

    permission_classes = [IsAdmin]
    serializer_class = JobSerializer

    def get_queryset(self):
        return selectors.job_list(params=self.request.query_params)


@extend_schema(tags=["admin"])
class JobDetailView(generics.RetrieveAPIView):
    permission_classes = [IsAdmin]
    serializer_class = JobDetailSerializer

    def get_object(self):
        return selectors.job_get(job_id=self.kwargs["job_id"])


class JobCancelView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["admin"],
        request=None,
        responses={200: JobDetailSerializer, 409: _CONFLICT},
        summary="Cancel a job waiting to run",
        description="A pending (or retrying) job becomes `cancelled` and never runs; "
        "a running or finished one answers 409.",
    )
    def post(self, request, job_id):
        record = services.job_cancel(job_id=job_id, actor=request.user)
        record = selectors.job_get(job_id=record.pk)
        return Response(JobDetailSerializer(record).data)


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
    def post(self, request):
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_request(requested_by=request.user, **serializer.validated_data)
        return Response(ReportAcceptedSerializer(report).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["admin"])
class ReportDetailView(generics.RetrieveAPIView):
    permission_classes = [IsEditor]
    serializer_class = ReportSerializer

    def get_object(self):
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
    def get(self, request, report_id):
        report = selectors.report_get(report_id=report_id)
        if report.status != "completed" or not report.file:
            raise Http404
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=selectors.report_filename(report=report),
            content_type=selectors.report_content_type(report=report),
        )

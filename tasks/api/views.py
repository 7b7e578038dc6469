"""The job system's admin API: thin views over tasks.services and tasks.selectors."""

import uuid

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from config.api.permissions import IsAdmin
from config.api.schema import documented_problem
from tasks import selectors, services
from tasks.api.serializers import JobDetailSerializer, JobSerializer
from tasks.models import JobRecord, JobStatus
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

    def get_queryset(self) -> QuerySet[JobRecord]:
        return selectors.job_list(params=self.request.query_params)


@extend_schema(tags=["admin"])
class JobDetailView(generics.RetrieveAPIView):
    permission_classes = [IsAdmin]
    serializer_class = JobDetailSerializer

    def get_object(self) -> JobRecord:
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
    def post(self, request: AuthenticatedRequest, job_id: uuid.UUID) -> Response:
        record = services.job_cancel(job_id=job_id, actor=request.user)
        record = selectors.job_get(job_id=record.pk)
        return Response(JobDetailSerializer(record).data)

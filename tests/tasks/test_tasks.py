"""The daily clean-up of job records and reports (`tasks.purge_jobs`)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from analytics.models import Report
from tasks.models import JobRecord, JobStatus
from tasks.tasks import purge_jobs
from tests.factories import JobRecordFactory, ReportFactory

pytestmark = pytest.mark.django_db


def aged(model, obj, days: int):
    model.objects.filter(pk=obj.pk).update(created_at=timezone.now() - timedelta(days=days))
    return obj


def test_finished_jobs_and_reports_past_retention_are_deleted(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.JOB_RETENTION_DAYS = settings.REPORT_RETENTION_DAYS = 30
    old_done = aged(JobRecord, JobRecordFactory(name="x", status=JobStatus.COMPLETED), 31)
    old_failed = aged(JobRecord, JobRecordFactory(name="x", status=JobStatus.FAILED), 40)
    old_pending = aged(JobRecord, JobRecordFactory(name="x"), 40)
    recent = aged(JobRecord, JobRecordFactory(name="x", status=JobStatus.COMPLETED), 29)
    old_report = ReportFactory()
    old_report.file.save("old.csv", ContentFile(b"a,b\n"))
    aged(Report, old_report, 31)
    new_report = ReportFactory()
    file_name = old_report.file.name
    assert default_storage.exists(file_name)

    result = purge_jobs.apply_async().get()

    assert result == {"jobs": 2, "reports": 1}
    remaining = set(JobRecord.objects.values_list("pk", flat=True))
    assert {old_pending.pk, recent.pk} <= remaining
    assert not remaining & {old_done.pk, old_failed.pk}
    assert list(Report.objects.values_list("pk", flat=True)) == [new_report.pk]
    assert not default_storage.exists(file_name)

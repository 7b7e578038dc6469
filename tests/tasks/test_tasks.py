"""The daily clean-up of job records and reports (`tasks.purge_jobs`)."""

import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from analytics.models import Report
from tasks.models import JobRecord, JobStatus
from tasks.services import job_purge
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


def test_a_purge_past_its_deadline_stops_after_a_batch():
    for _ in range(5):
        aged(JobRecord, JobRecordFactory(name="x", status=JobStatus.COMPLETED), 31)

    assert job_purge(older_than=timedelta(days=30), batch_size=2, deadline=time.monotonic()) == 2
    assert job_purge(older_than=timedelta(days=30), batch_size=2) == 3


def test_a_purge_job_out_of_time_queues_the_next_run(settings, monkeypatch):
    settings.JOB_RETENTION_DAYS = 30
    monkeypatch.setattr("tasks.tasks.PURGE_TIME_BUDGET", 0.0)
    aged(JobRecord, JobRecordFactory(name="x", status=JobStatus.COMPLETED), 31)

    purge_jobs.apply_async().get()  # eager: the run it queues runs here too

    runs = JobRecord.objects.filter(name="tasks.purge_jobs").order_by("created_at")
    assert [run.result for run in runs] == [{"jobs": 1, "reports": 0}, {"jobs": 0, "reports": 0}]

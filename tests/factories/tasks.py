"""Factories of job records and reports, in any state (tests of the jobs themselves queue
them through RecordedTask)."""

from datetime import date

import factory

from tasks.models import JobRecord, Report, ReportFormat, ReportKind


class JobRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRecord

    # A job the test worker knows (tests/tasks/jobs.py), so that a retry can run it.
    name = "tests.note_start"


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    kind = ReportKind.USERS
    format = ReportFormat.CSV
    start = factory.LazyFunction(date.today)
    end = factory.LazyFunction(date.today)

"""Factories of job records, in any state (tests of the jobs themselves queue them through
RecordedTask)."""

import factory

from tasks.models import JobRecord


class JobRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRecord

    # A job the test worker knows (tests/tasks/jobs.py), so that a retry can run it.
    name = "tests.note_start"

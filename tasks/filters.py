"""Query-string filters of the job and report lists (django-filter); selectors apply them."""

import django_filters

from config.api.filters import StrictFilterSet
from tasks.models import JobRecord, JobStatus
from tasks.schedule import QUEUES


class JobFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)
    name = django_filters.CharFilter()
    priority = django_filters.ChoiceFilter(choices=[(q, q) for q in QUEUES])

    class Meta:
        model = JobRecord
        fields = ["status", "name", "priority"]

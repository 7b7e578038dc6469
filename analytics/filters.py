"""Query-string filters of analytics' lists (django-filter); selectors apply them."""

from typing import Any

import django_filters
from django import forms

from analytics.models import Event
from config.api.filters import StrictFilterSet, UTCDateTimeFilter
from config.events.registry import EVENT_TYPES, event_aggregate_types

EVENT_TYPE_CHOICES = [(name, name) for name in EVENT_TYPES]
AGGREGATE_TYPES = event_aggregate_types()


class _EventFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", "Must be later than `since`.")
        return data


class EventFilter(StrictFilterSet):
    """Filters of the event store (`GET /api/v1/admin/events/`).

    Unknown event or aggregate types are errors, not empty lists, so a typo is noticed.
    `since` is inclusive and `until` exclusive: consecutive ranges never overlap.
    """

    type = django_filters.MultipleChoiceFilter(choices=EVENT_TYPE_CHOICES)
    actor = django_filters.CharFilter(field_name="actor__username")
    aggregate_type = django_filters.ChoiceFilter(choices=[(a, a) for a in AGGREGATE_TYPES])
    aggregate_id = django_filters.CharFilter(max_length=64)
    since = UTCDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = UTCDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["type", "actor", "aggregate_type", "aggregate_id", "since", "until"]
        form = _EventFilterForm

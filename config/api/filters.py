"""Query-string filters (django-filter) that refuse what the schema refuses.

django-filter treats an empty value as "no filter" and hands PostgreSQL any date-time
Python can parse. Here a typed parameter (a date-time, a choice) given empty is a 400,
and a date-time is compared in UTC.
"""

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC.

    PostgreSQL refuses offsets beyond about 16 hours, which Python accepts (up to 24):
    sent as given, `-19:05` fails the query as a 500. A moment that falls outside
    years 1-9999 in UTC is not a valid date-time.
    """

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class _TypedParamsNotEmpty(forms.Form):
    """A parameter whose value is not free text (a date-time, a choice) may be absent,
    but not empty: `published_before=` is a mistake, not "no filter"."""

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField) or name in self.errors:
                continue
            given = self.data.getlist(name) if hasattr(self.data, "getlist") else []
            if given and all(value == "" for value in given):
                self.add_error(name, "This parameter may not be empty.")
        return data


class StrictFilterSet(django_filters.FilterSet):
    """A filter set whose typed parameters refuse empty values (see above)."""

    def get_form_class(self) -> type[forms.Form]:
        form_class = super().get_form_class()
        return type(form_class.__name__, (_TypedParamsNotEmpty, form_class), {})

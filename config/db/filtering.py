"""Query-string filtering and ordering for the selectors of every app: bad values are
InvalidInput (a 400 naming the parameter), never an empty list or a silent default."""

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import QueryDict
from django_filters import FilterSet

from config.errors import InvalidInput

_M = TypeVar("_M", bound=Model)

# A query string as a view hands it over (`request.query_params`) or as a caller builds
# it: what django-filter's FilterSet takes.
QueryParams = QueryDict | dict[str, Any]


def apply_filterset(
    filterset_class: type[FilterSet], params: QueryParams, queryset: QuerySet[_M]
) -> QuerySet[_M]:
    """Filter `queryset` by query parameters, or raise InvalidInput naming the bad ones."""
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        fields = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        raise InvalidInput("Invalid filter.", fields=fields)
    return filterset.qs


def check_ordering(
    params: Mapping[str, Any], allowed: Mapping[str, tuple[str, ...]], default: str
) -> tuple[str, ...]:
    """The ORM ordering for the client's `ordering` parameter, one of `allowed`'s keys."""
    # Given empty, it is not one of `allowed`: a 400 like any other unknown ordering.
    value = params.get("ordering", default)
    if value not in allowed:
        choices = ", ".join(allowed)
        raise InvalidInput(
            f"Unknown ordering {value!r}.", fields={"ordering": [f"Must be one of: {choices}."]}
        )
    return allowed[value]

"""Pagination shared by the API's lists.

DRF ignores a page size it cannot read and answers 404 for a cursor it cannot decode;
here both are 400 problems naming the parameter, as the schema (positive integers, an
opaque cursor) implies: `page_size=abc` is a client's mistake, not a request for the
default.
"""

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from config.errors import InvalidInput

MAX_PAGE_SIZE = 100


def positive_int_param(request: Request, name: str) -> int | None:
    """The query parameter `name` as an integer >= 1; None when absent; else a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.isascii() and raw.isdigit() and int(raw) >= 1:
        return int(raw)
    raise ValidationError({name: ["A positive integer is required."]})


def _page_size_schema(maximum: int) -> dict:
    return {
        "name": "page_size",
        "required": False,
        "in": "query",
        "description": f"Number of results to return per page (at most {maximum}; "
        "larger values are capped).",
        "schema": {"type": "integer", "minimum": 1},
    }


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages with a count, for lists whose length is bounded in practice.

    A page past the last one is a 404 (there is no such page), a page that is not a
    positive integer a 400.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    # `page=last` is not an integer: the schema does not offer it.
    last_page_strings = ()

    def get_page_size(self, request: Request) -> int:
        size = positive_int_param(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return positive_int_param(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        page = {
            "name": self.page_query_param,
            "required": False,
            "in": "query",
            "description": "A page number (1 is the first); past the last page, 404.",
            "schema": {"type": "integer", "minimum": 1},
        }
        return [page, _page_size_schema(self.max_page_size)]


def _ordering_field(queryset: QuerySet, ordering: tuple[str, ...]) -> Field | None:
    """The model field (or annotation) a cursor's position is a value of."""
    name = ordering[0].lstrip("-")
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        return annotation.output_field
    try:
        return queryset.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors: the cost of a page does not grow with its depth.

    The ordering comes from the view (`get_ordering()`), which validates the client's
    `ordering` parameter, so one class serves every ordering the API allows.

    A cursor that does not decode, or whose position is not a value of the ordering
    field, is a 400 `invalid_cursor`: the position goes into a query, where a forged one
    would otherwise fail in the database.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        ordering = tuple(view.get_ordering())
        # Called with the queryset just before the cursor is decoded: the field a cursor's
        # position must be a value of is known from here.
        self._position_field = _ordering_field(queryset, ordering)
        return ordering

    def get_page_size(self, request: Request) -> int:
        size = positive_int_param(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            invalid = True
        else:
            invalid = False
        if cursor is not None and cursor.position is not None:
            # drf-stubs type the position as an int; it is the text of the ordering
            # field's value, whatever its type.
            position = self._checked_position(str(cursor.position))
            invalid = position is None
            cursor = cursor._replace(position=position)  # type: ignore[arg-type]
        if invalid:
            raise InvalidInput(
                "Invalid cursor.",
                code="invalid_cursor",
                fields={"cursor": ["Not a cursor of this list: use a `next` or `previous` link."]},
            )
        return cursor

    def _checked_position(self, position: str) -> str | None:
        """The position as the ordering field's value (a date in UTC), or None."""
        if "\x00" in position:
            return None
        field = getattr(self, "_position_field", None)
        if field is None:
            return position
        try:
            value = field.to_python(position)
            if isinstance(value, datetime) and value.tzinfo is not None:
                # The form `_get_position_from_instance` gives (str of a UTC datetime),
                # so the links built from this page compare equal to it.
                return str(value.astimezone(UTC))
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return None
        return position

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        cursor = {
            "name": self.cursor_query_param,
            "required": False,
            "in": "query",
            "description": "The opaque cursor of a `next` or `previous` link; 400 if "
            "it is not one.",
            "schema": {"type": "string"},
        }
        return [cursor, _page_size_schema(self.max_page_size)]

"""Pagination shared by the API's lists."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.request import Request

if TYPE_CHECKING:
    # Not at run time: rest_framework.views reads the API settings, which name this module.
    from rest_framework.views import APIView


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages with a count, for lists whose length is bounded in practice."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class OrderedView(Protocol):
    def get_ordering(self) -> Sequence[str]: ...


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors: the cost of a page does not grow with its depth.

    The ordering comes from the view (`get_ordering()`), which validates the client's
    `ordering` parameter, so one class serves every ordering the API allows.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any], view: "APIView"
    ) -> tuple[str, ...]:
        # Only views that define get_ordering() (see above) paginate with this class.
        return tuple(cast(OrderedView, view).get_ordering())

"""Pagination shared by the API's lists."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages with a count, for lists whose length is bounded in practice."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors: the cost of a page does not grow with its depth.

    The ordering comes from the view (`get_ordering()`), which validates the client's
    `ordering` parameter, so one class serves every ordering the API allows.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_ordering(self, request, queryset, view):
        return tuple(view.get_ordering())

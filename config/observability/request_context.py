"""The id of the request (or job) being served, for events, logs and jobs it starts."""

from contextvars import ContextVar

from django.http import HttpRequest

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestWithId(HttpRequest):
    """A request after `RequestIdMiddleware`: it carries the id it was given."""

    request_id: str


def get_request_id() -> str | None:
    return request_id_var.get()

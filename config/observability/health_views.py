"""`/health/` (django-health-check's view with our checks) and the load balancers' liveness."""

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.views import HealthCheckView

from config.observability.health import health_checks, health_results_failed


class HealthView(HealthCheckView):
    """All checks; 500 only when a critical one fails (see config/observability/health.py).

    The library answers 500 for any failed check, warnings included; a missing worker is
    reported here but keeps the answer at 200.
    """

    def get_checks(self) -> Iterator[HealthCheck]:
        yield from health_checks()

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500 and not health_results_failed(self.results):
            response.status_code = 200
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "errors": health_results_failed(self.results)}


@never_cache
def liveness(request: HttpRequest) -> HttpResponse:
    """The process answers: no database, cache or broker is touched (cheap enough to poll)."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")

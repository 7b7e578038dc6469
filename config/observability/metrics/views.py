"""`/metrics`: the Prometheus exposition, for scrapers only.

Allowed with `Authorization: Bearer <METRICS_TOKEN>` (when a token is set) or from an
address in `METRICS_ALLOWED_NETWORKS`; anything else is a plain 403. The address is the
connection's (`REMOTE_ADDR`), never a forwarded header anyone can write: behind a proxy,
every request comes from the proxy, so use the token there.
"""

import functools
import hmac
import ipaddress
import os
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric

from config.observability.metrics.collectors import StateCollector
from config.observability.metrics.shared import IN_PROCESS_NAMES, shared_counters_enabled

FORBIDDEN = (
    "/metrics is not public: send Authorization: Bearer <METRICS_TOKEN>, or scrape from "
    "an address in METRICS_ALLOWED_NETWORKS.\n"
)


def multiprocess_mode() -> bool:
    # prometheus_client itself decides on this variable, when its values are created.
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class _ThisProcess:
    """The default registry (this process's metrics) as a collector of another registry."""

    def collect(self) -> Iterator[Metric]:
        # With Redis, events and receiver failures are counted there, by every process
        # (`StateCollector`): this process's counters of them stay empty and unshown.
        hidden = IN_PROCESS_NAMES if shared_counters_enabled() else frozenset()
        for family in REGISTRY.collect():
            if family.name not in hidden:
                yield family


def process_registry() -> CollectorRegistry:
    """The metrics counted in processes: every gunicorn worker's in multiprocess mode (the
    files of PROMETHEUS_MULTIPROC_DIR), else this process's."""
    registry = CollectorRegistry()
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    return registry


@functools.lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _address_allowed(remote_addr: str) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:  # a Unix socket, or nothing
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(
        address in network for network in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS))
    )


def _token_allowed(header: str) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, given = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_allowed(request: HttpRequest) -> bool:
    return _token_allowed(request.headers.get("Authorization", "")) or _address_allowed(
        request.META.get("REMOTE_ADDR", "")
    )


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse(FORBIDDEN, status=403, content_type="text/plain; charset=utf-8")
    registry = process_registry()
    registry.register(StateCollector())
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = HttpResponse(encoder(registry), content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response

"""Where a webhook may be sent: http(s) URLs whose host resolves to public addresses only.

A subscription URL is a server-side request on the admin's behalf: without this check an
admin account (or a stolen token) could make the workers call the cloud metadata service,
the database or anything else on the internal network. Loopback, private, link-local,
reserved and other non-global addresses are refused unless
`settings.WEBHOOK_ALLOW_PRIVATE_URLS` is on (tests with a local receiver, intranets).

The check runs when a subscription is saved and again before each delivery, and the
delivery connects to the address that passed (`WebhookTarget.address`), so a DNS answer
that changes in between (DNS rebinding) cannot redirect a delivery inward.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from config.errors import InvalidInput

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


class TargetRefused(Exception):
    """The URL is not an allowed webhook target; the message says why."""


class TargetUnresolvable(TargetRefused):
    """The host has no address now: refused on save, but a passing error on delivery."""


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str  # as written in the URL (a name, or an IP without brackets)
    port: int
    path: str  # path and query, at least "/"
    address: str  # the checked IP address to connect to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"Not a valid URL: {exc}.") from exc
    scheme = (parts.scheme or "").lower()
    if scheme not in ALLOWED_SCHEMES:
        raise TargetRefused("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        # Credentials in the URL would be shown to every admin reading the subscription.
        raise TargetRefused("Credentials in the URL are not allowed.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme], path


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 is 127.0.0.1 on the wire.
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, reserved, shared (CGNAT) and
    # unspecified ranges; multicast is never a webhook receiver.
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetUnresolvable(f"The host {host!r} cannot be resolved.") from exc
    # The address is a str for every family (getaddrinfo's sockaddr types say int too).
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetUnresolvable(f"The host {host!r} cannot be resolved.")
    return addresses


def webhook_target_resolve(url: str) -> WebhookTarget:
    """Check `url` and pick the address to connect to; raises `TargetRefused`.

    Every address the host resolves to must be public (not just the first), since the
    connection may use any of them.
    """
    scheme, host, port, path = _split(url)
    addresses = _resolve(host, port)
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        refused = [address for address in addresses if not _is_public(address)]
        if refused:
            raise TargetRefused(
                f"The host {host!r} resolves to a private, loopback, link-local or reserved "
                f"address ({refused[0]}); such targets are not allowed."
            )
    return WebhookTarget(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def webhook_url_validate(url: str) -> str:
    """Validate a subscription URL for the services: `InvalidInput` naming the field."""
    url = (url or "").strip()
    try:
        webhook_target_resolve(url)
    except TargetRefused as exc:
        raise InvalidInput(str(exc), fields={"url": [str(exc)]}) from exc
    return url

"""Typed readers of environment variables, so settings state their defaults in one place."""

import ipaddress
import os
from typing import Any

import dj_email_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_rates(name: str, default: str) -> dict[str, str]:
    """Parse `scope=rate,...`; scopes given in the variable override the defaults."""
    rates = dict(item.split("=", 1) for item in default.split(","))
    for item in env_list(name, ""):
        if "=" not in item:
            raise ImproperlyConfigured(f"{name}: expected scope=rate, got {item!r}")
        scope, rate = item.split("=", 1)
        rates[scope.strip()] = rate.strip()
    return rates


def env_email(name: str, default: str) -> dict[str, Any]:
    """Parse an e-mail URL (`smtp://user:pass@host:587?tls=1`, `console://`, ...) into
    Django's EMAIL_* settings, with dj-email-url; an unknown scheme is a configuration
    error rather than a silent fall-back to some other backend."""
    url = env(name, default) or default
    scheme = url.split(":", 1)[0]
    if scheme not in dj_email_url.SCHEMES:
        raise ImproperlyConfigured(
            f"{name}: unknown scheme {scheme!r} (one of {', '.join(dj_email_url.SCHEMES)})"
        )
    return dj_email_url.parse(url)


def env_int_map(name: str, default: str) -> dict[str, int]:
    """Parse `key=integer,...` like `env_rates`: keys given in the variable override the
    defaults, the others keep them."""
    values = {}
    for key, raw in env_rates(name, default).items():
        try:
            values[key.strip()] = int(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {key} must be an integer, not {raw!r}") from exc
    return values


def env_networks(name: str, default: str) -> list[str]:
    """Parse a comma-separated list of networks (`10.0.0.0/8,::1/128`; a bare address is
    one host) into normalized CIDR strings; a malformed one is a configuration error."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a network") from exc
    return networks

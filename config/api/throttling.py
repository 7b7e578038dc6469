"""Throttles: the global anon/user rates plus named scopes (login, register, comment).

They are DRF's throttles (same scopes, keys, rates and `Retry-After`) counting on the
shared sliding window of `config.api.ratelimit` when the cache is Redis, so every web process
sees the same counts, and a dead Redis degrades to per-process limits instead of none
(see that module). On the local-memory cache they behave exactly as DRF's.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    BaseThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

from config.api import ratelimit
from config.redis.client import redis_enabled

if TYPE_CHECKING:
    # Not at run time: rest_framework.views reads DEFAULT_THROTTLE_CLASSES, i.e. this module.
    from rest_framework.views import APIView


class SharedRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's decision taken by `config.api.ratelimit`. It comes after DRF's
    class in the subclasses below, so ScopedRateThrottle still picks the view's scope."""

    # Set by SimpleRateThrottle.__init__ from the rate (parse_rate); the stub omits them.
    num_requests: int
    duration: int

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if not redis_enabled():
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self._decision = ratelimit.hit(self.key, self.num_requests, self.duration)
        return self._decision.allowed

    def wait(self) -> float | None:
        decision = getattr(self, "_decision", None)
        if decision is None:
            return super().wait()
        return decision.wait


class SharedAnonRateThrottle(AnonRateThrottle, SharedRateThrottle):
    pass


class SharedUserRateThrottle(UserRateThrottle, SharedRateThrottle):
    pass


class SharedScopedRateThrottle(ScopedRateThrottle, SharedRateThrottle):
    pass


class LoginRateThrottle(AnonRateThrottle, SharedRateThrottle):
    """The `login` scope outside DRF views (the admin's login form). Its key is the one
    `ScopedRateThrottle` gives the token endpoint, so both share one budget per address."""

    scope = "login"

    def allow_request(self, request: Request | HttpRequest, view: "APIView | None" = None) -> bool:
        # Called by Django's login form too: the key needs only the client's address
        # (request.META), which a Django request carries as well, and no view.
        return super().allow_request(cast(Request, request), cast("APIView", view))

    def get_cache_key(self, request: Request, view: "APIView | None") -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordResetRateThrottle(LoginRateThrottle):
    """The `password_reset` scope for the server's reset page (accounts/views.py), with
    the key the API's reset endpoints get: one budget per address for both."""

    scope = "password_reset"


def throttles_with_scope() -> list[BaseThrottle]:
    """The default throttles and the view's `throttle_scope`."""
    # DRF imports the dotted paths of this setting; the stub types them as the strings.
    classes = cast(Sequence[type[BaseThrottle]], api_settings.DEFAULT_THROTTLE_CLASSES)
    return [throttle() for throttle in classes] + [SharedScopedRateThrottle()]

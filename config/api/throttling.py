"""Throttles: the global anon/user rates plus named scopes (login, register, comment).

They are DRF's throttles (same scopes, keys, rates and `Retry-After`) counting on the
shared sliding window of `config.api.ratelimit` when the cache is Redis, so every web process
sees the same counts, and a dead Redis degrades to per-process limits instead of none
(see that module). On the local-memory cache they behave exactly as DRF's.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

from config.api import ratelimit
from config.redis.client import redis_enabled


class SharedRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's decision taken by `config.api.ratelimit`. It comes after DRF's
    class in the subclasses below, so ScopedRateThrottle still picks the view's scope."""

    def allow_request(self, request, view):
        if not redis_enabled():
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self._decision = ratelimit.hit(self.key, self.num_requests, self.duration)
        return self._decision.allowed

    def wait(self):
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

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttles_with_scope():
    """The default throttles and the view's `throttle_scope`."""
    return [throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES] + [
        SharedScopedRateThrottle()
    ]

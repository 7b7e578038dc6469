"""Throttles: the global anon/user rates plus named scopes (login, register, comment)."""

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


def throttles_with_scope():
    """The default throttles and the view's `throttle_scope`."""
    return [throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES] + [
        ScopedRateThrottle()
    ]

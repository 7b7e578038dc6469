"""API authentication: simplejwt's, plus the user id in the log context.

DRF authenticates in the view, after every middleware has run, so django-structlog's
middleware sees an anonymous user on a JWT request. Binding the id here puts it on every
line the view and the services log, and on `request_finished`.
"""

import structlog
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication


class JWTAuthentication(authentication.JWTAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            structlog.contextvars.bind_contextvars(user_id=result[0].pk)
        return result


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the subclass: the same as simplejwt's."""

    target_class = "config.api.authentication.JWTAuthentication"

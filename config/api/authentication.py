"""API authentication: simplejwt's, plus the user id in the log context.

DRF authenticates in the view, after every middleware has run, so django-structlog's
middleware sees an anonymous user on a JWT request. Binding the id here puts it on every
line the view and the services log, and on `request_finished`.
"""

import structlog
from django.contrib.auth.base_user import AbstractBaseUser
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.tokens import Token


class JWTAuthentication(authentication.JWTAuthentication):
    # simplejwt annotates the result with its TypeVar AuthUser (AbstractBaseUser or
    # TokenUser), bound by no argument; the union is what it returns.
    def authenticate(  # type: ignore[override]
        self, request: Request
    ) -> tuple[AbstractBaseUser | TokenUser, Token] | None:
        result = super().authenticate(request)
        if result is not None:
            structlog.contextvars.bind_contextvars(user_id=result[0].pk)
        return result


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the subclass: the same as simplejwt's."""

    target_class = "config.api.authentication.JWTAuthentication"

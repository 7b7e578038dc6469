"""Request types for views that only signed-in users reach.

Django and DRF type `request.user` as a user or AnonymousUser. Behind `IsAuthenticated`
(or a role permission) and in the admin (staff only) it is always a `User`; these types
say so to the type checker. They are annotations only: no request is ever built as one.
"""

from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


class AuthenticatedRequest(Request):
    """A DRF request past a permission class that admits signed-in users only."""

    user: User


class AuthenticatedHttpRequest(HttpRequest):
    """A Django request in the admin, which admits signed-in staff only."""

    user: User

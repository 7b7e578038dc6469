"""The user a request carries, for views that only signed-in users reach.

Django and DRF type `request.user` as a user or AnonymousUser (`RequestUser`). Behind
`IsAuthenticated` (or a role permission) and in the admin (staff only) it is always a
`User`: API views say so with `AuthenticatedRequest`, an annotation only (no request is
ever built as one); admin methods, whose signatures are Django's, ask `request_user()`.
"""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User

# Whoever makes a request: a signed-in user or the anonymous one.
RequestUser = User | AnonymousUser


class AuthenticatedRequest(Request):
    """A DRF request past a permission class that admits signed-in users only."""

    user: User


def request_user(request: HttpRequest) -> User:
    """The user of a request that only signed-in users reach, where the signature is
    Django's (ModelAdmin.save_model, ...): the admin lets no one else in."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user

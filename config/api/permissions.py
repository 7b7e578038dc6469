"""DRF permissions by role; object rules (own post, own comment) live in the services.

They read the role flags of the user model (`is_author`, `is_editor`, `is_admin`, as
`config.admin.RoleAdminMixin` does), so any layer's API, the plumbing's own included
(the cache endpoint), can require a role without importing accounts.
"""

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


def _has_role(request: Request, flag: str) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and getattr(user, flag, False))


class IsAuthor(BasePermission):
    message = "Only authors, editors and admins may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return _has_role(request, "is_author")


class IsEditor(BasePermission):
    message = "Only editors and admins may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return _has_role(request, "is_editor")


class IsAdmin(BasePermission):
    message = "Only admins may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return _has_role(request, "is_admin")

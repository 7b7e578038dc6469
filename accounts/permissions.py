"""DRF permissions by role; object rules (own post, own comment) live in the services."""

from rest_framework.permissions import BasePermission


class IsAuthor(BasePermission):
    message = "Only authors, editors and admins may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_author)


class IsEditor(BasePermission):
    message = "Only editors and admins may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_editor)


class IsAdmin(BasePermission):
    message = "Only admins may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_admin)

"""Admin plumbing shared by the apps: access by role instead of per-model permissions."""

from django.db.models import Model
from django.http import HttpRequest


class RoleAdminMixin:
    """Editors manage content; admins (`admin_role_required`) also manage users.

    Roles, not Django's per-model permission table, decide access, so a new editor needs
    no group set up by hand.
    """

    admin_role_required = False

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if not (user.is_active and user.is_staff):
            return False
        return user.is_admin if self.admin_role_required else user.is_editor

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

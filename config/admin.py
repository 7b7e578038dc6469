"""Admin plumbing shared by the apps: access by role instead of per-model permissions."""


class RoleAdminMixin:
    """Editors manage content; admins (`admin_role_required`) also manage users.

    Roles, not Django's per-model permission table, decide access, so a new editor needs
    no group set up by hand.
    """

    admin_role_required = False

    def _allowed(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated and user.is_staff):
            return False
        return user.is_admin if self.admin_role_required else user.is_editor

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

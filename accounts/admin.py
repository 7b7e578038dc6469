from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.forms import AdminLoginForm
from accounts.models import Role, User
from accounts.requests import request_user
from config.admin import RoleAdminMixin

# The admin's sign-in gets the token endpoint's throttle, lockout and events.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(RoleAdminMixin, DjangoUserAdmin):
    """Users for admins; role and activation go through the account services."""

    admin_role_required = True
    list_display = [
        "username", "email", "display_name", "role", "is_active", "invited_at", "date_joined",
    ]  # fmt: skip
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "email", "display_name"]
    readonly_fields = ["role", "is_staff", "invited_at", "last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("display_name", "email", "bio", "email_notifications")}),
        ("Access", {"fields": ("role", "is_active", "invited_at", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    actions = [
        "make_reader", "make_author", "make_editor", "make_admin", "deactivate", "activate",
        "invite",
    ]  # fmt: skip

    def _set_role(self, request: HttpRequest, queryset: QuerySet[User], role: str) -> None:
        count = services.user_set_role_many(users=queryset, role=role, actor=request_user(request))
        self.message_user(request, f"{count} user(s) are now {role}s.")

    @admin.action(description="Make selected users readers")
    def make_reader(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.READER)

    @admin.action(description="Make selected users authors")
    def make_author(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.AUTHOR)

    @admin.action(description="Make selected users editors")
    def make_editor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.EDITOR)

    @admin.action(description="Make selected users admins")
    def make_admin(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.ADMIN)

    @admin.action(description="Deactivate selected users (their tokens stop working)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        left_alone = services.user_set_active_many(
            users=queryset, is_active=False, actor=request_user(request)
        )
        if left_alone:
            self.message_user(request, "You cannot deactivate yourself.", messages.ERROR)

    @admin.action(description="Activate selected users (those without a password: invite them)")
    def activate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        invited = services.user_activate_many(users=queryset, actor=request_user(request))
        if invited:
            names = ", ".join(user.username for user in invited)
            self.message_user(
                request,
                f"Invited (no password yet; their e-mailed link activates them): {names}.",
            )

    @admin.action(
        description="Invite selected inactive users (e-mail them a link to claim the account)"
    )
    def invite(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        left_alone = services.user_invite_many(users=queryset, actor=request_user(request))
        invited = queryset.count() - len(left_alone)
        self.message_user(request, f"{invited} user(s) invited; the link activates them.")
        if left_alone:
            names = ", ".join(user.username for user in left_alone)
            self.message_user(
                request, f"Not invited (active, or no e-mail address): {names}.", messages.WARNING
            )

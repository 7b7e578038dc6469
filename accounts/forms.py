"""The admin's login form, behind the same protections as the API's token endpoint, and
the server's password-reset form."""

import math
from typing import Any, cast

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts import services
from accounts.models import User
from config.api.throttling import LoginRateThrottle


class AdminLoginForm(AdminAuthenticationForm):
    """Django's admin login, plus: the per-address `login` throttle (one budget with the
    token endpoint), the per-username lockout, and `user.logged_in` / `user.login_failed`
    events. Refusals are form errors: the login page stays a page."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        throttle = LoginRateThrottle()
        # The admin's login view always builds the form with the request.
        if not throttle.allow_request(cast(HttpRequest, self.request), None):
            wait = math.ceil(throttle.wait() or 1)
            raise ValidationError(
                f"Too many sign-in attempts; try again in {wait} seconds.", code="throttled"
            )
        try:
            services.user_login_guard(username=username)
        except services.LoginLocked as exc:
            raise ValidationError(exc.message, code="login_locked") from exc
        try:
            cleaned = super().clean()
        except ValidationError:
            # A user_cache means the password was right but the account is no staff.
            reason = "not_staff" if self.user_cache is not None else "invalid_login"
            services.user_record_login_failure(username=username, reason=reason)
            raise
        # super().clean() raised unless a user authenticated.
        services.user_record_login(user=cast(User, self.user_cache))
        return cleaned


class PasswordResetPageForm(forms.Form):
    """The reset link's page (accounts/views.py): the new password, typed twice; Django's
    validators run in the service."""

    uid = forms.CharField(max_length=64, widget=forms.HiddenInput)
    token = forms.CharField(max_length=128, widget=forms.HiddenInput)
    new_password = forms.CharField(
        label="New password",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label="New password again",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", "The two passwords differ.")
        return cleaned

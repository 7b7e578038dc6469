"""The page a password-reset or invitation e-mail links to (PASSWORD_RESET_URL's default),
so the link works without a frontend: a plain form, handled by the same service as
`POST /api/v1/auth/password-reset/confirm/`."""

import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import PasswordResetPageForm
from config.api.throttling import PasswordResetRateThrottle
from config.errors import InvalidInput

TEMPLATE = "accounts/password_reset.html"


def _page(request: HttpRequest, context: dict[str, object], status: int = 200) -> HttpResponse:
    response = render(request, TEMPLATE, context, status=status)
    # The token is in the address: no Referer carries it away, no cache keeps the page.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def password_reset_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        uid, token = request.GET.get("uid", ""), request.GET.get("token", "")
        if not selectors.password_reset_link_valid(uid=uid, token=token):
            return _page(request, {"state": "invalid"}, status=400)
        form = PasswordResetPageForm(initial={"uid": uid, "token": token})
        return _page(request, {"state": "form", "form": form})

    throttle = PasswordResetRateThrottle()
    if not throttle.allow_request(request, None):
        wait = math.ceil(throttle.wait() or 1)
        return _page(request, {"state": "throttled", "wait": wait}, status=429)
    form = PasswordResetPageForm(request.POST)
    if not form.is_valid():
        return _page(request, {"state": "form", "form": form}, status=400)
    try:
        services.password_reset_confirm(
            uid=form.cleaned_data["uid"],
            token=form.cleaned_data["token"],
            new_password=form.cleaned_data["new_password"],
        )
    except services.InvalidToken:
        return _page(request, {"state": "invalid"}, status=400)
    except InvalidInput as exc:
        for message in (exc.fields or {}).get("new_password", [exc.message]):
            form.add_error("new_password", message)
        return _page(request, {"state": "form", "form": form}, status=400)
    return _page(request, {"state": "done"})

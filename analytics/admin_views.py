"""The analytics dashboard page of the admin (`/admin/dashboard/`), for editors and admins.

Wrapped in `admin.site.admin_view` by the URLconf: anonymous and non-staff users get the
admin's login page; staff without the editor role get 403, as the content pages refuse
them (`config.admin.RoleAdminMixin`).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.requests import request_user
from analytics import charts
from analytics.dashboard import dashboard_get
from analytics.selectors import TRENDING_COMMENT_WEIGHT


def analytics_dashboard(request: HttpRequest) -> TemplateResponse:
    user = request_user(request)
    if not user.is_editor:
        raise PermissionDenied
    data = dashboard_get()
    views = [(row["date"], row["views"]) for row in data["daily"]]
    comments = [(row["date"], row["comments"]) for row in data["daily"]]
    context = {
        **admin.site.each_context(request),
        "title": "Analytics dashboard",
        **data,
        "views_chart": charts.daily_columns(views, noun="views"),
        "comments_chart": charts.daily_columns(comments, noun="approved comments"),
        "events_chart": charts.ranked_bars(data["events"], noun="events"),
        "hit_rate": charts.percentage(data["cache"]["hit_rate"]),
        "can_see_jobs": user.is_admin,
        # The page says how its top posts are ranked.
        "comment_weight": TRENDING_COMMENT_WEIGHT,
    }
    return TemplateResponse(request, "admin/analytics/dashboard.html", context)

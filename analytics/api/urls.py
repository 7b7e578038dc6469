"""Routes of the analytics API (admin endpoints)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from analytics.api import events, reports, stats, webhooks

router = SimpleRouter()
router.register("admin/webhooks", webhooks.WebhookSubscriptionViewSet, basename="admin-webhooks")

urlpatterns = [
    path("admin/stats/", stats.SiteStatsView.as_view(), name="admin-stats"),
    path("admin/events/", events.EventListView.as_view(), name="admin-events"),
    path("admin/reports/", reports.ReportCreateView.as_view(), name="admin-reports-create"),
    path(
        "admin/reports/<uuid:report_id>/",
        reports.ReportDetailView.as_view(),
        name="admin-reports-detail",
    ),
    path(
        "admin/reports/<uuid:report_id>/download/",
        reports.ReportDownloadView.as_view(),
        name="admin-reports-download",
    ),
    # The slug pattern of the posts' routes (`PostViewSet.lookup_value_regex`).
    re_path(r"^posts/(?P<slug>[^/]+)/stats/$", stats.PostStatsView.as_view(), name="post-stats"),
    *router.urls,
]

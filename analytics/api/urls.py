"""Routes of the analytics API (admin endpoints)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from analytics.api import events, stats, webhooks

router = SimpleRouter()
router.register("admin/webhooks", webhooks.WebhookSubscriptionViewSet, basename="admin-webhooks")

urlpatterns = [
    path("admin/stats/", stats.SiteStatsView.as_view(), name="admin-stats"),
    path("admin/events/", events.EventListView.as_view(), name="admin-events"),
    *router.urls,
]

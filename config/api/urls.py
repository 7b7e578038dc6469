"""Every route of /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config.api.cache import CacheInvalidateView
from config.api.docs import SwaggerDocsView
from config.api.views import PingView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="schema"), name="docs"),
    path("ping/", PingView.as_view(), name="ping"),
    path("admin/cache/invalidate/", CacheInvalidateView.as_view(), name="admin-cache-invalidate"),
    path("", include("accounts.api.urls")),
    path("", include("blog.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("tasks.api.urls")),
]

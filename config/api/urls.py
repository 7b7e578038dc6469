"""Every route of /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.api.cache import CacheInvalidateView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("admin/cache/invalidate/", CacheInvalidateView.as_view(), name="admin-cache-invalidate"),
    path("", include("accounts.api.urls")),
    path("", include("blog.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("tasks.api.urls")),
]

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.views import password_reset_page
from analytics.admin_views import analytics_dashboard
from blog.feeds import LatestPostsAtomFeed, LatestPostsFeed
from blog.media_files import media_urlpatterns
from blog.sitemaps import sitemaps
from config.cache.pages import cached_page
from config.observability.health_views import HealthView, liveness
from config.observability.metrics.views import metrics_view

# The admin says whose it is, instead of "Django administration".
admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = f"{settings.SITE_NAME} admin"

urlpatterns = [
    # Before the admin's own URLs, whose catch-all would answer 404.
    path("admin/dashboard/", admin.site.admin_view(analytics_dashboard), name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api.urls")),
    # The password-reset and invitation links' page (PASSWORD_RESET_URL's default).
    path("account/reset/", password_reset_page, name="password-reset-page"),
    path("feeds/rss/", cached_page("feeds")(LatestPostsFeed()), name="feed-rss"),
    path("feeds/atom/", cached_page("feeds")(LatestPostsAtomFeed()), name="feed-atom"),
    # Outside /api/: the health answer is its own JSON, not a problem document.
    path("health/", HealthView.as_view(), name="health"),
    path("health/live/", liveness, name="health-live"),
    # Prometheus's default path; a token or an allowed network (observability/metrics/views.py).
    path("metrics", metrics_view, name="metrics"),
    # The media library's files at MEDIA_URL, also in production (blog/media_files.py).
    *media_urlpatterns(),
    path("sitemap.xml", cached_page("feeds")(sitemap), {"sitemaps": sitemaps}, name="sitemap"),
    # Browsers ask for /favicon.ico on every page they show (the admin's, the API docs').
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("", include("blog.urls")),
]

handler400 = "config.api.error_views.bad_request"
handler403 = "config.api.error_views.permission_denied"
handler404 = "config.api.error_views.not_found"
handler500 = "config.api.error_views.server_error"

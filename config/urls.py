from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from blog.feeds import LatestPostsAtomFeed, LatestPostsFeed
from blog.sitemaps import sitemaps
from config.health_views import HealthView, liveness

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api.urls")),
    path("feeds/rss/", LatestPostsFeed(), name="feed-rss"),
    path("feeds/atom/", LatestPostsAtomFeed(), name="feed-atom"),
    # Outside /api/: the health answer is its own JSON, not a problem document.
    path("health/", HealthView.as_view(), name="health"),
    path("health/live/", liveness, name="health-live"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("", include("blog.urls")),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"

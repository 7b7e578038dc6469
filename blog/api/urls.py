from django.urls import path
from rest_framework.routers import SimpleRouter

from blog.api.views.comments import CommentViewSet, PostCommentListView
from blog.api.views.media import MediaViewSet
from blog.api.views.posts import PostViewSet
from blog.api.views.redirects import RedirectViewSet
from blog.api.views.taxonomy import CategoryViewSet, TagViewSet

router = SimpleRouter()
router.register("posts", PostViewSet, basename="posts")
router.register("comments", CommentViewSet, basename="comments")
router.register("categories", CategoryViewSet, basename="categories")
router.register("tags", TagViewSet, basename="tags")
router.register("media", MediaViewSet, basename="media")
router.register("admin/redirects", RedirectViewSet, basename="admin-redirects")

urlpatterns = [
    path(
        "posts/<str:slug>/comments/",
        PostCommentListView.as_view(),
        name="post-comments",
    ),
    *router.urls,
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from blog.api import views

router = SimpleRouter()
router.register("posts", views.PostViewSet, basename="posts")
router.register("comments", views.CommentViewSet, basename="comments")
router.register("categories", views.CategoryViewSet, basename="categories")
router.register("tags", views.TagViewSet, basename="tags")

urlpatterns = [
    path(
        "posts/<str:slug>/comments/",
        views.PostCommentListView.as_view(),
        name="post-comments",
    ),
    *router.urls,
]

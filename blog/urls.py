from django.urls import path

from blog import views

app_name = "blog"

urlpatterns = [
    path("", views.home_page, name="home"),
    path("posts/<str:slug>/", views.post_page, name="post-page"),
    path("categories/<str:slug>/", views.category_page, name="category-page"),
]

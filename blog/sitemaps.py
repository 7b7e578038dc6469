"""The sitemap: published posts and categories."""

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from blog.models import Category, Post, PostStatus


class PostSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self) -> QuerySet[Post]:
        return Post.objects.filter(status=PostStatus.PUBLISHED).order_by("-published_at", "-id")

    def lastmod(self, post: Post) -> datetime:
        return post.updated_at


class CategorySitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> QuerySet[Category]:
        return Category.objects.order_by("name")

    def location(self, category: Category) -> str:
        return reverse("blog:category-page", kwargs={"slug": category.slug})

    def lastmod(self, category: Category) -> datetime:
        return category.updated_at


sitemaps = {"posts": PostSitemap, "categories": CategorySitemap}

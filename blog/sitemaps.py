"""The sitemap: published posts and categories."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from blog.models import Category, Post, PostStatus


class PostSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self):
        return Post.objects.filter(status=PostStatus.PUBLISHED).order_by("-published_at", "-id")

    def lastmod(self, post):
        return post.updated_at


class CategorySitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Category.objects.order_by("name")

    def location(self, category):
        return reverse("blog:category-page", kwargs={"slug": category.slug})

    def lastmod(self, category):
        return category.updated_at


sitemaps = {"posts": PostSitemap, "categories": CategorySitemap}

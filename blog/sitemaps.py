"""The sitemap: published posts and categories."""

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from blog.models import Category, Post
from blog.selectors.posts import post_sitemap_list
from blog.selectors.taxonomy import category_sitemap_list


class PostSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self) -> QuerySet[Post]:
        return post_sitemap_list()

    def lastmod(self, post: Post) -> datetime:
        return post.updated_at


class CategorySitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> QuerySet[Category]:
        return category_sitemap_list()

    def location(self, category: Category) -> str:
        return reverse("blog:category-page", kwargs={"slug": category.slug})

    def lastmod(self, category: Category) -> datetime:
        return category.updated_at


sitemaps = {"posts": PostSitemap, "categories": CategorySitemap}

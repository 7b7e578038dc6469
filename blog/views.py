"""Server-rendered pages: the targets of feed and sitemap links, for readers without
the frontend. The API is the main interface; these pages only read."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from blog.selectors.library_images import featured_image_attributes
from blog.selectors.posts import post_get_published, post_latest_published
from blog.selectors.taxonomy import category_page_get
from config.cache.pages import cached_page


@cached_page("pages")
def home_page(request: HttpRequest) -> HttpResponse:
    return render(request, "blog/home.html", {"posts": post_latest_published(limit=20)})


@cached_page("pages")
def post_page(request: HttpRequest, slug: str) -> HttpResponse:
    post = post_get_published(slug=slug)
    if post is None:
        raise Http404
    featured = featured_image_attributes(post.featured_image) if post.featured_image else None
    return render(request, "blog/post.html", {"post": post, "featured": featured})


@cached_page("pages")
def category_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = category_page_get(slug=slug, limit=50)
    if page is None:
        raise Http404
    context = {"category": page.category, "posts": page.posts}
    return render(request, "blog/category.html", context)

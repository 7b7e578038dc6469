"""Feeds, the sitemap and the server-rendered pages from the cache: no query on a hit,
an ETag, and every change visible on the next read (commits for real)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from blog.services import posts as post_services
from blog.services.taxonomy import category_create, category_update
from tests.factories import AuthorFactory

pytestmark = [pytest.mark.cached_reads, pytest.mark.django_db(transaction=True)]

PAGES = ["/feeds/rss/", "/feeds/atom/", "/sitemap.xml", "/", "/categories/news/"]


@pytest.fixture
def post():
    category = category_create(name="News")
    return post_services.post_create(
        author=AuthorFactory(), title="First story", body="Body", status="published",
        category=category,
    )  # fmt: skip


def get(client, path, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    return response, len(queries)


def test_pages_are_served_from_the_cache_with_an_etag(post):
    client = Client()
    for path in [*PAGES, f"/posts/{post.slug}/"]:
        first, _ = get(client, path)
        assert first.status_code == 200, path
        again, queries = get(client, path)
        assert again.status_code == 200 and queries == 0, path
        assert again.content == first.content
        assert again["Content-Type"] == first["Content-Type"]
        assert again["ETag"] == first["ETag"]
        assert "Content-Security-Policy" in again  # headers of the moment, not stored ones
        not_modified, queries = get(client, path, HTTP_IF_NONE_MATCH=again["ETag"])
        assert not_modified.status_code == 304 and queries == 0, path
        assert not not_modified.content


def test_a_new_post_and_a_rename_show_at_once(post):
    client = Client()
    for path in PAGES:
        get(client, path)
    post_services.post_create(
        author=AuthorFactory(), title="Second story", body="B", status="published"
    )
    for path in ("/feeds/rss/", "/feeds/atom/", "/"):
        assert b"Second story" in client.get(path).content, path
    assert b"second-story" in client.get("/sitemap.xml").content

    category_update(category=post.category, name="World")
    assert b"World" in client.get("/categories/news/").content
    assert b"World" in client.get("/").content  # the home page names each post's category


def test_a_404_page_is_not_cached():
    client = Client()
    assert client.get("/posts/coming/").status_code == 404
    post_services.post_create(author=AuthorFactory(), title="Coming", body="B", status="published")
    assert client.get("/posts/coming/").status_code == 200

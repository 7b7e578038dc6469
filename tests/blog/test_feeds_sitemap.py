"""RSS and Atom feeds, the sitemap and the server-rendered pages they link to."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog.models import PostStatus
from blog.services.posts import post_create
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    DraftPostFactory,
    PostFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

XSS_BODY = (
    "Hello <script>alert('x')</script> world\n\n"
    '<img src="x" onerror="alert(1)">\n\n'
    "[click](javascript:alert(1))\n\n"
    '<a href="https://example.com" onclick="steal()">ok link</a>\n\n'
    '<iframe src="https://evil.example"></iframe>\n\n'
    "**bold** text"
)


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def mixed_posts():
    """Published posts (newest first by `published_at`) and posts in every other status."""
    now = timezone.now()
    published = [
        PostFactory(title=f"Published {i}", published_at=now - timedelta(days=i)) for i in range(3)
    ]
    hidden = [
        DraftPostFactory(title="Secret draft"),
        PostFactory(
            title="Scheduled later",
            status=PostStatus.SCHEDULED,
            published_at=None,
            publish_at=now + timedelta(days=1),
        ),
        PostFactory(title="Archived old", status=PostStatus.ARCHIVED),
    ]
    return published, hidden


def _rss_items(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss"
    channel = root.find("channel")
    assert channel is not None
    return channel.findall("item")


def _atom_entries(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


# --- RSS --------------------------------------------------------------------------------


def test_rss_lists_published_posts_newest_first(client, mixed_posts):
    published, _ = mixed_posts
    items = _rss_items(client.get("/feeds/rss/"))
    assert [item.findtext("title") for item in items] == [p.title for p in published]
    links = [item.findtext("link") for item in items]
    assert links[0].endswith(f"/posts/{published[0].slug}/")
    assert all(item.findtext("pubDate") for item in items)


def test_rss_leaves_out_drafts_scheduled_and_archived(client, mixed_posts):
    _, hidden = mixed_posts
    content = client.get("/feeds/rss/").content.decode()
    for post in hidden:
        assert post.title not in content
        assert post.slug not in content


def test_rss_is_limited_to_the_feed_size(client, settings):
    settings.FEED_SIZE = 2
    now = timezone.now()
    posts = [PostFactory(published_at=now - timedelta(hours=i)) for i in range(4)]
    items = _rss_items(client.get("/feeds/rss/"))
    assert [item.findtext("title") for item in items] == [posts[0].title, posts[1].title]


def test_rss_item_carries_author_and_tags(client):
    author = AuthorFactory(display_name="Ada L.")
    post = PostFactory(author=author, tags=[TagFactory(name="python"), TagFactory(name="web")])
    (item,) = _rss_items(client.get("/feeds/rss/"))
    assert item.findtext("title") == post.title
    assert sorted(c.text for c in item.findall("category")) == ["python", "web"]
    assert "Ada L." in ET.tostring(item, encoding="unicode")


def test_empty_rss_is_valid(client):
    assert _rss_items(client.get("/feeds/rss/")) == []


def test_rss_description_is_sanitized_html(client):
    post = post_create(
        author=AuthorFactory(), title="Dangerous", body=XSS_BODY, status=PostStatus.PUBLISHED
    )
    (item,) = _rss_items(client.get("/feeds/rss/"))
    description = item.findtext("description")
    assert "<strong>bold</strong>" in description
    assert "ok link" in description
    lowered = description.lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in lowered, bad
    assert post.title == item.findtext("title")


def test_rss_query_count_does_not_grow_with_posts(client):
    PostFactory(tags=[TagFactory()])
    with CaptureQueriesContext(connection) as one:
        client.get("/feeds/rss/")
    for _ in range(5):
        PostFactory(tags=[TagFactory(), TagFactory()])
    with CaptureQueriesContext(connection) as six:
        client.get("/feeds/rss/")
    assert len(six) == len(one)


# --- Atom -------------------------------------------------------------------------------


def test_atom_lists_published_posts_newest_first(client, mixed_posts):
    published, hidden = mixed_posts
    entries = _atom_entries(client.get("/feeds/atom/"))
    assert [e.findtext(f"{ATOM}title") for e in entries] == [p.title for p in published]
    hrefs = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert hrefs[0].endswith(f"/posts/{published[0].slug}/")
    for entry in entries:
        assert entry.findtext(f"{ATOM}updated")
        assert entry.findtext(f"{ATOM}id")
    content = client.get("/feeds/atom/").content.decode()
    for post in hidden:
        assert post.title not in content


def test_atom_summary_is_sanitized_html(client):
    post_create(
        author=AuthorFactory(), title="Dangerous", body=XSS_BODY, status=PostStatus.PUBLISHED
    )
    (entry,) = _atom_entries(client.get("/feeds/atom/"))
    summary = entry.find(f"{ATOM}summary")
    assert summary is not None
    assert summary.get("type") == "html"
    lowered = summary.text.lower()
    assert "<strong>bold</strong>" in lowered
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in lowered, bad


# --- sitemap ----------------------------------------------------------------------------


def _sitemap_locations(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    return [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]


def test_sitemap_lists_published_posts_and_categories(client, mixed_posts):
    published, hidden = mixed_posts
    categories = [CategoryFactory(slug="news"), CategoryFactory(slug="guides")]
    locations = _sitemap_locations(client.get("/sitemap.xml"))
    paths = {loc.split("://", 1)[1].split("/", 1)[1] for loc in locations}
    for post in published:
        assert f"posts/{post.slug}/" in paths
    for post in hidden:
        assert f"posts/{post.slug}/" not in paths
    for category in categories:
        assert f"categories/{category.slug}/" in paths
    assert len(locations) == len(published) + len(categories)


def test_sitemap_has_lastmod(client):
    PostFactory()
    root = ET.fromstring(client.get("/sitemap.xml").content)
    (url,) = root.findall(f"{SITEMAP}url")
    assert url.findtext(f"{SITEMAP}lastmod")


def test_empty_sitemap_is_valid(client):
    assert _sitemap_locations(client.get("/sitemap.xml")) == []


# --- server-rendered pages --------------------------------------------------------------


def test_published_post_page_renders_sanitized_body(client):
    post = post_create(
        author=AuthorFactory(), title="Readable", body=XSS_BODY, status=PostStatus.PUBLISHED
    )
    response = client.get(f"/posts/{post.slug}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "<h1>Readable</h1>" in content
    assert "<strong>bold</strong>" in content
    article = content.split("<article>", 1)[1].split("</article>", 1)[0].lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in article, bad


def test_post_page_title_is_escaped(client):
    post = PostFactory(title="<script>alert(1)</script> Title")
    content = client.get(f"/posts/{post.slug}/").content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;" in content


@pytest.mark.parametrize("status", [PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.ARCHIVED])
def test_unpublished_post_page_is_404(client, status):
    post = PostFactory(status=status, published_at=None)
    response = client.get(f"/posts/{post.slug}/")
    assert response.status_code == 404
    assert post.title not in response.content.decode()


def test_draft_post_page_is_404_even_for_its_author(client):
    post = DraftPostFactory()
    client.force_login(post.author)
    assert client.get(f"/posts/{post.slug}/").status_code == 404


def test_unknown_post_page_is_an_html_404(client):
    response = client.get("/posts/no-such-post/")
    assert response.status_code == 404
    assert "problem+json" not in response["Content-Type"]


def test_category_page_lists_its_published_posts(client):
    category = CategoryFactory(name="News", slug="news")
    shown = PostFactory(category=category, title="In the news")
    DraftPostFactory(category=category, title="Unready news")
    PostFactory(title="Elsewhere")
    response = client.get("/categories/news/")
    assert response.status_code == 200
    content = response.content.decode()
    assert shown.title in content
    assert "Unready news" not in content
    assert "Elsewhere" not in content
    assert client.get("/categories/no-such/").status_code == 404


def test_feed_and_sitemap_links_resolve_to_pages(client, mixed_posts):
    CategoryFactory(slug="linked")
    for location in _sitemap_locations(client.get("/sitemap.xml")):
        path = "/" + location.split("://", 1)[1].split("/", 1)[1]
        assert client.get(path).status_code == 200, path
    for item in _rss_items(client.get("/feeds/rss/")):
        path = "/" + item.findtext("link").split("://", 1)[1].split("/", 1)[1]
        assert client.get(path).status_code == 200, path

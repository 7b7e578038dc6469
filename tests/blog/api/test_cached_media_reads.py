"""Cached post reads follow their media: a changed alt text or caption, new renditions,
show on the very next read of the posts that use the media (featured image or body), and
reads of other posts stay cached.

They commit for real (`transactional_db`) against the real Redis, as in production: the
receivers of `media.*` events (blog/receivers.py) run after the commit.
"""

import pytest
from django.core.files.storage import default_storage

from blog.services.media import media_update
from blog.services.renditions import media_renditions_make
from config.cache import namespace_generation
from tests.factories import AuthorFactory, MediaFactory, ReadyMediaFactory
from tests.helpers import client_for, make_post, needs_redis, post_url

pytestmark = [
    needs_redis,
    pytest.mark.cached_reads,
    pytest.mark.django_db(transaction=True),
]

POSTS = "/api/v1/posts/"


def ok(response):
    assert response.status_code == 200, response.content[:500]
    return response.json()


def featured(response) -> dict:
    return ok(response)["featured_image"]


@pytest.fixture
def author():
    return AuthorFactory()


@pytest.fixture
def anon():
    return client_for(None)


def test_an_edited_alt_text_and_caption_show_at_once(author, anon, django_assert_num_queries):
    media = ReadyMediaFactory(uploaded_by=author, alt_text="Old", caption="Old caption")
    post = make_post(author, status="published", featured_image=media)
    assert featured(anon.get(post_url(post.slug)))["alt_text"] == "Old"
    assert ok(anon.get(POSTS))["results"][0]["featured_image"]["alt_text"] == "Old"
    etag = anon.get(post_url(post.slug))["ETag"]
    with django_assert_num_queries(0):  # cached
        anon.get(post_url(post.slug))

    media_update(media=media, actor=author, alt_text="New", caption="New caption")

    detail = anon.get(post_url(post.slug))
    assert featured(detail)["alt_text"] == "New"
    assert featured(detail)["caption"] == "New caption"
    assert detail["ETag"] != etag
    assert anon.get(post_url(post.slug), HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert ok(anon.get(POSTS))["results"][0]["featured_image"]["alt_text"] == "New"


def test_new_renditions_show_at_once_in_the_featured_image_and_the_body(author, anon):
    media = MediaFactory(uploaded_by=author, width=2000, height=800)
    src = default_storage.url(media.file.name)
    post = make_post(author, status="published", featured_image=media, body=f"Look:\n\n![]({src})")
    before = ok(anon.get(post_url(post.slug)))
    assert before["featured_image"]["status"] == "processing"
    assert "srcset" not in before["body_html"]
    assert ok(anon.get(POSTS))["results"][0]["featured_image"]["renditions"] == {}

    # The renditions job: the change commits, then the receivers run (the re-rendering
    # job is eager here).
    media_renditions_make(media_id=media.pk)

    after = ok(anon.get(post_url(post.slug)))
    assert after["featured_image"]["status"] == "ready"
    assert set(after["featured_image"]["renditions"]) == {"thumbnail", "medium", "large"}
    assert "srcset=" in after["body_html"] and "-medium.webp 800w" in after["body_html"]
    listed = ok(anon.get(POSTS))["results"][0]
    assert listed["featured_image"]["renditions"]["thumbnail"]["width"] == 300
    assert listed["updated_at"] == after["updated_at"] != before["updated_at"]


def test_the_cached_post_page_follows_too(author, anon):
    media = ReadyMediaFactory(uploaded_by=author, alt_text="Old alt", caption="Old caption")
    post = make_post(author, status="published", featured_image=media)
    page = anon.get(post.get_absolute_url())
    assert b'alt="Old alt"' in page.content and b"Old caption" in page.content
    media_update(media=media, actor=author, alt_text="New alt", caption="New caption")
    page = anon.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=page["ETag"])
    assert page.status_code == 200
    assert b'alt="New alt"' in page.content and b"New caption" in page.content


def test_a_media_change_leaves_other_posts_cached(author, anon, django_assert_num_queries):
    used = ReadyMediaFactory(uploaded_by=author)
    unused = ReadyMediaFactory(uploaded_by=author)
    mine = make_post(author, status="published", featured_image=used)
    other = make_post(author, status="published", title="Other")
    for post in (mine, other):
        ok(anon.get(post_url(post.slug)))
    posts_generation = namespace_generation("posts")

    media_update(media=unused, actor=author, alt_text="Nobody shows me")
    assert namespace_generation("posts") == posts_generation  # no post uses it
    media_update(media=used, actor=author, alt_text="Changed")
    assert namespace_generation("posts") != posts_generation
    with django_assert_num_queries(0):
        ok(anon.get(post_url(other.slug)))  # still a hit
    assert featured(anon.get(post_url(mine.slug)))["alt_text"] == "Changed"

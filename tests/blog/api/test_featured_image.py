"""A post's featured image (docs/api.md, "Posts"): a media id in writes, the media object
(or null) in reads; an author uses only their own media, editors any."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blog.models import Media, Post
from tests.factories import EditorFactory, MediaFactory, PostFactory, ReadyMediaFactory
from tests.helpers import (
    assert_validation_error,
    client_for,
    make_post,
    patch_json,
    post_json,
    post_url,
    put_json,
    results,
)

pytestmark = pytest.mark.django_db

POSTS = "/api/v1/posts/"
MEDIA_FIELDS = {
    "id", "url", "content_type", "size", "width", "height", "alt_text", "caption", "status",
    "renditions", "uploaded_by", "created_at", "source_url",
}  # fmt: skip


@pytest.fixture
def my_media(author):
    return ReadyMediaFactory(uploaded_by=author, alt_text="A lake", caption="At dawn")


def test_create_with_a_featured_image_shows_the_media_object(author_client, author, my_media):
    response = post_json(
        author_client, POSTS, {"title": "T", "body": "B", "featured_image": my_media.pk}
    )
    assert response.status_code == 201, response.content
    featured = response.json()["featured_image"]
    assert set(featured) == MEDIA_FIELDS
    assert featured["id"] == my_media.pk
    assert featured["alt_text"] == "A lake" and featured["caption"] == "At dawn"
    assert featured["url"] == f"http://testserver/media/{my_media.file.name}"
    assert set(featured["renditions"]) == {"thumbnail", "medium", "large"}
    assert featured["uploaded_by"]["username"] == author.username
    assert Post.objects.get(slug="t").featured_image == my_media


def test_without_one_it_is_null(author_client):
    response = post_json(author_client, POSTS, {"title": "T", "body": "B"})
    assert response.json()["featured_image"] is None


def test_the_list_and_the_detail_show_it(author, my_media, anon_client):
    post = make_post(author, status="published", featured_image=my_media)
    make_post(author, title="Plain", status="published")
    by_slug = {item["slug"]: item for item in results(anon_client.get(POSTS))}
    assert by_slug[post.slug]["featured_image"]["id"] == my_media.pk
    assert by_slug["plain"]["featured_image"] is None
    detail = anon_client.get(post_url(post.slug)).json()
    assert detail["featured_image"]["renditions"]["thumbnail"]["width"] == 300


def test_patch_sets_changes_and_removes_it(author_client, author, my_media):
    post = make_post(author)
    other = ReadyMediaFactory(uploaded_by=author)
    url = post_url(post.slug)
    assert patch_json(author_client, url, {"featured_image": my_media.pk}).status_code == 200
    assert Post.objects.get(pk=post.pk).featured_image == my_media
    response = patch_json(author_client, url, {"featured_image": other.pk})
    assert response.json()["featured_image"]["id"] == other.pk
    response = patch_json(author_client, url, {"featured_image": None})
    assert response.status_code == 200 and response.json()["featured_image"] is None
    # Media are not owned by the post: removing it leaves the media in the library.
    assert Media.objects.filter(pk=other.pk).exists()


def test_a_put_without_it_keeps_it(author_client, author, my_media):
    post = make_post(author, featured_image=my_media)
    response = put_json(author_client, post_url(post.slug), {"title": "New", "body": "B"})
    assert response.status_code == 200
    assert response.json()["featured_image"]["id"] == my_media.pk


def test_the_change_is_an_event(author_client, author, my_media, events):
    post = make_post(author)
    patch_json(author_client, post_url(post.slug), {"featured_image": my_media.pk})
    (updated,) = [e for e in events.new() if e.type == "post.updated"]
    assert updated.data["fields"] == ["featured_image"]


def test_an_unknown_id_is_a_400(author_client):
    response = post_json(
        author_client, POSTS, {"title": "T", "body": "B", "featured_image": 999999}
    )
    assert_validation_error(response, "featured_image")
    assert not Post.objects.exists()


@pytest.mark.parametrize("value", ["1", True, 1.5, 0, -3, 2**63, {"id": 1}, [1]])
def test_anything_but_an_id_is_a_400(author_client, author, value):
    ReadyMediaFactory(uploaded_by=author)
    response = post_json(author_client, POSTS, {"title": "T", "body": "B", "featured_image": value})
    assert_validation_error(response, "featured_image")


def test_an_author_may_not_use_someone_elses_media(author_client, author, other_author):
    theirs = ReadyMediaFactory(uploaded_by=other_author)
    response = post_json(
        author_client, POSTS, {"title": "T", "body": "B", "featured_image": theirs.pk}
    )
    assert_validation_error(response, "featured_image")
    assert not Post.objects.exists()
    post = make_post(author)
    response = patch_json(author_client, post_url(post.slug), {"featured_image": theirs.pk})
    assert_validation_error(response, "featured_image")
    assert Post.objects.get(pk=post.pk).featured_image is None


def test_an_editor_may_use_any_media(editor_client, author):
    theirs = ReadyMediaFactory(uploaded_by=author)
    post = make_post(author)
    response = patch_json(editor_client, post_url(post.slug), {"featured_image": theirs.pk})
    assert response.status_code == 200
    assert response.json()["featured_image"]["id"] == theirs.pk


def test_an_author_keeps_the_image_an_editor_chose(author_client, author):
    # Editing the title of a post whose image an editor picked from their own media is not
    # "using someone else's media": only a change of the image is checked.
    editor = EditorFactory()
    editors = ReadyMediaFactory(uploaded_by=editor)
    post = make_post(author)
    patch_json(client_for(editor), post_url(post.slug), {"featured_image": editors.pk})
    assert Post.objects.get(pk=post.pk).featured_image == editors
    for request in (patch_json, put_json):
        body = {"title": "Retitled", "body": "B", "featured_image": editors.pk}
        assert request(author_client, post_url(post.slug), body).status_code == 200


def test_a_media_of_any_status_may_be_featured(author_client, author):
    processing = MediaFactory(uploaded_by=author)
    response = post_json(
        author_client, POSTS, {"title": "T", "body": "B", "featured_image": processing.pk}
    )
    assert response.status_code == 201
    assert response.json()["featured_image"]["status"] == "processing"
    assert response.json()["featured_image"]["renditions"] == {}


def test_the_etag_follows_the_featured_image(author_client, author, my_media):
    post = make_post(author, status="published", featured_image=my_media)
    anon = client_for(None)
    etag = anon.get(post_url(post.slug))["ETag"]
    # A change of the media alone (alt text, renditions) changes the representation.
    Media.objects.filter(pk=my_media.pk).update(alt_text="Changed")
    assert anon.get(post_url(post.slug))["ETag"] != etag
    response = anon.get(post_url(post.slug), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["featured_image"]["alt_text"] == "Changed"


# --- queries ------------------------------------------------------------------------------


def _queries(client, path, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


def test_the_list_runs_as_many_queries_with_featured_images(anon_client):
    for _ in range(12):
        PostFactory(featured_image=ReadyMediaFactory())
    small, _ = _queries(anon_client, POSTS, {"page_size": 2})
    large, body = _queries(anon_client, POSTS, {"page_size": 12})
    assert all(item["featured_image"]["uploaded_by"] for item in body["results"])
    assert small == large <= 2  # the page (author, category, image and its uploader), the tags


def test_the_detail_runs_no_more_queries_with_a_featured_image(anon_client):
    plain = PostFactory()
    featured = PostFactory(featured_image=ReadyMediaFactory())
    counts = [_queries(anon_client, post_url(p.slug))[0] for p in (plain, featured)]
    assert counts[0] == counts[1]

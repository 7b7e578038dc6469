"""Posts with `body_format` `html` (issue 13): through the services and the API, the text
they derive (excerpt, reading time, search vector), their revisions, and the media
library's images in them."""

import pytest
from django.db import connection

from blog.models import BodyFormat, Post
from blog.selectors.posts import post_list
from blog.services.post_media import posts_rerender_for_media
from blog.services.posts import post_search_vectors_refresh, post_update
from tests.blog.xss import HTML_XSS_PAYLOADS, XSS_PAYLOADS, assert_safe_html
from tests.factories import ReadyMediaFactory
from tests.helpers import assert_problem, make_post, patch_json, post_json

pytestmark = pytest.mark.django_db

POSTS = "/api/v1/posts/"
YOUTUBE = "https://www.youtube.com/embed/dQw4w9WgXcQ"
HTML_BODY = (
    '<h2>Volcanoes</h2><p class="lead">Magma <strong>rises</strong>&nbsp;slowly.</p>'
    f'<figure><img src="https://example.com/lava.jpg" alt="Glowing lava" width="800">'
    "<figcaption>Kilauea</figcaption></figure>"
    f'<iframe src="{YOUTUBE}" title="Eruption"></iframe>'
)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL"
)


def _vector(post: Post) -> str:
    return str(Post.objects.values_list("search_vector", flat=True).get(pk=post.pk))


# --- services ------------------------------------------------------------------------------


def test_an_html_body_is_sanitized_not_read_as_markdown(author):
    post = make_post(author, body="<p>*not emphasis*</p><script>alert(1)</script>",
                     body_format=BodyFormat.HTML)  # fmt: skip
    assert post.body_html == "<p>*not emphasis*</p>"
    markdown = make_post(author, body="*emphasis*")
    assert markdown.body_format == BodyFormat.MARKDOWN  # the default
    assert "<em>emphasis</em>" in markdown.body_html


def test_excerpt_and_reading_time_come_from_the_text_of_html(author):
    # 300 words of text in many tags with long attributes: 3 minutes if tags were words.
    body = "".join(
        f'<p class="x" title="{"t " * 5}"><a href="https://example.com/{n}">w{n}</a> word</p>'
        for n in range(150)
    )
    post = make_post(author, body=body, body_format=BodyFormat.HTML)
    assert post.reading_time_minutes == 2
    assert post.excerpt.startswith("w0 word w1 word w2 word") and "<" not in post.excerpt
    figure = make_post(author, body=HTML_BODY, body_format=BodyFormat.HTML)
    # The heading is skipped (it repeats the title); entities become text.
    assert figure.excerpt == "Magma rises\xa0slowly. Kilauea"


def test_changing_the_format_renders_again_and_keeps_a_revision(author, events):
    post = make_post(author, body="*a*")
    assert post.body_html == "<p><em>a</em></p>"
    post = post_update(post=post, actor=author, body_format=BodyFormat.HTML)
    assert post.body_html == "*a*" and post.excerpt == "*a*"
    revisions = list(post.revisions.values_list("body_format", flat=True))
    assert revisions == [BodyFormat.HTML, BodyFormat.MARKDOWN]  # newest first
    (updated,) = [e for e in events.new() if e.type == "post.updated"]
    assert updated.data["fields"] == ["body_format"]


@postgres_only
def test_the_search_vector_has_the_words_of_html_not_its_markup(author):
    post = make_post(author, title="Hot", body=HTML_BODY, body_format=BodyFormat.HTML,
                     status="published")  # fmt: skip
    vector = _vector(post)
    for word in ("magma", "rise", "slowli", "kilauea", "volcano"):
        assert f"'{word}'" in vector, vector
    # Tag names, attribute values and the embed's URL are not words of the post.
    for markup in ("lead", "strong", "figur", "youtub", "lava", "eruption", "nbsp", "iframe"):
        assert f"'{markup}" not in vector, vector
    assert [p.pk for p in post_list(user=None, params={"search": "kilauea"})] == [post.pk]
    assert list(post_list(user=None, params={"search": "youtube"})) == []
    # The batch refresh (tag renames, rebuild_search_index) computes the same vector.
    Post.objects.filter(pk=post.pk).update(search_vector=None)
    post_search_vectors_refresh(post_ids=[post.pk])
    assert _vector(post) == vector


@postgres_only
def test_the_search_vector_follows_a_change_of_format(author):
    post = make_post(author, body="<em>fjord</em> and <span>glacier</span>")
    post_update(post=post, actor=author, body_format=BodyFormat.HTML)
    vector = _vector(post)
    assert "'fjord'" in vector and "'glacier'" in vector and "'span'" not in vector


def test_a_library_image_in_an_html_body_is_annotated_and_followed(author):
    media = ReadyMediaFactory(alt_text="From the library")
    src = f"/media/{media.file.name}"
    post = make_post(author, body=f'<figure><img src="{src}" alt=""></figure>',
                     body_format=BodyFormat.HTML)  # fmt: skip
    assert 'alt="From the library"' in post.body_html
    assert 'loading="lazy"' in post.body_html and "srcset=" in post.body_html
    assert f'width="{media.width}"' in post.body_html
    # Rendered again when the media changes: as HTML still (Markdown would wrap it in <p>).
    Post.objects.filter(pk=post.pk).update(body_html="<p>stale</p>")
    assert posts_rerender_for_media(media_id=media.pk) == [post.pk]
    assert Post.objects.get(pk=post.pk).body_html == post.body_html


# --- API -------------------------------------------------------------------------------------


def test_the_api_writes_and_reads_body_format(author_client):
    response = post_json(
        author_client, POSTS, {"title": "Embed", "body": HTML_BODY, "body_format": "html"}
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["body_format"] == "html"
    assert created["body"] == HTML_BODY  # the source as written
    assert f'<iframe src="{YOUTUBE}" title="Eruption" sandbox=' in created["body_html"]
    assert_safe_html(created["body_html"], embeds=True)

    url = f"{POSTS}{created['slug']}/"
    response = patch_json(author_client, url, {"body_format": "markdown"})
    assert response.status_code == 200, response.content
    assert response.json()["body_format"] == "markdown"
    assert "<iframe" in response.json()["body_html"]  # raw HTML in Markdown: same rules
    assert author_client.get(url).json()["body_format"] == "markdown"


@pytest.mark.parametrize("value", ["HTML", "wordpress", "", None, 1])
def test_an_unknown_body_format_is_a_400(author_client, value):
    response = post_json(author_client, POSTS, {"title": "T", "body": "B", "body_format": value})
    assert "body_format" in assert_problem(response, 400)["fields"]
    assert not Post.objects.exists()


def test_the_api_sanitizes_html_bodies(author_client):
    payloads = [p for p in XSS_PAYLOADS + HTML_XSS_PAYLOADS if "\0" not in p]
    response = post_json(
        author_client,
        POSTS,
        {"title": "XSS", "body": "\n".join(payloads), "body_format": "html"},
    )
    assert response.status_code == 201, response.content
    assert_safe_html(response.json()["body_html"], embeds=True)

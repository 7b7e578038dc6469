"""Images of the media library in rendered posts (blog/services/post_media.py,
blog/selectors/library_images.py, blog/rendering.py's `annotate_images`): size, alt text,
lazy loading and renditions; other images untouched; rendered again when the media
changes."""

from html.parser import HTMLParser

import pytest
from django.core.files.storage import default_storage

from blog.models import MediaStatus, Post
from blog.rendering import annotate_images, render_markdown
from blog.services.media import media_update
from blog.services.post_media import post_body_render, posts_rerender_for_media
from blog.services.renditions import media_renditions_make
from tasks.models import JobRecord
from tests.blog.xss import XSS_PAYLOADS, assert_safe_html
from tests.factories import MediaFactory, ReadyMediaFactory
from tests.helpers import make_post

pytestmark = pytest.mark.django_db


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.found.append(dict(attrs))


def images(html: str) -> list[dict]:
    """The attributes of each <img>, as a browser reads them."""
    parser = _Images()
    parser.feed(html)
    return parser.found


def url(name: str) -> str:
    return default_storage.url(name)


def srcset_widths(srcset: str) -> list[int]:
    return [int(candidate.split()[1].rstrip("w")) for candidate in srcset.split(", ")]


# --- what a library image gets ---------------------------------------------------------


def test_a_library_image_gets_size_lazy_loading_and_its_renditions():
    media = ReadyMediaFactory(width=2000, height=1000)
    (img,) = images(post_body_render(f"![A view]({url(media.file.name)})"))
    assert img["src"] == url(media.file.name)
    assert img["alt"] == "A view"  # the author's alt text stays
    assert (img["width"], img["height"]) == ("2000", "1000")
    assert img["loading"] == "lazy"
    candidates = dict(reversed(c.split()) for c in img["srcset"].split(", "))
    assert candidates == {
        "300w": url(media.renditions["thumbnail"]["name"]),
        "800w": url(media.renditions["medium"]["name"]),
        "1600w": url(media.renditions["large"]["name"]),
        "2000w": url(media.file.name),
    }
    assert img["sizes"] == "(max-width: 2000px) 100vw, 2000px"


def test_the_srcset_urls_answer(client):
    """Every candidate is a stored file (served by the platform, or the storage)."""
    media = ReadyMediaFactory(width=900, height=600)
    (img,) = images(post_body_render(f"![x]({url(media.file.name)})"))
    for candidate in img["srcset"].split(", "):
        name = candidate.split()[0].removeprefix(url(""))
        assert default_storage.exists(name), name
    # A small original: renditions never wider than it, the original itself the largest.
    assert srcset_widths(img["srcset"]) == [300, 800, 900]


def test_a_rendition_used_as_src_gets_its_own_size():
    media = ReadyMediaFactory(width=2000, height=1000)
    medium = media.renditions["medium"]
    (img,) = images(post_body_render(f"![x]({url(medium['name'])})"))
    assert (img["width"], img["height"]) == ("800", "400")
    assert srcset_widths(img["srcset"]) == [300, 800, 1600, 2000]


def test_an_empty_alt_text_comes_from_the_library():
    media = ReadyMediaFactory(alt_text='A "quoted" <alt> & more')
    (img,) = images(post_body_render(f"![]({url(media.file.name)})"))
    assert img["alt"] == 'A "quoted" <alt> & more'


def test_the_authors_own_size_stays_and_the_other_dimension_is_not_guessed():
    media = ReadyMediaFactory(width=1200, height=800)
    body = f'<img src="{url(media.file.name)}" alt="x" width="300">'
    (img,) = images(post_body_render(body))
    assert img["width"] == "300"
    assert "height" not in img
    assert img["sizes"] == "(max-width: 300px) 100vw, 300px"


def test_an_image_still_processing_gets_its_size_but_no_srcset():
    media = MediaFactory(width=640, height=480)
    (img,) = images(post_body_render(f"![x]({url(media.file.name)})"))
    assert (img["width"], img["height"], img["loading"]) == ("640", "480", "lazy")
    assert "srcset" not in img and "sizes" not in img


@pytest.mark.parametrize("host", ["testserver", "localhost", "127.0.0.1:8000"])
def test_an_absolute_url_on_the_sites_host_is_a_library_image(host):
    # The API hands out absolute URLs on the host it was asked on; authors paste those.
    media = ReadyMediaFactory(width=1200, height=800)
    src = f"https://{host}{url(media.file.name)}"
    (img,) = images(post_body_render(f"![x]({src})"))
    assert img["width"] == "1200"
    # The renditions on the same host as the image.
    assert all(c.startswith(f"https://{host}/") for c in img["srcset"].split(", "))


@pytest.mark.parametrize(
    "src",
    [
        "https://elsewhere.example{path}",  # another site's copy of the path
        "https://example.com/photo.png",
        "/static/blog/logo.png",
        "/media/reports/2026/12/0123456789abcdef0123456789abcdef.png",  # not the library
        "/media/library/2026/12/ffffffffffffffffffffffffffffffff.png",  # no such media
        "{path}x",  # not a stored name
    ],
)
def test_other_images_are_left_as_the_sanitizer_wrote_them(src):
    media = ReadyMediaFactory()
    src = src.format(path=url(media.file.name))
    body = f"![x]({src})"
    assert post_body_render(body) == render_markdown(body)


def test_a_remote_media_is_not_annotated():
    media = MediaFactory(status=MediaStatus.REMOTE)
    body = f"![x]({url(media.file.name)})"
    assert post_body_render(body) == render_markdown(body)


def test_several_images_cost_one_query(django_assert_num_queries):
    first = ReadyMediaFactory(width=1200, height=800)
    second = ReadyMediaFactory(width=400, height=400)
    body = "\n\n".join(
        [
            f"![a]({url(first.file.name)})",
            f"![b]({url(second.file.name)})",
            f"![c]({url(first.renditions['medium']['name'])})",
            "![d](https://example.com/x.png)",
        ]
    )
    with django_assert_num_queries(1):
        html = post_body_render(body)
    assert [img.get("width") for img in images(html)] == ["1200", "400", "800", None]
    with django_assert_num_queries(0):
        post_body_render("Text and ![d](https://example.com/x.png), no library image.")


# --- safety --------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_annotated_html_is_still_safe(payload):
    payload = payload.replace("\x00", "")  # no NUL in PostgreSQL's text (the API refuses it)
    media = ReadyMediaFactory(alt_text=payload)
    # The media's alt text in the attribute, the payload after it in the body too.
    html = post_body_render(f"![]({url(media.file.name)})\n\n{payload}")
    assert_safe_html(html)
    assert images(html)[0]["alt"] == payload


def test_the_author_cannot_set_what_the_renderer_adds():
    media = ReadyMediaFactory()
    body = (
        f'<img src="{url(media.file.name)}" alt="x" srcset="https://evil.example/a.png 1w" '
        'sizes="1px" loading="eager">\n\n'
        '<img src="https://example.com/a.png" srcset="javascript:alert(1) 1w" loading="x">'
    )
    mine, other = images(post_body_render(body))
    assert "evil.example" not in mine["srcset"]
    assert mine["loading"] == "lazy" and mine["sizes"] != "1px"
    assert other == {"src": "https://example.com/a.png"}


def test_annotate_images_keeps_values_with_quotes_and_angle_brackets():
    html = '<p><img src="/a?x=1&amp;y=2" alt="a &gt; b &quot;c&quot;"></p>'
    out = annotate_images(html, {"/a?x=1&y=2": {"width": "10", "height": "5"}})
    (img,) = images(out)
    assert img == {
        "src": "/a?x=1&y=2",
        "alt": 'a > b "c"',
        "width": "10",
        "height": "5",
        "loading": "lazy",
    }
    assert annotate_images(html, {}) == html


# --- when the media changes ----------------------------------------------------------


@pytest.fixture
def processing_image():
    return MediaFactory(width=2000, height=1000)


def test_posts_get_the_renditions_when_they_are_made(
    processing_image, author, django_capture_on_commit_callbacks
):
    media = processing_image
    post = make_post(author, body=f"Look:\n\n![]({url(media.file.name)})")
    other = make_post(author, body="No image here.")
    (img,) = images(post.body_html)
    assert "srcset" not in img
    updated_before = post.updated_at
    with django_capture_on_commit_callbacks(execute=True):
        media_renditions_make(media_id=media.pk)  # the job; media.processed
    post.refresh_from_db()
    (img,) = images(post.body_html)
    assert srcset_widths(img["srcset"]) == [300, 800, 1600, 2000]
    assert post.updated_at > updated_before  # its ETag changes with it
    assert Post.objects.get(pk=other.pk).body_html == other.body_html
    # No revision: the author's text did not change.
    assert post.revisions.count() == 1


def test_an_edited_alt_text_reaches_the_posts_that_left_theirs_empty(
    author, django_capture_on_commit_callbacks
):
    media = ReadyMediaFactory(alt_text="Old")
    empty = make_post(author, body=f"![]({url(media.file.name)})")
    own = make_post(author, body=f"![Mine]({url(media.file.name)})")
    with django_capture_on_commit_callbacks(execute=True):
        media_update(media=media, actor=media.uploaded_by, alt_text="New")
    assert images(Post.objects.get(pk=empty.pk).body_html)[0]["alt"] == "New"
    assert images(Post.objects.get(pk=own.pk).body_html)[0]["alt"] == "Mine"


def test_rerendering_changes_only_posts_whose_html_changes(author):
    media = ReadyMediaFactory()
    post = make_post(author, body=f"![x]({url(media.file.name)})")
    assert posts_rerender_for_media(media_id=media.pk) == []
    Post.objects.filter(pk=post.pk).update(body_html="<p>stale</p>")
    assert posts_rerender_for_media(media_id=media.pk) == [post.pk]
    assert posts_rerender_for_media(media_id=media.pk + 1000) == []


def test_a_media_in_no_body_queues_no_job(author, django_capture_on_commit_callbacks):
    media = ReadyMediaFactory()
    make_post(author, body="Nothing to see.")
    before = JobRecord.objects.filter(name="blog.posts_rerender_for_media").count()
    with django_capture_on_commit_callbacks(execute=True):
        media_update(media=media, actor=media.uploaded_by, alt_text="New")
    assert JobRecord.objects.filter(name="blog.posts_rerender_for_media").count() == before
    make_post(author, body=f"![x]({url(media.file.name)})")
    with django_capture_on_commit_callbacks(execute=True):
        media_update(media=media, actor=media.uploaded_by, alt_text="Newer")
    assert JobRecord.objects.filter(name="blog.posts_rerender_for_media").count() == before + 1


def test_a_new_caption_renders_nothing_again(author, django_capture_on_commit_callbacks):
    media = ReadyMediaFactory()
    make_post(author, body=f"![]({url(media.file.name)})")
    jobs = JobRecord.objects.filter(name="blog.posts_rerender_for_media")
    with django_capture_on_commit_callbacks(execute=True):
        media_update(media=media, actor=media.uploaded_by, caption="Only the caption")
    assert not jobs.exists()  # the body's HTML shows no caption

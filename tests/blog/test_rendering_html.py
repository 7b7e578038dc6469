"""HTML bodies (blog/rendering.py `render_body` with `html`): the same sanitizer as
Markdown's, against the XSS payloads and more aimed at embeds; what real posts contain
kept; <iframe>s only from the embed hosts, sandboxed; the text for excerpt and reading
time."""

import pytest
from django.test import override_settings

from blog.rendering import (
    IFRAME_SANDBOX,
    body_text,
    embed_url,
    make_excerpt,
    reading_time_minutes,
    render_body,
    render_markdown,
)
from tests.blog.xss import EMBED_SANDBOX, HTML_XSS_PAYLOADS, XSS_PAYLOADS, assert_safe_html

YOUTUBE = "https://www.youtube.com/embed/dQw4w9WgXcQ"


def test_the_checks_sandbox_is_the_renderers():
    assert IFRAME_SANDBOX == EMBED_SANDBOX


@pytest.mark.parametrize(
    "unsafe",
    [
        '<iframe src="https://evil.example/x" sandbox="allow-scripts allow-same-origin '
        'allow-presentation"></iframe>',
        f'<iframe src="{YOUTUBE}"></iframe>',  # no sandbox
        f'<iframe src="{YOUTUBE}" sandbox="{EMBED_SANDBOX} allow-top-navigation"></iframe>',
        f'<iframe src="{YOUTUBE}" sandbox="{EMBED_SANDBOX}" srcdoc="x"></iframe>',
        f'<iframe src="{YOUTUBE}" sandbox="{EMBED_SANDBOX}"><b>x</b></iframe>',
        '<img src="a.png" srcset="javascript:alert(1) 1x">',
    ],
)
def test_the_safety_check_catches_unsafe_embeds(unsafe):
    with pytest.raises(AssertionError):
        assert_safe_html(unsafe, embeds=True)


@pytest.mark.parametrize("payload", XSS_PAYLOADS + HTML_XSS_PAYLOADS)
def test_an_html_body_neutralizes_xss(payload):
    assert_safe_html(render_body(payload, "html"), embeds=True)
    assert_safe_html(render_body(f"<p>Some text</p>{payload}<p>more text</p>", "html"), True)


@pytest.mark.parametrize("payload", HTML_XSS_PAYLOADS)
def test_markdown_raw_html_gets_the_same_treatment(payload):
    assert_safe_html(render_markdown(f"Some text\n\n{payload}\n\nmore text"), embeds=True)


@pytest.mark.parametrize("payload", HTML_XSS_PAYLOADS)
def test_sanitized_html_is_stable(payload):
    # Sanitizing again changes nothing: the media re-render compares HTML to decide.
    once = render_body(payload, "html")
    assert render_body(once, "html") == once


def test_what_real_posts_contain_is_kept():
    body = (
        "<h2>Results</h2><h3>Table</h3>"
        '<table><caption>Scores</caption><thead><tr><th scope="col">a</th>'
        '<th colspan="2">b</th></tr></thead><tbody><tr><td rowspan="2">1</td><td>2</td>'
        "<td>3</td></tr></tbody><tfoot><tr><td>sum</td></tr></tfoot></table>"
        '<figure><img src="https://example.com/a.jpg" alt="A cat" width="800" height="600" '
        'srcset="https://example.com/a-300.jpg 300w, https://example.com/a.jpg 800w" '
        'sizes="(max-width: 800px) 100vw, 800px" loading="lazy">'
        "<figcaption>The <em>cat</em></figcaption></figure>"
        '<pre><code class="language-python hljs">print("&lt;hi&gt;")</code></pre>'
        '<ul><li>one</li></ul><ol start="3"><li>three</li></ol>'
        "<blockquote><p>Quoted</p></blockquote>"
        '<p><a href="https://example.com/x">link</a> <mark>m</mark> <kbd>K</kbd></p>'
    )
    html = render_body(body, "html")
    for kept in (
        "<h2>Results</h2>",
        "<caption>Scores</caption>",
        '<th scope="col">a</th>',
        '<th colspan="2">b</th>',
        '<td rowspan="2">1</td>',
        "<tfoot>",
        '<img src="https://example.com/a.jpg" alt="A cat" width="800" height="600" '
        'srcset="https://example.com/a-300.jpg 300w, https://example.com/a.jpg 800w" '
        'sizes="(max-width: 800px) 100vw, 800px" loading="lazy">',
        "<figcaption>The <em>cat</em></figcaption></figure>",
        # The language for a highlighter; not the other classes.
        '<pre><code class="language-python">print("&lt;hi&gt;")</code></pre>',
        '<ol start="3">',
        "<blockquote><p>Quoted</p></blockquote>",
        '<a href="https://example.com/x" rel="nofollow noopener noreferrer">link</a>',
        "<mark>m</mark>",
    ):
        assert kept in html
    assert_safe_html(html)


@pytest.mark.parametrize(
    "src, expected",
    [
        (YOUTUBE, YOUTUBE),
        ("https://youtube.com/embed/abc?start=30", "https://youtube.com/embed/abc?start=30"),
        ("https://WWW.YouTube.com/embed/abc", "https://www.youtube.com/embed/abc"),
        ("//www.youtube-nocookie.com/embed/abc", "https://www.youtube-nocookie.com/embed/abc"),
        ("http://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://www.youtube.com/embed/", None),  # the prefix alone
        ("https://www.youtube.com/watch?v=abc", None),  # a page, not a player
        ("https://vimeo.com/76979871", None),
        ("https://player.vimeo.com.evil.example/video/1", None),
        ("https://evil.example/https://www.youtube.com/embed/x", None),
        ("ftp://www.youtube.com/embed/x", None),
        ("https://www.youtube.com/embed/x y", None),
    ],
)
def test_embed_urls(src, expected):
    assert embed_url(src) == expected


def test_allowed_embeds_are_kept_sandboxed():
    html = render_body(
        f'<p>Watch:</p><iframe width="560" height="315" src="{YOUTUBE}?si=x&amp;t=3" '
        'title="YouTube video player" frameborder="0" allow="autoplay; encrypted-media" '
        'referrerpolicy="no-referrer" allowfullscreen></iframe>'
        '<iframe src="//player.vimeo.com/video/76979871" width="640"></iframe>',
        "html",
    )
    assert html == (
        "<p>Watch:</p>"
        f'<iframe src="{YOUTUBE}?si=x&amp;t=3" width="560" height="315" '
        f'title="YouTube video player" sandbox="{EMBED_SANDBOX}" loading="lazy" '
        'referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>'
        '<iframe src="https://player.vimeo.com/video/76979871" width="640" '
        f'sandbox="{EMBED_SANDBOX}" loading="lazy" '
        'referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>'
    )


def test_other_iframes_are_removed_with_their_content():
    html = render_body(
        '<p>a</p><iframe src="https://maps.example/embed?x=1">Your browser has no frames'
        '</iframe><iframe>b</iframe><iframe src="https://www.youtube.com/watch?v=x">'
        "</iframe><p>c</p>",
        "html",
    )
    assert html == "<p>a</p><p>c</p>"


@override_settings(
    EMBED_URL_PREFIXES=["https://www.youtube.com/embed/", "https://maps.example/embed/"]
)
def test_the_setting_adds_embed_hosts():
    html = render_body(
        '<iframe src="https://maps.example/embed/place"></iframe>'
        '<iframe src="https://player.vimeo.com/video/1"></iframe>',
        "html",
    )
    assert 'src="https://maps.example/embed/place"' in html
    assert "vimeo" not in html  # not in the overridden list any more
    assert_safe_html(html.replace("https://maps.example/embed/", YOUTUBE + "/"), embeds=True)


def test_excerpt_and_reading_time_come_from_the_text():
    words = " ".join(["word"] * 250)
    body = (
        "<h1>Heading</h1>"
        f'<p class="intro"><img src="https://example.com/{"a/" * 50}.png" alt="x" '
        f'srcset="https://example.com/a.png 1x, https://example.com/b.png 2x">{words}</p>'
        f'<iframe src="{YOUTUBE}" title="A video"></iframe>'
        "<table><tr><td>Cell&nbsp;one</td><td>cell&amp;two</td></tr></table>"
    )
    html = render_body(body, "html")
    text = body_text(body, "html", html)
    assert "<" not in text and "src" not in text and "youtube" not in text
    assert text.startswith("Heading word word") and text.endswith("Cell\xa0one cell&two")
    assert reading_time_minutes(text) == 2  # 254 words
    excerpt = make_excerpt(html)
    assert excerpt.startswith("word word") and "<" not in excerpt and excerpt.endswith("…")
    # Markdown's source stays the text of a Markdown body.
    assert body_text("Some *words*", "markdown", "<p>ignored</p>") == "Some *words*"


def test_html_is_not_read_as_markdown():
    html = render_body("<p>2 * 3 * 4 and _not emphasis_</p>\n\n    indented", "html")
    assert html == "<p>2 * 3 * 4 and _not emphasis_</p>\n\n    indented"

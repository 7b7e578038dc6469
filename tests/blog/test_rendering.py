"""Markdown rendering (blog/rendering.py): sanitized against the OWASP XSS payloads, harmless
markup kept."""

import pytest

from blog.rendering import render_markdown
from tests.blog.xss import XSS_PAYLOADS, assert_safe_html


@pytest.mark.parametrize(
    "unsafe",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JAVA&#x09;SCRIPT:alert(1)">x</a>',
        '<a href=" data:text/html,x">x</a>',
        '<img src="vbscript:x">',
        '<img src="x" onerror="alert(1)">',
        '<p style="color:red">x</p>',
        "<script>alert(1)</script>",
        "<svg></svg>",
        "<iframe></iframe>",
    ],
)
def test_the_safety_check_itself_catches_unsafe_html(unsafe):
    with pytest.raises(AssertionError):
        assert_safe_html(unsafe)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_render_markdown_neutralizes_xss(payload):
    assert_safe_html(render_markdown(payload))
    assert_safe_html(render_markdown(f"Some text\n\n{payload}\n\nmore text"))


def test_sanitizer_keeps_harmless_markup():
    html = render_markdown(
        '# Title\n\n**bold** _it_ `code` [link](https://example.com/a?b=1 "T")\n\n'
        "![alt](https://example.com/i.png)\n\n- one\n- two\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n<mailto:me@example.com>"
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert "<code>code</code>" in html
    assert 'href="https://example.com/a?b=1"' in html
    assert 'rel="nofollow noopener noreferrer"' in html
    assert 'src="https://example.com/i.png"' in html
    assert "<li>one</li>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "mailto:" in html
    assert_safe_html(html)


def test_text_that_looks_like_html_in_code_is_escaped():
    html = render_markdown("`<script>alert(1)</script>`\n\n    <img src=x onerror=alert(1)>")
    assert "&lt;script&gt;" in html
    assert_safe_html(html)

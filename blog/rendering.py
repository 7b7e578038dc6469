"""Markdown to safe HTML, and the other values derived from a post's body."""

import html
import math
import re

import markdown
import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
_WORDS_PER_MINUTE = 200
_TAG = re.compile(r"<[^>]+>")
# Tags that separate words; other (inline) tags are removed without adding a space.
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|table|thead|tbody|tr|td|th|br|hr)\b[^>]*>"
)
# Headings repeat the title and code reads badly in a teaser: the excerpt skips both.
_NOT_IN_EXCERPT = re.compile(r"<(h[1-6]|pre)\b[^>]*>.*?</\1>", re.DOTALL)
_SPACE = re.compile(r"\s+")


def render_markdown(text: str) -> str:
    """Render Markdown, then sanitize: raw HTML in the source is allowed only if harmless."""
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def make_excerpt(body_html: str, length: int = 280) -> str:
    """Plain text from the start of the rendered body, cut at a word boundary."""
    prose = _NOT_IN_EXCERPT.sub(" ", body_html)
    text = html.unescape(_SPACE.sub(" ", _TAG.sub("", _BLOCK_TAG.sub(" ", prose))).strip())
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"


def reading_time_minutes(body: str) -> int:
    return max(1, math.ceil(len(body.split()) / _WORDS_PER_MINUTE))

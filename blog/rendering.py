"""Markdown to safe HTML, and the other values derived from a post's body."""

import html
import math
import re
from collections.abc import Mapping

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
# What the renderer itself adds to images of the media library (`annotate_images`); not
# allowed in the author's own HTML.
_ANNOTATED_ATTRIBUTES = {
    **_ALLOWED_ATTRIBUTES,
    "img": _ALLOWED_ATTRIBUTES["img"] | {"loading", "srcset", "sizes"},
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


def _sanitize(html: str, attributes: Mapping[str, set[str]]) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=attributes,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Render Markdown, then sanitize: raw HTML in the source is allowed only if harmless."""
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return _sanitize(html, _ALLOWED_ATTRIBUTES)


# An <img> as the sanitizer writes it: every value double-quoted, `"` and `&` escaped (a
# `>` may stay inside a value, hence no [^>]*).
_IMG = re.compile(r'<img((?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'([^\s"\'>/=]+)(?:="([^"]*)")?')


def _img_attributes(tag_inside: str) -> dict[str, str]:
    return {name: html.unescape(value or "") for name, value in _ATTRIBUTE.findall(tag_inside)}


def image_sources(body_html: str) -> list[str]:
    """The `src` of every <img> of sanitized HTML (`render_markdown`'s), in order."""
    found = (_img_attributes(m.group(1)).get("src") for m in _IMG.finditer(body_html))
    return [src for src in found if src]


def annotate_images(body_html: str, extra: Mapping[str, Mapping[str, str]]) -> str:
    """Give each <img> whose `src` is a key of `extra` the attributes it maps to (`width`,
    `height`, `alt`, `srcset`), `loading="lazy"` and the `sizes` of its width. What the
    author set stays: their `alt` (unless empty), their size (either of `width` and
    `height`: the other one is not guessed). Then sanitized again: a last check that
    nothing else was added."""
    changed = False

    def annotate(match: re.Match[str]) -> str:
        nonlocal changed
        attributes = _img_attributes(match.group(1))
        wanted = extra.get(attributes.get("src", ""))
        if not wanted:
            return match.group(0)
        sized = bool(attributes.get("width") or attributes.get("height"))
        for name, value in wanted.items():
            if attributes.get(name) or (sized and name in ("width", "height")):
                continue
            attributes[name] = value
        attributes.setdefault("loading", "lazy")
        width = attributes.get("width", "")
        if attributes.get("srcset") and "sizes" not in attributes and width.isdigit():
            # As wide as the image, never wider than the screen: the browser picks the
            # smallest rendition that fills that.
            attributes["sizes"] = f"(max-width: {width}px) 100vw, {width}px"
        changed = True
        inside = "".join(f' {name}="{html.escape(value)}"' for name, value in attributes.items())
        return f"<img{inside}>"

    annotated = _IMG.sub(annotate, body_html)
    return _sanitize(annotated, _ANNOTATED_ATTRIBUTES) if changed else body_html


def make_excerpt(body_html: str, length: int = 280) -> str:
    """Plain text from the start of the rendered body, cut at a word boundary."""
    prose = _NOT_IN_EXCERPT.sub(" ", body_html)
    text = html.unescape(_SPACE.sub(" ", _TAG.sub("", _BLOCK_TAG.sub(" ", prose))).strip())
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"


def reading_time_minutes(body: str) -> int:
    return max(1, math.ceil(len(body.split()) / _WORDS_PER_MINUTE))

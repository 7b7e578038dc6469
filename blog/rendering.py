"""Markdown or HTML to safe HTML, and the other values derived from a post's body."""

import html
import math
import re
from collections.abc import Mapping

import markdown
import nh3
from django.conf import settings

from blog.models import BodyFormat

# What real posts contain (the imported ones above all), for Markdown's raw HTML and HTML
# bodies alike. Never scripts, styles, forms or event handlers.
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "iframe", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height", "srcset", "sizes", "loading"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
    "code": {"class"},
    "pre": {"class"},
    "div": {"class"},
    "span": {"class"},
    # Only these: `_finish_iframes` adds the sandbox and the rest.
    "iframe": {"src", "width", "height", "title"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
# Frames run the embed host's player: scripts in its own origin (its cookies, hence
# allow-same-origin) and fullscreen/cast. No top navigation, no popups, no forms.
IFRAME_SANDBOX = "allow-scripts allow-same-origin allow-presentation"
_WORDS_PER_MINUTE = 200
# A tag as the sanitizer writes it: values double-quoted, and a `>` may stay inside one.
_TAG = re.compile(r'<(?:"[^"]*"|[^">])*>')
# Tags that separate words; other (inline) tags are removed without adding a space.
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|table|thead|tbody|tfoot|tr|td|th"
    r'|caption|figure|figcaption|iframe|br|hr)\b(?:"[^"]*"|[^">])*>'
)
# Headings repeat the title and code reads badly in a teaser: the excerpt skips both.
_NOT_IN_EXCERPT = re.compile(r"<(h[1-6]|pre)\b[^>]*>.*?</\1>", re.DOTALL)
_SPACE = re.compile(r"\s+")
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_CONTROLS_AND_SPACE = "".join(map(chr, range(0x21)))
_EMBED_URL = re.compile(r"https://([a-z0-9.-]+)(/[^\s\\]*)", re.IGNORECASE)


def _safe_url(value: str) -> bool:
    """Whether a browser would load `value` over http(s) (or relative to the page): it
    strips leading controls and spaces and drops tabs and newlines before the scheme."""
    url = re.sub(r"[\t\n\r]", "", value.strip(_CONTROLS_AND_SPACE))
    match = _SCHEME.match(url)
    return match is None or match.group(1).lower() in ("http", "https")


def embed_url(src: str) -> str | None:
    """`src` as an https URL if it starts with one of EMBED_URL_PREFIXES (scheme-relative
    and http:// ones, as old posts have them, become https), else None."""
    url = src.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif url[:7].lower() == "http://":
        url = "https://" + url[7:]
    match = _EMBED_URL.fullmatch(url)
    if match is None:
        return None
    host, path = match.group(1).lower(), match.group(2)
    for prefix in settings.EMBED_URL_PREFIXES:
        prefix_host, _, prefix_path = prefix[len("https://") :].partition("/")
        if host == prefix_host and path.startswith("/" + prefix_path) and path != "/" + prefix_path:
            return f"https://{host}{path}"
    return None


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        if element not in ("code", "pre"):
            return value
        # Highlighters key on `language-*`; other classes could dress text up as the site's.
        kept = [name for name in value.split() if _LANGUAGE_CLASS.fullmatch(name)]
        return " ".join(kept) or None
    if element == "iframe" and attribute == "src":
        return embed_url(value)
    if attribute == "srcset":
        candidates = (c.strip().split()[0] for c in value.split(",") if c.strip())
        return value if all(_safe_url(url) for url in candidates) else None
    if attribute == "loading":
        return value if value in ("lazy", "eager") else None
    if attribute in ("width", "height", "colspan", "rowspan", "start"):
        return value if value.isdigit() and len(value) <= 5 else None
    return value


# In the sanitizer's output a `<` is a tag's (text has `&lt;`, values are quoted): each
# tag matches whole, so an `<iframe` is never looked for inside another tag. An iframe's
# content is raw text up to its end tag.
_IFRAME_OR_TAG = re.compile(
    r'(<iframe\b(?:"[^"]*"|[^">])*>).*?(?:</iframe\s*>|\Z)|<(?:"[^"]*"|[^">])*>',
    re.IGNORECASE | re.DOTALL,
)


def _finish_iframe(match: re.Match[str]) -> str:
    start_tag = match.group(1)
    if start_tag is None:
        return match.group(0)  # another tag
    attributes = _img_attributes(start_tag[len("<iframe") : -1])
    if not attributes.get("src"):
        return ""
    names: tuple[str, ...] = ("src", "width", "height", "title")
    kept = {name: attributes[name] for name in names if name in attributes}
    kept |= {
        "sandbox": IFRAME_SANDBOX,
        "loading": "lazy",
        # Players refuse to play without knowing the embedding site (the site's own
        # policy is same-origin): they get its origin, never the page's path.
        "referrerpolicy": "strict-origin-when-cross-origin",
    }
    inside = "".join(f' {name}="{html.escape(value)}"' for name, value in kept.items())
    return f"<iframe{inside} allowfullscreen></iframe>"


def _finish_iframes(html_text: str) -> str:
    """Each iframe with a src (one the filter let through) gets the sandbox and the other
    attributes it needs, in a fixed order, and loses its content (raw text, which other
    parsers than a browser's could read as markup); one without a src is removed."""
    if "<iframe" not in html_text.lower():
        return html_text
    return _IFRAME_OR_TAG.sub(_finish_iframe, html_text)


def _sanitize(html_text: str) -> str:
    cleaned = nh3.clean(
        html_text,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return _finish_iframes(cleaned)


def render_markdown(text: str) -> str:
    """Render Markdown, then sanitize: raw HTML in the source is allowed only if harmless."""
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return _sanitize(html)


def render_body(body: str, body_format: str) -> str:
    """A post's body as safe HTML: Markdown rendered, or HTML as given; sanitized either
    way by the same allow-list."""
    if body_format == BodyFormat.HTML:
        return _sanitize(body)
    return render_markdown(body)


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
    `height`: the other one is not guessed); their `srcset`, `sizes` and `loading` do
    not (the library's renditions are the ones that exist). Then sanitized again: a last
    check that nothing else was added."""
    changed = False

    def annotate(match: re.Match[str]) -> str:
        nonlocal changed
        attributes = _img_attributes(match.group(1))
        wanted = extra.get(attributes.get("src", ""))
        if not wanted:
            return match.group(0)
        for name in ("srcset", "sizes", "loading"):
            attributes.pop(name, None)
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
    return _sanitize(annotated) if changed else body_html


def plain_text(body_html: str) -> str:
    """The words of sanitized HTML (`render_body`'s), tags removed, entities decoded."""
    return html.unescape(_SPACE.sub(" ", _TAG.sub("", _BLOCK_TAG.sub(" ", body_html))).strip())


def make_excerpt(body_html: str, length: int = 280) -> str:
    """Plain text from the start of the rendered body, cut at a word boundary."""
    text = plain_text(_NOT_IN_EXCERPT.sub(" ", body_html))
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"


def reading_time_minutes(text: str) -> int:
    return max(1, math.ceil(len(text.split()) / _WORDS_PER_MINUTE))


def body_text(body: str, body_format: str, body_html: str) -> str:
    """The text a reader reads, for the reading time: Markdown's source (its markup is a
    few characters), the words of an HTML body (its tags are not words)."""
    return plain_text(body_html) if body_format == BodyFormat.HTML else body

"""A streaming reader of WordPress export files (WXR: RSS 2.0 with the `wp:` namespace).

`read_wxr(source)` yields the site's header, then the authors, categories, tags, terms and
items in the file's order, as the frozen values of `records`. The file is read with
defusedxml's `iterparse`: an entity declaration (billion laughs, external entities) stops
it with a `WxrError`, and each top-level element of the channel is dropped from the tree
once read, so a file of hundreds of megabytes needs the memory of one item, not of the file.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import IO
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from transfer.wordpress.records import (
    Author,
    Category,
    Comment,
    Item,
    ItemTerm,
    Record,
    Site,
    Tag,
    Term,
)

# WXR 1.0 to 1.2, http or https (WordPress.com writes either).
_WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/\d+(\.\d+)*/$")
_EXCERPT_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/\d+(\.\d+)*/excerpt/$")
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_ZERO_DATE = "0000-00-00 00:00:00"


class WxrError(ValueError):
    """The file is not a WordPress export we can read (malformed, not WXR, or unsafe)."""


def read_wxr(source: str | IO[bytes], site_timezone: tzinfo = UTC) -> Iterator[Record]:
    """Yield the records of a WXR file (a path or a binary file object), streaming.

    `site_timezone` is the zone of the blog that wrote the file (WXR does not say it): a
    post or comment whose GMT date is zero (a draft) is dated from its local date in it.
    """
    return _Reader(site_timezone).read(source)


def _events(source: str | IO[bytes]) -> Iterator[tuple[str, object]]:
    """iterparse's events, its errors turned into `WxrError`s."""
    # defusedxml's defaults: entity declarations and external references forbidden (a DTD
    # without entities is harmless and allowed).
    events = iterparse(source, events=("start-ns", "start", "end"))
    while True:
        try:
            yield next(events)
        except StopIteration:
            return
        except DefusedXmlException as error:
            raise WxrError(f"Unsafe XML refused (entities are not allowed): {error}") from None
        except ParseError as error:
            raise WxrError(f"Malformed XML: {error}") from None


class _Reader:
    def __init__(self, site_timezone: tzinfo) -> None:
        self.site_timezone = site_timezone
        self.wp = ""
        self.excerpt = ""

    def read(self, source: str | IO[bytes]) -> Iterator[Record]:
        namespaces: list[str] = []
        stack: list[Element] = []
        header: dict[str, str] = {}
        site_sent = False
        for event, value in _events(source):
            if event == "start-ns":
                # Only the root's declarations count (WordPress declares them all there).
                if not stack:
                    assert isinstance(value, tuple)
                    namespaces.append(value[1])
                continue
            assert isinstance(value, Element)
            element = value
            if event == "start":
                if not stack:
                    self._check_root(element, namespaces)
                stack.append(element)
                continue
            stack.pop()
            if len(stack) != 2 or stack[1].tag != "channel":
                if len(stack) == 1:
                    # A child of <rss> (the channel, or anything else): nothing more to read.
                    stack[0].remove(element)
                    if element.tag == "channel" and not site_sent:
                        yield self._site(header)
                        site_sent = True
                continue
            # A top-level element of the channel: read it, then drop it from the tree.
            stack[1].remove(element)
            record = self._record(element)
            if record is None:
                self._header(element, header)
                continue
            if not site_sent:
                yield self._site(header)
                site_sent = True
            yield record
        if not site_sent:
            raise WxrError("Not a WordPress export: the <rss> element has no <channel>.")

    def _check_root(self, root: Element, namespaces: list[str]) -> None:
        if root.tag != "rss":
            raise WxrError(f"Not a WordPress export: the document is <{root.tag}>, not <rss>.")
        for uri in namespaces:
            if _WP_NAMESPACE.match(uri):
                self.wp = "{" + uri + "}"
            elif _EXCERPT_NAMESPACE.match(uri):
                self.excerpt = "{" + uri + "}"
        if not self.wp:
            raise WxrError(
                "Not a WordPress export: an RSS feed without the wp namespace "
                "(http://wordpress.org/export/1.2/)."
            )

    def _header(self, element: Element, header: dict[str, str]) -> None:
        names = {
            "title": "title",
            "link": "link",
            "description": "description",
            "language": "language",
            self.wp + "base_site_url": "base_site_url",
            self.wp + "base_blog_url": "base_blog_url",
            self.wp + "wxr_version": "wxr_version",
        }
        if element.tag in names:
            header[names[element.tag]] = (element.text or "").strip()

    def _site(self, header: dict[str, str]) -> Site:
        return Site(
            title=header.get("title", ""),
            link=header.get("link", ""),
            base_site_url=header.get("base_site_url", ""),
            base_blog_url=header.get("base_blog_url", ""),
            description=header.get("description", ""),
            language=header.get("language", ""),
            wxr_version=header.get("wxr_version", ""),
        )

    def _record(self, element: Element) -> Record | None:
        wp = self.wp
        tag = element.tag
        if tag == "item":
            return self._item(element)
        if tag == wp + "author":
            return Author(
                id=self._int(element, "author_id"),
                login=self._wp(element, "author_login"),
                email=self._wp(element, "author_email"),
                display_name=self._wp(element, "author_display_name"),
                first_name=self._wp(element, "author_first_name"),
                last_name=self._wp(element, "author_last_name"),
            )
        if tag == wp + "category":
            return Category(
                term_id=self._int(element, "term_id"),
                nicename=_slug(self._wp(element, "category_nicename")),
                name=self._wp(element, "cat_name"),
                parent=_slug(self._wp(element, "category_parent")),
                description=self._wp(element, "category_description"),
            )
        if tag == wp + "tag":
            return Tag(
                term_id=self._int(element, "term_id"),
                slug=_slug(self._wp(element, "tag_slug")),
                name=self._wp(element, "tag_name"),
                description=self._wp(element, "tag_description"),
            )
        if tag == wp + "term":
            return Term(
                term_id=self._int(element, "term_id"),
                taxonomy=self._wp(element, "term_taxonomy"),
                slug=_slug(self._wp(element, "term_slug")),
                name=self._wp(element, "term_name"),
                parent=_slug(self._wp(element, "term_parent")),
                description=self._wp(element, "term_description"),
            )
        return None

    def _item(self, item: Element) -> Item:
        post_id = self._int(item, "post_id")
        where = f"item {post_id}"
        post_date = _datetime(self._wp(item, "post_date"), where)
        postmeta: dict[str, str] = {}
        for meta in item.iterfind(self.wp + "postmeta"):
            postmeta.setdefault(self._wp(meta, "meta_key"), self._wp(meta, "meta_value"))
        excerpt = item.findtext(self.excerpt + "encoded", "") if self.excerpt else ""
        return Item(
            id=post_id,
            title=item.findtext("title", ""),
            link=item.findtext("link", "").strip(),
            guid=item.findtext("guid", "").strip(),
            post_name=_slug(self._wp(item, "post_name")),
            status=self._wp(item, "status"),
            post_type=self._wp(item, "post_type"),
            post_date=post_date,
            post_date_gmt=self._gmt(self._wp(item, "post_date_gmt"), post_date, where),
            creator=item.findtext(_DC_CREATOR, "").strip(),
            content=item.findtext(_CONTENT, ""),
            excerpt=excerpt,
            post_parent=self._int(item, "post_parent"),
            menu_order=self._int(item, "menu_order"),
            post_password=self._wp(item, "post_password"),
            is_sticky=self._wp(item, "is_sticky") == "1",
            comment_status=self._wp(item, "comment_status"),
            terms=tuple(
                ItemTerm(
                    domain=term.get("domain", ""),
                    nicename=_slug(term.get("nicename", "")),
                    name=term.text or "",
                )
                for term in item.iterfind("category")
            ),
            postmeta=postmeta,
            attachment_url=self._wp(item, "attachment_url"),
            comments=tuple(
                self._comment(comment, where) for comment in item.iterfind(self.wp + "comment")
            ),
        )

    def _comment(self, comment: Element, where: str) -> Comment:
        comment_id = self._int(comment, "comment_id")
        where = f"{where}, comment {comment_id}"
        local = _datetime(self._wp(comment, "comment_date"), where)
        return Comment(
            id=comment_id,
            author=self._wp(comment, "comment_author"),
            author_email=self._wp(comment, "comment_author_email"),
            author_url=self._wp(comment, "comment_author_url"),
            author_ip=self._wp(comment, "comment_author_IP"),
            date_gmt=self._gmt(self._wp(comment, "comment_date_gmt"), local, where),
            content=self._wp(comment, "comment_content", strip=False),
            approved=self._wp(comment, "comment_approved"),
            type=self._wp(comment, "comment_type") or "comment",
            parent=self._int(comment, "comment_parent"),
            user_id=self._int(comment, "comment_user_id"),
        )

    def _wp(self, element: Element, name: str, strip: bool = True) -> str:
        text = element.findtext(self.wp + name, "")
        return text.strip() if strip else text

    def _int(self, element: Element, name: str) -> int:
        text = self._wp(element, name)
        if not text:
            return 0
        try:
            return int(text)
        except ValueError:
            raise WxrError(f"wp:{name} is not a number: {text[:40]!r}.") from None

    def _gmt(self, text: str, local: datetime | None, where: str) -> datetime | None:
        gmt = _datetime(text, where)
        if gmt is not None:
            return gmt.replace(tzinfo=UTC)
        if local is None:
            return None
        return local.replace(tzinfo=self.site_timezone).astimezone(UTC)


def _datetime(text: str, where: str) -> datetime | None:
    """A WXR date ("2024-03-01 12:30:00"), naive; None when empty or zero."""
    if not text or text == _ZERO_DATE:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise WxrError(f"{where}: not a date: {text[:40]!r}.") from None


def _slug(text: str) -> str:
    # WordPress stores non-ASCII slugs percent-encoded UTF-8 ("%ce%b5%ce%bb").
    return unquote(text, encoding="utf-8", errors="replace")

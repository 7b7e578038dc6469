"""What the WXR reader yields: plain, frozen values, one per element of the export.

They hold what the file says, decoded (slugs from percent-encoding, dates parsed,
numbers as ints) but not interpreted: mapping them onto our models is the importer's job.
"""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Site:
    """The channel's header: the first record, yielded before any other."""

    title: str
    link: str
    base_site_url: str
    base_blog_url: str
    description: str = ""
    language: str = ""
    wxr_version: str = ""


@dataclass(frozen=True)
class Author:
    id: int
    login: str
    email: str
    display_name: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class Category:
    term_id: int
    nicename: str
    name: str
    # The parent's nicename ("" for a top-level category); WordPress writes parents first.
    parent: str
    description: str


@dataclass(frozen=True)
class Tag:
    term_id: int
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class Term:
    """A term of another taxonomy (nav menus, post formats, custom taxonomies)."""

    term_id: int
    taxonomy: str
    slug: str
    name: str
    parent: str
    description: str


@dataclass(frozen=True)
class ItemTerm:
    """An item's `<category domain="..." nicename="...">`: domain "category", "post_tag", ..."""

    domain: str
    nicename: str
    name: str


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    author_email: str
    author_url: str
    author_ip: str
    # Aware (UTC); a zero comment_date_gmt falls back to comment_date in the site's zone.
    date_gmt: datetime | None
    content: str
    # As written: "1" approved, "0" held, "spam", "trash", "post-trashed".
    approved: str
    # "comment", "pingback" or "trackback" (WordPress writes "" for a comment).
    type: str
    parent: int
    user_id: int

    @property
    def is_approved(self) -> bool:
        return self.approved == "1"


@dataclass(frozen=True)
class Item:
    """A post, page, attachment, nav menu item or any other post type."""

    id: int
    title: str
    link: str
    guid: str
    post_name: str
    status: str
    post_type: str
    # As written, naive, in the site's time zone.
    post_date: datetime | None
    # Aware (UTC); a zero post_date_gmt (drafts) falls back to post_date in the site's zone.
    post_date_gmt: datetime | None
    creator: str
    content: str
    excerpt: str
    post_parent: int
    menu_order: int
    post_password: str
    is_sticky: bool
    comment_status: str
    terms: tuple[ItemTerm, ...] = ()
    # The first value of each key, as WordPress's get_post_meta(..., single=True).
    postmeta: dict[str, str] = field(default_factory=dict, hash=False)
    attachment_url: str = ""
    comments: tuple[Comment, ...] = ()

    @property
    def categories(self) -> tuple[ItemTerm, ...]:
        return tuple(t for t in self.terms if t.domain == "category")

    @property
    def tags(self) -> tuple[ItemTerm, ...]:
        return tuple(t for t in self.terms if t.domain == "post_tag")


Record = Site | Author | Category | Tag | Term | Item

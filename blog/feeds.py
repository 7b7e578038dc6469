"""RSS and Atom feeds of the latest published posts."""

import copy
import mimetypes
from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.feedgenerator import Atom1Feed, Enclosure, SyndicationFeed

from blog.models import MediaStatus, Post
from blog.selectors.posts import post_latest_published


class LatestPostsFeed(Feed):
    title = "Latest posts"
    link = "/"
    description = "The latest published posts."
    request: HttpRequest | None = None

    def get_feed(self, obj: object, request: HttpRequest) -> SyndicationFeed:
        # The enclosures' URLs must be absolute, on the host asked (Django makes only the
        # links so). One feed object serves every request: the request goes on a copy.
        feed = copy.copy(self)
        feed.request = request
        return super(LatestPostsFeed, feed).get_feed(obj, request)

    def items(self) -> QuerySet[Post]:
        return post_latest_published(limit=settings.FEED_SIZE)

    def item_title(self, item: Post) -> str:
        return item.title

    def item_description(self, item: Post) -> str:
        # Already sanitized by the renderer; feed readers get the same safe HTML as the API.
        return item.body_html

    def item_author_name(self, item: Post) -> str:
        return item.author.public_name

    def item_pubdate(self, item: Post) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Post) -> datetime:
        return item.updated_at

    def item_categories(self, item: Post) -> list[str]:
        return [tag.name for tag in item.tags.all()]

    def item_enclosures(self, item: Post) -> list[Enclosure]:
        """The featured image, as stored (its original: the one file whose length is
        known); RSS has an <enclosure>, Atom a <link rel="enclosure">."""
        media = item.featured_image
        if media is None:
            return []
        if media.status == MediaStatus.REMOTE or not media.file:
            url = media.source_url
        else:
            url = default_storage.url(media.file.name or "")
            if url.startswith("/") and self.request is not None:
                url = self.request.build_absolute_uri(url)
        if not url:
            return []
        # An imported image not downloaded yet has no verified type: guessed from its URL.
        mime_type = media.content_type or mimetypes.guess_type(url)[0] or "application/octet-stream"
        return [Enclosure(url=url, length=str(media.size), mime_type=mime_type)]


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description

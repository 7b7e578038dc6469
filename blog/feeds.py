"""RSS and Atom feeds of the latest published posts."""

from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.utils.feedgenerator import Atom1Feed

from blog.models import Post
from blog.selectors.posts import post_latest_published


class LatestPostsFeed(Feed):
    title = "Latest posts"
    link = "/"
    description = "The latest published posts."

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


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description

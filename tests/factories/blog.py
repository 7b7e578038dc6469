"""Factories of the blog's rows: categories, tags, posts, revisions, comments, media."""

import io
import uuid
from typing import Any

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from blog.models import (
    RENDITION_WIDTHS,
    Category,
    Comment,
    CommentStatus,
    Media,
    MediaStatus,
    Post,
    PostStatus,
    Revision,
    Tag,
)
from blog.rendering import render_markdown
from tests.factories.accounts import AuthorFactory, ReaderFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    description = "A category."


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")
    slug = factory.LazyAttribute(lambda t: t.name)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Post number {n}")
    slug = factory.Sequence(lambda n: f"post-number-{n}")
    body = "Some **Markdown** body text."
    body_html = factory.LazyAttribute(lambda p: render_markdown(p.body))
    excerpt = "Some Markdown body text."
    author = factory.SubFactory(AuthorFactory)
    status = PostStatus.PUBLISHED
    published_at: factory.LazyFunction | None = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)


class DraftPostFactory(PostFactory):
    status = PostStatus.DRAFT
    published_at = None


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(ReaderFactory)
    body = "A comment."
    status = CommentStatus.APPROVED


class RevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Revision

    post = factory.SubFactory(PostFactory)
    title = factory.LazyAttribute(lambda r: r.post.title)
    body = factory.LazyAttribute(lambda r: r.post.body)
    author = factory.LazyAttribute(lambda r: r.post.author)


_FORMATS = {
    "png": ("PNG", "image/png"),
    "jpg": ("JPEG", "image/jpeg"),
    "webp": ("WEBP", "image/webp"),
}


def image_bytes(width: int, height: int, ext: str = "png") -> bytes:
    """A real image of that size, made with Pillow (no binary fixtures)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, _FORMATS[ext][0])
    return buffer.getvalue()


def store_image(name: str, width: int, height: int, ext: str) -> str:
    """Save an image through the default storage (the test's MEDIA_ROOT); its name."""
    return default_storage.save(name, ContentFile(image_bytes(width, height, ext)))


def store_renditions(original: str, width: int, height: int) -> dict:
    """The renditions the job makes of a stored original, stored beside it (WebP, none
    wider than the original): the value of `Media.renditions`."""
    made = {}
    stem = original.rsplit(".", 1)[0]
    for name, wanted in RENDITION_WIDTHS.items():
        rendition_width = min(wanted, width)
        rendition_height = round(height * rendition_width / width)
        stored = store_image(f"{stem}-{name}.webp", rendition_width, rendition_height, "webp")
        made[name] = {
            "name": stored,
            "width": rendition_width,
            "height": rendition_height,
            "content_type": "image/webp",
        }
    return made


class MediaFactory(factory.django.DjangoModelFactory):
    """A library image stored under the agreed name (`library/<yyyy>/<mm>/<hex>.<ext>`),
    `ready` with its renditions (WebP, none wider than the original) unless `status`
    says otherwise. Use with a temporary MEDIA_ROOT (the `media_root` fixture)."""

    class Meta:
        model = Media
        exclude = ("ext", "key")

    ext = "png"
    key = factory.LazyFunction(lambda: uuid.uuid4().hex)
    width = 1200
    height = 800
    alt_text = factory.Sequence(lambda n: f"A picture {n}")
    caption = ""
    status = MediaStatus.READY
    uploaded_by = factory.SubFactory(AuthorFactory)
    original_name = factory.LazyAttribute(lambda m: f"photo.{m.ext}")
    content_type = factory.LazyAttribute(lambda m: _FORMATS[m.ext][1])
    file = factory.LazyAttribute(
        lambda m: store_image(
            f"library/{timezone.now():%Y/%m}/{m.key}.{m.ext}", m.width, m.height, m.ext
        )
    )
    size = factory.LazyAttribute(lambda m: default_storage.size(m.file))

    @factory.lazy_attribute
    def renditions(media: Any) -> dict:
        if media.status != MediaStatus.READY:
            return {}
        return store_renditions(media.file, media.width, media.height)

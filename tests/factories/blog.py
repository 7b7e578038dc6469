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


def _image_bytes(width: int, height: int, format: str) -> bytes:
    """A real image of that size, made with Pillow (no binary fixtures)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, format)
    return buffer.getvalue()


def _stored_png(media: Any) -> str:
    """A real PNG of the media's size in the default storage, under a library name."""
    name = f"library/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.png"
    return default_storage.save(name, ContentFile(_image_bytes(media.width, media.height, "PNG")))


def store_renditions(original: str, width: int, height: int) -> dict:
    """The renditions the job makes of a stored original, stored beside it (WebP, none
    wider than the original): the value of `Media.renditions`."""
    made = {}
    stem = original.rsplit(".", 1)[0]
    for name, wanted in RENDITION_WIDTHS.items():
        rendition_width = min(wanted, width)
        rendition_height = round(height * rendition_width / width)
        data = _image_bytes(rendition_width, rendition_height, "WEBP")
        stored = default_storage.save(f"{stem}-{name}.webp", ContentFile(data))
        made[name] = {
            "name": stored,
            "width": rendition_width,
            "height": rendition_height,
            "content_type": "image/webp",
        }
    return made


class MediaFactory(factory.django.DjangoModelFactory):
    """Media as just uploaded (`processing`, no renditions), with a real PNG stored in
    the (test's) MEDIA_ROOT under the agreed name (`library/<yyyy>/<mm>/<hex>.png`)."""

    class Meta:
        model = Media

    width = 640
    height = 480
    file = factory.LazyAttribute(_stored_png)
    content_type = "image/png"
    size = factory.LazyAttribute(lambda m: default_storage.size(m.file))
    alt_text = factory.Sequence(lambda n: f"Picture {n}")
    original_name = factory.Sequence(lambda n: f"picture-{n}.png")
    uploaded_by = factory.SubFactory(AuthorFactory)
    status = MediaStatus.PROCESSING


class ReadyMediaFactory(MediaFactory):
    """Media whose renditions were made (real WebP files, as the job names them)."""

    width = 1200
    height = 800
    status = MediaStatus.READY
    renditions = factory.LazyAttribute(lambda m: store_renditions(m.file, m.width, m.height))

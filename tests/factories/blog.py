"""Factories of the blog's rows: categories, tags, posts, revisions, comments, media."""

import uuid

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from blog.models import (
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
from blog.services.renditions import media_renditions_make
from tests.factories.accounts import AuthorFactory, ReaderFactory
from tests.helpers import image_bytes


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    description = "A category."
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # The path the service would give it (the factory writes rows directly).
        category = super()._create(model_class, *args, **kwargs)
        parent = category.parent
        category.path = f"{parent.path if parent else '/'}{category.pk}/"
        model_class.objects.filter(pk=category.pk).update(path=category.path)
        return category


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


def _stored_png(media) -> str:
    """A real PNG of the media's size in the default storage, under a library name."""
    name = f"library/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.png"
    return default_storage.save(name, ContentFile(image_bytes("PNG", (media.width, media.height))))


class MediaFactory(factory.django.DjangoModelFactory):
    """Media as just uploaded (`processing`, no renditions), with a real PNG stored in
    the (test's) MEDIA_ROOT."""

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
    """Media whose renditions the job has made (real WebP files)."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def renditions_made(obj, create, extracted, **kwargs):
        if create:
            made = media_renditions_make(media_id=obj.pk)
            obj.refresh_from_db()
            assert made is not None and obj.status == MediaStatus.READY

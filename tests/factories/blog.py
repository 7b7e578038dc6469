"""Factories of the blog's rows: categories, tags, posts, revisions, comments."""

import factory
from django.utils import timezone

from blog.models import Category, Comment, CommentStatus, Post, PostStatus, Revision, Tag
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

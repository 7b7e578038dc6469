"""factory-boy factories. They write rows directly (fast, any state); tests of behaviour
call the services, which is what users do."""

import functools

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Role, User
from blog.models import Category, Comment, CommentStatus, Post, PostStatus, Tag
from blog.rendering import render_markdown

PASSWORD = "correct-horse-battery-42"


@functools.cache
def _password_hash() -> str:
    # Hashing with Argon2 is slow by design: hash once, give every factory user the hash.
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    role = Role.READER
    is_staff = factory.LazyAttribute(lambda u: u.role in (Role.EDITOR, Role.ADMIN))
    password = factory.LazyFunction(_password_hash)


class ReaderFactory(UserFactory):
    role = Role.READER


class AuthorFactory(UserFactory):
    role = Role.AUTHOR


class EditorFactory(UserFactory):
    role = Role.EDITOR


class AdminFactory(UserFactory):
    role = Role.ADMIN


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

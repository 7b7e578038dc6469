"""Writes on categories and tags (tags are also created on the fly by the post services)."""

from django.db import transaction

from accounts.models import User
from blog.models import Category, Tag
from blog.services.common import make_slug, save_with_unique_slug
from blog.services.posts import post_search_vectors_refresh
from config.errors import InvalidInput
from config.events import publish

_EDITABLE = {"name", "slug", "description"}


def _check_unique(name: str | None, slug: str | None, *, exclude_pk=None) -> None:
    others = Category.objects.exclude(pk=exclude_pk) if exclude_pk else Category.objects.all()
    if name is not None and others.filter(name__iexact=name).exists():
        raise InvalidInput(
            "A category with that name already exists.",
            fields={"name": ["A category with that name already exists."]},
        )
    if slug is not None and others.filter(slug=slug).exists():
        raise InvalidInput(
            "A category with that slug already exists.",
            fields={"slug": ["A category with that slug already exists."]},
        )


@transaction.atomic
def category_create(
    *, name: str, slug: str = "", description: str = "", actor: User | None = None
) -> Category:
    name = name.strip()
    _check_unique(name, slug or None)
    category = Category(name=name, description=description)
    if slug:
        category.slug = slug
        category.save()
    else:
        save_with_unique_slug(category, make_slug(name, fallback="category", max_length=120))
    publish("category.created", aggregate_id=category.pk, actor=actor, data={"slug": category.slug})
    return category


@transaction.atomic
def category_update(*, category: Category, actor: User | None = None, **changes) -> Category:
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise InvalidInput(f"Not editable: {', '.join(sorted(unknown))}")
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    # Only what differs is a change (and gets into the event).
    changes = {name: value for name, value in changes.items() if getattr(category, name) != value}
    _check_unique(changes.get("name"), changes.get("slug"), exclude_pk=category.pk)
    for name, value in changes.items():
        setattr(category, name, value)
    category.save()
    if changes:
        publish(
            "category.updated",
            aggregate_id=category.pk,
            actor=actor,
            data={"slug": category.slug, "fields": sorted(changes)},
        )
    return category


@transaction.atomic
def category_delete(*, category: Category, actor: User | None = None) -> None:
    """Delete a category; its posts stay, with no category."""
    category_id, slug = category.pk, category.slug
    category.delete()
    publish("category.deleted", aggregate_id=category_id, actor=actor, data={"slug": slug})


_TAG_EDITABLE = {"name", "slug"}


def _check_tag_unique(slug: str | None, *, exclude_pk=None) -> None:
    others = Tag.objects.exclude(pk=exclude_pk) if exclude_pk else Tag.objects.all()
    if slug is not None and others.filter(slug=slug).exists():
        raise InvalidInput(
            "A tag with that slug already exists.",
            fields={"slug": ["A tag with that slug already exists."]},
        )


@transaction.atomic
def tag_create(*, name: str, slug: str = "", actor: User | None = None) -> Tag:
    name = name.strip()
    _check_tag_unique(slug or None)
    tag = Tag(name=name)
    if slug:
        tag.slug = slug
        tag.save()
    else:
        save_with_unique_slug(tag, make_slug(name, fallback="tag", max_length=120))
    publish("tag.created", aggregate_id=tag.pk, actor=actor, data={"slug": tag.slug})
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, actor: User | None = None, **changes) -> Tag:
    """Rename a tag (or change its slug); its posts' search vectors follow the name."""
    unknown = set(changes) - _TAG_EDITABLE
    if unknown:
        raise InvalidInput(f"Not editable: {', '.join(sorted(unknown))}")
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    changes = {name: value for name, value in changes.items() if getattr(tag, name) != value}
    _check_tag_unique(changes.get("slug"), exclude_pk=tag.pk)
    for name, value in changes.items():
        setattr(tag, name, value)
    tag.save()
    if changes:
        if "name" in changes:
            post_search_vectors_refresh(post_ids=tag.posts.values_list("pk", flat=True))
        publish(
            "tag.updated",
            aggregate_id=tag.pk,
            actor=actor,
            data={"slug": tag.slug, "fields": sorted(changes)},
        )
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag, actor: User | None = None) -> None:
    """Delete a tag; its posts lose it (and their search vectors its name)."""
    tag_id, slug = tag.pk, tag.slug
    post_ids = list(tag.posts.values_list("pk", flat=True))
    tag.delete()
    post_search_vectors_refresh(post_ids=post_ids)
    publish("tag.deleted", aggregate_id=tag_id, actor=actor, data={"slug": slug})

"""Writes on categories (tags are created by the post services)."""

from django.db import transaction

from accounts.models import User
from blog.models import Category
from blog.services.common import make_slug, save_with_unique_slug
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

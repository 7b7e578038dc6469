"""Writes on categories and tags (tags are also created on the fly by the post services)."""

from typing import Any, Generic, TypedDict, TypeVar

from django.db import transaction

from accounts.models import User
from blog.models import Category, Tag
from blog.services.common import make_slug, save_with_unique_slug
from blog.services.posts import post_search_vectors_refresh
from config.errors import InvalidInput
from config.events.bus import publish

# Per kind: the fields an editor may change, and those that must be unique (`iexact`
# for names: "News" and "news" would be one category to a reader).
_Named = TypeVar("_Named", Category, Tag)


class _Kind(TypedDict, Generic[_Named]):
    model: type[_Named]
    label: str
    editable: set[str]


_CATEGORY: _Kind[Category] = {
    "model": Category,
    "label": "category",
    "editable": {"name", "slug", "description"},
}
_TAG: _Kind[Tag] = {"model": Tag, "label": "tag", "editable": {"name", "slug"}}
_UNIQUE: dict[type[Category] | type[Tag], dict[str, str]] = {
    Category: {"name": "name__iexact", "slug": "slug"},
    Tag: {"slug": "slug"},
}


def _check_unique(
    kind: _Kind[_Named], values: dict[str, Any], *, exclude_pk: int | None = None
) -> None:
    model = kind["model"]
    others = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    for field, lookup in _UNIQUE[model].items():
        value = values.get(field)
        if value and others.filter(**{lookup: value}).exists():
            message = f"A {kind['label']} with that {field} already exists."
            raise InvalidInput(message, fields={field: [message]})


def _create(
    kind: _Kind[_Named], *, name: str, slug: str, actor: User | None, **fields: Any
) -> _Named:
    """A category or tag, with its slug derived from the name unless given."""
    name = name.strip()
    _check_unique(kind, {"name": name, "slug": slug})
    obj = kind["model"](name=name, **fields)
    if slug:
        obj.slug = slug
        obj.save()
    else:
        save_with_unique_slug(obj, make_slug(name, fallback=kind["label"], max_length=120))
    publish(f"{kind['label']}.created", aggregate_id=obj.pk, actor=actor, data={"slug": obj.slug})
    return obj


def _update(
    kind: _Kind[_Named], obj: _Named, *, actor: User | None, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply the changes that differ (only those get into the event); returns them."""
    unknown = set(changes) - kind["editable"]
    if unknown:
        raise InvalidInput(f"Not editable: {', '.join(sorted(unknown))}")
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    changes = {field: value for field, value in changes.items() if getattr(obj, field) != value}
    _check_unique(kind, changes, exclude_pk=obj.pk)
    for field, value in changes.items():
        setattr(obj, field, value)
    obj.save()
    if changes:
        publish(
            f"{kind['label']}.updated",
            aggregate_id=obj.pk,
            actor=actor,
            data={"slug": obj.slug, "fields": sorted(changes)},
        )
    return changes


@transaction.atomic
def category_create(
    *, name: str, slug: str = "", description: str = "", actor: User | None = None
) -> Category:
    return _create(_CATEGORY, name=name, slug=slug, actor=actor, description=description)


@transaction.atomic
def category_update(*, category: Category, actor: User | None = None, **changes: Any) -> Category:
    _update(_CATEGORY, category, actor=actor, changes=changes)
    return category


@transaction.atomic
def category_delete(*, category: Category, actor: User | None = None) -> None:
    """Delete a category; its posts stay, with no category."""
    category_id, slug = category.pk, category.slug
    category.delete()
    publish("category.deleted", aggregate_id=category_id, actor=actor, data={"slug": slug})


@transaction.atomic
def tag_create(*, name: str, slug: str = "", actor: User | None = None) -> Tag:
    return _create(_TAG, name=name, slug=slug, actor=actor)


@transaction.atomic
def tag_update(*, tag: Tag, actor: User | None = None, **changes: Any) -> Tag:
    """Rename a tag (or change its slug); its posts' search vectors follow the name."""
    if "name" in _update(_TAG, tag, actor=actor, changes=changes):
        post_search_vectors_refresh(post_ids=tag.posts.values_list("pk", flat=True))
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag, actor: User | None = None) -> None:
    """Delete a tag; its posts lose it (and their search vectors its name)."""
    tag_id, slug = tag.pk, tag.slug
    post_ids = list(tag.posts.values_list("pk", flat=True))
    tag.delete()
    post_search_vectors_refresh(post_ids=post_ids)
    publish("tag.deleted", aggregate_id=tag_id, actor=actor, data={"slug": slug})

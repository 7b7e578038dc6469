"""Writes on categories and tags (tags are also created on the fly by the post services)."""

from typing import Any, Generic, TypedDict, TypeVar

from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

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
    "editable": {"name", "slug", "description", "parent"},
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
    kind: _Kind[_Named],
    *,
    name: str,
    slug: str,
    actor: User | None,
    event_data: dict[str, Any] | None = None,
    **fields: Any,
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
    publish(
        f"{kind['label']}.created",
        aggregate_id=obj.pk,
        actor=actor,
        data={"slug": obj.slug, **(event_data or {})},
    )
    return obj


def _update(
    kind: _Kind[_Named],
    obj: _Named,
    *,
    actor: User | None,
    changes: dict[str, Any],
    event_data: dict[str, Any] | None = None,
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
            data={"slug": obj.slug, "fields": sorted(changes), **(event_data or {})},
        )
    return changes


def _lock_tree() -> None:
    """Serialize the writes that read or change the tree's shape: two concurrent moves
    (A under B, B under A) would each pass the cycle check and make a loop. Readers and
    post writes are not blocked (SHARE ROW EXCLUSIVE conflicts only with row writes on
    the categories). SQLite (the embedded default) has no LOCK TABLE and serializes
    every write anyway."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Category._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _fresh(category: Category | None) -> Category | None:
    """The category as stored now (under the tree lock): its path may have moved since
    the caller loaded it."""
    return None if category is None else Category.objects.get(pk=category.pk)


def _move_subtree(*, old_path: str, new_path: str) -> None:
    """Rewrite the path of a category and its descendants (one UPDATE)."""
    Category.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
    )


def _check_parent(category: Category, parent: Category | None) -> None:
    # A parent inside the category's own subtree (itself included) would close a loop.
    if parent is not None and parent.path.startswith(category.path):
        message = (
            "A category cannot be its own parent."
            if parent.pk == category.pk
            else "A category cannot move under one of its own descendants."
        )
        raise InvalidInput(message, code="category_cycle", fields={"parent": [message]})


def _parent_data(parent: Category | None) -> dict[str, Any]:
    return {"parent": parent.slug if parent is not None else None}


@transaction.atomic
def category_create(
    *,
    name: str,
    slug: str = "",
    description: str = "",
    parent: Category | None = None,
    actor: User | None = None,
) -> Category:
    if parent is not None:
        _lock_tree()
        parent = _fresh(parent)
    category = _create(
        _CATEGORY,
        name=name,
        slug=slug,
        actor=actor,
        description=description,
        parent=parent,
        event_data=_parent_data(parent),
    )
    category.path = f"{parent.path if parent is not None else '/'}{category.pk}/"
    Category.objects.filter(pk=category.pk).update(path=category.path)
    return category


@transaction.atomic
def category_update(*, category: Category, actor: User | None = None, **changes: Any) -> Category:
    """Change a category; a new `parent` moves its whole subtree (400 `category_cycle`
    for itself or one of its descendants)."""
    if "parent" in changes:
        _lock_tree()
        category.refresh_from_db(fields=["parent", "path"])
        parent = changes["parent"] = _fresh(changes["parent"])
        if parent != category.parent:
            _check_parent(category, parent)
            new_path = f"{parent.path if parent is not None else '/'}{category.pk}/"
            _move_subtree(old_path=category.path, new_path=new_path)
            category.path = new_path
    parent_after = changes.get("parent", category.parent)
    _update(
        _CATEGORY, category, actor=actor, changes=changes, event_data=_parent_data(parent_after)
    )
    return category


@transaction.atomic
def category_delete(*, category: Category, actor: User | None = None) -> None:
    """Delete a category; its posts stay, with no category, and its children move up to
    its parent (roots when it had none), each with a `category.updated` event."""
    _lock_tree()
    category = Category.objects.select_related("parent").get(pk=category.pk)
    category_id, slug, parent = category.pk, category.slug, category.parent
    children = list(category.children.all())
    if children:
        # Its descendants' paths lose its segment: "/1/5/9/" becomes "/1/9/".
        Category.objects.filter(path__startswith=category.path).exclude(pk=category_id).update(
            path=Concat(
                Value(parent.path if parent is not None else "/"),
                Substr("path", len(category.path) + 1),
            )
        )
        Category.objects.filter(parent=category).update(parent=parent)
    category.delete()
    for child in children:
        publish(
            "category.updated",
            aggregate_id=child.pk,
            actor=actor,
            data={"slug": child.slug, "fields": ["parent"], **_parent_data(parent)},
        )
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

"""Helpers shared by the blog's services."""

from django.db import IntegrityError, models, transaction
from django.utils.text import slugify

from config.errors import InvalidInput

_MAX_SLUG_ATTEMPTS = 20


def make_slug(text: str, *, fallback: str, max_length: int) -> str:
    base = slugify(text, allow_unicode=True)[: max_length - 8].strip("-")
    return base or fallback


def save_with_unique_slug(instance: models.Model, base: str, *, field: str = "slug") -> None:
    """Save `instance` under `base`, or `base-2`, `base-3`, ... on a clash.

    The database's unique constraint is the arbiter: a concurrent writer that took the
    same slug makes the savepoint fail and the next suffix is tried.
    """
    model = type(instance)
    taken = set(
        model._default_manager.filter(**{f"{field}__startswith": base}).values_list(
            field, flat=True
        )
    )
    candidates = (base if n == 1 else f"{base}-{n}" for n in range(1, 10_000))
    attempts = 0
    for candidate in candidates:
        if candidate in taken:
            continue
        setattr(instance, field, candidate)
        try:
            with transaction.atomic():
                instance.save()
            return
        except IntegrityError:
            attempts += 1
            if attempts >= _MAX_SLUG_ATTEMPTS:
                raise
    raise InvalidInput("Could not find a free slug.", fields={field: ["No free slug."]})

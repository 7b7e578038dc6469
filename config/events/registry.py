"""The registry of domain event types: each app declares the events it publishes.

An app lists its types in `<app>/events.py` and its `apps.py` registers them as Django
imports the app configs, before any `ready()`: the admin's autodiscovery (the first
app's `ready()`) and the filters and serializers it imports read the registry at import.

A type names its aggregate and the keys of its payload (ids and primitives only);
`stored=False` marks a type published with `publish(..., store=False)`: never in the
event store, so never dispatched to consumers or webhooks.
"""

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured


class EventType(NamedTuple):
    aggregate: str
    payload: tuple[str, ...]


_types: dict[str, EventType] = {}
_not_stored: set[str] = set()

# type -> EventType(aggregate, payload keys), in the order of declaration; read-only, and
# it follows the registrations.
EVENT_TYPES: Mapping[str, EventType] = MappingProxyType(_types)


def event_type_register(
    name: str, *, aggregate: str, payload: Iterable[str] = (), stored: bool = True
) -> EventType:
    """Declare an event type. Declaring it again the same way is harmless; differently,
    an error (two apps cannot mean two things by one name)."""
    declared = EventType(aggregate, tuple(payload))
    known = _types.get(name)
    if known is not None and (known != declared or (name not in _not_stored) != stored):
        raise ImproperlyConfigured(f"Event type {name!r} is already declared differently.")
    _types[name] = declared
    if not stored:
        _not_stored.add(name)
    return declared


def event_types_register(types: Mapping[str, EventType], *, not_stored: Iterable[str] = ()) -> None:
    """Declare an app's event types (its `events.EVENT_TYPES` and `NOT_STORED`)."""
    unstored = frozenset(not_stored)
    for name, declared in types.items():
        event_type_register(
            name,
            aggregate=declared.aggregate,
            payload=declared.payload,
            stored=name not in unstored,
        )


def event_types_stored() -> tuple[str, ...]:
    """The types kept in the event store (the only ones consumers and webhooks receive)."""
    return tuple(name for name in _types if name not in _not_stored)


def event_aggregate_types() -> list[str]:
    """The aggregate types of the declared events, sorted."""
    return sorted({declared.aggregate for declared in _types.values()})

"""A read port on the event store, for the layers below the app that keeps it.

The store is analytics' (`analytics.models.Event`); a lower layer that must read what it
recorded, such as the sign-in lockout of accounts counting failures while Redis is down,
asks through `event_times`, and analytics registers the reader in its `ready()`.
Without a reader the read raises `EventStoreUnavailable`: a caller that must not fail
open refuses rather than guessing "nothing happened".
"""

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Protocol


class EventStoreUnavailable(RuntimeError):
    """No event store reader is registered (the app that keeps the store is missing)."""


class EventTimesReader(Protocol):
    def __call__(
        self,
        *,
        type: str,
        limit: int,
        after: datetime | None = None,
        aggregate: tuple[str, str] | None = None,
        data_iexact: Mapping[str, str] | None = None,
        data_exclude: Mapping[str, Collection[str]] | None = None,
    ) -> list[datetime]: ...


_reader: EventTimesReader | None = None


def event_store_reader_register(reader: EventTimesReader) -> None:
    global _reader
    _reader = reader


def event_times(
    *,
    type: str,
    limit: int,
    after: datetime | None = None,
    aggregate: tuple[str, str] | None = None,
    data_iexact: Mapping[str, str] | None = None,
    data_exclude: Mapping[str, Collection[str]] | None = None,
) -> list[datetime]:
    """When the stored events of `type` occurred, newest first, at most `limit`: only
    those after `after`, of the `(aggregate type, id)`, whose payload has these values
    (case-insensitively) and none of the excluded ones."""
    if _reader is None:
        raise EventStoreUnavailable("No event store reader is registered.")
    return _reader(
        type=type,
        limit=limit,
        after=after,
        aggregate=aggregate,
        data_iexact=data_iexact,
        data_exclude=data_exclude,
    )

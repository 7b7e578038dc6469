"""The live view count of a post, read through a port.

A post's stored `view_count` lags behind: views are counted by a higher layer (the
analytics app's Redis counter, flushed to the database every minute). The blog must not
import it, so the counter registers its reader here (`analytics.apps` in `ready()`), and
the detail shows the stored count plus what the reader says is still pending.
"""

from typing import Protocol


class ViewCountReader(Protocol):
    def __call__(self, *, post_id: int, stored: int, just_counted: bool = False) -> int: ...


_reader: ViewCountReader | None = None


def post_view_count_reader_register(reader: ViewCountReader | None) -> None:
    """Make `reader` the source of live counts (None: the stored counts only)."""
    global _reader
    _reader = reader


def post_view_count_live_read(*, post_id: int, stored: int, just_counted: bool = False) -> int:
    """The post's view count as of now: `stored` plus the views not yet in the database.

    `just_counted`: this request counted a view after `stored` was read. Without a
    reader nothing counts views, so there is nothing pending to add.
    """
    if _reader is None:
        return stored
    return _reader(post_id=post_id, stored=stored, just_counted=just_counted)

"""File uploads held to a size limit while the body is read, not after.

BodySizeLimitMiddleware refuses a body whose announced length is too large before it is
read. A body whose length is not announced (chunked), or whose file is over the limit
while the whole body is not, is only found out by counting: `UploadLimit`, first of the
request's upload handlers, counts the bytes of its files and stops reading the body at
the first chunk past the limit. The other handlers' temporary files are closed (and so
deleted) by Django's parser, and the view answers 413 (`upload_limit_check`).
"""

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from config.errors import PayloadTooLarge


class UploadLimit(FileUploadHandler):
    def __init__(self, limit: int, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            # Not read any further: the rest of a huge body is not worth receiving.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers make the file


def upload_limit_install(request: Any, limit: int) -> UploadLimit:
    """Put an UploadLimit first among the request's upload handlers; before anything
    reads the body (authentication's CSRF check may: install it before that)."""
    handler = UploadLimit(limit, request)
    request.upload_handlers.insert(0, handler)
    return handler


def upload_limit_check(handler: UploadLimit) -> None:
    """After the body was parsed: PayloadTooLarge if a file went over the limit."""
    if handler.exceeded:
        raise PayloadTooLarge(f"The file exceeds {handler.limit} bytes.")

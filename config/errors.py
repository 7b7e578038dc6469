"""Domain errors raised by services and selectors.

Services know nothing of HTTP; the API's exception handler maps each error to a problem
document by its `status` and `code`, and the admin shows its message.
"""


class DomainError(Exception):
    status = 400
    code = "domain_error"

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields


class InvalidInput(DomainError):
    """The input breaks a business rule; `fields` says which field when one is to blame."""

    status = 400
    code = "validation_error"


class PermissionDeniedError(DomainError):
    status = 403
    code = "permission_denied"


class NotFoundError(DomainError):
    status = 404
    code = "not_found"


class ConflictError(DomainError):
    """The resource is not in a state that allows the operation (e.g. publishing twice)."""

    status = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    """A file (an upload) over its size limit."""

    status = 413
    code = "payload_too_large"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"


class TooManyRequests(DomainError):
    """Refused for now; `retry_after` (seconds) becomes the `Retry-After` header."""

    status = 429
    code = "throttled"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after

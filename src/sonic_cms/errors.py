"""Domain errors with stable machine codes; the API maps each to its HTTP status.

Services raise these and nothing HTTP-shaped, so the CLI and plugins get the same errors.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every expected failure; ``code`` is stable, ``message`` is for people."""

    status = 400
    code = "bad_request"

    def __init_subclass__(cls, *, status: int = 0, code: str = "", **kwargs: Any) -> None:
        # The HTTP status and default code are part of the class line: one place per error.
        super().__init_subclass__(**kwargs)
        if status:
            cls.status = status
        if code:
            cls.code = code

    def __init__(
        self, message: str, *, code: str | None = None, details: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        if code is not None:
            self.code = code


class BadRequest(ServiceError):
    """The request is malformed: unknown parameter, bad filter, bad paging (400)."""


class Unauthorized(ServiceError, status=401, code="unauthorized"):
    """No valid credentials (401)."""


class Forbidden(ServiceError, status=403, code="forbidden"):
    """Valid credentials without the permission needed (403)."""


class NotFound(ServiceError, status=404, code="not_found"):
    """The thing does not exist, or the actor may not know it does (404)."""


class Conflict(ServiceError, status=409, code="conflict"):
    """The write conflicts with existing state: duplicate slug, stale version (409)."""


class PreconditionFailed(ServiceError, status=412, code="precondition_failed"):
    """If-Match did not match the current version (412)."""


class PayloadTooLarge(ServiceError, status=413, code="payload_too_large"):
    """The body or upload exceeds its limit (413)."""


class UnsupportedMediaType(ServiceError, status=415, code="unsupported_media_type"):
    """The body's content type is not accepted (415)."""


class ValidationFailed(ServiceError, status=422, code="validation_failed"):
    """The data is well-formed but invalid; ``details`` has one entry per field path (422)."""


class TooManyRequests(ServiceError, status=429, code="rate_limited"):
    """Rate limit hit; ``retry_after`` seconds until the next attempt may succeed (429)."""

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class GatewayTimeout(ServiceError, status=504, code="gateway_timeout"):
    """A remote server this request depends on did not answer in time (504)."""

"""Domain errors with stable machine codes; the API maps each to its HTTP status.

Services raise these and nothing HTTP-shaped, so the CLI and plugins get the same errors.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every expected failure; ``code`` is stable, ``message`` is for people."""

    status = 400
    code = "bad_request"

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


class Unauthorized(ServiceError):
    """No valid credentials (401)."""

    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    """Valid credentials without the permission needed (403)."""

    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    """The thing does not exist, or the actor may not know it does (404)."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """The write conflicts with existing state: duplicate slug, stale version (409)."""

    status = 409
    code = "conflict"


class PreconditionFailed(ServiceError):
    """If-Match did not match the current version (412)."""

    status = 412
    code = "precondition_failed"


class PayloadTooLarge(ServiceError):
    """The body or upload exceeds its limit (413)."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ServiceError):
    """The body's content type is not accepted (415)."""

    status = 415
    code = "unsupported_media_type"


class ValidationFailed(ServiceError):
    """The data is well-formed but invalid; ``details`` has one entry per field path (422)."""

    status = 422
    code = "validation_failed"


class TooManyRequests(ServiceError):
    """Rate limit hit; ``retry_after`` seconds until the next attempt may succeed (429)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class GatewayTimeout(ServiceError):
    """A remote server this request depends on did not answer in time (504)."""

    status = 504
    code = "gateway_timeout"

"""Exceptions: one type per error code of the API, and the client's own.

Every error answer of the API is ``{"error": {"code", "message"}}``; it is
raised as the APIError subclass of its code, with the HTTP status, the code,
the message and, on 429 and 503, the ``Retry-After`` the server gave."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Job


class SandpitError(Exception):
    """Base of every exception the client raises."""


class APIError(SandpitError):
    """An error answer of the API.

    ``status`` is the HTTP status, ``code`` the API's error code (such as
    ``"invalid"``), ``message`` the server's message naming what is wrong,
    and ``retry_after`` the seconds the server asked to wait before trying
    again, when it said."""

    #: The API's error code this type stands for.
    error_code: str = ""

    def __init__(self, message: str, *, status: int, code: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.code or self.status}: {self.message}"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_rebuild, (type(self), self.message, self.status, self.code, self.retry_after))


def _rebuild(cls: type[APIError], message: str, status: int, code: str, retry_after: float | None) -> APIError:
    return cls(message, status=status, code=code, retry_after=retry_after)


class InvalidError(APIError):
    """400 ``invalid``: not JSON, a missing or mistyped field, a limit broken."""

    error_code = "invalid"


class UnauthorizedError(APIError):
    """401 ``unauthorized``: the server has API keys and the request has no
    valid one."""

    error_code = "unauthorized"


class NotFoundError(APIError):
    """404 ``not_found``: no such job, batch, session or file (or it expired)."""

    error_code = "not_found"


class MethodNotAllowedError(APIError):
    """405 ``method``: wrong method for the endpoint."""

    error_code = "method"


class ForbiddenError(APIError):
    """403 ``forbidden``: the request may not be made from where it comes (a
    Host or Origin that a server without API keys does not answer)."""

    error_code = "forbidden"


class ConflictError(APIError):
    """409 ``conflict``: cancelling a job that has already ended, running in a
    session that has ended."""

    error_code = "conflict"


class TooLargeError(APIError):
    """413 ``too_large``: the spec is over the server's size limit."""

    error_code = "too_large"


class UnsupportedMediaTypeError(APIError):
    """415 ``unsupported``: a request body that is not JSON."""

    error_code = "unsupported"


class QueueFullError(APIError):
    """429 ``queue_full``: the queue is at its depth limit; ``retry_after``
    says when to try again."""

    error_code = "queue_full"


class RateLimitedError(APIError):
    """429 ``rate_limited``: the key is over its rate, its requests in flight,
    its open sessions or its live pages; ``retry_after`` says when to try
    again."""

    error_code = "rate_limited"


class InternalError(APIError):
    """500 ``internal``: a fault of sandpit's own (details are in its logs)."""

    error_code = "internal"


class UnavailableError(APIError):
    """503 ``unavailable``: a dependency of the server (Redis, the browser)
    is down."""

    error_code = "unavailable"


class ServerTimeoutError(APIError):
    """504 ``timeout``: the server waited too long."""

    error_code = "timeout"


#: The exception type of each error code.
ERRORS_BY_CODE: dict[str, type[APIError]] = {
    cls.error_code: cls
    for cls in (
        InvalidError,
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        MethodNotAllowedError,
        ConflictError,
        TooLargeError,
        UnsupportedMediaTypeError,
        QueueFullError,
        RateLimitedError,
        InternalError,
        UnavailableError,
        ServerTimeoutError,
    )
}


class ConnectionFailedError(SandpitError):
    """The server could not be reached, or the connection broke, and the
    request was not retried (it may not be repeated safely) or every retry
    failed too. The transport's exception is its ``__cause__``."""


class WaitTimeoutError(SandpitError, TimeoutError):
    """wait() gave up before the job ended; the job goes on."""

    def __init__(self, message: str, job: Job) -> None:
        super().__init__(message)
        self.job = job


class NoVerdictError(SandpitError):
    """An evaluation sample's job ended without saying whether the sample
    is right: it was cancelled, or the sandbox itself broke (status
    ``error``). ``job`` is that job."""

    def __init__(self, message: str, job: Job) -> None:
        super().__init__(message)
        self.job = job

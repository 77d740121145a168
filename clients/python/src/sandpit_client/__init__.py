"""Python client of sandpit's HTTP API.

sandpit runs untrusted Python in Pyodide inside headless Chromium. Sandpit
and AsyncSandpit run code, submit and wait for jobs, open sessions, run
batches and create client-side pages; sandpit_client.evaluation scores
HumanEval-style samples::

    from sandpit_client import Sandpit

    with Sandpit("http://127.0.0.1:8080") as client:
        job = client.run("print(6 * 7)")
        print(job.status, job.stdout)
"""

__version__ = "0.1.0"

from ._core import Retry
from .aio import AsyncBatchResults, AsyncSandpit, AsyncSession
from .client import BatchResults, Sandpit, Session
from .errors import (
    ERRORS_BY_CODE,
    APIError,
    ConflictError,
    ConnectionFailedError,
    ForbiddenError,
    InternalError,
    InvalidError,
    MethodNotAllowedError,
    NotFoundError,
    NoVerdictError,
    QueueFullError,
    RateLimitedError,
    SandpitError,
    ServerTimeoutError,
    TooLargeError,
    UnauthorizedError,
    UnavailableError,
    UnsupportedMediaTypeError,
    WaitTimeoutError,
)
from .models import Batch, File, Info, Job, Limits, Output, Page, PyError, SessionInfo

__all__ = [
    "ERRORS_BY_CODE",
    "APIError",
    "AsyncBatchResults",
    "AsyncSandpit",
    "AsyncSession",
    "Batch",
    "BatchResults",
    "ConflictError",
    "ConnectionFailedError",
    "File",
    "ForbiddenError",
    "Info",
    "InternalError",
    "InvalidError",
    "Job",
    "Limits",
    "MethodNotAllowedError",
    "NoVerdictError",
    "NotFoundError",
    "Output",
    "Page",
    "PyError",
    "QueueFullError",
    "RateLimitedError",
    "Retry",
    "Sandpit",
    "SandpitError",
    "ServerTimeoutError",
    "Session",
    "SessionInfo",
    "TooLargeError",
    "UnauthorizedError",
    "UnavailableError",
    "UnsupportedMediaTypeError",
    "WaitTimeoutError",
    "__version__",
]

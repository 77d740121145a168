"""What the synchronous and the asynchronous client share: the requests
they make, how answers and errors are read, and when a failed request is
tried again."""

from __future__ import annotations

import email.utils
import json
import os
import random
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any, Iterable, Iterator, Mapping, Union
from urllib.parse import quote, urlsplit

import httpx

from . import __version__
from .errors import ERRORS_BY_CODE, APIError
from .models import Batch, File, Job

DEFAULT_URL = "http://127.0.0.1:8080"
USER_AGENT = f"sandpit-client/{__version__}"

#: Input files: a mapping of path to text or bytes, or File objects or
#: dicts with the API's fields.
FilesArg = Union[Mapping[str, Union[str, bytes]], Iterable[Union[File, Mapping[str, Any]]], None]


def base_url_of(base_url: str | None) -> str:
    """The server's URL: base_url, else $SANDPIT_URL, else the default.
    Refuses anything but http(s)://HOST[:PORT][/PATH]."""
    url = base_url or os.environ.get("SANDPIT_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url {url!r}: want http://HOST:PORT or https://HOST")
    return url.rstrip("/")


def api_key_of(api_key: str | None) -> str:
    """The API key: api_key, else $SANDPIT_API_KEY; "" sends none."""
    if api_key is None:
        return os.environ.get("SANDPIT_API_KEY", "")
    return api_key


def headers_of(api_key: str) -> dict[str, str]:
    h = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api_key:
        h["Authorization"] = f"Bearer {api_key}"
    return h


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Retry:
    """When and how long the client waits before trying a request again.

    A request is tried at most ``attempts`` times. It is tried again after a
    429 answer with ``Retry-After`` or a 503, waiting what ``Retry-After``
    says (and giving up at once when that is more than ``max_retry_after``
    seconds), and after a connection error, waiting an exponential backoff
    from ``backoff`` seconds up to ``max_backoff``, with jitter. A
    connection that broke after the request was sent is retried only for
    requests that do the same when sent twice: reads, and job submissions,
    which carry an Idempotency-Key so that the server returns the job the
    first attempt made instead of running it twice."""

    attempts: int = 5
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"Retry.attempts: must be at least 1, not {self.attempts}")
        if self.backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ValueError("Retry: backoff, max_backoff and max_retry_after must not be negative")

    def backoff_delay(self, attempt: int) -> float:
        """The pause after the attempt-th failure (from 1), with jitter."""
        return min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def after_answer(self, err: APIError, attempt: int) -> float | None:
        """The pause before trying again after err, or None to give up."""
        if attempt >= self.attempts or err.status not in (429, 503):
            return None
        if err.retry_after is None:
            # A 429 that does not say when is a limit that waiting does not
            # lift (a key's open sessions); a 503 may pass.
            return self.backoff_delay(attempt) if err.status == 503 else None
        if err.retry_after > self.max_retry_after:
            return None
        return err.retry_after * random.uniform(1.0, 1.1)

    def after_transport_error(self, exc: httpx.TransportError, attempt: int, replayable: bool) -> float | None:
        """The pause before trying again after exc, or None to give up."""
        if attempt >= self.attempts:
            return None
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            return self.backoff_delay(attempt)  # the request never left
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.ProxyError, httpx.LocalProtocolError)):
            return None
        return self.backoff_delay(attempt) if replayable else None


NO_RETRY = Retry(attempts=1)


@dataclass
class Call:
    """One API request. replayable says whether it may be sent again after
    a connection broke with the request sent; waits, that the server holds
    the answer until a job ends, so that no read timeout applies."""

    method: str
    path: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    replayable: bool = True
    waits: bool = False
    spool: IO[bytes] | None = None  # a JSON-lines body, read afresh for each attempt

    def timeout(self, base: httpx.Timeout) -> httpx.Timeout:
        if not self.waits:
            return base
        return httpx.Timeout(connect=base.connect, read=None, write=base.write, pool=base.pool)


def path_id(value: str | Any) -> str:
    """The id of a job, batch or session given as an id or as the object."""
    ident = value if isinstance(value, str) else getattr(value, "id", None)
    if not isinstance(ident, str) or not ident:
        raise TypeError(f"want an id or an object with an id, not {value!r}")
    return quote(ident, safe="")


def files_of(files: FilesArg) -> list[dict[str, Any]]:
    """Input files as the API takes them."""
    if files is None:
        return []
    out: list[dict[str, Any]] = []
    if isinstance(files, Mapping):
        for path, content in files.items():
            if isinstance(content, (bytes, bytearray, memoryview)):
                out.append(File.from_bytes(path, bytes(content)).to_dict())
            elif isinstance(content, str):
                out.append({"path": path, "content": content})
            else:
                raise TypeError(f"files[{path!r}]: want str or bytes, not {type(content).__name__}")
        return out
    for i, f in enumerate(files):
        if isinstance(f, File):
            out.append(f.to_dict())
        elif isinstance(f, Mapping):
            out.append(dict(f))
        else:
            raise TypeError(f"files[{i}]: want a File or a dict with path and content, not {type(f).__name__}")
    return out


def spec_of(
    code: str,
    *,
    stdin: str | None = None,
    timeout_ms: int | None = None,
    memory_mb: int | None = None,
    files: FilesArg = None,
    test: str | None = None,
    packages: Iterable[str] | None = None,
) -> dict[str, Any]:
    """A job spec as the API takes it; absent fields are left out so that
    the server's defaults apply."""
    if not isinstance(code, str):
        raise TypeError(f"code: want str, not {type(code).__name__}")
    spec: dict[str, Any] = {"code": code}
    if stdin is not None:
        spec["stdin"] = stdin
    if timeout_ms is not None:
        spec["timeout_ms"] = timeout_ms
    if memory_mb is not None:
        spec["memory_mb"] = memory_mb
    if files:
        spec["files"] = files_of(files)
    if test is not None:
        spec["test"] = test
    if packages is not None:
        spec["packages"] = list(packages)
    return spec


def session_spec_of(memory_mb: int | None, packages: Iterable[str] | None, files: FilesArg) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if memory_mb is not None:
        spec["memory_mb"] = memory_mb
    if packages is not None:
        spec["packages"] = list(packages)
    if files:
        spec["files"] = files_of(files)
    return spec


def submission(path: str, spec: dict[str, Any], idempotency_key: str | None, *, waits: bool) -> Call:
    """A job submission, carrying an Idempotency-Key (the caller's, else a
    new one) that every retry repeats."""
    key = idempotency_key or new_idempotency_key()
    return Call("POST", path, json=spec, headers={"Idempotency-Key": key}, waits=waits)


def spool_items(items: Iterable[Mapping[str, Any]]) -> IO[bytes]:
    """Writes batch items as JSON lines to a temporary file (in memory up to
    16 MiB), so that a large batch is never held whole and the upload can
    be sent again."""
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    n = 0
    try:
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise TypeError(f"items[{i}]: want a dict with at least code, not {type(item).__name__}")
            item = dict(item)
            if "files" in item and item["files"]:
                item["files"] = files_of(item["files"])
            try:
                line = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
            except (TypeError, ValueError) as e:
                raise TypeError(f"items[{i}]: not JSON-serializable: {e}") from e
            spool.write(line.encode("utf-8"))
            spool.write(b"\n")
            n += 1
    except BaseException:
        spool.close()
        raise
    if n == 0:
        spool.close()
        raise ValueError("items: the batch has no items")
    return spool


def spool_chunks(spool: IO[bytes], size: int = 64 << 10) -> Iterator[bytes]:
    spool.seek(0)
    while chunk := spool.read(size):
        yield chunk


def error_of(resp: httpx.Response) -> APIError:
    """The exception for an error answer (its body already read)."""
    code, message = "", ""
    try:
        body = resp.json()
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            code, message = str(err.get("code") or ""), str(err.get("message") or "")
    except ValueError:
        pass
    if not message:
        message = f"{resp.request.method} {resp.request.url.path}: HTTP {resp.status_code} {resp.reason_phrase}"
    cls = ERRORS_BY_CODE.get(code, APIError)
    return cls(message, status=resp.status_code, code=code, retry_after=retry_after_of(resp.headers.get("Retry-After")))


def retry_after_of(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class ResultsCursor:
    """Where a reader of a batch's results is: the index of the next item
    it wants. The results stream always starts at the first item, so after
    a reconnection the items already given are skipped."""

    def __init__(self, start: int) -> None:
        if start < 0:
            raise ValueError(f"start: must not be negative, not {start}")
        self.next_index = start
        self._line = 0

    def restart(self) -> None:
        self._line = 0

    def take(self, line: bytes | str) -> Job | None:
        """The job on line, or None when it was given before."""
        job = Job.from_dict(json.loads(line))
        index = job.index if job.index is not None else self._line
        self._line += 1
        if index < self.next_index:
            return None
        self.next_index = index + 1
        return job

    def finished(self, batch: Batch) -> bool:
        return batch.complete and self.next_index >= batch.total


def resume_delay(retry: Retry, broken: BaseException | None, failures: int) -> float | None:
    """The pause before reconnecting to a results stream that broke (or
    ended early, when broken is None), or None to give up."""
    if isinstance(broken, httpx.TransportError):
        return retry.after_transport_error(broken, failures, replayable=True)
    return retry.backoff_delay(failures) if failures < retry.attempts else None


def file_path(path: str) -> str:
    """An output file's path as it goes in the URL."""
    if not isinstance(path, str) or not path or path.startswith("/"):
        raise ValueError(f"path {path!r}: want the relative path of an output file, such as 'out/report.txt'")
    return quote(path, safe="/")


def connection_failure(base_url: str, call: Call, attempts: int, exc: httpx.TransportError) -> str:
    """The message of a ConnectionFailedError."""
    tries = f" (tried {attempts} times)" if attempts > 1 else ""
    return f"{call.method} {base_url}{call.path}: {exc or type(exc).__name__}{tries}"

"""The API's objects as dataclasses: jobs, their files and errors, batches,
sessions and pages, with the fields and names the HTTP API gives them."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Mapping

JobStatus = Literal["queued", "running", "succeeded", "failed", "timeout", "memory_limit", "cancelled", "error"]
SessionStatus = Literal["open", "closed", "expired", "error"]

#: The statuses a job ends in.
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "timeout", "memory_limit", "cancelled", "error"})


@dataclass(frozen=True)
class File:
    """An output file of a job, or an input file of a spec.

    ``content`` is text when ``encoding`` is ``"utf-8"`` and base64 when it
    is ``"base64"`` (as every output file is); ``data`` gives the bytes."""

    path: str
    content: str
    encoding: str = "utf-8"
    mime_type: str | None = None
    size: int | None = None

    @property
    def data(self) -> bytes:
        """The file's bytes."""
        if self.encoding == "base64":
            return base64.b64decode(self.content)
        return self.content.encode("utf-8")

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> File:
        """An input file holding data, sent as base64."""
        return cls(path=path, content=base64.b64encode(data).decode("ascii"), encoding="base64")

    def to_dict(self) -> dict[str, Any]:
        """The file as the API takes it in a spec."""
        out: dict[str, Any] = {"path": self.path, "content": self.content}
        if self.encoding and self.encoding != "utf-8":
            out["encoding"] = self.encoding
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> File:
        return cls(
            path=d["path"],
            content=d.get("content", ""),
            encoding=d.get("encoding") or "utf-8",
            mime_type=d.get("mime_type"),
            size=d.get("size"),
        )


def _json_type(mime_type: str) -> bool:
    t = mime_type.lower()
    return t == "application/json" or t.endswith("+json")


def _text_type(mime_type: str) -> bool:
    t = mime_type.lower()
    return t.startswith("text/") or t.endswith("+xml") or t in ("application/xml", "application/javascript")


@dataclass(frozen=True)
class Output:
    """A rich output of a job: one ``display(obj)`` call, the last line's
    value when it shows as more than its ``repr()``, or a matplotlib
    figure, as a MIME bundle (Jupyter's display data).

    ``data`` maps each MIME type to its data: JSON types
    (``application/json``, ``application/vnd.plotly.v1+json``) as JSON
    values, text types (``text/html``, ``text/markdown``,
    ``image/svg+xml``) as ``str``, others (``image/png``, ``image/jpeg``)
    as base64 ``str``; ``content`` decodes any of them."""

    data: dict[str, Any]

    @property
    def mime_types(self) -> list[str]:
        """The MIME types the output is given in."""
        return list(self.data)

    @property
    def text(self) -> str:
        """The output as plain text (its ``repr()``), "" when it has none."""
        v = self.data.get("text/plain")
        return v if isinstance(v, str) else ""

    def content(self, mime_type: str) -> Any:
        """The data of mime_type: bytes for a binary type (decoded from
        base64), str for a text type, the JSON value for a JSON type;
        KeyError names the type when the output has none."""
        if mime_type not in self.data:
            raise KeyError(f"output has no {mime_type!r}; it has {', '.join(self.data)}")
        v = self.data[mime_type]
        if _json_type(mime_type) or _text_type(mime_type):
            return v
        return base64.b64decode(v)

    def __contains__(self, mime_type: object) -> bool:
        return mime_type in self.data


@dataclass(frozen=True)
class PyError:
    """The uncaught exception that ended a job: its type's name, ``str()``
    of it, and the traceback as CPython prints it."""

    type: str
    message: str
    traceback: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PyError:
        return cls(type=d.get("type", ""), message=d.get("message", ""), traceback=d.get("traceback", ""))


@dataclass(frozen=True)
class Job:
    """A submitted job and, once it has ended, its result.

    The fields are those of the API's job: ``exit_code`` is as ``python
    main.py`` would exit (None until the code ends, and for timeout,
    cancelled and error), ``result`` is ``repr()`` of the last line's value,
    ``passed`` is set for a job with a ``test``, ``outputs`` are its rich
    outputs in order (``display(obj)`` calls, a last value with a rich
    repr, matplotlib figures), and ``message`` says why a job ended as
    timeout, memory_limit, cancelled or error."""

    id: str
    status: JobStatus
    created_at: datetime | None = None
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    result: str | None = None
    error: PyError | None = None
    files: list[File] = field(default_factory=list)
    files_truncated: bool = False
    outputs: list[Output] = field(default_factory=list)
    outputs_truncated: bool = False
    passed: bool | None = None
    message: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    batch_id: str = ""
    item_id: str = ""
    index: int | None = None

    @property
    def done(self) -> bool:
        """Whether the job has ended."""
        return self.status in TERMINAL_STATUSES

    @property
    def ok(self) -> bool:
        """Whether the job ran to its end with exit code 0."""
        return self.status == "succeeded"

    def file(self, path: str) -> File:
        """The output file at path; KeyError names it when the job has none."""
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(f"job {self.id} has no output file {path!r}")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Job:
        err = d.get("error")
        return cls(
            id=d["id"],
            status=d["status"],
            created_at=parse_time(d.get("created_at")),
            exit_code=d.get("exit_code"),
            stdout=d.get("stdout") or "",
            stderr=d.get("stderr") or "",
            stdout_truncated=bool(d.get("stdout_truncated")),
            stderr_truncated=bool(d.get("stderr_truncated")),
            result=d.get("result"),
            error=PyError.from_dict(err) if err else None,
            files=[File.from_dict(f) for f in d.get("files") or []],
            files_truncated=bool(d.get("files_truncated")),
            outputs=[Output(data=dict(o)) for o in d.get("outputs") or []],
            outputs_truncated=bool(d.get("outputs_truncated")),
            passed=d.get("passed"),
            message=d.get("message") or "",
            started_at=parse_time(d.get("started_at")),
            finished_at=parse_time(d.get("finished_at")),
            duration_ms=d.get("duration_ms"),
            batch_id=d.get("batch_id") or "",
            item_id=d.get("item_id") or "",
            index=d.get("index"),
        )


@dataclass(frozen=True)
class Batch:
    """A batch and its progress. ``total`` is final once ``complete``;
    ``passed`` and ``failed`` count the items with a test."""

    id: str
    total: int = 0
    complete: bool = False
    done: int = 0
    pending: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    passed: int = 0
    failed: int = 0
    finished: bool = False
    created_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Batch:
        return cls(
            id=d["id"],
            total=d.get("total", 0),
            complete=bool(d.get("complete")),
            done=d.get("done", 0),
            pending=d.get("pending", 0),
            counts=dict(d.get("counts") or {}),
            passed=d.get("passed", 0),
            failed=d.get("failed", 0),
            finished=bool(d.get("finished")),
            created_at=parse_time(d.get("created_at")),
            finished_at=parse_time(d.get("finished_at")),
            duration_ms=d.get("duration_ms"),
        )


@dataclass(frozen=True)
class SessionInfo:
    """A session as the API describes it: ``open`` until closed,
    ``expired`` after being idle past the server's session TTL, or
    ``error`` when its interpreter was lost."""

    id: str
    status: SessionStatus
    message: str = ""
    runs: int = 0
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SessionInfo:
        return cls(
            id=d["id"],
            status=d["status"],
            message=d.get("message") or "",
            runs=d.get("runs", 0),
            created_at=parse_time(d.get("created_at")),
            last_used_at=parse_time(d.get("last_used_at")),
            expires_at=parse_time(d.get("expires_at")),
        )


@dataclass(frozen=True)
class Page:
    """A client-side page: whoever opens ``url`` runs the stored spec in
    their own browser, until ``expires_at``."""

    id: str
    url: str
    expires_at: datetime | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Page:
        return cls(id=d["id"], url=d["url"], expires_at=parse_time(d.get("expires_at")))


@dataclass(frozen=True)
class Limits:
    """The limits a server holds job specs to, in the units of the spec's
    own fields."""

    default_timeout_ms: int = 0
    max_timeout_ms: int = 0
    default_memory_mb: int = 0
    min_memory_mb: int = 0
    max_memory_mb: int = 0
    max_spec_bytes: int = 0
    max_code_bytes: int = 0
    max_stdin_bytes: int = 0
    max_output_bytes: int = 0
    max_files: int = 0
    max_file_bytes: int = 0
    max_path_bytes: int = 0
    max_packages: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Limits:
        names = cls.__dataclass_fields__
        return cls(**{k: int(v) for k, v in d.items() if k in names})


@dataclass(frozen=True)
class Info:
    """What GET /v1/info says of a server: its version, the interpreter
    jobs run in, the limits in force and the packages jobs may import."""

    version: str
    pyodide_version: str = ""
    python_version: str = ""
    limits: Limits = field(default_factory=Limits)
    packages: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Info:
        return cls(
            version=d.get("version", ""),
            pyodide_version=d.get("pyodide_version") or "",
            python_version=d.get("python_version") or "",
            limits=Limits.from_dict(d.get("limits") or {}),
            packages=list(d.get("packages") or []),
        )


_FRACTION = re.compile(r"\.(\d+)")


def parse_time(value: str | None) -> datetime | None:
    """Parses an RFC 3339 time as the server writes it (nanoseconds and
    "Z"), which datetime.fromisoformat of Python 3.10 does not take."""
    if not value:
        return None
    s = value.replace("Z", "+00:00").replace("z", "+00:00")
    s = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), s, count=1)
    return datetime.fromisoformat(s)

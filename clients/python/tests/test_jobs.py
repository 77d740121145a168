"""Jobs against a real server: run, submit and wait, cancel, files."""

from __future__ import annotations

import uuid

import pytest

from sandpit_client import (
    ConflictError,
    File,
    Info,
    InvalidError,
    Job,
    NotFoundError,
    Output,
    PyError,
    Sandpit,
    WaitTimeoutError,
)


def test_info(client: Sandpit) -> None:
    info = client.info()
    assert isinstance(info, Info)
    assert info.version
    assert info.python_version.startswith("3.")
    assert info.pyodide_version
    assert info.limits.default_timeout_ms == 10_000 and info.limits.max_timeout_ms == 300_000
    assert info.limits.max_memory_mb == 2048
    assert info.packages == []  # no package repository


def test_run_succeeds(client: Sandpit) -> None:
    job = client.run("import sys\nprint('hello', end='')\nprint('err', file=sys.stderr)\n6 * 7")
    assert isinstance(job, Job)
    assert job.status == "succeeded" and job.ok and job.done
    assert job.exit_code == 0
    assert job.stdout == "hello"
    assert job.stderr == "err\n"
    assert job.result == "42"
    assert job.error is None
    assert job.created_at is not None and job.finished_at is not None and job.finished_at >= job.created_at
    assert isinstance(job.duration_ms, int)


def test_run_rich_outputs(client: Sandpit) -> None:
    code = (
        "class Chart:\n"
        "    def _repr_mimebundle_(self, include=None, exclude=None):\n"
        "        return {'application/vnd.plotly.v1+json': {'data': [{'type': 'bar', 'x': [1, 2], 'y': [3, 4]}]}}\n"
        "    def __repr__(self):\n"
        "        return 'Chart()'\n"
        "display({'image/png': b'\\x89PNG', 'text/html': '<b>hi</b>'}, raw=True)\n"
        "Chart()"
    )
    job = client.run(code)
    assert job.status == "succeeded", job.stderr
    assert job.result == "Chart()"
    assert all(isinstance(o, Output) for o in job.outputs) and len(job.outputs) == 2
    first, chart = job.outputs
    assert first.mime_types == ["image/png", "text/html"]
    assert first.content("image/png") == b"\x89PNG" and first.content("text/html") == "<b>hi</b>"
    assert chart.content("application/vnd.plotly.v1+json") == {"data": [{"type": "bar", "x": [1, 2], "y": [3, 4]}]}
    assert chart.text == "Chart()" and "image/png" not in chart
    assert not job.outputs_truncated
    with pytest.raises(KeyError, match="no 'text/html'"):
        chart.content("text/html")


def test_run_fails_with_the_exception(client: Sandpit) -> None:
    job = client.run("def f():\n    return 1 / 0\nf()")
    assert job.status == "failed" and not job.ok
    assert job.exit_code == 1
    assert isinstance(job.error, PyError)
    assert job.error.type == "ZeroDivisionError"
    assert job.error.message == "division by zero"
    assert "line 2, in f" in job.error.traceback
    assert "ZeroDivisionError" in job.stderr


def test_run_exit_code(client: Sandpit) -> None:
    job = client.run("import sys\nsys.exit(3)")
    assert job.status == "failed"
    assert job.exit_code == 3
    assert job.error is not None and job.error.type == "SystemExit"


def test_run_times_out(client: Sandpit) -> None:
    job = client.run("print('started', flush=True)\nwhile True:\n    pass", timeout_ms=500)
    assert job.status == "timeout"
    assert job.exit_code is None
    assert job.stdout == "started\n"
    assert "500ms" in job.message


def test_run_with_stdin_and_input_files(client: Sandpit) -> None:
    code = "name = input()\ndata = open('in/data.csv').read()\nraw = open('raw.bin', 'rb').read()\n(name, data, list(raw))"
    files: dict[str, str | bytes] = {"in/data.csv": "a,b\n1,2\n", "raw.bin": bytes([0, 255, 7])}
    job = client.run(code, stdin="sandpit\n", files=files)
    assert job.status == "succeeded", job.stderr
    assert job.result == "('sandpit', 'a,b\\n1,2\\n', [0, 255, 7])"
    job = client.run("open('x.txt').read()", files=[File(path="x.txt", content="via File"), {"path": "y", "content": "eQ==", "encoding": "base64"}])
    assert job.result == "'via File'"


def test_run_with_test_sets_passed(client: Sandpit) -> None:
    right = client.run("def add(a, b):\n    return a + b", test="assert add(2, 3) == 5")
    wrong = client.run("def add(a, b):\n    return a - b", test="assert add(2, 3) == 5")
    assert right.passed is True
    assert wrong.passed is False
    assert wrong.error is not None and wrong.error.type == "AssertionError"


def test_submit_then_wait(client: Sandpit) -> None:
    job = client.submit("import time\ntime.sleep(0.3)\n'done'")
    assert job.status in ("queued", "running")
    assert job.id
    finished = client.wait(job)
    assert finished.id == job.id
    assert finished.status == "succeeded" and finished.result == "'done'"
    assert client.get(job.id).status == "succeeded"
    assert client.wait(finished) is finished  # an ended job is not fetched again


def test_wait_gives_up_after_its_timeout(client: Sandpit) -> None:
    job = client.submit("while True:\n    pass", timeout_ms=10_000)
    try:
        with pytest.raises(WaitTimeoutError) as e:
            client.wait(job, timeout=0.5)
        assert e.value.job.id == job.id
        assert not e.value.job.done
    finally:
        client.cancel(job)


def test_cancel(client: Sandpit) -> None:
    job = client.submit("while True:\n    pass", timeout_ms=30_000)
    cancelled = client.cancel(job)
    assert cancelled.id == job.id
    assert cancelled.status == "cancelled"
    assert client.wait(job, timeout=30).status == "cancelled"
    with pytest.raises(ConflictError) as e:
        client.cancel(job.id)
    assert e.value.status == 409 and e.value.code == "conflict"
    assert "already ended" in e.value.message


def test_file_download(client: Sandpit) -> None:
    code = "import os\nos.makedirs('out', exist_ok=True)\nopen('out/report.txt', 'w').write('hi')\nopen('blob one.bin', 'wb').write(bytes(range(256)))"
    job = client.run(code)
    assert job.status == "succeeded", job.stderr
    assert client.file(job, "out/report.txt") == b"hi"
    assert client.file(job.id, "blob one.bin") == bytes(range(256))
    assert job.file("blob one.bin").data == bytes(range(256))
    assert (job.file("out/report.txt").mime_type or "").startswith("text/plain")
    with pytest.raises(NotFoundError, match="no output file"):
        client.file(job, "missing.txt")
    with pytest.raises(ValueError, match="relative path"):
        client.file(job, "/etc/passwd")


def test_idempotency_key_returns_the_same_job(client: Sandpit) -> None:
    key = f"test-{uuid.uuid4().hex}"
    first = client.submit("print('once')", idempotency_key=key)
    again = client.submit("print('once')", idempotency_key=key)
    assert again.id == first.id
    ran = client.run("print('once')", idempotency_key=key)
    assert ran.id == first.id and ran.status == "succeeded"
    other = client.submit("print('once')")
    assert other.id != first.id
    client.wait(other)


def test_invalid_spec(client: Sandpit) -> None:
    with pytest.raises(InvalidError) as e:
        client.run("print(1)", timeout_ms=-1)
    assert e.value.status == 400 and e.value.code == "invalid"
    assert e.value.message == "timeout_ms: must not be negative"
    with pytest.raises(InvalidError, match="code: must not be empty"):
        client.submit("   ")
    with pytest.raises(InvalidError, match="Idempotency-Key"):
        client.submit("print(1)", idempotency_key="has spaces")


def test_not_found(client: Sandpit) -> None:
    with pytest.raises(NotFoundError) as e:
        client.get("0" * 32)
    assert e.value.status == 404 and e.value.code == "not_found"


def test_bad_arguments_are_refused_before_sending(client: Sandpit) -> None:
    with pytest.raises(TypeError, match="code: want str"):
        client.run(b"print(1)")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"files\['a'\]: want str or bytes"):
        client.run("1", files={"a": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base_url"):
        Sandpit("localhost:8080")

"""The synchronous client, Sandpit."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any, Generator, Iterable, Iterator, Mapping

import httpx

from ._core import (
    Call,
    FilesArg,
    ResultsCursor,
    Retry,
    api_key_of,
    base_url_of,
    connection_failure,
    error_of,
    file_path,
    headers_of,
    path_id,
    resume_delay,
    session_spec_of,
    spec_of,
    spool_chunks,
    spool_items,
    submission,
)
from .errors import ConflictError, ConnectionFailedError, NotFoundError, WaitTimeoutError
from .models import Batch, Info, Job, Page, SessionInfo


class Sandpit:
    """A client of one sandpit server.

    ``base_url`` defaults to ``$SANDPIT_URL``, else http://127.0.0.1:8080;
    ``api_key`` to ``$SANDPIT_API_KEY`` (pass ``""`` to send none).
    ``timeout`` bounds connecting and each read of a quick request in
    seconds; requests that wait for a job to end (run, a session's run,
    batch results) have no read timeout, since the job's own timeout bounds
    them. ``retry`` says when failed requests are tried again (see Retry);
    ``http_client`` sends the requests through an httpx.Client of yours.

    Use it as a context manager, or call close(), to free its connections.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retry: Retry | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url_of(base_url)
        self._headers = headers_of(api_key_of(api_key))
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = retry or Retry()
        self._own_http = http_client is None
        self._http = http_client or httpx.Client()

    def __enter__(self) -> Sandpit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the client's connections (not an http_client given to it)."""
        if self._own_http:
            self._http.close()

    def info(self) -> Info:
        """The server's version, the Pyodide and Python versions jobs run
        in, the limits in force and the packages jobs may import."""
        return Info.from_dict(self._json(Call("GET", "/v1/info")))

    # Jobs

    def run(
        self,
        code: str,
        *,
        stdin: str | None = None,
        timeout_ms: int | None = None,
        memory_mb: int | None = None,
        files: FilesArg = None,
        test: str | None = None,
        packages: Iterable[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Runs code and returns the finished job (POST /v1/run).

        A job that fails, times out or runs out of memory is returned, not
        raised: read its ``status``. ``files`` are input files: a dict of
        path to str or bytes, or File objects. ``test`` is Python run after
        the code in the same interpreter; the job's ``passed`` says whether
        both ran to the end. Retries repeat ``idempotency_key`` (a new one
        by default), so the job runs once."""
        spec = spec_of(code, stdin=stdin, timeout_ms=timeout_ms, memory_mb=memory_mb, files=files, test=test, packages=packages)
        return Job.from_dict(self._json(submission("/v1/run", spec, idempotency_key, waits=True)))

    def submit(
        self,
        code: str,
        *,
        stdin: str | None = None,
        timeout_ms: int | None = None,
        memory_mb: int | None = None,
        files: FilesArg = None,
        test: str | None = None,
        packages: Iterable[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Enqueues code and returns the queued job at once (POST /v1/jobs);
        see run for the arguments."""
        spec = spec_of(code, stdin=stdin, timeout_ms=timeout_ms, memory_mb=memory_mb, files=files, test=test, packages=packages)
        return Job.from_dict(self._json(submission("/v1/jobs", spec, idempotency_key, waits=False)))

    def get(self, job: Job | str) -> Job:
        """The job as it is now."""
        return Job.from_dict(self._json(Call("GET", f"/v1/jobs/{path_id(job)}")))

    def wait(self, job: Job | str, *, timeout: float | None = None, poll_interval: float = 1.0) -> Job:
        """Waits for the job to end and returns it. Polls GET /v1/jobs/{id}
        at growing intervals up to poll_interval seconds; raises
        WaitTimeoutError after timeout seconds (None: no limit)."""
        if isinstance(job, Job) and job.done:
            return job
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = min(0.05, poll_interval)
        while True:
            current = self.get(job)
            if current.done:
                return current
            if deadline is not None and time.monotonic() + pause > deadline:
                raise WaitTimeoutError(f"job {current.id} is still {current.status} after {timeout}s", current)
            time.sleep(pause)
            pause = min(pause * 1.5, poll_interval)

    def cancel(self, job: Job | str) -> Job:
        """Cancels a queued or running job and returns it; ConflictError if
        it had already ended."""
        return Job.from_dict(self._json(Call("DELETE", f"/v1/jobs/{path_id(job)}", replayable=False)))

    def file(self, job: Job | str, path: str) -> bytes:
        """The bytes of one output file of a finished job."""
        resp = self._send(Call("GET", f"/v1/jobs/{path_id(job)}/files/{file_path(path)}"))
        return resp.content

    # Sessions

    def session(
        self,
        *,
        memory_mb: int | None = None,
        packages: Iterable[str] | None = None,
        files: FilesArg = None,
    ) -> Session:
        """Opens a session, one interpreter that keeps its variables, imports
        and files from one run to the next, and returns it once the
        interpreter is ready. Use it as a context manager to close it::

            with client.session() as s:
                s.run("x = 6 * 7")
                assert s.run("x").result == "42"
        """
        call = Call("POST", "/v1/sessions", json=session_spec_of(memory_mb, packages, files), replayable=False, waits=True)
        return Session(self, SessionInfo.from_dict(self._json(call)))

    def get_session(self, session: Session | SessionInfo | str) -> SessionInfo:
        """A session as it is now."""
        return SessionInfo.from_dict(self._json(Call("GET", f"/v1/sessions/{path_id(session)}")))

    def close_session(self, session: Session | SessionInfo | str) -> SessionInfo:
        """Closes a session and frees its interpreter."""
        return SessionInfo.from_dict(self._json(Call("DELETE", f"/v1/sessions/{path_id(session)}", replayable=False)))

    # Batches

    def submit_batch(self, items: Iterable[Mapping[str, Any]]) -> Batch:
        """Submits items as one batch (POST /v1/batches) and returns it.

        Each item is a job spec as a dict (``code`` and the fields run
        takes) that may also carry ``id``, your own id for it, given back
        as the job's ``item_id``. Items are streamed to the server as JSON
        lines; the server checks every one before it enqueues any, and
        refuses the batch naming the line of a bad one."""
        spool = spool_items(items)
        try:
            call = Call("POST", "/v1/batches", spool=spool, replayable=False, waits=True)
            return Batch.from_dict(self._json(call))
        finally:
            spool.close()

    def get_batch(self, batch: Batch | str) -> Batch:
        """A batch's progress."""
        return Batch.from_dict(self._json(Call("GET", f"/v1/batches/{path_id(batch)}")))

    def cancel_batch(self, batch: Batch | str) -> Batch:
        """Cancels the items of a batch that have not ended."""
        return Batch.from_dict(self._json(Call("DELETE", f"/v1/batches/{path_id(batch)}", replayable=False)))

    def batch_results(self, batch: Batch | str, *, start: int = 0) -> BatchResults:
        """The batch's jobs in submission order, each as soon as it has
        ended, from item ``start`` on. A dropped connection is resumed where
        it broke; keep ``next_index`` of the iterator to resume later."""
        return BatchResults(self, path_id(batch), start)

    def batch(self, items: Iterable[Mapping[str, Any]]) -> BatchResults:
        """Submits items as one batch and returns its results, in order, as
        they end::

            for job in client.batch({"id": str(i), "code": c} for i, c in enumerate(codes)):
                print(job.item_id, job.status)
        """
        return self.batch_results(self.submit_batch(items))

    # Pages

    def create_page(
        self,
        code: str,
        *,
        stdin: str | None = None,
        timeout_ms: int | None = None,
        memory_mb: int | None = None,
        files: FilesArg = None,
        test: str | None = None,
        packages: Iterable[str] | None = None,
    ) -> Page:
        """Stores a job spec as a client-side page and returns it: whoever
        opens ``page.url`` runs the code in their own browser."""
        spec = spec_of(code, stdin=stdin, timeout_ms=timeout_ms, memory_mb=memory_mb, files=files, test=test, packages=packages)
        return Page.from_dict(self._json(Call("POST", "/v1/pages", json=spec, replayable=False)))

    # Transport

    def _json(self, call: Call) -> Any:
        return self._send(call).json()

    def _request(self, call: Call) -> httpx.Request:
        headers = {**self._headers, **call.headers}
        timeout = call.timeout(self._timeout)
        if call.spool is not None:
            headers["Content-Type"] = "application/x-ndjson"
            return self._http.build_request(
                call.method, self.base_url + call.path, content=spool_chunks(call.spool), headers=headers, timeout=timeout
            )
        return self._http.build_request(call.method, self.base_url + call.path, json=call.json, headers=headers, timeout=timeout)

    def _send(self, call: Call, *, stream: bool = False) -> httpx.Response:
        """Sends call, trying again as self.retry allows, and returns a
        successful answer; raises the APIError of an error answer."""
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self._http.send(self._request(call), stream=stream)
            except httpx.TransportError as e:
                delay = self.retry.after_transport_error(e, attempt, call.replayable)
                if delay is None:
                    raise ConnectionFailedError(connection_failure(self.base_url, call, attempt, e)) from e
                time.sleep(delay)
                continue
            if resp.status_code < 400:
                return resp
            try:
                resp.read()
            except httpx.TransportError:
                pass
            finally:
                resp.close()
            err = error_of(resp)
            delay = self.retry.after_answer(err, attempt)
            if delay is None:
                raise err
            time.sleep(delay)

    @contextmanager
    def _stream(self, call: Call) -> Iterator[httpx.Response]:
        resp = self._send(call, stream=True)
        try:
            yield resp
        finally:
            resp.close()


class Session:
    """An open session of a Sandpit client; see Sandpit.session."""

    def __init__(self, client: Sandpit, info: SessionInfo) -> None:
        self._client = client
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.close()
        except (NotFoundError, ConflictError):
            pass  # the session has already ended

    def run(
        self,
        code: str,
        *,
        stdin: str | None = None,
        timeout_ms: int | None = None,
        files: FilesArg = None,
        packages: Iterable[str] | None = None,
    ) -> Job:
        """Runs code in the session's interpreter and returns the finished
        job; its ``files`` are those this run created or changed. A run is
        not repeated after a connection broke mid-way, since it may have
        changed the session's state."""
        spec = spec_of(code, stdin=stdin, timeout_ms=timeout_ms, files=files, packages=packages)
        call = Call("POST", f"/v1/sessions/{path_id(self.id)}/run", json=spec, replayable=False, waits=True)
        return Job.from_dict(self._client._json(call))

    def refresh(self) -> SessionInfo:
        """The session as it is now; also kept in ``info``."""
        self.info = self._client.get_session(self.id)
        return self.info

    def close(self) -> SessionInfo:
        """Closes the session and frees its interpreter."""
        self.info = self._client.close_session(self.id)
        return self.info


class BatchResults(Iterator[Job]):
    """The jobs of a batch in submission order, each as soon as it has
    ended. ``next_index`` is the index of the next item to come: pass it as
    ``start`` to Sandpit.batch_results to go on from there later."""

    def __init__(self, client: Sandpit, batch_id: str, start: int) -> None:
        self.batch_id = batch_id
        self._client = client
        self._cursor = ResultsCursor(start)
        self._jobs = self._read()

    @property
    def next_index(self) -> int:
        return self._cursor.next_index

    def __iter__(self) -> BatchResults:
        return self

    def __next__(self) -> Job:
        return next(self._jobs)

    def close(self) -> None:
        """Stops reading and closes the stream."""
        self._jobs.close()

    def _read(self) -> Generator[Job, None, None]:
        client, cursor, retry = self._client, self._cursor, self._client.retry
        failures = 0
        while True:
            cursor.restart()
            progressed = False
            broken: BaseException | None = None
            try:
                with client._stream(Call("GET", f"/v1/batches/{self.batch_id}/results", waits=True)) as resp:
                    for line in resp.iter_lines():
                        if not line.strip():
                            continue
                        job = cursor.take(line)
                        if job is not None:
                            progressed = True
                            yield job
            except (httpx.TransportError, json.JSONDecodeError) as e:
                broken = e
            if broken is None and cursor.finished(client.get_batch(self.batch_id)):
                return
            failures = 1 if progressed else failures + 1
            delay = resume_delay(retry, broken, failures)
            if delay is None:
                raise ConnectionFailedError(
                    f"results of batch {self.batch_id}: the stream broke at item {cursor.next_index}: {broken or 'it ended early'}"
                ) from broken
            time.sleep(delay)


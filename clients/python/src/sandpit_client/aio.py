"""The asynchronous client, AsyncSandpit: the methods of Sandpit as
coroutines, for asyncio."""

from __future__ import annotations

import asyncio
import json
import time
from typing import IO, Any, AsyncGenerator, AsyncIterator, Generator, Iterable, Mapping

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


class AsyncSandpit:
    """An asyncio client of one sandpit server, with the arguments and
    methods of Sandpit, as coroutines. Use it as an async context manager,
    or await aclose(), to free its connections."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retry: Retry | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url_of(base_url)
        self._headers = headers_of(api_key_of(api_key))
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = retry or Retry()
        self._own_http = http_client is None
        self._http = http_client or httpx.AsyncClient()

    async def __aenter__(self) -> AsyncSandpit:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the client's connections (not an http_client given to it)."""
        if self._own_http:
            await self._http.aclose()

    async def info(self) -> Info:
        """The server's version, the Pyodide and Python versions jobs run
        in, the limits in force and the packages jobs may import."""
        return Info.from_dict(await self._json(Call("GET", "/v1/info")))

    # Jobs

    async def run(
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
        """Runs code and returns the finished job; see Sandpit.run."""
        spec = spec_of(code, stdin=stdin, timeout_ms=timeout_ms, memory_mb=memory_mb, files=files, test=test, packages=packages)
        return Job.from_dict(await self._json(submission("/v1/run", spec, idempotency_key, waits=True)))

    async def submit(
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
        """Enqueues code and returns the queued job; see Sandpit.submit."""
        spec = spec_of(code, stdin=stdin, timeout_ms=timeout_ms, memory_mb=memory_mb, files=files, test=test, packages=packages)
        return Job.from_dict(await self._json(submission("/v1/jobs", spec, idempotency_key, waits=False)))

    async def get(self, job: Job | str) -> Job:
        """The job as it is now."""
        return Job.from_dict(await self._json(Call("GET", f"/v1/jobs/{path_id(job)}")))

    async def wait(self, job: Job | str, *, timeout: float | None = None, poll_interval: float = 1.0) -> Job:
        """Waits for the job to end and returns it; see Sandpit.wait."""
        if isinstance(job, Job) and job.done:
            return job
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = min(0.05, poll_interval)
        while True:
            current = await self.get(job)
            if current.done:
                return current
            if deadline is not None and time.monotonic() + pause > deadline:
                raise WaitTimeoutError(f"job {current.id} is still {current.status} after {timeout}s", current)
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, poll_interval)

    async def cancel(self, job: Job | str) -> Job:
        """Cancels a queued or running job; see Sandpit.cancel."""
        return Job.from_dict(await self._json(Call("DELETE", f"/v1/jobs/{path_id(job)}", replayable=False)))

    async def file(self, job: Job | str, path: str) -> bytes:
        """The bytes of one output file of a finished job."""
        resp = await self._send(Call("GET", f"/v1/jobs/{path_id(job)}/files/{file_path(path)}"))
        return resp.content

    # Sessions

    def session(
        self,
        *,
        memory_mb: int | None = None,
        packages: Iterable[str] | None = None,
        files: FilesArg = None,
    ) -> _OpenSession:
        """Opens a session; use it as an async context manager, which closes
        it at the end, or await it::

            async with client.session() as s:
                await s.run("x = 6 * 7")
        """
        return _OpenSession(self, session_spec_of(memory_mb, packages, files))

    async def get_session(self, session: AsyncSession | SessionInfo | str) -> SessionInfo:
        """A session as it is now."""
        return SessionInfo.from_dict(await self._json(Call("GET", f"/v1/sessions/{path_id(session)}")))

    async def close_session(self, session: AsyncSession | SessionInfo | str) -> SessionInfo:
        """Closes a session and frees its interpreter."""
        return SessionInfo.from_dict(await self._json(Call("DELETE", f"/v1/sessions/{path_id(session)}", replayable=False)))

    # Batches

    async def submit_batch(self, items: Iterable[Mapping[str, Any]]) -> Batch:
        """Submits items as one batch; see Sandpit.submit_batch."""
        spool = spool_items(items)
        try:
            call = Call("POST", "/v1/batches", spool=spool, replayable=False, waits=True)
            return Batch.from_dict(await self._json(call))
        finally:
            spool.close()

    async def get_batch(self, batch: Batch | str) -> Batch:
        """A batch's progress."""
        return Batch.from_dict(await self._json(Call("GET", f"/v1/batches/{path_id(batch)}")))

    async def cancel_batch(self, batch: Batch | str) -> Batch:
        """Cancels the items of a batch that have not ended."""
        return Batch.from_dict(await self._json(Call("DELETE", f"/v1/batches/{path_id(batch)}", replayable=False)))

    def batch_results(self, batch: Batch | str, *, start: int = 0) -> AsyncBatchResults:
        """The batch's jobs in submission order as they end, resumed after a
        dropped connection; see Sandpit.batch_results."""
        return AsyncBatchResults(self, path_id(batch), start)

    async def batch(self, items: Iterable[Mapping[str, Any]]) -> AsyncBatchResults:
        """Submits items as one batch and returns its results::

            async for job in await client.batch(items):
                ...
        """
        return self.batch_results(await self.submit_batch(items))

    # Pages

    async def create_page(
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
        """Stores a job spec as a client-side page; see Sandpit.create_page."""
        spec = spec_of(code, stdin=stdin, timeout_ms=timeout_ms, memory_mb=memory_mb, files=files, test=test, packages=packages)
        return Page.from_dict(await self._json(Call("POST", "/v1/pages", json=spec, replayable=False)))

    # Transport

    async def _json(self, call: Call) -> Any:
        return (await self._send(call)).json()

    def _request(self, call: Call) -> httpx.Request:
        headers = {**self._headers, **call.headers}
        timeout = call.timeout(self._timeout)
        if call.spool is not None:
            headers["Content-Type"] = "application/x-ndjson"
            return self._http.build_request(
                call.method, self.base_url + call.path, content=_achunks(call.spool), headers=headers, timeout=timeout
            )
        return self._http.build_request(call.method, self.base_url + call.path, json=call.json, headers=headers, timeout=timeout)

    async def _send(self, call: Call, *, stream: bool = False) -> httpx.Response:
        """Sends call, trying again as self.retry allows; see Sandpit._send."""
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = await self._http.send(self._request(call), stream=stream)
            except httpx.TransportError as e:
                delay = self.retry.after_transport_error(e, attempt, call.replayable)
                if delay is None:
                    raise ConnectionFailedError(connection_failure(self.base_url, call, attempt, e)) from e
                await asyncio.sleep(delay)
                continue
            if resp.status_code < 400:
                return resp
            try:
                await resp.aread()
            except httpx.TransportError:
                pass
            finally:
                await resp.aclose()
            err = error_of(resp)
            delay = self.retry.after_answer(err, attempt)
            if delay is None:
                raise err
            await asyncio.sleep(delay)


async def _achunks(spool: IO[bytes]) -> AsyncIterator[bytes]:
    for chunk in spool_chunks(spool):
        yield chunk


class _OpenSession:
    """What AsyncSandpit.session returns: awaitable, and an async context
    manager that closes the session at its end."""

    def __init__(self, client: AsyncSandpit, spec: dict[str, Any]) -> None:
        self._client = client
        self._spec = spec
        self._session: AsyncSession | None = None

    async def _open(self) -> AsyncSession:
        call = Call("POST", "/v1/sessions", json=self._spec, replayable=False, waits=True)
        return AsyncSession(self._client, SessionInfo.from_dict(await self._client._json(call)))

    def __await__(self) -> Generator[Any, None, AsyncSession]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncSession:
        self._session = await self._open()
        return self._session

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.__aexit__()


class AsyncSession:
    """An open session of an AsyncSandpit client; see AsyncSandpit.session."""

    def __init__(self, client: AsyncSandpit, info: SessionInfo) -> None:
        self._client = client
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.close()
        except (NotFoundError, ConflictError):
            pass  # the session has already ended

    async def run(
        self,
        code: str,
        *,
        stdin: str | None = None,
        timeout_ms: int | None = None,
        files: FilesArg = None,
        packages: Iterable[str] | None = None,
    ) -> Job:
        """Runs code in the session's interpreter; see Session.run."""
        spec = spec_of(code, stdin=stdin, timeout_ms=timeout_ms, files=files, packages=packages)
        call = Call("POST", f"/v1/sessions/{path_id(self.id)}/run", json=spec, replayable=False, waits=True)
        return Job.from_dict(await self._client._json(call))

    async def refresh(self) -> SessionInfo:
        """The session as it is now; also kept in ``info``."""
        self.info = await self._client.get_session(self.id)
        return self.info

    async def close(self) -> SessionInfo:
        """Closes the session and frees its interpreter."""
        self.info = await self._client.close_session(self.id)
        return self.info


class AsyncBatchResults(AsyncIterator[Job]):
    """The jobs of a batch in submission order as they end; see
    BatchResults."""

    def __init__(self, client: AsyncSandpit, batch_id: str, start: int) -> None:
        self.batch_id = batch_id
        self._client = client
        self._cursor = ResultsCursor(start)
        self._jobs = self._read()

    @property
    def next_index(self) -> int:
        return self._cursor.next_index

    def __aiter__(self) -> AsyncBatchResults:
        return self

    async def __anext__(self) -> Job:
        return await self._jobs.__anext__()

    async def aclose(self) -> None:
        """Stops reading and closes the stream."""
        await self._jobs.aclose()

    async def _read(self) -> AsyncGenerator[Job, None]:
        client, cursor, retry = self._client, self._cursor, self._client.retry
        failures = 0
        while True:
            cursor.restart()
            progressed = False
            broken: BaseException | None = None
            try:
                resp = await client._send(Call("GET", f"/v1/batches/{self.batch_id}/results", waits=True), stream=True)
                try:
                    async for line in resp.aiter_lines():
                        if not line.strip():
                            continue
                        job = cursor.take(line)
                        if job is not None:
                            progressed = True
                            yield job
                finally:
                    await resp.aclose()
            except (httpx.TransportError, json.JSONDecodeError) as e:
                broken = e
            if broken is None and cursor.finished(await client.get_batch(self.batch_id)):
                return
            failures = 1 if progressed else failures + 1
            delay = resume_delay(retry, broken, failures)
            if delay is None:
                raise ConnectionFailedError(
                    f"results of batch {self.batch_id}: the stream broke at item {cursor.next_index}: {broken or 'it ended early'}"
                ) from broken
            await asyncio.sleep(delay)

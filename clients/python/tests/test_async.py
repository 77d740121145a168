"""AsyncSandpit against a real server."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from conftest import Server
from proxy import Proxy
from sandpit_client import (
    AsyncBatchResults,
    AsyncSandpit,
    AsyncSession,
    ConflictError,
    InvalidError,
    NotFoundError,
    Retry,
    UnauthorizedError,
    WaitTimeoutError,
)


@pytest.mark.asyncio
async def test_run_submit_wait_cancel(server: Server) -> None:
    async with AsyncSandpit(server.url, api_key="") as c:
        ok, failed, slow = await asyncio.gather(
            c.run("print('hi')\n6 * 7"),
            c.run("1 / 0"),
            c.run("while True:\n    pass", timeout_ms=500),
        )
        assert (ok.status, ok.stdout, ok.result) == ("succeeded", "hi\n", "42")
        assert failed.status == "failed" and failed.error is not None and failed.error.type == "ZeroDivisionError"
        assert slow.status == "timeout"
        assert (await c.info()).limits.max_timeout_ms == 300_000

        queued = await c.submit("import time\ntime.sleep(0.2)\n'late'")
        done = await c.wait(queued)
        assert done.id == queued.id and done.result == "'late'"

        endless = await c.submit("while True:\n    pass", timeout_ms=30_000)
        with pytest.raises(WaitTimeoutError):
            await c.wait(endless, timeout=0.3)
        assert (await c.cancel(endless)).status == "cancelled"
        with pytest.raises(ConflictError):
            await c.cancel(endless)


@pytest.mark.asyncio
async def test_files_idempotency_and_errors(server: Server) -> None:
    async with AsyncSandpit(server.url, api_key="") as c:
        job = await c.run("open('out.txt', 'w').write('bytes')")
        assert await c.file(job, "out.txt") == b"bytes"
        key = uuid.uuid4().hex
        first = await c.submit("1", idempotency_key=key)
        assert (await c.submit("1", idempotency_key=key)).id == first.id
        with pytest.raises(InvalidError, match="timeout_ms: must not be negative"):
            await c.run("1", timeout_ms=-1)
        with pytest.raises(NotFoundError):
            await c.get("0" * 32)


@pytest.mark.asyncio
async def test_unauthorized(guarded: Server) -> None:
    async with AsyncSandpit(guarded.url, api_key="nope") as c:
        with pytest.raises(UnauthorizedError) as e:
            await c.get("0" * 32)
    assert e.value.status == 401


@pytest.mark.asyncio
async def test_session(server: Server) -> None:
    async with AsyncSandpit(server.url, api_key="") as c:
        async with c.session() as s:
            assert isinstance(s, AsyncSession)
            await s.run("x = 20")
            assert (await s.run("x * 2 + 2")).result == "42"
            assert (await s.refresh()).runs == 2
        assert (await c.get_session(s.id)).status == "closed"
        s2 = await c.session()
        try:
            assert (await s2.run("'plain'")).result == "'plain'"
        finally:
            await s2.close()


@pytest.mark.asyncio
async def test_batch_in_order_and_resumed(server: Server) -> None:
    proxy = Proxy(("127.0.0.1", server.port))
    try:
        async with AsyncSandpit(proxy.url, api_key="", retry=Retry(backoff=0.05)) as c:
            # Items 2 on are still running when 0 and 1 have been read.
            items = [{"id": str(i), "code": f"import time\ntime.sleep({0 if i < 2 else 0.5})\n{i}"} for i in range(5)]
            results = await c.batch(items)
            assert isinstance(results, AsyncBatchResults)
            got = []
            async for job in results:
                got.append(job)
                if len(got) == 2:
                    at_drop = proxy.connections
                    proxy.drop()
            assert [j.result for j in got] == [str(i) for i in range(5)]
            assert [j.item_id for j in got] == [str(i) for i in range(5)]
            assert results.next_index == 5
            assert proxy.connections > at_drop
            assert (await c.get_batch(results.batch_id)).finished
            later = [j.index async for j in c.batch_results(results.batch_id, start=3)]
            assert later == [3, 4]
    finally:
        proxy.close()


@pytest.mark.asyncio
async def test_create_page(server: Server) -> None:
    async with AsyncSandpit(server.url, api_key="") as c:
        page = await c.create_page("print(1)")
    assert page.url == f"{server.url}/p/{page.id}"

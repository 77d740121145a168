"""Batches against a real server: results in order, and resumed after the
connection drops."""

from __future__ import annotations

import threading

import pytest

from proxy import Proxy
from sandpit_client import Batch, BatchResults, ConnectionFailedError, InvalidError, Retry, Sandpit
from conftest import Server


def _items(n: int) -> list[dict[str, object]]:
    # Later items end sooner, so the results come in submission order only
    # because the stream keeps that order.
    return [
        {"id": f"item-{i}", "code": f"import time\ntime.sleep({(n - i) * 0.05})\n{i} * 10", "test": f"assert {i} % 3 != 2"}
        for i in range(n)
    ]


def test_batch_results_in_order(client: Sandpit) -> None:
    results = client.batch(_items(6))
    assert isinstance(results, BatchResults) and results.batch_id
    jobs = list(results)
    assert [j.item_id for j in jobs] == [f"item-{i}" for i in range(6)]
    assert [j.index for j in jobs] == list(range(6))
    assert [j.result for j in jobs] == [str(i * 10) if i % 3 != 2 else None for i in range(6)]
    assert [j.passed for j in jobs] == [i % 3 != 2 for i in range(6)]
    assert all(j.batch_id == results.batch_id for j in jobs)
    assert results.next_index == 6
    batch = client.get_batch(results.batch_id)
    assert isinstance(batch, Batch)
    assert batch.finished and batch.complete and batch.total == 6 and batch.done == 6
    assert batch.passed == 4 and batch.failed == 2


def _slow_after(n: int, first: int) -> list[dict[str, object]]:
    """Items of which all but the first few are still running when those
    have been read."""
    return [{"id": f"item-{i}", "code": f"import time\ntime.sleep({0 if i < first else 0.5})\n{i}"} for i in range(n)]


def test_batch_results_resume_after_the_connection_drops(server: Server) -> None:
    proxy = Proxy(("127.0.0.1", server.port))
    try:
        with Sandpit(proxy.url, api_key="", retry=Retry(backoff=0.05)) as client:
            results = client.batch(_slow_after(5, 2))
            got = []
            for job in results:
                got.append(job)
                if len(got) == 2:
                    at_drop = proxy.connections
                    proxy.drop()  # the stream waits for item 2: the next read finds it gone
            assert [j.index for j in got] == list(range(5))
            assert [j.result for j in got] == [str(i) for i in range(5)]
            assert proxy.connections > at_drop  # the stream was resumed on a new connection
            assert results.next_index == 5
    finally:
        proxy.close()


def test_batch_results_from_a_later_start(client: Sandpit) -> None:
    batch = client.submit_batch(_items(4))
    assert batch.total == 4 and batch.complete
    jobs = list(client.batch_results(batch, start=2))
    assert [j.index for j in jobs] == [2, 3]


def test_batch_results_give_up_when_the_server_stays_away(server: Server) -> None:
    proxy = Proxy(("127.0.0.1", server.port))
    client = Sandpit(proxy.url, api_key="", retry=Retry(attempts=2, backoff=0.05))
    try:
        results = client.batch([{"code": "import time\ntime.sleep(5)"}])
        dropper = threading.Timer(0.5, lambda: (proxy.close()))
        dropper.start()
        with pytest.raises(ConnectionFailedError, match=r"/v1/batches/\w+/results"):
            list(results)
        dropper.join()
        client_direct = Sandpit(server.url, api_key="")
        client_direct.cancel_batch(results.batch_id)
        client_direct.close()
    finally:
        client.close()
        proxy.close()


def test_bad_item_rejects_the_batch_with_its_line(client: Sandpit) -> None:
    with pytest.raises(InvalidError, match="line 2: timeout_ms"):
        client.submit_batch([{"code": "1"}, {"code": "2", "timeout_ms": -5}])
    with pytest.raises(ValueError, match="no items"):
        client.submit_batch([])
    with pytest.raises(TypeError, match=r"items\[1\]"):
        client.submit_batch([{"code": "1"}, "print(2)"])  # type: ignore[list-item]


def test_cancel_batch(client: Sandpit) -> None:
    batch = client.submit_batch([{"code": "while True:\n    pass", "timeout_ms": 30_000} for _ in range(3)])
    cancelled = client.cancel_batch(batch)
    assert cancelled.id == batch.id
    jobs = list(client.batch_results(batch))
    assert [j.status for j in jobs] == ["cancelled"] * 3

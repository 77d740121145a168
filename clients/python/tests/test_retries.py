"""What the client does when connections fail: it tries again when that is
safe, and a retried submission never runs its job twice."""

from __future__ import annotations

import re
import socket
import threading

import httpx
import pytest

from conftest import Server
from proxy import Proxy
from sandpit_client import ConnectionFailedError, Retry, Sandpit


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_is_retried_until_the_server_is_there(server: Server) -> None:
    port = _free_port()
    proxies: list[Proxy] = []
    later = threading.Timer(0.5, lambda: proxies.append(Proxy(("127.0.0.1", server.port), port=port)))
    later.start()
    try:
        with Sandpit(f"http://127.0.0.1:{port}", api_key="", retry=Retry(attempts=10, backoff=0.1)) as c:
            assert c.run("6 * 7").result == "42"
    finally:
        later.join()
        for p in proxies:
            p.close()


def test_connection_refused_without_retries() -> None:
    with Sandpit(f"http://127.0.0.1:{_free_port()}", api_key="", retry=Retry(attempts=3, backoff=0.01)) as c:
        with pytest.raises(ConnectionFailedError, match=r"POST http://127\.0\.0\.1:\d+/v1/run: .*\(tried 3 times\)") as e:
            c.run("1")
    assert isinstance(e.value.__cause__, httpx.ConnectError)


def _job_id(answer: bytes) -> str:
    m = re.search(rb'"id":"([0-9a-f]+)"', answer)
    assert m, answer
    return m.group(1).decode()


@pytest.mark.parametrize("method", ["submit", "run"])
def test_retried_submission_returns_the_same_job(server: Server, method: str) -> None:
    proxy = Proxy(("127.0.0.1", server.port))
    proxy.swallow_next_answer()  # the server takes the job; its answer is lost
    try:
        with Sandpit(proxy.url, api_key="", retry=Retry(backoff=0.05)) as c:
            job = getattr(c, method)("print('once')")
        assert len(proxy.swallowed) == 1 and proxy.connections == 2
        assert job.id == _job_id(proxy.swallowed[0])
        with Sandpit(server.url, api_key="") as direct:
            assert direct.wait(job).stdout == "once\n"
    finally:
        proxy.close()


def test_request_that_may_not_be_repeated_is_not(server: Server) -> None:
    proxy = Proxy(("127.0.0.1", server.port))
    proxy.swallow_next_answer()
    try:
        with Sandpit(proxy.url, api_key="", retry=Retry(backoff=0.05)) as c:
            with pytest.raises(ConnectionFailedError, match="POST .*/v1/pages"):
                c.create_page("print(1)")
        assert proxy.connections == 1  # not sent again
        assert proxy.swallowed[0].startswith(b"HTTP/1.1 201")
    finally:
        proxy.close()


def test_retry_policy() -> None:
    r = Retry(attempts=3, backoff=1.0, max_backoff=3.0, max_retry_after=10.0)
    assert 0.5 <= r.backoff_delay(1) <= 1.0
    assert 1.5 <= r.backoff_delay(3) <= 3.0  # capped
    with pytest.raises(ValueError, match="attempts"):
        Retry(attempts=0)
    refused = httpx.ConnectError("refused")
    broken = httpx.ReadError("reset")
    assert r.after_transport_error(refused, 1, replayable=False) is not None
    assert r.after_transport_error(broken, 1, replayable=True) is not None
    assert r.after_transport_error(broken, 1, replayable=False) is None
    assert r.after_transport_error(refused, 3, replayable=True) is None  # the last attempt


def test_retry_policy_after_answers() -> None:
    from sandpit_client import InvalidError, RateLimitedError, UnavailableError

    r = Retry(attempts=3, backoff=1.0, max_retry_after=10.0)
    limited = RateLimitedError("m", status=429, code="rate_limited", retry_after=2.0)
    assert 2.0 <= r.after_answer(limited, 1) <= 2.2  # type: ignore[operator]
    assert r.after_answer(limited, 3) is None
    too_long = RateLimitedError("m", status=429, code="rate_limited", retry_after=3600.0)
    assert r.after_answer(too_long, 1) is None  # not worth the wait: raised at once
    unsaid = RateLimitedError("m", status=429, code="rate_limited")
    assert r.after_answer(unsaid, 1) is None  # a limit that waiting does not lift
    down = UnavailableError("m", status=503, code="unavailable")
    assert 0.5 <= r.after_answer(down, 1) <= 1.0  # type: ignore[operator]
    assert r.after_answer(InvalidError("m", status=400, code="invalid"), 1) is None

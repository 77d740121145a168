"""Client-side pages against a real server."""

from __future__ import annotations

import httpx

from conftest import Server
from sandpit_client import Page, Sandpit


def test_create_page(client: Sandpit, server: Server) -> None:
    page = client.create_page("print('hello from your browser')", timeout_ms=5000, files={"a.txt": "x"})
    assert isinstance(page, Page)
    assert page.url == f"{server.url}/p/{page.id}"
    assert page.expires_at is not None
    resp = httpx.get(page.url)
    assert resp.status_code == 200
    assert "text/html" in resp.headers["content-type"]
    assert httpx.get(f"{server.url}/p/{'0' * 32}").status_code == 404

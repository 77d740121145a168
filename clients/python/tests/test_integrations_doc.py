"""The function tool of docs/INTEGRATIONS.md, run as written there against
a real server."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from conftest import ROOT, Server

DOC = ROOT / "docs" / "INTEGRATIONS.md"


def _tool_section_code() -> str:
    text = DOC.read_text()
    section = text[text.index("## The function tool") : text.index("\n## ", text.index("## The function tool") + 1)]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2, "the function tool and the session tool"
    return "\n".join(blocks)


@pytest.fixture
def tools(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("SANDPIT_URL", server.url)
    monkeypatch.delenv("SANDPIT_API_KEY", raising=False)
    namespace: dict[str, Any] = {"__name__": "integrations_doc"}
    exec(compile(_tool_section_code(), str(DOC), "exec"), namespace)  # closes the session it opens
    yield namespace
    namespace["sandpit"].close()


def test_run_python_tool(tools: dict[str, Any]) -> None:
    run_python = tools["run_python"]
    assert run_python.__doc__ and "Args:" in run_python.__doc__
    out = run_python("print(6 * 7)\nopen('a.txt', 'w').write('x')\n6 * 7")
    assert out == "status: succeeded\n\nstdout:\n42\n\n\nresult: 42\n\nfiles: a.txt"
    out = run_python("1 / 0")
    assert out.startswith("status: failed\n\nstderr:\nTraceback (most recent call last):")
    assert "ZeroDivisionError: division by zero" in out


def test_session_tool(tools: dict[str, Any]) -> None:
    assert tools["session"].info.status == "closed"  # the snippet closes its own
    run_in_session, session = tools["session_tool"]()
    try:
        assert "status: succeeded" in run_in_session("import math\nx = math.factorial(5)")
        assert run_in_session("x + 1") == "status: succeeded\n\nresult: 121"
    finally:
        session.close()

"""Sessions against a real server."""

from __future__ import annotations

import pytest

from sandpit_client import ConflictError, Sandpit, Session, SessionInfo


def test_session_keeps_state_and_closes(client: Sandpit) -> None:
    with client.session(files={"data.csv": "x\n1\n2\n"}) as s:
        assert isinstance(s, Session)
        assert s.info.status == "open"
        first = s.run("import csv\nrows = list(csv.DictReader(open('data.csv')))\nopen('note.txt', 'w').write('n')")
        assert first.status == "succeeded", first.stderr
        assert [f.path for f in first.files] == ["note.txt"]
        second = s.run("sum(int(r['x']) for r in rows)")
        assert second.result == "3"
        assert second.files == []  # only what this run created or changed
        info = s.refresh()
        assert isinstance(info, SessionInfo)
        assert info.runs == 2 and info.status == "open"
        sid = s.id
    closed = s.info  # as close() returned it
    assert closed.status == "closed"
    assert client.get_session(sid).status == "closed"
    with pytest.raises(ConflictError, match="closed"):
        s.run("1")


def test_session_closes_when_the_block_raises(client: Sandpit) -> None:
    with pytest.raises(RuntimeError):
        with client.session() as s:
            s.run("x = 1")
            raise RuntimeError("boom")
    assert client.get_session(s.id).status == "closed"



def test_session_without_a_block(client: Sandpit) -> None:
    s = client.session(packages=[])
    try:
        job = s.run("x = 41", timeout_ms=5000)
        assert job.status == "succeeded"
        assert s.run("x + 1").result == "42"
    finally:
        assert s.close().status == "closed"
    assert s.close().status == "closed"  # closing again is harmless

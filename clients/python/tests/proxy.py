"""A TCP proxy in front of a real sandpit server, for the tests of what the
client does when connections break: it forwards bytes both ways and can drop
every open connection, or forward a request and then drop its answer."""

from __future__ import annotations

import socket
import threading


class Proxy:
    """Listens on 127.0.0.1 (on port, or a free one) and forwards each
    connection to upstream (host, port)."""

    def __init__(self, upstream: tuple[str, int], port: int = 0) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.swallowed: list[bytes] = []
        self._swallow_next = False
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def drop(self) -> None:
        """Breaks every open connection, as a network fault would."""
        with self._lock:
            socks, self._open = list(self._open), set()
        for s in socks:
            _kill(s)

    def swallow_next_answer(self) -> None:
        """The next connection forwards its request to the server, waits for
        the server's answer, keeps it in swallowed, and breaks the
        connection instead of passing the answer on."""
        with self._lock:
            self._swallow_next = True

    def close(self) -> None:
        self._closed = True
        _kill(self._listener)  # shutdown wakes the accept() still waiting on it
        self.drop()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                _kill(client)
                continue
            with self._lock:
                self.connections += 1
                swallow, self._swallow_next = self._swallow_next, False
                self._open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            if swallow:
                threading.Thread(target=self._swallow, args=(server, client), daemon=True).start()
            else:
                threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        _kill(src)
        _kill(dst)

    def _swallow(self, server: socket.socket, client: socket.socket) -> None:
        answer = b""
        try:
            answer = server.recv(65536)
            server.settimeout(0.5)
            while data := server.recv(65536):
                answer += data
        except OSError:
            pass
        self.swallowed.append(answer)
        _kill(client)
        _kill(server)


def _kill(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()

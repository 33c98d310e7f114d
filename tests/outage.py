"""Databases that are down or frozen, for real: a closed port, and a TCP proxy to PostgreSQL that can stop passing
bytes (what a paused VM, a hung disk or a dropped network looks like from the client)."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit, urlunsplit


def closed_port() -> int:
    """A local port nothing listens on (bound, then closed): connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unreachable_postgres_url() -> str:
    return f"postgresql+psycopg://lincah@127.0.0.1:{closed_port()}/lincah"


def through(url: str, port: int) -> str:
    """``url`` with its host and port replaced by 127.0.0.1:``port`` (user, database and options kept)."""
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}"))


class FreezableProxy:
    """Forwards 127.0.0.1:``port`` to the server of ``url``; ``freeze()`` holds every byte until ``thaw()``.

    Frozen, connections are still accepted (the kernel of a stopped server accepts them too) but nothing comes
    back: no answer to a query, no reply to a connection's start-up.
    """

    def __init__(self, url: str):
        target = urlsplit(url)
        self.target = (target.hostname or "127.0.0.1", target.port or 5432)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, name="frozen-proxy", daemon=True).start()

    def url_for(self, url: str) -> str:
        return through(url, self.port)

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self._closed = True
        self.flowing.set()
        for sock in [self.listener, *self._sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self.flowing.wait()  # frozen: the bytes are held, as by a server that stopped
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

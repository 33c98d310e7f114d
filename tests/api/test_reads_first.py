"""The server's thread pool serves waiting page reads before waiting writes, never starving the writes
(api/reads_first.py)."""

from __future__ import annotations

import socket
import threading
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY

from api.reads_first import ReadsFirstPool, is_read


@pytest.fixture
def sockets():
    opened = []

    def connection(sent: bytes):
        """A connection as gunicorn hands it to the pool (an object with ``sock``), ``sent`` waiting on it."""
        server, client = socket.socketpair()
        opened.extend((server, client))
        if sent:
            client.sendall(sent)
        return SimpleNamespace(sock=server)

    yield connection
    for sock in opened:
        sock.close()


def test_the_method_is_read_without_taking_the_bytes(sockets):
    get = sockets(b"GET /api/v1/tasks HTTP/1.1\r\n\r\n")
    assert is_read(get.sock)
    assert get.sock.recv(100) == b"GET /api/v1/tasks HTTP/1.1\r\n\r\n"  # still there for the request parser
    assert is_read(sockets(b"HEAD / HTTP/1.1\r\n\r\n").sock)
    assert not is_read(sockets(b"POST /api/v1/tasks/1/complete HTTP/1.1\r\n\r\n").sock)
    assert not is_read(sockets(b"GETX / HTTP/1.1\r\n").sock)
    assert not is_read(sockets(b"").sock)  # nothing arrived yet: gthread's own order


def _busy_pool(max_write_wait: float = 60.0):
    """A pool of one thread, held busy until the returned event is set."""
    pool = ReadsFirstPool(1, max_write_wait=max_write_wait)
    release, started = threading.Event(), threading.Event()

    def hold(_conn):
        started.set()
        release.wait(10)

    pool.submit(hold, SimpleNamespace(sock=None))
    assert started.wait(5)
    return pool, release


def _waited(kind: str) -> float:
    return REGISTRY.get_sample_value("lincah_request_queue_seconds_count", {"kind": kind}) or 0


def test_a_waiting_read_goes_before_writes_that_waited_longer(sockets):
    reads, writes = _waited("read"), _waited("write")
    pool, release = _busy_pool()
    served = []
    futures = [pool.submit(lambda conn, name=name: served.append(name), sockets(sent))
               for name, sent in (("complete 1", b"POST /x HTTP/1.1\r\n"), ("complete 2", b"POST /y HTTP/1.1\r\n"),
                                  ("inbox", b"GET /api/v1/tasks HTTP/1.1\r\n"))]
    release.set()
    for future in futures:
        future.result(5)
    assert served == ["inbox", "complete 1", "complete 2"]
    pool.shutdown()
    # /metrics says how long each kind waited for a thread (the pool's first job, a write, included)
    assert (_waited("read") - reads, _waited("write") - writes) == (1, 3)


def test_a_write_that_waited_its_limit_goes_before_reads(sockets):
    pool, release = _busy_pool(max_write_wait=0.0)
    served = []
    futures = [pool.submit(lambda conn, name=name: served.append(name), sockets(sent))
               for name, sent in (("complete", b"POST /x HTTP/1.1\r\n"), ("inbox", b"GET / HTTP/1.1\r\n"))]
    release.set()
    for future in futures:
        future.result(5)
    assert served == ["complete", "inbox"]
    pool.shutdown()


def test_results_and_errors_reach_the_future_and_shutdown_serves_what_waits(sockets):
    pool, release = _busy_pool()

    def fails(_conn):
        raise ValueError("broken request")

    answered = pool.submit(lambda conn: "answered", sockets(b"GET / HTTP/1.1\r\n"))
    failed = pool.submit(fails, sockets(b"POST / HTTP/1.1\r\n"))
    release.set()
    pool.shutdown(wait=True)
    assert answered.result(0) == "answered"
    with pytest.raises(ValueError, match="broken request"):
        failed.result(0)
    with pytest.raises(RuntimeError):
        pool.submit(lambda conn: None, sockets(b"GET / HTTP/1.1\r\n"))


def test_shutdown_may_cancel_what_waits(sockets):
    pool, release = _busy_pool()
    waiting = pool.submit(lambda conn: "never", sockets(b"GET / HTTP/1.1\r\n"))
    pool.shutdown(wait=False, cancel_futures=True)
    release.set()
    assert waiting.cancelled()

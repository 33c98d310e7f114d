"""A gunicorn worker whose threads take people's page reads before queued writes: ``ReadsFirstWorker``.

gunicorn's gthread worker hands each request to a thread pool that serves them first come, first served. When the
threads are all busy — a burst of task completions, a payment batch, external-task workers at full speed — an
officer opening the inbox queued behind every completion already waiting, and waited for them all (the HTTP bench:
inbox p95 around 90–150 ms beside 16 completing clients, against 20 ms beside one). This worker's pool takes a
waiting ``GET``/``HEAD`` first, and a write only when no read waits — or when the oldest write has waited
``MAX_WRITE_WAIT``, so a flood of reads delays writes by that much at most and never starves them. Nothing else
changes: the same threads, the same request handling, every request still served.

The method is read from the first bytes of the request with ``MSG_PEEK`` (they stay in the socket for the request
parser). A connection whose bytes have not arrived yet, or that speaks TLS (gunicorn terminating HTTPS itself), is
taken as a write: the order is then gthread's own.

Run it with ``gunicorn --worker-class api.reads_first.ReadsFirstWorker --threads N``; ``lincah serve`` does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from concurrent.futures import Future

from gunicorn.workers.gthread import ThreadWorker
from prometheus_client import Histogram

# How long a write may wait while reads go first. A completion takes 5–50 ms under load; a second bounds what a
# worker's queue of reads can hold a write back.
MAX_WRITE_WAIT = 1.0
_READS = (b"GET ", b"HEAD ")
READ, WRITE = "read", "write"
# How long requests waited for a thread: reads near zero while writes queue is this worker doing its job; reads
# waiting too means the server needs more processes (or cores).
QUEUE_SECONDS = Histogram("lincah_request_queue_seconds", "Time a request waited for a server thread, by kind: read "
                          "(GET, HEAD: served first) or write (the rest).", ["kind"],
                          buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
for _kind in (READ, WRITE):  # both series exist from the start
    QUEUE_SECONDS.labels(_kind)


def is_read(sock) -> bool:
    """Whether the request waiting on ``sock`` is a ``GET`` or ``HEAD``, read without taking the bytes."""
    try:
        start = sock.recv(5, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (OSError, ValueError):  # nothing arrived yet (EAGAIN), closed, or a TLS socket (no flags allowed)
        return False
    return start.startswith(_READS) or start == b"HEAD"


class _Job:
    __slots__ = ("future", "call", "args", "kind", "queued")

    def __init__(self, call, args, kind: str):
        self.future, self.call, self.args, self.kind, self.queued = Future(), call, args, kind, time.monotonic()


class ReadsFirstPool:
    """A fixed pool of threads, in the shape gunicorn uses ``concurrent.futures.ThreadPoolExecutor`` (``submit``
    returning a ``Future``, ``shutdown``), serving waiting reads before waiting writes (``MAX_WRITE_WAIT`` aside).

    ``submit(call, conn)``: gunicorn passes the connection; its socket tells which queue the job joins."""

    def __init__(self, threads: int, *, max_write_wait: float = MAX_WRITE_WAIT):
        self.max_write_wait = max_write_wait
        self._reads: deque[_Job] = deque()
        self._writes: deque[_Job] = deque()
        self._ready = threading.Condition()
        self._closing = False
        self._threads = [threading.Thread(target=self._serve, name=f"lincah-request-{n}", daemon=True)
                         for n in range(threads)]
        for thread in self._threads:
            thread.start()

    def submit(self, call, *args) -> Future:
        sock = getattr(args[0], "sock", None) if args else None
        job = _Job(call, args, READ if sock is not None and is_read(sock) else WRITE)
        with self._ready:
            if self._closing:
                raise RuntimeError("cannot take new requests after shutdown")
            (self._reads if job.kind == READ else self._writes).append(job)
            self._ready.notify()
        return job.future

    def _next(self) -> _Job | None:
        with self._ready:
            while not (self._reads or self._writes or self._closing):
                self._ready.wait()
            writes, reads = self._writes, self._reads
            if writes and (not reads or time.monotonic() - writes[0].queued >= self.max_write_wait):
                return writes.popleft()
            if reads:
                return reads.popleft()
            return None  # closing, and nothing left to serve

    def _serve(self) -> None:
        while (job := self._next()) is not None:
            if not job.future.set_running_or_notify_cancel():
                continue
            QUEUE_SECONDS.labels(job.kind).observe(time.monotonic() - job.queued)
            try:
                result = job.call(*job.args)
            except BaseException as exc:  # noqa: BLE001 - handed to gunicorn through the future, as its pool does
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking jobs; the threads finish the queued ones (``cancel_futures``: cancel those instead)."""
        with self._ready:
            self._closing = True
            if cancel_futures:
                for job in (*self._reads, *self._writes):
                    job.future.cancel()
                self._reads.clear()
                self._writes.clear()
            self._ready.notify_all()
        if wait:
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join()


class ReadsFirstWorker(ThreadWorker):
    """gunicorn's gthread worker with a ``ReadsFirstPool`` in place of its first-come thread pool."""

    def get_thread_pool(self):
        return ReadsFirstPool(self.cfg.threads)

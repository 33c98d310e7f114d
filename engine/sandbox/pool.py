"""A pool of sandbox worker processes: the hard limits on BPMN scripts and expressions.

Why processes: the sandbox's own guards check the deadline between Python operations, but one built-in that
loops in C (``all(zip(*[range(10**6)] * 300))``, ``sorted(...)`` of a huge iterator) runs to its end without
passing a guard — 16 s against a 1 s budget was measured, and a larger factor got a gunicorn worker killed with
every request it was serving. Nothing inside one Python process can interrupt C code, so code that can loop or
call runs in a separate process, and the server enforces the budget from outside:

* wall clock: the server waits for the reply at most the budget plus a short grace, then kills the worker's
  whole process group and answers :class:`~engine.errors.SandboxViolation` ("time limit exceeded");
* memory and CPU: the worker sets ``RLIMIT_AS`` and ``RLIMIT_CPU`` on itself before it runs anything
  (:mod:`.worker`);
* a worker that died, ran out of memory or overran is replaced; the next evaluation gets a fresh one.

A hostile script therefore costs at most its budget and one worker process, never a server thread. Workers are
started on demand (at most ``size`` at a time; callers beyond that wait for one to be free) and kept for the
next evaluation, so the usual cost is one round trip through two pipes. After a fork (gunicorn's workers) the
child forgets the parent's workers and starts its own.
"""

from __future__ import annotations

import atexit
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from engine.errors import SandboxViolation
from engine.sandbox import wire

_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
#: How long past its budget a worker may take to answer before it is killed (pipes, scheduling on a busy host).
GRACE_SECONDS = 0.5
#: A worker is replaced after this many requests, so slow growth of its caches never accumulates.
MAX_REQUESTS_PER_WORKER = 20_000
#: How long a new worker may take to import and warm up before it says it is ready (a busy host is slow to start
#: processes); this time is never counted against a script's budget.
STARTUP_SECONDS = 60.0


class WorkerDied(Exception):
    """The worker process ended (killed by a limit, crashed) before it answered."""


class _Worker:
    """One worker process and its two pipes; used by one thread at a time."""

    def __init__(self, memory_limit: int):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PROJECT_ROOT,
                                                                       os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.sandbox.worker", str(memory_limit)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True,
            start_new_session=True,  # its own process group: a kill takes anything it could have started
        )
        self.served = 0
        try:  # the worker's start (imports, calendars) is not the first script's time
            ready = self._read(self.process.stdout.fileno(), 4 + len(wire.READY), time.monotonic() + STARTUP_SECONDS)
        except (TimeoutError, WorkerDied) as err:
            self.stop()
            raise WorkerDied(f"the sandbox worker did not start within {STARTUP_SECONDS:g} s") from err
        if ready[4:] != wire.READY:
            self.stop()
            raise WorkerDied("the sandbox worker did not start properly")

    def ask(self, payload: bytes, timeout: float) -> bytes:
        """Send one request and wait for its reply; ``TimeoutError`` after ``timeout`` seconds."""
        try:
            wire.write_frame(self.process.stdin.fileno(), payload)
        except (BrokenPipeError, OSError) as err:
            raise WorkerDied(str(err)) from err
        deadline = time.monotonic() + timeout
        replies = self.process.stdout.fileno()
        header = self._read(replies, 4, deadline)
        size = int.from_bytes(header, "big")
        if size > wire.MAX_MESSAGE_BYTES:
            raise WorkerDied("the reply is larger than the limit")
        self.served += 1
        return self._read(replies, size, deadline)

    @staticmethod
    def _read(fd: int, size: int, deadline: float) -> bytes:
        chunks, missing = [], size
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise WorkerDied("the worker process ended")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def stop(self) -> None:
        """Kill the process group and reap it; safe to call twice."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def forget(self) -> None:
        """After a fork: close this process's copies of the pipes without touching the parent's worker."""
        for stream in (self.process.stdin, self.process.stdout):
            try:
                os.close(stream.fileno())
            except OSError:
                pass


class SandboxPool:
    """Up to ``size`` worker processes, each limited to ``memory_limit`` bytes of address space beyond its start."""

    def __init__(self, *, size: int = 4, memory_limit: int = 128 * 2**20, grace: float = GRACE_SECONDS):
        self.size = size
        self.memory_limit = memory_limit
        self.grace = grace
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._changed = threading.Condition()
        self._idle: list[_Worker] = []
        self._alive = 0
        self.started = 0  # worker processes started, for tests and the health page
        self.killed = 0  # worker processes killed for overrunning their budget

    def run(self, request: wire.Request) -> Any:
        """The value (``eval``) or the variables (``exec``) the code left; raises what the code raised."""
        payload = wire.dumps(tuple(request))
        worker = self._checkout()
        healthy = False
        try:
            status, value = wire.loads(worker.ask(payload, request.time_limit + self.grace))
            # "retired": the worker answered, then exits (it ran out of memory and is not trusted any more)
            healthy = status != "retired" and worker.served < MAX_REQUESTS_PER_WORKER
        except TimeoutError:
            self.killed += 1
            raise SandboxViolation(f"time limit exceeded: the code ran longer than {request.time_limit:g} s "
                                   "and was stopped") from None
        except WorkerDied:
            raise SandboxViolation("the code exceeded the sandbox's memory or CPU limit and was stopped") from None
        finally:
            self._checkin(worker, healthy)
        if status == "ok":
            return value
        error = wire.ErrorReply(*value)
        raise_at_line(wire.rebuild_error(error), error.line)

    # --- workers in and out -------------------------------------------------------------------------------

    def _checkout(self) -> _Worker:
        if os.getpid() != self._pid:
            self._after_fork()
        with self._changed:
            while not self._idle and self._alive >= self.size:
                self._changed.wait()
            if self._idle:
                return self._idle.pop()
            self._alive += 1
        try:
            worker = _Worker(self.memory_limit)
        except BaseException:
            with self._changed:
                self._alive -= 1
                self._changed.notify()
            raise
        self.started += 1
        return worker

    def _checkin(self, worker: _Worker, healthy: bool) -> None:
        if not healthy or worker.process.poll() is not None:
            worker.stop()
            with self._changed:
                self._alive -= 1
                self._changed.notify()
            return
        with self._changed:
            self._idle.append(worker)
            self._changed.notify()

    def _after_fork(self) -> None:
        for worker in self._idle:
            worker.forget()
        self._reset()

    def warm(self) -> None:
        """Start one worker now (in the background), so the first script does not wait for it."""
        def start() -> None:
            worker = self._checkout()
            self._checkin(worker, True)

        threading.Thread(target=start, name="sandbox-warm", daemon=True).start()

    def close(self) -> None:
        with self._changed:
            idle, self._idle = self._idle, []
            self._alive -= len(idle)
        for worker in idle:
            worker.stop()


def raise_at_line(error: Exception, line: int) -> None:
    """Raise ``error`` from a frame of ``<string>`` at ``line``, where SpiffWorkflow looks for the line of the
    user's code that failed (it reads it off the traceback, as it does for its own engine)."""
    if line <= 0:
        raise error
    code = compile("\n" * (line - 1) + "raise error", "<string>", "exec")
    exec(code, {"__builtins__": {}, "error": error})  # noqa: S102 - our own one-line text, not user code


_POOL: SandboxPool | None = None
_POOL_LOCK = threading.Lock()


def shared_pool(*, size: int | None = None, memory_limit: int | None = None) -> SandboxPool:
    """The process's pool (one per process, whatever number of engine contexts it builds); ``size`` and
    ``memory_limit``, when given, apply from now on (to workers started from now on, for the memory)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = SandboxPool()
            atexit.register(_POOL.close)
        if size is not None:
            _POOL.size = size
        if memory_limit is not None:
            _POOL.memory_limit = memory_limit
        return _POOL

"""Work whose cost someone else decides, run in a child process the server can kill: an analyst's letter template
(nested loops, megabytes of output) and a PDF a visitor uploads to the verification page.

Why a process: Jinja's sandbox caps ``range`` but not two nested loops over it, and WeasyPrint's layout and pyHanko's
parsing loop in C and in libraries no deadline inside one Python process can interrupt. So the work runs in a child
forked from a ``multiprocessing`` fork server (started once, with WeasyPrint and pyHanko already imported, so a
child costs milliseconds, not an import), which limits itself before it starts — ``RLIMIT_CPU`` to the budget,
``RLIMIT_AS`` to what it uses plus the memory allowed — while the server waits at most the budget plus a short grace
for the answer and then kills it. A web worker thus loses at most the budget, never the thread or its memory.

The same approach as the script sandbox's pool (``engine.sandbox.pool``), whose workers only evaluate BPMN scripts.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

from engine.sandbox import limits

#: How long past its budget a child may take to answer before it is killed (pipes, scheduling on a busy host).
GRACE_SECONDS = 1.0
# The fork server imports these once; each child starts with them loaded (fork_warmup also lays out one letter).
_PRELOAD = ["engine.documents.letter_rendering", "engine.documents.signing.validation", "engine.documents.fork_warmup"]
_lock = threading.Lock()
_BARE_MAIN = types.ModuleType("__main__")
_context: Any = None
_FORK_HERE = multiprocessing.get_context("fork")


class Overrun(Exception):
    """The work went past its limit and was stopped: ``kind`` is ``"time"`` or ``"memory"``."""

    def __init__(self, kind: str, seconds: float, memory_bytes: int):
        self.kind, self.seconds, self.memory_bytes = kind, seconds, memory_bytes
        limit = f"{seconds:g} s" if kind == "time" else f"{memory_bytes // 2**20} MB"
        super().__init__(f"{kind} limit exceeded ({limit})")


class ChildFailed(Exception):
    """The child raised something that could not be sent back as it was; the message keeps its type and words."""


def _fork_server():
    global _context
    with _lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _context = context
        return _context


def call(function: Callable[..., Any], *args: Any, seconds: float, memory_bytes: int,
         here_if_alone: bool = False) -> Any:
    """``function(*args)`` computed in a bounded child: its result, or the exception it raised (re-raised here), or
    ``Overrun`` when it ran out of time or memory. ``function`` and its arguments must pickle (module-level).

    ``here_if_alone``: ``function`` needs nothing the fork server preloads, so a process running one thread — a
    command such as ``lincah deploy``, where forking is safe — forks the child from itself in milliseconds instead
    of starting the fork server, seconds of imports a command would pay for one child (a deploy's trial fill)."""
    context = _FORK_HERE if here_if_alone and threading.active_count() == 1 else _fork_server()
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(writer, function, args, seconds, memory_bytes), daemon=True)
    with _lock:
        # multiprocessing re-runs the parent's __main__ in every child (to find functions defined there); ours are
        # module-level elsewhere, and the server's __main__ is the `lincah` or gunicorn script, whose imports (the
        # whole web app) would cost a second per child. A bare __main__ while the child starts skips that.
        main, sys.modules["__main__"] = sys.modules["__main__"], _BARE_MAIN
        try:
            child.start()
        finally:
            sys.modules["__main__"] = main
    writer.close()
    try:
        if not reader.poll(seconds + GRACE_SECONDS):
            raise Overrun("time", seconds, memory_bytes)
        try:
            outcome, value = reader.recv()
        except EOFError:  # died without answering: the CPU limit's SIGXCPU, or killed by the kernel for memory
            child.join(GRACE_SECONDS)
            kind = "time" if child.exitcode in (-signal.SIGXCPU, -signal.SIGKILL) else "memory"
            raise Overrun(kind, seconds, memory_bytes) from None
    finally:
        reader.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "ok":
        return value
    if outcome == "memory":
        raise Overrun("memory", seconds, memory_bytes)
    raise value


def _child(writer, function, args, seconds: float, memory_bytes: int) -> None:
    _limit(seconds, memory_bytes)
    try:
        answer = ("ok", function(*args))
    except MemoryError:
        answer = ("memory", None)
    except BaseException as exc:  # noqa: BLE001 - whatever it raised goes back to the caller
        answer = ("error", exc)
    try:
        writer.send(answer)
    except MemoryError:
        writer.send(("memory", None))
    except Exception:  # noqa: BLE001 - an exception that does not pickle goes back as its type and message
        writer.send(("error", ChildFailed(f"{type(answer[1]).__name__}: {answer[1]}"[:500])))
    writer.close()


def _limit(seconds: float, memory_bytes: int) -> None:
    limits.limit_cpu(seconds)
    limits.limit_memory(memory_bytes)

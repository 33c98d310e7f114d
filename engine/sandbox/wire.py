"""What crosses the pipe between the server and a sandbox worker process: framed pickles of plain data.

Why pickle and not JSON: expressions legitimately return tuples and sets (``x in ('a', 'b')``, a multi-instance
collection), and task data must arrive with its types intact. Why that is safe: the server unpickles with
:class:`_PlainUnpickler`, which refuses every global, so a reply can only hold what pickle builds without one —
``None``, booleans, numbers, strings, bytes, lists, tuples, dicts, sets, frozensets — plus ``range`` and
``complex``, named below. A worker whose sandbox had been broken still could not make the server build an
object of its choosing.

Errors travel as :class:`ErrorReply` tuples (class name, arguments, line in the user's code) and are rebuilt on
the server side by :func:`rebuild_error` as the same built-in exception class, so SpiffWorkflow reports them
exactly as it reports errors of its own engine (type, message, line number).
"""

from __future__ import annotations

import builtins
import io
import os
import pickle
import struct
from typing import Any, NamedTuple

from engine.errors import SandboxViolation

_HEADER = struct.Struct("!I")
READY = b"ready"  # a new worker's first frame: started and warm (engine.sandbox.pool waits for it)
#: Largest message either side accepts: task data and results beyond this are refused, not shipped.
MAX_MESSAGE_BYTES = 256 * 2**20

_ALLOWED_GLOBALS = {("builtins", "range"): range, ("builtins", "complex"): complex}


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not plain data") from None


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(payload: bytes) -> Any:
    return _PlainUnpickler(io.BytesIO(payload)).load()


def frame(payload: bytes) -> bytes:
    if len(payload) > MAX_MESSAGE_BYTES:
        raise SandboxViolation(f"the data passed to or from a script is larger than {MAX_MESSAGE_BYTES // 2**20} "
                               "MiB; keep large files as attachments, not in task data")
    return _HEADER.pack(len(payload)) + payload


def write_frame(fd: int, payload: bytes) -> None:
    view = memoryview(frame(payload))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exact(fd: int, size: int) -> bytes:
    """``size`` bytes from a blocking descriptor; EOFError if the other side closed it first."""
    chunks, missing = [], size
    while missing:
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes:
    (size,) = _HEADER.unpack(read_exact(fd, _HEADER.size))
    if size > MAX_MESSAGE_BYTES:
        raise EOFError(f"a message of {size} bytes is larger than the limit")
    return read_exact(fd, size)


# --- requests and replies -----------------------------------------------------------------------------------


class Request(NamedTuple):
    mode: str  # "eval" (an expression's value) or "exec" (a script's variables afterwards)
    source: str
    variables: dict[str, Any]
    time_limit: float
    # For the date helpers (dates.py): the engine's clock as ISO text, the default time zone and the offices'
    # calendars file (None: every office keeps the default calendar).
    now: str | None = None
    timezone: str = "Asia/Makassar"
    calendars: str | None = None


class ErrorReply(NamedTuple):
    kind: str  # the exception's class name: a built-in exception or "SandboxViolation"
    args: tuple[Any, ...]
    line: int  # line of the user's code where it was raised; 0 if unknown


def describe_error(err: BaseException, line: int) -> ErrorReply:
    kind = "SandboxViolation" if isinstance(err, SandboxViolation) else type(err).__name__
    args = (err.message,) if isinstance(err, SandboxViolation) else err.args
    try:
        loads(dumps(args))
    except Exception:  # noqa: BLE001 - arguments that are not plain data travel as their text
        args = tuple(str(arg) for arg in args)
    return ErrorReply(kind, args, line)


def rebuild_error(reply: ErrorReply) -> Exception:
    """The exception the worker raised, as an instance of the same class (built-in exceptions only)."""
    if reply.kind == "SandboxViolation":
        return SandboxViolation(*reply.args)
    kind = getattr(builtins, reply.kind, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(*reply.args)
        except Exception:  # noqa: BLE001 - a class whose constructor wants other arguments
            pass
    return RuntimeError(f"{reply.kind}: {', '.join(str(arg) for arg in reply.args)}")

"""A sandbox worker process: reads requests from stdin, runs them under the sandbox, writes replies to stdout.

Started by :mod:`.pool` as ``python -m engine.sandbox.worker MEMORY_BYTES``. The guards of the sandbox still
apply inside (RestrictedPython's policy, the deadline checks, the size checks); what the process adds are limits
no built-in can outrun, because the kernel enforces them:

* address space: ``RLIMIT_AS`` is set once at start to what the process uses then plus ``MEMORY_BYTES``; an
  allocation past it fails with ``MemoryError`` (reported, then the worker exits so the next request gets a
  fresh one) or kills the process;
* CPU: before each request ``RLIMIT_CPU`` is set to the CPU time used so far plus the request's budget and one
  second, so a worker whose server went away cannot spin forever (the server itself kills a worker that
  overruns the wall-clock budget, see :class:`.pool.SandboxPool`).

Nothing here talks to the database or the network; the process inherits no descriptors but its pipes.
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.errors import SandboxViolation
from engine.sandbox import dates, spiff_helpers, wire
from engine.sandbox.execution import describe, run, script_variables
from engine.sandbox.guards import BUILTINS
from engine.sandbox.limits import limit_cpu, limit_memory
from engine.sandbox.policy import code_for
from engine.sla.office_calendars import OfficeCalendars

MEMORY_EXHAUSTED = "memory limit exceeded: the code needed more memory than a script may use"


def _line_of(err: BaseException) -> int:
    """The line of the user's code (compiled as ``<string>``) where ``err`` was raised, 0 if none."""
    lines = [frame.lineno for frame in traceback.extract_tb(err.__traceback__) if frame.filename == "<string>"]
    return lines[-1] if lines and lines[-1] else 0


def _plain_result(value: Any) -> bytes:
    """The reply for an expression's value, refused unless it is plain data the server will accept."""
    try:
        payload = wire.dumps(("ok", value))
        wire.loads(payload)
    except Exception:  # noqa: BLE001 - whatever pickle made of it, the server would refuse it
        raise SandboxViolation(f"the expression gives a {describe(value)}, which cannot leave the sandbox; an "
                               "expression must give data (a number, text, a list, a dict, True/False)") from None
    return payload


_CALENDARS: dict[tuple[str | None, str], OfficeCalendars] = {}


def _builtins(request: wire.Request) -> dict[str, Any]:
    """The guarded builtins plus the date helpers, bound to this request's clock and the application's office, and
    the spiff-arena helpers that read only the file's own data."""
    spiff = spiff_helpers.helpers(request.variables)
    if request.now is None:
        return {**BUILTINS, **spiff}
    key = (request.calendars, request.timezone)
    if key not in _CALENDARS:
        _CALENDARS[key] = OfficeCalendars(Path(request.calendars) if request.calendars else None, request.timezone)
    application = request.variables.get("application")
    office = application.get("jurisdiction") if isinstance(application, dict) else None
    found = dates.helpers(datetime.fromisoformat(request.now), request.timezone, _CALENDARS[key].working, office)
    return {**BUILTINS, **found, **spiff}


def serve(request: wire.Request) -> bytes:
    """The reply to one request: ``("ok", value)`` or ``("error", ErrorReply)``."""
    try:
        code = code_for(request.source, request.mode)
        scope = dict(request.variables)
        value = run(code, scope, request.time_limit, _builtins(request))
        if request.mode == "exec":
            return wire.dumps(("ok", script_variables(scope)))
        return _plain_result(value)
    except MemoryError:
        raise
    except Exception as err:  # noqa: BLE001 - every failure of user code goes back to the server
        return wire.dumps(("error", tuple(wire.describe_error(err, _line_of(err)))))


def _warm_calendars() -> None:
    """The holidays library works out its first year of Indonesian holidays slowly (a third of a second, seconds
    on a busy machine) and quickly ever after, for every office and year: pay that while the worker starts, not
    inside the time limit of the first script that adds working days."""
    try:
        calendars = _CALENDARS.setdefault((None, "Asia/Makassar"), OfficeCalendars(None, "Asia/Makassar"))
        for offset in range(7):  # a weekday among them: a weekend day asks the holidays nothing
            calendars.working(None).is_working_day(date.today() + timedelta(days=offset))
    except Exception:  # noqa: BLE001 - a warm-up only: the scripts that need the calendar will say what is wrong
        pass


def main() -> None:
    memory = int(sys.argv[1]) if len(sys.argv) > 1 else 256 * 2**20
    requests, replies = sys.stdin.fileno(), os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print can never corrupt a reply
    _warm_calendars()
    # Started and warm: the server times each script from here on (engine.sandbox.pool waits for this first).
    wire.write_frame(replies, wire.READY)
    limit_memory(memory)
    while True:
        try:
            request = wire.Request(*wire.loads(wire.read_frame(requests)))
        except EOFError:
            return  # the server closed the pipe: it is done with this worker
        limit_cpu(request.time_limit)
        try:
            reply = serve(request)
        except MemoryError:
            reply = None
        if reply is None:
            error = wire.ErrorReply("SandboxViolation", (MEMORY_EXHAUSTED,), 0)
            wire.write_frame(replies, wire.dumps(("retired", tuple(error))))
            return  # a process that ran out of memory is not trusted with the next request
        wire.write_frame(replies, reply)


if __name__ == "__main__":
    main()

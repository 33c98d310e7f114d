"""The clock hook SpiffWorkflow lacks.

The library's timer events call ``datetime.now(timezone.utc)`` directly. Its timer module's ``datetime`` is replaced
by a subclass whose ``now`` asks the clock of the engine operation in progress (a context variable), so BPMN timers
follow the same injectable clock as everything else: tests move time instead of sleeping, and the scheduler decides
what "due" means.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_current_clock: contextvars.ContextVar = contextvars.ContextVar("lincah_clock", default=None)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        clock = _current_clock.get()
        if clock is None:
            return datetime.now(tz)
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.astimezone(UTC).replace(tzinfo=None)


_spiff_timer.datetime = _ClockedDatetime


@contextmanager
def use_clock(clock):
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)

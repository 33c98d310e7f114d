"""Python's cycle collector held off around work that allocates many short-lived objects at once.

An SLA burst (thousands of breaches: claimed rows, notices, audit events) allocates tens of thousands of acyclic
objects, which set off collections of the whole heap: 70–160 ms of a 400–700 ms burst of 2,000 breaches in the
breach actions, and 20–25 ms in the claims that return the rows, profiled at 100,000 open tasks. Reference counting
frees them all the same; a cycle made meanwhile waits for the next collection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the block; switched back on only by whoever switched it off, so blocks nest."""
    switched_off = gc.isenabled()
    if switched_off:
        gc.disable()
    try:
        yield
    finally:
        if switched_off:
            gc.enable()

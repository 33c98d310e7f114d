"""Limits and the per-evaluation budget (deadline, allocated bytes) every guard charges."""

from __future__ import annotations

import math
import sys
import time
from contextvars import ContextVar
from typing import Any, NoReturn

from engine.errors import SandboxViolation

MAX_INT_DIGITS = 10_000
MAX_ITEMS = 1_000_000  # characters of a string, items of a list/tuple/dict/set, numbers in a range
MAX_FORMAT_WIDTH = 1_000
MAX_ALLOCATED_BYTES = 64 * 2**20
MAX_DATA_DEPTH = 100

MAX_INT_BITS = math.ceil(MAX_INT_DIGITS * math.log2(10))
_LARGE_RESULT = 64 * 1024  # smaller results are not counted; the deadline bounds how many can be made
SIZED = (str, bytes, list, tuple, dict, set, frozenset)
SEQUENCES = (str, bytes, list, tuple)


# --- the per-evaluation budget ------------------------------------------------------------------------------


class Budget:
    """Deadline and allocation count of one evaluation; remembers the first refusal."""

    __slots__ = ("allocated", "deadline", "time_limit", "violation")

    def __init__(self, time_limit: float):
        self.time_limit = time_limit
        self.deadline = time.monotonic() + time_limit
        self.allocated = 0
        self.violation: str | None = None

    def refuse(self, message: str) -> NoReturn:
        if self.violation is None:
            self.violation = message
        raise SandboxViolation(message)

    def tick(self) -> None:
        if self.violation is not None:
            raise SandboxViolation(self.violation)
        if time.monotonic() > self.deadline:
            self.refuse(f"time limit exceeded: the code ran longer than {self.time_limit:g} s")

    def charge(self, nbytes: int) -> None:
        self.allocated += nbytes
        if self.allocated > MAX_ALLOCATED_BYTES:
            mib = MAX_ALLOCATED_BYTES // 2**20
            self.refuse(f"memory limit exceeded: the code built more than {mib} MiB of data")


CURRENT_BUDGET: ContextVar[Budget | None] = ContextVar("lincah_sandbox_budget", default=None)


def current_budget() -> Budget:
    budget = CURRENT_BUDGET.get()
    if budget is None:
        raise SandboxViolation("sandboxed code can only run inside the script engine")
    return budget


def refuse(message: str) -> NoReturn:
    current_budget().refuse(message)


def admit(value: Any, size_before: int = 0) -> Any:
    """Refuse a result that is too big; count large ones (only the growth, for in-place changes)."""
    if type(value) is int:
        if value.bit_length() > MAX_INT_BITS:
            refuse(f"integers are limited to {MAX_INT_DIGITS:,} digits")
    elif isinstance(value, SIZED):
        if len(value) > MAX_ITEMS:
            refuse(f"a {type(value).__name__} would have {len(value):,} items; the limit is {MAX_ITEMS:,}")
    else:
        return value
    grown = sys.getsizeof(value) - size_before
    if grown >= _LARGE_RESULT:
        current_budget().charge(grown)
    return value

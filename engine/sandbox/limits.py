"""The kernel's hard limits on a child process: CPU seconds from now and address space beyond what it already uses.

Set inside the process they bound (a sandbox worker, a letter being rendered): the kernel stops the work itself —
SIGXCPU past the CPU limit, MemoryError past the address space — so nothing the bounded code does can outrun them.
"""

from __future__ import annotations

import math
import resource


def address_space() -> int:
    """This process's virtual memory size in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def limit_memory(extra_bytes: int) -> None:
    """Allow ``extra_bytes`` of address space beyond what the process holds now."""
    used = address_space()
    if used:
        resource.setrlimit(resource.RLIMIT_AS, (used + extra_bytes, used + extra_bytes))


def limit_cpu(seconds: float) -> None:
    """Allow ``seconds`` more CPU time (rounded up, plus one) than the process has used, never above the hard
    limit."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))

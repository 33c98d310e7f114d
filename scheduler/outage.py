"""One log line when the database stops answering, one when it answers again.

While the database is down, every run of every job fails the same way. Logged per run (and, for timers, per
application) that was ~1,500 tracebacks in 10 seconds — about a gigabyte of log per hour of outage, burying the
one line the person on call needs. Here the first failure is logged (what failed, since when, what to check), the
following ones only at debug level, and the first job that gets through again logs how long the outage lasted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("lincah.scheduler")


class OutageLog:
    """Tracks whether the scheduler's database is reachable, shared by all its jobs (they run in threads)."""

    def __init__(self, logger: logging.Logger = log, clock: Callable[[], float] = time.monotonic):
        self.log = logger
        self.clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failures = 0

    @property
    def in_outage(self) -> bool:
        return self._since is not None

    def failed(self, job: str, error: BaseException) -> None:
        """A job could not reach the database."""
        with self._lock:
            self._failures += 1
            if self._since is not None:
                self.log.debug("scheduler job %s: database still unavailable (%s)", job, _first_line(error))
                return
            self._since = self.clock()
        self.log.error("database unavailable, the scheduler's jobs (timers, SLA clock, e-mail) pause and retry on "
                       "their intervals; check that the database server is running and LINCAH_DATABASE_URL "
                       "(first failure: job %s, %s: %s)", job, type(error).__name__, _first_line(error))

    def succeeded(self, job: str) -> None:
        """A job used the database and finished."""
        with self._lock:
            if self._since is None:
                return
            lasted, failures = self.clock() - self._since, self._failures
            self._since, self._failures = None, 0
        self.log.warning("database available again after %.0f s (%d failed job run(s)); the scheduler's jobs resume, "
                         "starting with %s; what fell due meanwhile is handled now", lasted, failures, job)


def _first_line(error: BaseException) -> str:
    return str(error).strip().split("\n", 1)[0][:300]

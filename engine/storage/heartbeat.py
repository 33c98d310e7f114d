"""The scheduler's heartbeat: one row per (scheduler process, job) with when that job last finished a run.

``/api/v1/health`` and ``GET /metrics`` read it to say whether timers, SLA clocks and e-mail are being worked — by
``lincah scheduler`` processes or ``lincah serve``'s own — without asking any process directly: every scheduler
writes its rows to the one database, wherever it runs. A job counts as *late* when no scheduler finished it within
``LATE_AFTER`` of its interval (a run may wait for a busy database; three missed runs is a stopped scheduler).

Kept in its own module (imported by the package, so ``Base.metadata`` always holds it) to stay out of the way of
``models.py``, which many changes touch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.storage.models import Base

#: A job is late when its last run is older than this many of its intervals (plus a minute of slack).
LATE_AFTER = 3
SLACK_SECONDS = 60.0
#: Rows of processes gone this long are dropped (each start of a scheduler writes rows of its own).
FORGET_AFTER = timedelta(days=7)


class SchedulerHeartbeat(Base):
    """The last finished run of one job in one scheduler process."""

    __tablename__ = "scheduler_heartbeat"

    scheduler_id: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid:random, per process start
    job: Mapped[str] = mapped_column(String(50), primary_key=True)
    interval_seconds: Mapped[float] = mapped_column(Float)
    last_run_at: Mapped[datetime]


def beat(session: Session, scheduler_id: str, job: str, interval_seconds: float, at: datetime) -> None:
    """Record that ``job`` finished a run in ``scheduler_id`` at ``at`` (in the caller's transaction)."""
    changed = session.execute(update(SchedulerHeartbeat)
                              .where(SchedulerHeartbeat.scheduler_id == scheduler_id, SchedulerHeartbeat.job == job)
                              .values(last_run_at=at, interval_seconds=interval_seconds)).rowcount
    if not changed:
        session.add(SchedulerHeartbeat(scheduler_id=scheduler_id, job=job, interval_seconds=interval_seconds,
                                       last_run_at=at))
        session.flush()
        session.execute(delete(SchedulerHeartbeat).where(SchedulerHeartbeat.job == job,
                                                         SchedulerHeartbeat.last_run_at < at - FORGET_AFTER))


@dataclass(frozen=True)
class JobBeat:
    job: str
    age_seconds: float
    interval_seconds: float
    schedulers: int

    @property
    def late(self) -> bool:
        return self.age_seconds > LATE_AFTER * self.interval_seconds + SLACK_SECONDS


def latest(session: Session, now: datetime) -> list[JobBeat]:
    """Per job, the most recent run by any scheduler (and how many schedulers ever ran it), by job name."""
    rows = session.execute(select(SchedulerHeartbeat.job, func.max(SchedulerHeartbeat.last_run_at),
                                  func.min(SchedulerHeartbeat.interval_seconds), func.count())
                           .group_by(SchedulerHeartbeat.job).order_by(SchedulerHeartbeat.job)).all()
    return [JobBeat(job, max(0.0, (now - last).total_seconds()), interval, count)
            for job, last, interval, count in rows]

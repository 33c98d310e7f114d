"""Claiming rows for the periodic jobs without ever waiting for another transaction.

Every scheduler job selects its work with ``FOR NO KEY UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer at a
time and ignores the clause): a row another process — a second scheduler, or an officer's completion — holds is
skipped and picked up by a later run, so jobs never wait for anyone and cannot take part in a deadlock.

``NO KEY UPDATE`` rather than ``UPDATE``: inserting an audit event or a notification that references an application
takes a key-share lock on the application row (the foreign key check); a plain ``FOR UPDATE`` would block that and
let two schedulers deadlock on each other's events.

A job that changes an application's state (a timer firing, an automatic decision) first takes the application row
*and* all its open task rows this way: a completion in progress holds its task row, so the job steps aside instead
of locking the rows in the opposite order.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Instance, Task

OPEN_TASK_STATES = ("ready", "claimed")


def skip_locked(query):
    """``query`` locking the rows it returns, skipping rows locked elsewhere."""
    return query.with_for_update(skip_locked=True, key_share=True)


def try_lock_application(session: Session, instance_id: int) -> bool:
    """Lock the application and its open task rows for this transaction; False if any is held elsewhere."""
    if session.scalar(skip_locked(select(Instance.id).where(Instance.id == instance_id))) is None:
        return False
    open_rows = (Task.instance_id == instance_id, Task.state.in_(OPEN_TASK_STATES))
    locked = len(session.scalars(skip_locked(select(Task.id).where(*open_rows))).all())
    return locked == session.scalar(select(func.count(Task.id)).where(*open_rows))

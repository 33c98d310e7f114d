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

from sqlalchemy import Boolean, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from engine.storage.models import Instance, Task

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


class _AmongLocked(ColumnElement):
    """``column IN (query)``, which PostgreSQL gets as ``column = ANY(ARRAY(query))``."""

    type = Boolean()
    _is_implicitly_boolean = True  # a condition as it is, not "… = 1" where booleans are integers (SQLite)
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("query", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, query):
        self.column = column
        self.query = query.correlate(None).scalar_subquery()


@compiles(_AmongLocked)
def _among_locked(element, compiler, **kw):
    return f"{compiler.process(element.column, **kw)} IN {compiler.process(element.query, **kw)}"


@compiles(_AmongLocked, "postgresql")
def _among_locked_postgresql(element, compiler, **kw):
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY{compiler.process(element.query, **kw)})"


def among_locked(column, query):
    """A condition for an UPDATE: ``column`` is one of the values ``query`` (a :func:`skip_locked` SELECT of the same
    table) locks. The rows are chosen, locked and changed in one statement and one round trip; no id travels to the
    client and back.

    Written ``= ANY(ARRAY(…))`` on PostgreSQL: the ids are collected first (an init plan) and the rows then fetched
    by primary key, whereas ``IN (SELECT …)`` may be planned as a hash join over the whole table — O(open tasks)
    instead of O(rows that change).
    """
    return _AmongLocked(column, query)

"""The SQL behind a worker's calls: locking a fetch's rows, loading a task with its application, closing it.

A worker's round trip (fetch and lock, then complete) was about 11 ms of server CPU on PostgreSQL, and less than a
tenth of it was the workflow: the ORM loading whole rows one by one (the client, the external task, its
application, the applicant's e-mail) and flushing attribute changes cost more than the engine's step. The
statements here run through ``engine.storage.sql.Prepared`` (compiled once, straight on the driver's cursor):

- **fetch**: one ``SELECT … FOR NO KEY UPDATE SKIP LOCKED`` of the fetchable rows (two workers never get the same
  row; SQLite has one writer at a time), then one ``UPDATE`` per row queued in the caller's batch, so on PostgreSQL
  the locks and their audit events reach the database in one round trip;
- **load**: the task, its application and the application's definition (but its large texts) and the applicant's
  address in one statement, attached to the session as ORM objects the step goes on with;
- **close**: ``UPDATE … WHERE state = 'open' AND worker_id = :worker`` queued with the step's writes; a row that
  changed meanwhile (a lost race) raises the caller's ``Conflict`` when the count comes back.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.casework.external_outbox import DONE, OPEN
from engine.messaging import notifications
from engine.storage import definition_rows
from engine.storage.locks import skip_locked
from engine.storage.models import ExternalTask, Instance, ServiceDefinition, User
from engine.storage.sql import Prepared, attach, set_loaded

_TASKS, _INSTANCES, _DEFINITIONS, _USERS = (ExternalTask.__table__, Instance.__table__, ServiceDefinition.__table__,
                                            User.__table__)
# What a fetch hands on: every column but the error details (up to 100 KB that no answer of a fetch carries).
_FETCHED = tuple(column for column in _TASKS.columns if column.key != "error_details")
FetchedTask = namedtuple("FetchedTask", [column.key for column in _FETCHED])


@functools.lru_cache(maxsize=64)
def _fetchable(jurisdictions: int, by_business_key: bool, by_priority: bool) -> Prepared:
    """The SELECT of a fetch, one per shape: offices are ``= :b_j0 OR …`` (a prepared statement takes no lists)."""
    conditions = [_TASKS.c.topic == bindparam("b_topic"), _TASKS.c.state == OPEN,
                  _TASKS.c.available_at <= bindparam("b_now")]
    if by_business_key:
        conditions.append(_TASKS.c.business_key == bindparam("b_business_key"))
    if jurisdictions:
        conditions.append(or_(*(_TASKS.c.jurisdiction == bindparam(f"b_j{n}") for n in range(jurisdictions))))
    order = (_TASKS.c.priority.desc(),) if by_priority else ()
    return Prepared(skip_locked(select(*_FETCHED).where(*conditions)
                                .order_by(*order, _TASKS.c.available_at, _TASKS.c.id).limit(bindparam("b_limit"))))


_LOCK = Prepared(update(_TASKS).where(_TASKS.c.id == bindparam("b_id")),
                 columns=("worker_id", "client", "lock_expires_at", "available_at"))


def lock_fetchable(session: Session, topic: str, now: datetime, limit: int, *, worker_id: str, client: str,
                   until: datetime, business_key: str | None, jurisdictions: frozenset[str],
                   by_priority: bool) -> list[FetchedTask]:
    """Lock up to ``limit`` fetchable rows of ``topic`` for ``worker_id`` until ``until``; the rows as locked, in
    fetch order (priority first when ``by_priority``, then the longest waiting)."""
    offices = sorted(jurisdictions)
    values = {"b_topic": topic, "b_now": now, "b_limit": limit, **{f"b_j{n}": j for n, j in enumerate(offices)}}
    if business_key is not None:
        values["b_business_key"] = business_key
    found = _fetchable(len(offices), business_key is not None, by_priority).rows(session, values)
    rows = [FetchedTask(*row)._replace(worker_id=worker_id, client=client, lock_expires_at=until,
                                       available_at=until) for row in found]
    if rows:
        _LOCK.write(session, [{"b_id": row.id, "worker_id": worker_id, "client": client, "lock_expires_at": until,
                               "available_at": until} for row in rows])
        for row in rows:  # an ORM copy this session already holds would still show the row unlocked
            held = session.identity_map.get(session.identity_key(ExternalTask, row.id))
            if held is not None:
                session.expire(held)
    return rows


# An application as a step needs it: its row, its definition's changing columns (the rest: definition_rows), the
# applicant's address.
_INSTANCE_KEYS = [c.key for c in _INSTANCES.columns]
APPLICATION_COLUMNS = (*_INSTANCES.columns, *definition_rows.COLUMNS, _USERS.c.email)


def with_application(table):
    """``table`` joined to its application (``table.c.instance_id``), the definition and the applicant's account."""
    return (table.join(_INSTANCES, _INSTANCES.c.id == table.c.instance_id)
            .join(_DEFINITIONS, _DEFINITIONS.c.id == _INSTANCES.c.definition_id)
            .outerjoin(_USERS, _USERS.c.username == _INSTANCES.c.applicant))


def attach_application(session: Session, values: tuple) -> Instance:
    """The application read with ``APPLICATION_COLUMNS`` (``values``, in that order) as the ORM object the session
    holds — the one it already holds, if any (it may carry unflushed changes) — with its definition; the
    applicant's address is remembered for the step's notifications."""
    width = len(_INSTANCE_KEYS)
    columns = dict(zip(_INSTANCE_KEYS, values[:width], strict=True))
    instance = session.identity_map.get(session.identity_key(Instance, columns["id"]))
    if instance is None:
        instance = attach(session, Instance, columns)
    definition = definition_rows.attach_definition(session, values[width:width + len(definition_rows.COLUMNS)])
    if "definition" not in instance.__dict__:
        set_committed_value(instance, "definition", definition)
    notifications.remember_email(session, instance.applicant, values[-1])
    return instance


_TASK_KEYS = [c.key for c in _TASKS.columns]
_LOAD = Prepared(select(*_TASKS.columns, *APPLICATION_COLUMNS).select_from(with_application(_TASKS))
                 .where(_TASKS.c.id == bindparam("b_id")))


def load(session: Session, task_id: str) -> tuple[ExternalTask, Instance] | None:
    """The external task ``task_id`` and its application, or None. Objects this session already holds stay the
    ones it holds (they may carry unflushed changes). The caller keeps the application: the session holds unchanged
    objects only weakly, and ``session.get(Instance, …)`` asks the database again for one nobody references."""
    held = session.identity_map.get(session.identity_key(ExternalTask, task_id))
    if held is not None:
        return held, session.get(Instance, held.instance_id)
    rows = _LOAD.rows(session, {"b_id": task_id})
    if not rows:
        return None
    columns = dict(zip(_TASK_KEYS, rows[0][:len(_TASK_KEYS)], strict=True))
    row = attach(session, ExternalTask, columns)
    return row, attach_application(session, rows[0][len(_TASK_KEYS):])


_CLOSE = Prepared(update(_TASKS).where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.state == OPEN,
                                       _TASKS.c.worker_id == bindparam("b_worker")),
                  columns=("state", "ended_at", "lock_expires_at"))


def close(session: Session, row: ExternalTask, worker_id: str, now: datetime, conflict: Exception) -> None:
    """Mark ``row`` done if it is still open and still ``worker_id``'s (as part of the open batch); ``conflict`` is
    raised when it was not."""
    _CLOSE.write(session, {"b_id": row.id, "b_worker": worker_id, "state": DONE, "ended_at": now,
                           "lock_expires_at": None}, expect=1, conflict=conflict)
    set_loaded(row, {"state": DONE, "ended_at": now, "lock_expires_at": None})

"""The ``external_task`` table as the outbox of a step: work a diagram hands to a program outside.

A step that leaves a service task (or send task, or message throw) with ``camunda:type="external"`` waiting for
the host writes its row in the same transaction as the state, so a worker can fetch it exactly when the step
committed; a row whose task the process took away (a boundary timer, a cancellation) is closed ``cancelled`` in the
same way. Completing a row is a step of its own (``engine.integration.external_tasks``).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.bpmn.external import PRIORITY, external_topic
from engine.memo import per_diagram
from engine.storage import audit
from engine.storage.models import ExternalTask, Instance
from engine.storage.sql import InsertRows, Prepared
from engine.workflow.runtime import TaskState, all_tasks

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

OPEN, DONE, INCIDENT, CANCELLED = "open", "done", "incident", "cancelled"
PENDING = (OPEN, INCIDENT)  # rows whose task still waits in the workflow

_OPEN_ROWS = select(ExternalTask.id, ExternalTask.task_id).where(
    ExternalTask.instance_id == bindparam("b_instance_id"), ExternalTask.state.in_(PENDING))


def waiting_external_tasks(workflow) -> dict:
    """The workflow's tasks waiting for a worker outside, by id (as text)."""
    return {str(task.id): task for task in all_tasks(workflow)
            if task.state == TaskState.STARTED and external_topic(task.task_spec) is not None}


@per_diagram
def _has_external_elements(workflow) -> bool:
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    return any(external_topic(spec) is not None for process in specs for spec in process.task_specs.values())


def waiting_before(workflow) -> frozenset[str] | None:
    """The ids of the tasks waiting for a worker as the step begins (None when the diagram has no external
    elements): ``sync`` then knows what the step changed without reading the application's rows back."""
    if not _has_external_elements(workflow):
        return None
    return frozenset(waiting_external_tasks(workflow))


def sync(session: Session, ctx: EngineContext, instance: Instance, workflow, *,
         before: frozenset[str] | None = None) -> None:
    """Write a row for every external task the step left waiting; cancel rows whose task no longer waits.

    With ``before`` (``waiting_before`` of the workflow as loaded) the rows are not read: the tasks that stopped
    waiting are cancelled and the new ones inserted by writes queued with the step's others, so on PostgreSQL
    they cost no round trip of their own. The writes stay safe if the rows and the state ever disagreed: the
    cancel touches only rows still pending, and a task that has a row already keeps it (``task_id`` is unique).
    Without ``before`` (a version migration rebuilt the workflow), the open rows are read and compared.
    """
    if not _has_external_elements(workflow):
        return  # the diagram has none: nothing to look up on the hot path of every step
    waiting = waiting_external_tasks(workflow)
    now = ctx.now()
    if before is not None:
        gone, new = before - waiting.keys(), waiting.keys() - before
        if gone:
            _CANCEL.write(session, [{"b_instance": instance.id, "b_task": task_id, "b_pending": OPEN,
                                     "b_incident": INCIDENT, **_cancelled(now)} for task_id in sorted(gone)])
    else:
        rows = {task_id: row_id for row_id, task_id in session.execute(_OPEN_ROWS, {"b_instance_id": instance.id})}
        gone_rows = [row_id for task_id, row_id in rows.items() if task_id not in waiting]
        if gone_rows:
            session.execute(update(ExternalTask).where(ExternalTask.id.in_(gone_rows)).values(**_cancelled(now)))
        new = waiting.keys() - rows.keys()
    if new:
        _INSERT.write(session, [_new_row(instance, waiting[task_id], now) for task_id in sorted(new)])


def _cancelled(now) -> dict:
    return {"state": CANCELLED, "ended_at": now, "worker_id": None, "lock_expires_at": None}


_TABLE = ExternalTask.__table__
_CANCEL = Prepared(update(_TABLE).where(_TABLE.c.instance_id == bindparam("b_instance"),
                                        _TABLE.c.task_id == bindparam("b_task"),
                                        _TABLE.c.state.in_([bindparam("b_pending"), bindparam("b_incident")])),
                   columns=tuple(_cancelled(None)))


def reopen_incidents(session: Session, ctx: EngineContext, instance: Instance, *, actor: str, note: str = ""
                     ) -> list[ExternalTask]:
    """Send the application's incidents back to the workers with one retry each (resuming the application is
    retrying what stopped it); the rows reopened, each audited as ``incident_retried``."""
    rows = list(session.scalars(select(ExternalTask).where(ExternalTask.instance_id == instance.id,
                                                           ExternalTask.state == INCIDENT)))
    now = ctx.now()
    for row in rows:
        row.state, row.retries, row.available_at = OPEN, 1, now
        row.worker_id = row.lock_expires_at = row.retry_at = None
        audit.record(session, "incident_retried", actor=actor, at=now, instance_id=instance.id, task_id=row.task_id,
                     element_id=row.element_id, external_task=row.id, retries=1, failed=row.error_message,
                     note=note, via="resume")
    return rows


def _new_row(instance: Instance, spiff_task, now) -> dict:
    spec = spiff_task.task_spec
    return dict(
        id=str(uuid.uuid4()), instance_id=instance.id, definition_id=instance.definition_id,
        service_key=instance.service_key, task_id=str(spiff_task.id), element_id=spec.bpmn_id,
        element_name=spec.bpmn_name or "", topic=external_topic(spec), business_key=instance.registration_no,
        jurisdiction=instance.jurisdiction, variables=dict(spiff_task.data),
        priority=_priority(spec.extensions.get(PRIORITY)), state=OPEN, available_at=now, worker_id=None, client=None,
        lock_expires_at=None, retries=None, retry_at=None, error_message=None, error_details=None, created_at=now,
        ended_at=None)


# Every column, so the INSERT is prepared once; a task that has a row already keeps it.
_INSERT = InsertRows(_TABLE, tuple(column.key for column in _TABLE.columns), skip_duplicates_of="task_id")


def _priority(value: str | None) -> int:
    try:
        return int(value) if value else 0
    except ValueError:  # an expression (${…}): Lincah gives it the default priority
        return 0

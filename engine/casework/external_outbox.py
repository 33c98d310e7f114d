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
from engine.storage import audit
from engine.storage.models import ExternalTask, Instance
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


def _has_external_elements(workflow) -> bool:
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    return any(external_topic(spec) is not None for process in specs for spec in process.task_specs.values())


def sync(session: Session, ctx: EngineContext, instance: Instance, workflow) -> None:
    """Write a row for every external task the step left waiting; cancel rows whose task no longer waits."""
    if not _has_external_elements(workflow):
        return  # the diagram has none: nothing to look up on the hot path of every step
    waiting = waiting_external_tasks(workflow)
    rows = {task_id: row_id for row_id, task_id in session.execute(_OPEN_ROWS, {"b_instance_id": instance.id})}
    now = ctx.now()
    gone = [row_id for task_id, row_id in rows.items() if task_id not in waiting]
    if gone:
        session.execute(update(ExternalTask).where(ExternalTask.id.in_(gone))
                        .values(state=CANCELLED, ended_at=now, worker_id=None, lock_expires_at=None))
    for task_id, spiff_task in waiting.items():
        if task_id not in rows:
            session.add(_new_row(instance, spiff_task, now))


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


def _new_row(instance: Instance, spiff_task, now) -> ExternalTask:
    spec = spiff_task.task_spec
    return ExternalTask(
        id=str(uuid.uuid4()), instance_id=instance.id, definition_id=instance.definition_id,
        service_key=instance.service_key, task_id=str(spiff_task.id), element_id=spec.bpmn_id,
        element_name=spec.bpmn_name or "", topic=external_topic(spec), business_key=instance.registration_no,
        jurisdiction=instance.jurisdiction, variables=dict(spiff_task.data),
        priority=_priority(spec.extensions.get(PRIORITY)), state=OPEN, available_at=now, created_at=now)


def _priority(value: str | None) -> int:
    try:
        return int(value) if value else 0
    except ValueError:  # an expression (${…}): Lincah gives it the default priority
        return 0

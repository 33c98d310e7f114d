"""External tasks as Camunda 7 runs them: fetch and lock, complete, fail, throw a BPMN error, extend, unlock.

The rows are written by the step that reached the element (``engine.casework.external_outbox``). A worker locks
rows of its client's topics with ``FOR UPDATE SKIP LOCKED`` (two workers never get the same row; SQLite has one
writer at a time), for ``lockDuration``; a lock that runs out makes the row fetchable again, by anyone. Only the
worker holding the lock may complete it, and completing is a step like a person's: the variables checked against
what the element declares, the workflow advanced under the optimistic lock, the row closed only if still open and
still this worker's, audited — one transaction, exactly once. A failure counts the retries down; at 0 the row is an
**incident**: the application is flagged at that element, its supervisors (or the administrators) told, until a
person retries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn.external import variables_schema
from engine.casework.applications import get as get_application
from engine.casework.applications import may_resume
from engine.casework.external_outbox import CANCELLED, DONE, INCIDENT, OPEN
from engine.casework.step import ERROR, RUNNING, Step, advancing, flag_error
from engine.errors import Conflict, Forbidden, InvalidData, InvalidInput, NotFound, ProcessError
from engine.forms import schemas
from engine.integration import external_rows
from engine.integration import variables as typed
from engine.integration.clients import Caller
from engine.integration.external_rows import FetchedTask
from engine.people.access import Actor
from engine.services import definitions
from engine.storage import audit, sql
from engine.storage.models import ExternalTask, Instance, ServiceDefinition
from engine.workflow import runtime
from engine.workflow.timeshift import use_clock

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

MAX_TASKS = 100  # per fetch: a worker asking for more gets this many
MAX_LOCK = timedelta(days=7)


class WrongWorker(InvalidInput):
    """The task is not locked by the worker that acts on it (Camunda answers 400 ``BadUserRequestException``)."""

    code = "wrong_worker"


@dataclass(frozen=True)
class TopicRequest:
    """One entry of a fetch's ``topics``."""

    name: str
    lock_duration_ms: int
    variables: list[str] | None = None
    local_variables: bool = False
    business_key: str | None = None


@dataclass(frozen=True)
class Locked:
    """A task a fetch locked (its row as locked, read-only), with the process variables its worker may see."""

    row: FetchedTask
    variables: dict


def _duration(ms, what: str) -> timedelta:
    if not isinstance(ms, int | float) or isinstance(ms, bool) or ms <= 0:
        raise InvalidInput(f"{what} must be a positive number of milliseconds.", {what: "A positive number."})
    return min(timedelta(milliseconds=ms), MAX_LOCK)


def _require_worker_id(worker_id) -> str:
    if not isinstance(worker_id, str) or not worker_id.strip() or len(worker_id) > 200:
        raise InvalidInput("workerId is required: a text of at most 200 characters naming the worker.",
                           {"workerId": "Required."})
    return worker_id


def fetch_and_lock(session: Session, ctx: EngineContext, caller: Caller, worker_id: str, max_tasks: int,
                   topics: list[TopicRequest], *, use_priority: bool = False) -> list[Locked]:
    """Lock up to ``max_tasks`` fetchable tasks of ``topics`` for ``worker_id``; ``Forbidden`` naming any topic the
    client may not fetch (and nothing locked)."""
    _require_worker_id(worker_id)
    refused = sorted({topic.name for topic in topics if topic.name not in caller.topics})
    if refused:
        raise Forbidden(f"API client {caller.name!r} may not fetch the topics {', '.join(refused)}; "
                        "an administrator grants topics with 'lincah clients'.")
    now = ctx.now()
    found: list[Locked] = []
    with sql.batch(session):  # the locks and their audit events go to the database together
        for topic in topics:
            remaining = min(max_tasks, MAX_TASKS) - len(found)
            if remaining <= 0:
                break
            until = now + _duration(topic.lock_duration_ms, "lockDuration")
            rows = external_rows.lock_fetchable(session, topic.name, now, remaining, worker_id=worker_id,
                                                client=caller.name, until=until, business_key=topic.business_key,
                                                jurisdictions=caller.jurisdictions, by_priority=use_priority)
            found += [Locked(row, _shown(session, ctx, row, topic)) for row in rows]
        if found:
            audit.record_all(session, *(
                audit.entry("external_task_locked", actor=caller.actor, at=now, instance_id=item.row.instance_id,
                            task_id=item.row.task_id, element_id=item.row.element_id, external_task=item.row.id,
                            topic=item.row.topic, worker=worker_id, until=item.row.lock_expires_at.isoformat())
                for item in found))
    return found


def spec_of(session: Session, ctx: EngineContext, row: ExternalTask | FetchedTask):
    """The task spec of the row's element, from the definition's (cached) spec."""
    spec, subprocess_specs = ctx.codec.load_spec(
        row.definition_id, lambda: session.get(ServiceDefinition, row.definition_id).spec_json)
    for process in (spec, *subprocess_specs.values()):
        found = process.task_specs.get(row.element_id)
        if found is not None:
            return found
    return None


def _shown(session: Session, ctx: EngineContext, row: FetchedTask, topic: TopicRequest) -> dict:
    return typed.shown(spec_of(session, ctx, row), row.variables or {}, topic.variables,
                       local_only=topic.local_variables)


def _visible(session: Session, caller: Caller, task_id: str) -> tuple[ExternalTask, Instance]:
    """The client's task ``task_id`` (of one of its topics and offices, not finished) and its application. Others
    do not exist for it."""
    found = external_rows.load(session, str(task_id))
    row = found[0] if found else None
    if row is None or row.topic not in caller.topics or not caller.covers(row.jurisdiction) \
            or row.state in (DONE, CANCELLED):
        raise NotFound(f"External task with id {task_id} does not exist")
    return found


def _own(session: Session, caller: Caller, task_id: str, worker_id: str, doing: str
         ) -> tuple[ExternalTask, Instance]:
    """The task and its application, if ``worker_id`` holds its lock; ``WrongWorker`` otherwise."""
    _require_worker_id(worker_id)
    row, instance = _visible(session, caller, task_id)
    if row.state == INCIDENT:
        raise WrongWorker(f"External task {row.id} has an incident; a person must retry it before it can be "
                          f"{doing}.")
    if row.worker_id != worker_id or row.client != caller.name:
        holder = f"It is locked by worker '{row.worker_id}'." if row.worker_id else "It is not locked."
        raise WrongWorker(f"External Task {row.id} cannot be {doing} by worker '{worker_id}'. {holder}")
    return row, instance


def _running(instance: Instance) -> Instance:
    if instance.status != RUNNING:
        raise InvalidInput(f"Application {instance.registration_no} is {instance.status}; its external tasks "
                           "wait until an administrator or supervisor deals with it.")
    return instance


def _waiting(step: Step, row: ExternalTask):
    """The workflow's task behind the row, still waiting for its worker."""
    try:
        spiff_task = step.workflow.get_task_from_id(UUID(row.task_id))
    except Exception as exc:  # noqa: BLE001 - the row points at a task the state no longer has
        raise Conflict(f"External task {row.id} is no longer part of the application.") from exc
    if spiff_task.state != runtime.TaskState.STARTED:
        raise Conflict(f"External task {row.id} no longer waits for a worker.")
    # The task table mirrors the ready human tasks, so these are the application's open rows: with none (the usual
    # case of a file waiting for a program) finishing the step need not look them up.
    step.others_open = set(runtime.ready_human_ids(step.workflow))
    return spiff_task


def _accepted(session: Session, row: ExternalTask, spec, values: dict) -> dict:
    """The process variables the worker's ``values`` set: checked like form data against the element's
    ``variablesSchema`` form when it declares one (undeclared fields refused by name), else mapped by its output
    parameters (``engine.integration.variables.accepted``)."""
    form_key = variables_schema(spec)
    if form_key is None:
        return typed.accepted(spec, values)
    definition = session.get(ServiceDefinition, row.definition_id)
    form = definitions.form_of(session, definition, form_key)
    if form is None:  # deployed before variablesSchema was snapshotted: nothing to check against, so nothing taken
        raise InvalidData(f"Step {row.element_id!r} declares its variables with the form {form_key!r}, which this "
                          "version of the service does not hold. Deploy the service again with the form.",
                          {name: "No form to check it against." for name in values})
    schemas.validate(form.schema, values, what=f"variables of step {row.element_id!r}")
    return dict(values)


def _close(session: Session, ctx: EngineContext, row: ExternalTask, worker_id: str) -> None:
    """Mark the row done if it is still open and still this worker's; ``Conflict`` after a lost race."""
    external_rows.close(session, row, worker_id, ctx.now(),
                        Conflict(f"External task {row.id} was completed or unlocked at the same moment."))


def complete(session: Session, ctx: EngineContext, caller: Caller, task_id: str, worker_id: str,
             variables=None, local_variables=None) -> None:
    """Complete the task with the worker's variables and run the application to its next wait, in one step."""
    row, instance = _own(session, caller, task_id, worker_id, "completed")
    _running(instance)
    values = {**typed.plain(variables), **typed.plain(local_variables, field="localVariables")}
    with advancing(session, ctx, instance, actor=caller.actor) as step:
        spiff_task = _waiting(step, row)
        data = _accepted(session, row, spiff_task.task_spec, values)
        spiff_task.data.update(data)
        try:
            with use_clock(ctx.clock):
                spiff_task.complete()
        except SpiffWorkflowException as exc:
            raise ProcessError(str(exc), element_id=row.element_id) from exc
        step.run()
        with sql.batch(session):  # the audit event and the closed row go with the step's writes
            audit.record(session, "external_task_completed", actor=caller.actor, at=ctx.now(),
                         instance_id=instance.id, task_id=row.task_id, element_id=row.element_id,
                         external_task=row.id, topic=row.topic, worker=worker_id, data=data)
            _close(session, ctx, row, worker_id)
            if step.external_before is not None:  # closed just now: the outbox need not cancel it as gone
                step.external_before = step.external_before - {row.task_id}
            step.finish()


def handle_bpmn_error(session: Session, ctx: EngineContext, caller: Caller, task_id: str, worker_id: str,
                      error_code: str, error_message: str | None = None, variables=None) -> None:
    """Throw the BPMN error ``error_code`` on the task: an error boundary event on the element that catches the
    code (or any code) takes the application on from there. Caught by none, the task becomes an incident."""
    if not isinstance(error_code, str) or not error_code:
        raise InvalidInput("errorCode is required.", {"errorCode": "Required."})
    row, instance = _own(session, caller, task_id, worker_id, "failed with a BPMN error")
    _running(instance)
    values = typed.plain(variables)
    with advancing(session, ctx, instance, actor=caller.actor) as step:
        spiff_task = _waiting(step, row)
        data = _accepted(session, row, spiff_task.task_spec, values)
        spiff_task.data.update(data)
        pending = len(step.workflow.bpmn_events)
        with use_clock(ctx.clock):
            ErrorEventDefinition(error_code, code=error_code).throw(spiff_task)
        # A thrown event no task catches ends up among the workflow's events for the outside world.
        caught = len(step.workflow.bpmn_events) == pending
        if caught:
            step.run()
            audit.record(session, "external_task_bpmn_error", actor=caller.actor, at=ctx.now(),
                         instance_id=instance.id, task_id=row.task_id, element_id=row.element_id,
                         external_task=row.id, topic=row.topic, worker=worker_id, error_code=error_code,
                         error_message=error_message, data=data)
            _close(session, ctx, row, worker_id)
            step.finish()
    if not caught:  # the workflow is left as stored: the error goes nowhere, a person decides
        row.error_message = f"BPMN error {error_code!r}" + (f": {error_message}" if error_message else "")
        row.error_details = f"No error boundary event on {row.element_id!r} catches the error code {error_code!r}."
        row.retries = 0
        _incident(session, ctx, row, actor=caller.actor)


def handle_failure(session: Session, ctx: EngineContext, caller: Caller, task_id: str, worker_id: str, *,
                   error_message: str | None = None, error_details: str | None = None, retries=None,
                   retry_timeout_ms=None, told: bool = False) -> None:
    """Record a worker's failure. With ``retries`` left the task is fetchable again after ``retry_timeout_ms``;
    at 0 (or none given, as in Camunda) it becomes an incident (``told``: its people had a notice that says more
    than "stopped" already)."""
    row, instance = _own(session, caller, task_id, worker_id, "failed")  # the application, held for an incident
    if retries is not None and (not isinstance(retries, int) or isinstance(retries, bool) or retries < 0):
        raise InvalidInput("retries must be a whole number, 0 or more.", {"retries": "0 or more."})
    now = ctx.now()
    row.error_message = None if error_message is None else str(error_message)[:4000]
    row.error_details = None if error_details is None else str(error_details)[:100_000]
    row.retries = retries or 0
    audit.record(session, "external_task_failed", actor=caller.actor, at=now, instance_id=row.instance_id,
                 task_id=row.task_id, element_id=row.element_id, external_task=row.id, topic=row.topic,
                 worker=worker_id, retries=row.retries, error_message=row.error_message)
    if row.retries > 0:
        delay = _duration(retry_timeout_ms, "retryTimeout") if retry_timeout_ms else timedelta(0)
        row.lock_expires_at, row.retry_at = None, now + delay
        row.available_at = row.retry_at
    else:
        _incident(session, ctx, row, actor=caller.actor, tell=not told)


def _incident(session: Session, ctx: EngineContext, row: ExternalTask, *, actor: str, tell: bool = True) -> None:
    """The task stops: no worker fetches it, the application is flagged at its element and the people who can act
    are told (in the app and by e-mail)."""
    row.state, row.lock_expires_at = INCIDENT, None
    instance = session.get(Instance, row.instance_id)
    audit.record(session, "incident", actor=actor, at=ctx.now(), instance_id=instance.id, task_id=row.task_id,
                 element_id=row.element_id, external_task=row.id, topic=row.topic, error_message=row.error_message)
    message = f"External task {row.topic!r} failed and has no retries left: {row.error_message or 'no message'}"
    flag_error(session, ctx, instance, ProcessError(message, element_id=row.element_id), actor=actor, tell=tell)


def extend_lock(session: Session, ctx: EngineContext, caller: Caller, task_id: str, worker_id: str,
                new_duration_ms) -> None:
    row, _ = _own(session, caller, task_id, worker_id, "extended")
    now = ctx.now()
    if row.lock_expires_at is None or row.lock_expires_at <= now:
        raise WrongWorker(f"Cannot extend a lock that expired: external task {row.id} may be fetched by another "
                          "worker now. Fetch it again.")
    row.lock_expires_at = row.available_at = now + _duration(new_duration_ms, "newDuration")
    audit.record(session, "external_task_lock_extended", actor=caller.actor, at=now, instance_id=row.instance_id,
                 external_task=row.id, worker=worker_id, until=row.lock_expires_at.isoformat())


def unlock(session: Session, ctx: EngineContext, caller: Caller, task_id: str) -> None:
    row, _ = _visible(session, caller, task_id)
    if row.state != OPEN:
        raise WrongWorker(f"External task {row.id} has an incident; a person must retry it.")
    now = ctx.now()
    row.worker_id = row.lock_expires_at = None
    row.available_at = max(now, row.retry_at) if row.retry_at else now
    audit.record(session, "external_task_unlocked", actor=caller.actor, at=now, instance_id=row.instance_id,
                 external_task=row.id)


def get(session: Session, caller: Caller, task_id: str) -> ExternalTask:
    return _visible(session, caller, task_id)[0]


def query(session: Session, caller: Caller, *, topic: str | None = None, worker_id: str | None = None,
          locked: bool | None = None, instance_id: int | None = None, element_id: str | None = None,
          with_retries_left: bool | None = None, now=None, first: int = 0, limit: int = 100) -> list[ExternalTask]:
    """The client's unfinished tasks, oldest first, filtered as Camunda's ``GET /external-task`` is."""
    topics = sorted(caller.topics if topic is None else caller.topics & {topic})
    conditions = [ExternalTask.topic.in_(topics), ExternalTask.state.in_((OPEN, INCIDENT))]
    if caller.jurisdictions:
        conditions.append(ExternalTask.jurisdiction.in_(sorted(caller.jurisdictions)))
    if worker_id is not None:
        conditions.append(ExternalTask.worker_id == worker_id)
    if locked is True:
        conditions.append(ExternalTask.lock_expires_at > now)
    elif locked is False:
        conditions.append((ExternalTask.lock_expires_at.is_(None)) | (ExternalTask.lock_expires_at <= now))
    if instance_id is not None:
        conditions.append(ExternalTask.instance_id == instance_id)
    if element_id is not None:
        conditions.append(ExternalTask.element_id == element_id)
    if with_retries_left is True:
        conditions.append(ExternalTask.state == OPEN)
    elif with_retries_left is False:
        conditions.append(ExternalTask.state == INCIDENT)
    return list(session.scalars(select(ExternalTask).where(*conditions)
                                .order_by(ExternalTask.created_at, ExternalTask.id).offset(first).limit(limit)))


# --- incidents, for people ----------------------------------------------------------------------------------------

def incidents(session: Session, instance_id: int) -> list[ExternalTask]:
    """The application's external tasks that stopped (no retries left, or a BPMN error nothing catches)."""
    return list(session.scalars(select(ExternalTask).where(ExternalTask.instance_id == instance_id,
                                                           ExternalTask.state == INCIDENT)
                                .order_by(ExternalTask.created_at)))


def retry_incident(session: Session, ctx: EngineContext, instance_id: int, external_task_id: str, actor: Actor, *,
                   retries: int = 1, note: str = "") -> ExternalTask:
    """A supervisor of the office or an administrator sends the task back to the workers with ``retries``; the
    application runs again once none of its incidents is left."""
    instance = get_application(session, instance_id, actor)
    if not may_resume(actor, instance):
        raise Forbidden("Only an administrator or a supervisor of the office can retry an incident.")
    if not isinstance(retries, int) or isinstance(retries, bool) or not 1 <= retries <= 100:
        raise InvalidInput("retries must be a whole number from 1 to 100.", {"retries": "1 to 100."})
    row = session.get(ExternalTask, str(external_task_id))
    if row is None or row.instance_id != instance.id:
        raise NotFound(f"Application {instance.registration_no} has no external task {external_task_id}.")
    if row.state != INCIDENT:
        raise Conflict(f"External task {row.id} has no incident (it is {row.state}).")
    now = ctx.now()
    row.state, row.retries, row.available_at = OPEN, retries, now
    row.worker_id = row.lock_expires_at = row.retry_at = None
    audit.record(session, "incident_retried", actor=actor.username, at=now, instance_id=instance.id,
                 task_id=row.task_id, element_id=row.element_id, external_task=row.id, retries=retries,
                 failed=row.error_message, note=note)
    session.flush()
    left = session.scalar(select(func.count(ExternalTask.id)).where(ExternalTask.instance_id == instance.id,
                                                                    ExternalTask.state == INCIDENT))
    if not left and instance.status == ERROR:
        runtime.bump_revision(session, instance, status=RUNNING, error_element=None, error_message=None,
                              updated_at=now)
    return row

"""Running a workflow one step at a time against the database: load, run, save under optimistic locking.

A step never half-writes: the new state is saved only if the engine reached its next wait without error, with
``UPDATE … WHERE revision = :seen``; a lost race raises ``Conflict`` and the caller's transaction rolls back.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine.errors import Conflict, LincahError, ProcessError
from engine.storage import sql
from engine.storage.models import Instance, ServiceDefinition
from engine.workflow import compaction, state_log  # noqa: F401 - state_log: Spiff's state log built only when written
from engine.workflow.serialization import SERIALIZER_VERSION
from engine.workflow.timeshift import use_clock

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext


def new_workflow(ctx: EngineContext, definition: ServiceDefinition) -> BpmnWorkflow:
    spec, subprocess_specs = ctx.codec.load_spec(definition.id, lambda: definition.spec_json)
    return BpmnWorkflow(spec, subprocess_specs, script_engine=ctx.script_engine)


def load(ctx: EngineContext, instance: Instance, *, to_step: bool = False) -> BpmnWorkflow:
    """The application's workflow as stored. ``to_step``: the caller runs it and saves it (or gives up on it), so
    the workflow its last step in this process saved may be handed over instead of restoring the text again."""
    if instance.serializer_version != SERIALIZER_VERSION:
        raise LincahError(f"Application {instance.registration_no} was saved by serializer "
                          f"{instance.serializer_version}; this server reads {SERIALIZER_VERSION}. "
                          "Upgrade deliberately.")
    if to_step:
        live = ctx.live.take(instance.id, instance.state)
        if live is not None:
            return live
    spec, subprocess_specs = ctx.codec.load_spec(instance.definition_id, lambda: instance.definition.spec_json)
    return ctx.codec.load_state(instance.state, spec, subprocess_specs, ctx.script_engine)


def run(ctx: EngineContext, workflow: BpmnWorkflow, *, refresh_timers: bool = False) -> None:
    """Run the engine to its next wait; translate any failure into ``ProcessError`` with the element id."""
    try:
        with use_clock(ctx.clock):
            if refresh_timers:
                workflow.refresh_timers()
            workflow.do_engine_steps()
    except LincahError as exc:
        raise ProcessError(exc.message, element_id=_failed_element(workflow)) from exc
    except SpiffWorkflowException as exc:
        raise ProcessError(_spiff_message(exc), element_id=_element_of(exc) or _failed_element(workflow)) from exc
    except Exception as exc:  # noqa: BLE001 - any library crash is a process error, never a 500 with a traceback
        raise ProcessError(f"{type(exc).__name__}: {exc}", element_id=_failed_element(workflow)) from exc
    if any(task.state == TaskState.ERROR for task in all_tasks(workflow)):
        failed = _failed_element(workflow)
        raise ProcessError(f"step {failed!r} failed", element_id=failed)


def complete_task(ctx: EngineContext, workflow: BpmnWorkflow, task_id, data: dict) -> None:
    task = workflow.get_task_from_id(task_id)
    task.data.update(data)
    try:
        with use_clock(ctx.clock):
            task.run()
    except SpiffWorkflowException as exc:
        raise ProcessError(_spiff_message(exc), element_id=task.task_spec.bpmn_id) from exc
    run(ctx, workflow)


def _spiff_message(exc) -> str:
    """The library's message, completed with the underlying reason (a sandbox refusal, a Python error)."""
    message = (getattr(exc, "error_msg", None) or str(exc)).split("\n")[0].strip()
    inner = getattr(exc, "exception", None) or exc.__context__
    if isinstance(inner, LincahError):
        reason = inner.message
    elif inner is not None and not isinstance(inner, SpiffWorkflowException):
        reason = f"{type(inner).__name__}: {inner}"
    else:
        return message
    return message if reason in message else f"{message.rstrip('. ')}: {reason}"


def _element_of(exc) -> str | None:
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None)
    return getattr(spec, "bpmn_id", None)


def _failed_element(workflow: BpmnWorkflow) -> str | None:
    errored = workflow.get_tasks(state=TaskState.ERROR)
    return errored[0].task_spec.bpmn_id if errored else None


def save(session: Session, ctx: EngineContext, instance: Instance, workflow: BpmnWorkflow, **changes) -> None:
    """Write the new state if nobody else did since we loaded it."""
    seen = instance.revision
    if ctx.settings.compact_history:  # the finished tasks of earlier passes through a loop leave the state
        compaction.compact(workflow)
    values = dict(state=ctx.codec.dump_state(workflow), serializer_version=SERIALIZER_VERSION, revision=seen + 1,
                  next_timer_at=next_timer_at(workflow), updated_at=ctx.now(), **changes)
    _update_if_unchanged(session, instance, seen, values)
    ctx.live.keep(instance.id, values["state"], workflow)


# The start data's own facts of an application (registration number, sequence, year, office), under this name;
# scripts use application["seq"] and friends (e.g. to number the permit), a test run fills it in too.
APPLICATION_FIELD = "application"
_INSTANCES = Instance.__table__
_UNCHANGED = (("id", "b_id"), ("revision", "b_seen"))  # UPDATE … WHERE id = :b_id AND revision = :b_seen


def _update_if_unchanged(session: Session, instance: Instance, seen: int, values: dict) -> None:
    conflict = Conflict(f"Application {instance.registration_no} was changed by someone else at the same moment. "
                        "Reload it and try again.")
    sql.update_row(session, _INSTANCES, _UNCHANGED, {"b_id": instance.id, "b_seen": seen, **values}, expect=1,
                   conflict=conflict)
    # Mirror the new values on the loaded object without marking it dirty (no second UPDATE at flush).
    sql.set_loaded(instance, values)


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    """Earliest due time of any waiting timer, so the scheduler loads only instances that are due."""
    due = []
    for task in all_tasks(workflow):
        if not task.state & _WAITING_OR_READY:
            continue
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):  # a cycle timer: {'cycles', 'next', 'duration'}
            value = value.get("next") if value.get("cycles") != 0 else None
        when = _as_datetime(value)
        if when is not None:
            due.append(when)
    return min(due) if due else None


def _as_datetime(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else None
    return None


def ready_human_tasks(workflow: BpmnWorkflow) -> list:
    """The human tasks waiting for input, in the order of the task tree (the first one's data is "the" data)."""
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def ready_human_ids(workflow: BpmnWorkflow) -> dict:
    """The same tasks by id (as text), in no particular order: the hot path of every step needs only the set."""
    return {str(task.id): task for task in all_tasks(workflow)
            if task.state == TaskState.READY and task.task_spec.manual}


_WAITING_OR_READY = TaskState.WAITING | TaskState.READY


def all_tasks(workflow: BpmnWorkflow):
    """Every task of the workflow and of its subprocesses, unordered.

    A flat walk of the task maps: several times cheaper than walking the tree, which looks every child up by
    UUID. Each step asks three questions of the tree (failed? ready for a person? next timer?), so this matters.
    """
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


# In a task spec's extensions: this step ends its path (a message end event a worker outside does, engine.bpmn.external)
ENDS_PATH = "lincah:endEvent"


def _ends_path(spec) -> bool:
    return spec.__class__.__name__ == "EndEvent" or bool((getattr(spec, "extensions", None) or {}).get(ENDS_PATH))


def outcome(workflow: BpmnWorkflow) -> str | None:
    """Name of the end event the top-level process finished on (e.g. 'Izin penelitian terbit')."""
    if not workflow.is_completed():
        return None
    ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if _ends_path(t.task_spec) and t.workflow is workflow]
    if not ends:
        return None
    last = max(ends, key=lambda t: t.last_state_change)
    return last.task_spec.bpmn_name or last.task_spec.bpmn_id


def bump_revision(session: Session, instance: Instance, **changes) -> None:
    """Change an instance's columns (not its state) under the same optimistic lock as a step."""
    seen = instance.revision
    _update_if_unchanged(session, instance, seen, dict(revision=seen + 1, **changes))

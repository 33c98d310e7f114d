"""What an application waits for from outside, kept by every step; and delivering a message or signal into a workflow.

``sync`` runs in the step's finish, like the task projection: it writes a ``waiting_event`` row for each element
the workflow now waits at for a message or a signal (a catch event, a receive task, a boundary event, an
event-based gateway's branch, a start event) and deletes the rows of elements it left. It also takes the messages
and signals the step threw that no element of the same workflow caught: those are for other applications
(``engine.casework.correlation``).

``deliver`` hands one message or signal to one waiting element of a loaded workflow. SpiffWorkflow matches an
event to waiting tasks by its definition's class and name, and spreads the payload its own way (the Camunda
message class puts the whole payload into one variable, ``<element>_Response``); Lincah instead sets the
message's variables as process variables, as Camunda does, and chooses the one element that catches — the host
decides correlation, not the library.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessageEventDefinition
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from engine.casework import message_inputs
from engine.errors import ProcessError
from engine.memo import per_diagram
from engine.storage.models import Instance
from engine.storage.waiting_events import MESSAGE, SIGNAL, WaitingEvent
from engine.workflow.runtime import APPLICATION_FIELD, TaskState, all_tasks
from engine.workflow.timeshift import use_clock

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

_SCALARS = (str, int, float, bool)
_MAX_TEXT = 500  # a correlation value longer than this is not kept (a business key or a bill number is short)


@dataclass(frozen=True)
class Waiting:
    """One element of a workflow waiting for a message or a signal."""

    task: object  # the SpiffWorkflow task that catches (an event-based gateway's task for its branches)
    definition: object  # the event definition that matches (a gateway's branch's own)
    kind: str
    name: str
    element_id: str
    element_kind: str


@dataclass(frozen=True)
class Thrown:
    """A message or signal a step threw that its own workflow did not catch."""

    kind: str
    name: str
    payload: object
    element_id: str | None = None  # the element that threw it: where the sender is flagged when nobody waits


@dataclass(frozen=True)
class Delivery:
    """A thrown message or signal on its way to one waiting element of another application."""

    instance_id: int
    task_id: str
    kind: str
    name: str
    values: dict
    sender: str  # the registration number of the application that threw it


def _kind_of(definition) -> str | None:
    if isinstance(definition, MessageEventDefinition):
        return MESSAGE
    if isinstance(definition, SignalEventDefinition):
        return SIGNAL
    return None


def _element_kind(spec) -> str:
    name = type(spec).__name__
    if name == "BoundaryEvent":
        return "boundary" if spec.cancel_activity else "boundary_non_interrupting"
    return {"StartEvent": "start", "ReceiveTask": "receive", "EventBasedGateway": "gateway"}.get(name, "catch")


def waiting(workflow) -> list[Waiting]:
    """Every element of the workflow (and its subprocesses) that waits for a message or a signal now."""
    found = []
    for task in all_tasks(workflow):
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MultipleEventDefinition):  # an event-based gateway: one row per branch
            branches = dict(zip(map(id, definition.event_definitions), task.task_spec.outputs, strict=False))
            for item in definition.event_definitions:
                kind = _kind_of(item)
                if kind is not None:
                    branch = branches.get(id(item))
                    found.append(Waiting(task, item, kind, item.name, getattr(branch, "bpmn_id", None)
                                         or task.task_spec.bpmn_id, "gateway"))
            continue
        kind = _kind_of(definition)
        if kind is not None and definition.name:
            found.append(Waiting(task, definition, kind, definition.name, task.task_spec.bpmn_id,
                                 _element_kind(task.task_spec)))
    return found


@per_diagram
def has_catching_elements(workflow) -> bool:
    """Whether the diagram has any element that can wait for a message or signal (read from the specs)."""
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    for process in specs:
        for spec in process.task_specs.values():
            definition = getattr(spec, "event_definition", None)
            items = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
            if any(_kind_of(item) is not None for item in items) and not _throws(spec):
                return True
    return False


def _throws(spec) -> bool:
    return type(spec).__name__ in {"IntermediateThrowEvent", "EndEvent", "SendTask"}


def correlation_values(data: dict) -> dict:
    """The plain process variables a waiting row keeps for correlation keys."""
    return {name: value for name, value in data.items()
            if value is None or isinstance(value, _SCALARS) and not (isinstance(value, str) and len(value) > _MAX_TEXT)}


_ROWS = select(WaitingEvent.id, WaitingEvent.task_id, WaitingEvent.kind, WaitingEvent.name).where(
    WaitingEvent.instance_id == bindparam("b_instance_id"))


def sync(session: Session, ctx: EngineContext, instance: Instance, workflow) -> None:
    """Bring the application's ``waiting_event`` rows in line with the workflow."""
    if not has_catching_elements(workflow):
        return  # nothing in the diagram waits: no lookup on the hot path of every step
    now = ctx.now()
    alive = instance.status == "running" and not workflow.is_completed()
    current = {(str(w.task.id), w.kind, w.name): w for w in waiting(workflow)} if alive else {}
    rows = {(task_id, kind, name): row_id for row_id, task_id, kind, name in
            session.execute(_ROWS, {"b_instance_id": instance.id})}
    gone = [row_id for key, row_id in rows.items() if key not in current]
    if gone:
        session.execute(delete(WaitingEvent).where(WaitingEvent.id.in_(gone)))
    for key, item in current.items():
        if key not in rows:
            session.add(WaitingEvent(
                instance_id=instance.id, task_id=key[0], element_id=item.element_id, element_kind=item.element_kind,
                kind=item.kind, name=item.name, business_key=instance.registration_no,
                service_key=instance.service_key, jurisdiction=instance.jurisdiction,
                variables=correlation_values(item.task.data), created_at=now))


def take_thrown(workflow) -> list[Thrown]:
    """Messages and signals the workflow threw that none of its own elements caught (removed from the workflow, so
    the state never keeps them); other events (an uncaught error) stay where the library left them."""
    kept, thrown = [], []
    for event in workflow.bpmn_events:
        kind = _kind_of(event.event_definition)
        if kind is None:
            kept.append(event)
        else:
            thrown.append(Thrown(kind, event.event_definition.name, event.payload,
                                 _thrower(workflow, event.event_definition)))
    if thrown:
        workflow.bpmn_events = kept
    return thrown


def _thrower(workflow, definition) -> str | None:
    """The element that threw ``definition``: the library's event does not say, but a throwing element hands over
    its own event definition, so the completed throwing task holding that very object is the one (by name when
    a deserialization came between, the latest to finish)."""
    same_name = None
    for task in all_tasks(workflow):
        spec = task.task_spec
        if not _throws(spec) or task.state != TaskState.COMPLETED:
            continue
        own = getattr(spec, "event_definition", None)
        if own is definition:
            return spec.bpmn_id
        if _kind_of(own) == _kind_of(definition) and getattr(own, "name", None) == definition.name:
            if same_name is None or task.last_state_change > same_name.last_state_change:
                same_name = task
    return same_name.task_spec.bpmn_id if same_name is not None else None


def find(workflow, kind: str, name: str, task_id: str | None = None) -> list[Waiting]:
    """The workflow's elements waiting for ``name`` (only the task ``task_id``, when given)."""
    return [w for w in waiting(workflow)
            if w.kind == kind and w.name == name and (task_id is None or str(w.task.id) == task_id)]


def deliver(ctx: EngineContext, target: Waiting, values: dict) -> None:
    """The message or signal reaches ``target`` with ``values`` as process variables. The caller runs the workflow
    on afterwards (``Step.run``). ``ProcessError`` when the library refuses (an element that no longer waits)."""
    task, definition = target.task, target.definition
    if isinstance(definition, CamundaMessageEventDefinition):
        # This class writes payload['payload'] into the variable payload['result_var'] when the element runs: give
        # it one of the variables set anyway (or one the task already has), so it writes nothing of its own.
        key = next(iter(values), None) or next(iter(task.data), None) or "message"
        payload = {"payload": values[key] if key in values else task.data.get(key), "result_var": key}
    else:
        payload = dict(values)
    try:
        with use_clock(ctx.clock):
            task.task_spec.catch(task, BpmnEvent(definition, payload))
            task.task_spec._update(task)  # noqa: SLF001 - what the library's event manager does after a catch
    except Exception as exc:  # noqa: BLE001 - a library failure is the element's process error, never a 500
        raise ProcessError(f"{type(exc).__name__}: {exc}", element_id=target.element_id) from exc
    # Set after the catch: readying the task merges its parent's data over its own.
    task.data.update(values)


def candidates(session: Session, kind: str, name: str, *, business_key: str | None = None,
               jurisdictions: frozenset[str] | None = None, exclude: int | None = None) -> list[WaitingEvent]:
    """The rows of running applications waiting for ``name`` — by business key when given, in the offices
    ``jurisdictions`` when given (empty or None: every office) — oldest first. One indexed lookup."""
    query = (select(WaitingEvent).join(Instance, Instance.id == WaitingEvent.instance_id)
             .where(WaitingEvent.kind == kind, WaitingEvent.name == name, Instance.status == "running"))
    if business_key is not None:
        query = query.where(WaitingEvent.business_key == business_key)
    if jurisdictions:
        query = query.where(WaitingEvent.jurisdiction.in_(sorted(jurisdictions)))
    if exclude is not None:
        query = query.where(WaitingEvent.instance_id != exclude)
    return list(session.scalars(query.order_by(WaitingEvent.id)))


def matching(rows: list[WaitingEvent], correlation_keys: dict | None) -> list[WaitingEvent]:
    """The rows whose kept process variables equal every one of ``correlation_keys``."""
    if not correlation_keys:
        return rows
    return [row for row in rows if not differing_keys(row, correlation_keys)]


def differing_keys(row: WaitingEvent, correlation_keys: dict) -> list[str]:
    """The names of ``correlation_keys`` the row's kept process variables lack or hold another value for."""
    kept = row.variables or {}
    return [name for name, value in correlation_keys.items() if name not in kept or kept[name] != value]


# A message another application threw, answered by one that throws back, and so on: bounded, never a loop.
MAX_DEPTH = 8
_DEPTH: ContextVar[int] = ContextVar("lincah_message_depth", default=0)


@contextmanager
def nested() -> Iterator[None]:
    """Count one level of a delivery that may throw again."""
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        yield
    finally:
        _DEPTH.reset(token)


def _variables_of(payload) -> dict:
    if isinstance(payload, dict) and set(payload) == {"payload", "result_var"}:  # the Camunda class's shape
        inner = payload["payload"]
        return dict(inner) if isinstance(inner, dict) else {payload["result_var"]: inner}
    return dict(payload) if isinstance(payload, dict) else {}


def receivers_of(session: Session, instance: Instance, thrown: list[Thrown]) -> list[Delivery]:
    """Where the messages and signals ``instance``'s step threw go: a message to the one application waiting for it
    (the one whose registration number its ``businessKey`` variable names, when it has one); a signal to every
    application waiting for it. ``ProcessError`` — the throwing step fails — when a message finds no receiver or
    several, or the messages go round in circles."""
    if not thrown:
        return []
    if _DEPTH.get() >= MAX_DEPTH:
        raise ProcessError(f"Messages between applications went {MAX_DEPTH} deep without stopping; "
                           "check the diagrams for two applications answering each other for ever.")
    found = []
    for event in thrown:
        values = _variables_of(event.payload)
        values.pop(APPLICATION_FIELD, None)  # the sender's own facts are not the receiver's
        if event.kind == SIGNAL:
            rows = candidates(session, SIGNAL, event.name, exclude=instance.id)
        else:
            key = values.get("businessKey")
            rows = candidates(session, MESSAGE, event.name, business_key=key if isinstance(key, str) else None,
                              exclude=instance.id)
            if len(rows) != 1:
                which = "No application waits" if not rows else f"{len(rows)} applications wait"
                raise ProcessError(f"{which} for the message {event.name!r} this application sends"
                                   + (f" (businessKey {key!r})" if isinstance(key, str) else "")
                                   + ": a message goes to exactly one. Give it a businessKey variable naming the "
                                     "registration number of the application it is for.",
                                   element_id=event.element_id)
        for row in rows:
            accepted = message_inputs.accepted(session, _definition(session, row), row.element_id, row.kind,
                                               row.name, values, strict=False)
            found.append(Delivery(row.instance_id, row.task_id, row.kind, row.name, accepted,
                                  instance.registration_no))
    return found


def _definition(session: Session, row: WaitingEvent):
    return session.get(Instance, row.instance_id).definition

"""Messages and signals from outside, as Camunda 7 correlates them: ``POST /engine-rest/message`` and ``/signal``.

A message names its target by business key (the registration number) and/or correlation keys (process variables
the waiting element's task holds). The candidates are one indexed lookup in ``waiting_event``
(``engine.casework.waiting``); as in Camunda, waiting applications come first and, when none waits, the latest
published version of a service whose message start event waits for it starts a new application (only without a
business key: Lincah numbers a new file itself, so a business key always names an existing one). None, or several
without ``all``, is ``MismatchingMessageCorrelation`` and nothing changes. The message's variables are checked
against what the receiving element declares before anything moves; each delivery is a step (``advancing``) of its
application in the caller's transaction. A client correlates only the messages it was granted, in its offices, and
every correlation is audited — every refusal too: on the application it named (``engine.integration.refusals``),
or, when it reached none, in the administrators' log of unmatched messages. A message naming by business key a
running file that waits for no such message is also noted on that file's history (a payment for a stopped file).

A signal reaches every running application waiting for it and starts every service whose start event waits for it,
each in its own step: one that fails is flagged, the others still go. A refused signal is logged like a message.

A delivery can lose a race: between the lookup and the step, another step of the application took the wait (the
step finds nothing to deliver to, or its save finds a newer revision). The client's answer is what it was (400
"no longer waits", or Camunda's 500 ``OptimisticLockingException``), every delivery of the request is undone (a
savepoint), and the lost delivery is recorded on that application and in the administrators' log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from sqlalchemy.orm import Session

from engine.casework import applications, message_inputs, waiting
from engine.casework.step import Step, advancing
from engine.errors import Conflict, Forbidden, InvalidData, InvalidInput, LincahError, ProcessError, RecordedRefusal
from engine.integration import message_rows, refusals
from engine.integration import variables as typed
from engine.integration.clients import Caller
from engine.integration.message_rows import WaitingRow
from engine.people import offices
from engine.people.access import Actor
from engine.services import definitions, office_rule
from engine.storage import audit
from engine.storage.models import Instance, ServiceDefinition
from engine.storage.waiting_events import MESSAGE, SIGNAL, WaitingEvent
from engine.workflow import runtime

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

EXECUTION, PROCESS_DEFINITION = "Execution", "ProcessDefinition"


class MismatchingMessageCorrelation(InvalidInput):
    """No application or service waits for the message, or several do and ``all`` was not asked (Camunda answers
    400 ``RestException`` "Cannot correlate message …")."""

    code = "mismatching_message_correlation"


class ClosedApplication(MismatchingMessageCorrelation, RecordedRefusal):
    """The business key names an application that has ended: nothing will ever wait there again. The message is
    recorded on the application (``message_after_close``) so the office sees it — a payment to refund."""


class UnequalValue(InvalidData, RecordedRefusal):
    """A variable differs from the value the receiving element wants it equal to (a payment of the wrong amount):
    refused naming it, and recorded on the application (``message_refused``)."""


class RefusedData(InvalidData, RecordedRefusal):
    """Data the receiving element does not take (a payment of the wrong type, an undeclared variable), in a message
    naming one application: refused as ``InvalidData`` is, and recorded there for the office (``message_refused``)."""


CLOSED = ("completed", "cancelled")


@dataclass(frozen=True)
class Correlated:
    """Where a message went: a waiting application (``Execution``) or a new one (``ProcessDefinition``)."""

    result_type: str
    instance: Instance
    task_id: str | None  # the waiting element's task (Camunda's execution id); None for a start
    variables: dict  # the application's process variables after the step


@dataclass(frozen=True)
class _Start:
    definition: ServiceDefinition
    element_id: str


def _name(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 300:
        raise InvalidInput(f"{field} is required: the name of the {'message' if field != 'name' else 'signal'}, at "
                           "most 300 characters.", {field: "Required."})
    return value


def _start_events(session: Session, ctx: EngineContext, kind: str, name: str) -> list[_Start]:
    """The latest published versions whose top-level start event waits for ``name`` (one per service)."""
    wanted = MessageEventDefinition if kind == MESSAGE else SignalEventDefinition
    found = []
    for definition in definitions.published_services(session):
        spec, _ = ctx.codec.load_spec(definition.id, lambda d=definition: d.spec_json)
        for task_spec in spec.task_specs.values():
            event = getattr(task_spec, "event_definition", None)
            if type(task_spec).__name__ == "StartEvent" and isinstance(event, wanted) and event.name == name:
                found.append(_Start(definition, task_spec.bpmn_id))
                break
    return found


class _LostRace(Exception):
    """A delivery another step of the application beat to the wait (``refusal``: what the client is answered);
    carried up to where the request's deliveries are undone and the loss recorded. Never leaves this module."""

    def __init__(self, refusal: LincahError, row: WaitingEvent | WaitingRow, instance: tuple[int, str], values: dict):
        super().__init__(refusal.message)
        self.refusal, self.row, self.values = refusal, row, values
        self.instance_id, self.registration_no = instance


class _LostMismatch(MismatchingMessageCorrelation, RecordedRefusal):
    """The wait was gone when the step loaded the application: the same 400, with the loss's record kept."""


class _LostConflict(Conflict, RecordedRefusal):
    """Another step saved the application first: Camunda's ``OptimisticLockingException``, with the record kept."""


def _deliver(session: Session, ctx: EngineContext, row: WaitingEvent | WaitingRow, instance: Instance,
             values: dict, *, actor: str, audit_kind: str, extra: dict) -> Correlated:
    """One delivery to a waiting application: its step, in the caller's transaction. ``_LostRace`` when another
    step took the wait at the same moment."""
    named = (instance.id, instance.registration_no)  # read now: a rolled-back step may leave the object expired
    try:
        return _step_delivering(session, ctx, row, instance, values, actor=actor, audit_kind=audit_kind,
                                extra=extra)
    except _NoLongerWaiting as exc:
        raise _LostRace(exc, row, named, values) from exc
    except Conflict as exc:
        raise _LostRace(exc, row, named, values) from exc


class _NoLongerWaiting(MismatchingMessageCorrelation):
    """The step found no task waiting where the lookup saw one: another step took it."""


def _step_delivering(session: Session, ctx: EngineContext, row: WaitingEvent | WaitingRow, instance: Instance,
                     values: dict, *, actor: str, audit_kind: str, extra: dict) -> Correlated:
    with advancing(session, ctx, instance, actor=actor) as step:
        targets = waiting.find(step.workflow, row.kind, row.name, row.task_id)
        if not targets:  # the index is kept by every step, so only a concurrent step can have taken it away
            raise _NoLongerWaiting(f"Application {instance.registration_no} no longer waits for the "
                                   f"{row.kind} {row.name!r}.")
        # The task table mirrors the ready human tasks, so these are the application's open rows: with none (a
        # file waiting for a payment) finishing the step need not look them up.
        step.others_open = set(runtime.ready_human_ids(step.workflow))
        waiting.deliver(ctx, targets[0], values)
        audit.record(session, audit_kind, actor=actor, at=ctx.now(), instance_id=instance.id,
                     element_id=row.element_id, name=row.name, data=values, **extra)
        step.run()
        step.finish()
        data = _data_after(step)
    return Correlated(EXECUTION, instance, row.task_id, data)


def _data_after(step: Step) -> dict:
    workflow = step.workflow
    if workflow.is_completed():
        return dict(workflow.last_task.data) if workflow.last_task else {}
    ready = runtime.ready_human_tasks(workflow)
    if ready:
        return dict(ready[0].data)
    return dict(workflow.last_task.data) if workflow.last_task else {}


def _start(session: Session, ctx: EngineContext, start: _Start, kind: str, name: str, values: dict, *,
           actor: str, jurisdictions: frozenset[str], audit_kind: str, extra: dict) -> Correlated:
    """A new application of ``start.definition`` whose start event ``start.element_id`` caught the message."""
    definition = start.definition
    start_form = definitions.form_of(session, definition, definition.meta.get("start_form"))
    office = office_rule.office_of(definition.key, definition.meta.get("process"),
                                   start_form.schema if start_form else None, values,
                                   ctx.settings.default_jurisdiction)
    if jurisdictions and office not in jurisdictions:
        raise Forbidden(f"The {kind} {name!r} would start a {definition.key} application in the {office} office, "
                        "which this API client does not serve.")
    after: dict = {}

    def first_move(step: Step) -> None:
        for task in list(step.workflow.get_tasks()):  # only this start event starts the file
            if type(task.task_spec).__name__ == "StartEvent" and task.task_spec.bpmn_id != start.element_id:
                task.cancel()
        step.run()
        targets = [w for w in waiting.find(step.workflow, kind, name) if w.element_kind == "start"]
        if not targets:
            raise ProcessError(f"The start event {start.element_id!r} did not wait for the {kind} {name!r}.",
                               element_id=start.element_id)
        waiting.deliver(ctx, targets[0], values)
        step.run()
        after.update(_data_after(step))

    instance = applications.start(session, ctx, service=definition.key, data=values,
                                  actor=Actor.of(actor, full_name=actor), version=definition.version,
                                  first_move=first_move)
    audit.record(session, audit_kind, actor=actor, at=ctx.now(), instance_id=instance.id,
                 element_id=start.element_id, name=name, data=values, **extra)
    return Correlated(PROCESS_DEFINITION, instance, None, after)


def correlate(session: Session, ctx: EngineContext, caller: Caller, message_name, *, business_key=None,
              correlation_keys=None, local_correlation_keys=None, process_variables=None,
              process_variables_local=None, correlate_all: bool = False) -> list[Correlated]:
    """Deliver the message; return where it went. ``Forbidden`` for a message the client was not granted,
    ``MismatchingMessageCorrelation`` for none or several (without ``correlate_all``), ``InvalidData`` naming each
    variable a receiver does not take — in all three cases before anything changed, and recorded: on the
    application when one was named and it keeps the refusal (``RecordedRefusal``), else for the administrators
    (``refusals.record_unmatched``)."""
    try:
        plan = _checked(session, ctx, caller, message_name, business_key=business_key,
                        correlation_keys=correlation_keys, local_correlation_keys=local_correlation_keys,
                        process_variables=process_variables, process_variables_local=process_variables_local,
                        correlate_all=correlate_all)
    except LincahError as exc:
        if isinstance(exc, RecordedRefusal):
            raise
        refusals.record_unmatched(
            session, ctx, actor=caller.actor, client=caller.name, name=message_name, reason=exc.message,
            business_key=business_key, correlation_keys=correlation_keys,
            local_correlation_keys=local_correlation_keys,
            variables={**(process_variables if isinstance(process_variables, dict) else {}),
                       **(process_variables_local if isinstance(process_variables_local, dict) else {})},
            problems=exc.localized_details("en") if isinstance(exc.details, dict) else None)
        raise _kept(exc) from exc
    return _undone_if_lost(session, ctx, caller, MESSAGE, plan.name, lambda: _delivered(session, ctx, caller, plan),
                           business_key=business_key, correlation_keys=plan.extra["correlation_keys"])


def _undone_if_lost(session: Session, ctx: EngineContext, caller: Caller, kind: str, name: str, deliveries, *,
                    business_key=None, correlation_keys=None) -> list[Correlated]:
    """Run ``deliveries`` inside a savepoint: when one loses its race, all of them are undone (as the client's
    error always rolled them back), the loss is recorded on its application and for the administrators, and the
    client gets the error it got before — now a ``RecordedRefusal``, so the record is committed."""
    try:
        with session.begin_nested():
            session.connection()  # the SAVEPOINT goes out before the step's writes that bypass the ORM
            try:
                return deliveries()
            except (ProcessError, RecordedRefusal) as exc:  # what they recorded (a flagged file) is kept: the
                stopped = exc  # savepoint is released, and the request's own transaction commits it as before
        raise stopped
    except _LostRace as lost:
        refusals.record_lost_delivery(
            session, ctx, actor=caller.actor, client=caller.name, kind=kind, name=name,
            instance_id=lost.instance_id, registration_no=lost.registration_no, element_id=lost.row.element_id,
            reason=lost.refusal.message,
            variables=lost.values, business_key=business_key, correlation_keys=correlation_keys)
        kept = _LostConflict if isinstance(lost.refusal, Conflict) else _LostMismatch
        raise kept(lost.refusal.message, lost.refusal.details) from lost.refusal


def refused_request(session: Session, ctx: EngineContext, caller: Caller, kind: str, exc: LincahError) -> LincahError:
    """A ``/message`` or ``/signal`` request whose body could not be read at all: logged for the administrators
    like any refusal that reached no application; returns the error to raise (the same answer, record kept)."""
    if kind == MESSAGE:
        refusals.record_unmatched(session, ctx, actor=caller.actor, client=caller.name, name=None,
                                  reason=exc.message)
    else:
        refusals.record_signal(session, ctx, actor=caller.actor, client=caller.name, name=None, reason=exc.message)
    return _kept(exc)


class _UnmatchedMismatch(MismatchingMessageCorrelation, RecordedRefusal):
    """A mismatch kept for the administrators (``refusals.UNMATCHED``); the client's answer is the same 400."""


class _UnmatchedData(InvalidData, RecordedRefusal):
    """Variables no receiver takes, in a message naming no application or a signal: kept for the administrators."""


class _UnmatchedInput(InvalidInput, RecordedRefusal):
    """A malformed message or signal (its body, name, business key, a variable's type): kept for the
    administrators."""


class _UnmatchedForbidden(Forbidden, RecordedRefusal):
    """A message or signal the client was not granted, or for an office it does not serve: kept for the
    administrators."""


# Most specific first. Each is its refusal's class (so the answer and its status are the same) and a
# RecordedRefusal, so the request's transaction keeps the record although the request fails — nothing else was
# written yet: every refusal here comes before the first delivery.
_KEPT = ((MismatchingMessageCorrelation, _UnmatchedMismatch), (InvalidData, _UnmatchedData),
         (InvalidInput, _UnmatchedInput), (Forbidden, _UnmatchedForbidden))


def _kept(exc: LincahError) -> LincahError:
    kept = next((kept for plain, kept in _KEPT if isinstance(exc, plain)), None)
    return exc if kept is None else kept(exc.message, exc.details)


@dataclass
class _Plan:
    """A message checked against every receiver, nothing delivered yet."""

    name: str
    rows: list
    accepted: list[dict]
    starts: list[_Start]
    accepted_starts: list[dict]
    applications_of: dict
    extra: dict


def _checked(session: Session, ctx: EngineContext, caller: Caller, message_name, *, business_key,
             correlation_keys, local_correlation_keys, process_variables, process_variables_local,
             correlate_all: bool) -> _Plan:
    """Where the message would go and what each receiver takes of it; raises (changing nothing but a refusal's
    record) when it cannot go."""
    name = _name(message_name, "messageName")
    if name not in caller.messages:
        raise Forbidden(f"API client {caller.name!r} may not correlate the message {name!r}; an administrator grants "
                        "messages with 'lincah clients'.")
    if business_key is not None and not isinstance(business_key, str):
        raise InvalidInput("businessKey must be a text: the application's registration number.",
                           {"businessKey": "A text."})
    values = {**typed.plain(process_variables, field="processVariables"),
              **typed.plain(process_variables_local, field="processVariablesLocal")}
    keys = {**typed.plain(correlation_keys, field="correlationKeys"),
            **typed.plain(local_correlation_keys, field="localCorrelationKeys")}
    # Each waiting row with its application, held here: the session keeps unchanged objects only weakly.
    if business_key is not None:
        found = message_rows.waiting_by_business_key(session, MESSAGE, name, business_key, caller.jurisdictions)
    else:
        found = [(row, session.get(Instance, row.instance_id))
                 for row in waiting.candidates(session, MESSAGE, name, jurisdictions=caller.jurisdictions)]
    applications_of = {id(row): instance for row, instance in found}
    rows = waiting.matching([row for row, _ in found], keys)
    if not found and business_key is not None:
        _refuse_if_closed(session, ctx, caller, name, business_key, values)
        _note_if_not_waiting(session, ctx, caller, name, business_key, values)
    if found and not rows and business_key is not None:
        _note_keys_mismatch(session, ctx, caller, name, keys, found)
    starts = [] if rows and not correlate_all or business_key is not None else \
        _start_events(session, ctx, MESSAGE, name)
    _check_count(name, business_key, keys, rows, starts, correlate_all)
    # Every receiver's variables are checked before the first delivery: a refusal changes nothing.
    accepted = [_accepted_or_recorded(session, ctx, caller, applications_of[id(row)], row.element_id, name, values,
                                      recorded=business_key is not None) for row in rows]
    accepted_starts = [message_inputs.accepted(session, start.definition, start.element_id, MESSAGE, name, values)
                       for start in starts]
    for row in rows:
        _refuse_if_unequal(session, ctx, caller, applications_of[id(row)], row.element_id, name, values)
    extra = {"client": caller.name, "business_key": business_key, "correlation_keys": keys}
    return _Plan(name, rows, accepted, starts, accepted_starts, applications_of, extra)


def _delivered(session: Session, ctx: EngineContext, caller: Caller, plan: _Plan) -> list[Correlated]:
    alone = len(plan.rows) + len(plan.starts) == 1
    results = []
    for row, data in zip(plan.rows, plan.accepted, strict=True):
        results += _one(lambda row=row, data=data: _deliver(
            session, ctx, row, plan.applications_of[id(row)], data, actor=caller.actor,
            audit_kind="message_correlated", extra=plan.extra), alone=alone)
    for start, data in zip(plan.starts, plan.accepted_starts, strict=True):
        results += _one(lambda start=start, data=data: _start(
            session, ctx, start, MESSAGE, plan.name, data, actor=caller.actor, jurisdictions=caller.jurisdictions,
            audit_kind="message_correlated", extra=plan.extra), alone=alone)
    return results


def _refuse_if_closed(session: Session, ctx: EngineContext, caller: Caller, name: str, business_key: str,
                      values: dict) -> None:
    """``ClosedApplication`` when ``business_key`` names an ended application of the client's offices."""
    instance = session.query(Instance).filter_by(registration_no=business_key).one_or_none()
    if instance is None or instance.status not in CLOSED or \
            caller.jurisdictions and instance.jurisdiction not in caller.jurisdictions:
        return
    contact = (instance.definition.meta.get("process") or {}).get("complaints") or ""
    office = offices.get(session, instance.jurisdiction)
    whom = office.name if office.name != office.code else f"the office of {office.code}"
    whom += f", {office.address}" if office.address else ""
    ended = instance.ended_at.strftime("%Y-%m-%d %H:%M UTC") if instance.ended_at else "earlier"
    refusals.record(session, ctx, instance, refusals.AFTER_CLOSE, actor=caller.actor, client=caller.name,
                    name=name, values=values, business_key=business_key)
    why = instance.outcome or instance.status
    raise ClosedApplication(
        f"Cannot correlate message '{name}': application {business_key} is closed ({why}, {ended}); nothing "
        "waits for this message any more. It has been recorded on the application for the "
        f"office; to return a payment, contact {whom}" + (f" ({contact})." if contact else "."))


def _note_if_not_waiting(session: Session, ctx: EngineContext, caller: Caller, name: str, business_key: str,
                         values: dict) -> None:
    """A message naming a file of the client's offices that runs (or stopped on an error) but waits for no such
    message is noted on that file's history, for its officers: the bank's payment came although the file was not
    waiting for it. The refusal itself goes on as a mismatch, logged for the administrators; the client's answer
    does not say the file exists."""
    instance = session.query(Instance).filter_by(registration_no=business_key).one_or_none()
    if instance is None or instance.status in CLOSED or not caller.covers(instance.jurisdiction):
        return
    refusals.record_not_waiting(session, ctx, instance, actor=caller.actor, client=caller.name, name=name,
                                variables=values)


def _note_keys_mismatch(session: Session, ctx: EngineContext, caller: Caller, name: str, keys: dict,
                        found: list) -> None:
    """The file named by business key waits for the message, but under other correlation keys: noted on its history
    (which keys differed, by name) for its officers; the client's answer stays Camunda's plain mismatch."""
    noted = set()
    for row, instance in found:
        if instance.id in noted:
            continue
        noted.add(instance.id)
        refusals.record_keys_mismatch(session, ctx, instance, actor=caller.actor, client=caller.name, name=name,
                                      keys=keys, mismatched=waiting.differing_keys(row, keys))


def _accepted_or_recorded(session: Session, ctx: EngineContext, caller: Caller, instance: Instance, element_id: str,
                          name: str, values: dict, *, recorded: bool) -> dict:
    """What the receiving element takes of ``values``; data it refuses is, for a message that named its application
    by business key (a bank's callback for one file), also recorded there and told to the office (``RefusedData``)."""
    try:
        return message_inputs.accepted(session, instance.definition, element_id, MESSAGE, name, values)
    except InvalidData as exc:
        if not recorded:
            raise
        problems = exc.localized_details("en") if isinstance(exc.details, dict) else {}
        refusals.record(session, ctx, instance, refusals.REFUSED, actor=caller.actor, client=caller.name, name=name,
                        values=values, element_id=element_id, problems={str(k): str(v) for k, v in problems.items()})
        raise RefusedData(exc.message, exc.details) from exc


# A message whose value differs from the one its receiver wants (a partial payment, an overpayment) is refused
# rather than delivered to an officer's step to sort out: the sender learns at once — for a closed-amount virtual
# account, the bank while the payer is still at the counter, so the money goes back there — and nothing in the
# office holds money it cannot keep (the levy is fixed by the regional regulation). The file keeps waiting for the
# right message until its own deadline decides.
def _refuse_if_unequal(session: Session, ctx: EngineContext, caller: Caller, instance: Instance, element_id: str,
                       name: str, values: dict) -> None:
    """``UnequalValue`` when the message's variables differ from what the receiving element wants them equal to."""
    definition = instance.definition
    receiver = message_inputs.receiver_of(definition, element_id, MESSAGE, name)
    if receiver is None or not receiver.equals:
        return
    wrong = message_inputs.unequal(definition, element_id, MESSAGE, name, values,
                                   applications.current_data(ctx, instance))
    if wrong:
        refusals.record(session, ctx, instance, refusals.REFUSED, actor=caller.actor, client=caller.name, name=name,
                        values=values, element_id=element_id, problems=wrong)
        raise UnequalValue(f"Cannot correlate message '{name}' to application {instance.registration_no}: "
                           + "; ".join(f"{key}: {why}" for key, why in wrong.items())
                           + " Nothing changed: the application still waits for the message with the right value.",
                           wrong)


def _one(deliver, *, alone: bool) -> list[Correlated]:
    """A delivery; when it is one of several, a failing step flags its application and the others still go."""
    if alone:
        return [deliver()]
    try:
        return [deliver()]
    except ProcessError:
        return []


def _check_count(name: str, business_key, keys: dict, rows: list, starts: list, correlate_all: bool) -> None:
    where = ", ".join(part for part in (f"businessKey {business_key!r}" if business_key is not None else "",
                                        f"correlationKeys {sorted(keys)}" if keys else "") if part)
    where = f" ({where})" if where else ""
    if not rows and not starts:
        raise MismatchingMessageCorrelation(f"Cannot correlate message '{name}': No process definition or execution "
                                            f"matches the parameters{where}.")
    if correlate_all:
        return
    if len(rows) > 1:
        raise MismatchingMessageCorrelation(
            f"Cannot correlate message '{name}': Cannot correlate a message with name '{name}' to a single "
            f"execution. {len(rows)} executions match the correlation keys{where}. Send all=true to correlate to "
            "every one, or a businessKey or correlationKeys that name one.")
    if not rows and len(starts) > 1:
        raise MismatchingMessageCorrelation(
            f"Cannot correlate message '{name}': Cannot correlate a message with name '{name}' to a single process "
            f"definition. {len(starts)} process definitions match: "
            f"{', '.join(start.definition.key for start in starts)}.")


def signal(session: Session, ctx: EngineContext, caller: Caller, signal_name, *, variables=None) -> list[Correlated]:
    """Broadcast the signal to every running application of the client's offices waiting for it and start every
    service whose start event waits for it. A client sends only signals granted to it like messages. A refused
    signal (its name, a signal not granted, its variables) is logged for the administrators; the answer is the
    same."""
    try:
        name = _name(signal_name, "name")
        if name not in caller.messages:
            raise Forbidden(f"API client {caller.name!r} may not send the signal {name!r}; an administrator grants "
                            "it like a message, with 'lincah clients … --message'.")
        values = typed.plain(variables)
    except LincahError as exc:
        refusals.record_signal(session, ctx, actor=caller.actor, client=caller.name, name=signal_name,
                               reason=exc.message, variables=variables,
                               problems=exc.localized_details("en") if isinstance(exc.details, dict) else None)
        raise _kept(exc) from exc
    return _undone_if_lost(session, ctx, caller, SIGNAL, name,
                           lambda: _broadcast(session, ctx, caller, name, values))


def _broadcast(session: Session, ctx: EngineContext, caller: Caller, name: str, values: dict) -> list[Correlated]:
    rows = waiting.candidates(session, SIGNAL, name, jurisdictions=caller.jurisdictions)
    starts = _start_events(session, ctx, SIGNAL, name)
    extra = {"client": caller.name}
    results = []
    for row in rows:
        instance = session.get(Instance, row.instance_id)
        try:
            data = message_inputs.accepted(session, instance.definition, row.element_id, SIGNAL, name, values,
                                           strict=False)
        except InvalidData:
            continue
        results += _one(lambda row=row, instance=instance, data=data: _deliver(
            session, ctx, row, instance, data, actor=caller.actor, audit_kind="signal_received", extra=extra),
            alone=False)
    for start in starts:
        try:
            data = message_inputs.accepted(session, start.definition, start.element_id, SIGNAL, name, values,
                                           strict=False)
            results += _one(lambda start=start, data=data: _start(
                session, ctx, start, SIGNAL, name, data, actor=caller.actor, jurisdictions=caller.jurisdictions,
                audit_kind="signal_received", extra=extra), alone=False)
        except (InvalidData, Forbidden):
            continue
    audit.record(session, "signal_sent", actor=caller.actor, at=ctx.now(), name=name, client=caller.name,
                 reached=[result.instance.id for result in results])
    return results

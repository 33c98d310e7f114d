"""Applications (*permohonan*): start one, look it up, cancel it, flag it when a step fails, resume it after.

Every function runs inside the caller's transaction (``session``) and either finishes the whole step — state saved,
tasks reconciled, audit appended — or raises, leaving the caller to roll back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework import external_outbox, projection, registration
from engine.casework.projection import NAME_FIELDS
from engine.casework.step import CANCELLED, COMPLETED, ERROR, RUNNING, Step, advancing
from engine.errors import Conflict, Forbidden, InvalidData, InvalidInput, NotFound, ProcessError
from engine.forms import schemas
from engine.messaging import notifications
from engine.people.access import ADMIN, SUPERVISOR, Actor, may_view_file
from engine.services import definitions, office_rule
from engine.sla import clocks
from engine.storage import audit
from engine.storage.models import Instance, Task
from engine.texts import N_, Text
from engine.workflow import runtime
from engine.workflow.runtime import APPLICATION_FIELD
from engine.workflow.serialization import SERIALIZER_VERSION

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext



def start(session: Session, ctx: EngineContext, *, service: str, data: dict, actor: Actor,
          applicant: str | None = None, applicant_name: str | None = None, version: int | None = None,
          first_move=None, institution: str | None = None) -> Instance:
    """Start an application of the latest published version of ``service`` (or a given version, for tests).

    Its office is the service's rule applied to ``data`` (``engine.services.office_rule``); no caller chooses it.
    ``first_move(step)``, when given, replaces the first run and has checked ``data`` itself (a message or signal
    start event starts the file: ``engine.integration.messages``).
    """
    definition = (definitions.get_version(session, service, version) if version is not None
                  else definitions.latest_published(session, service))
    if not isinstance(data, dict):
        raise InvalidInput("The application data must be a JSON object of form fields.")
    start_form = definitions.form_of(session, definition, definition.meta.get("start_form"))
    if first_move is None:
        schemas.validate(start_form.schema if start_form else None, data, what=schemas.APPLICATION_FORM)
    now = ctx.now()
    applicant = applicant or actor.username
    office = office_rule.office_of(definition.key, definition.meta.get("process"),
                                   start_form.schema if start_form else None, data,
                                   ctx.settings.default_jurisdiction)
    code = definition.meta["process"]["properties"].get("code") or definition.key
    number, seq, year = registration.allocate(session, ctx.settings, service_key=definition.key, service_code=code,
                                              jurisdiction=office, at=now)
    workflow = runtime.new_workflow(ctx, definition)
    start_data = dict(data)
    start_data[APPLICATION_FIELD] = {"registration_no": number, "seq": seq, "year": year, "jurisdiction": office,
                                     "applicant": applicant, "service": definition.key, "version": definition.version}
    # The applicant account's own name, kept with the file's facts so a script (get_process_initiator_user) reads
    # it from the file's data: the sandbox cannot look accounts up. Staff applying for someone pass that account's.
    account_name = applicant_name or (actor.full_name if applicant == actor.username else None)
    if account_name:
        start_data[APPLICATION_FIELD]["applicant_name"] = account_name
    if institution:  # what a diagram's gateway reads to send a campus's student to its confirmation step
        start_data[APPLICATION_FIELD]["institution"] = institution
    start_data.setdefault("applicant", applicant)
    _start_task(workflow).data.update(start_data)
    instance = Instance(
        definition_id=definition.id, definition=definition, service_key=definition.key, registration_no=number,
        applicant=applicant, applicant_name=_name_from(data) or applicant_name or actor.full_name or applicant,
        jurisdiction=office, institution_code=institution, status=RUNNING, state=ctx.codec.dump_state(workflow),
        serializer_version=SERIALIZER_VERSION, revision=0, started_at=now, updated_at=now,
        **clocks.file_clock(ctx, definition, now, jurisdiction=office))
    session.add(instance)
    session.flush()
    audit.record(session, "started", actor=actor.username, at=now, instance_id=instance.id,
                 registration_no=number, service=definition.key, version=definition.version, data=data)
    notifications.application_received(session, ctx, instance, data)
    try:
        with advancing(session, ctx, instance, actor=actor.username, workflow=workflow, others_open=set()) as step:
            (first_move or Step.run)(step)
            step.finish()
    except ProcessError:
        pass  # flagged: the file waits, with its start saved, for an administrator or supervisor to resume it
    return instance


def _start_task(workflow):
    starts = workflow.get_tasks(state=TaskState.READY, spec_name="Start")
    return starts[0] if starts else workflow.task_tree


def _name_from(data: dict) -> str | None:
    """The applicant named on the form: what officers read in the inbox's "Applicant" column, before the account's
    name (a counter clerk or a campus may fill in the form for someone else; the form names who applies)."""
    for key in NAME_FIELDS:
        if isinstance(data.get(key), str) and data[key].strip():
            return data[key].strip()
    return None


def may_resume(actor: Actor, instance: Instance) -> bool:
    return ADMIN in actor.roles or (SUPERVISOR in actor.roles and actor.covers(instance.jurisdiction))


def resume(session: Session, ctx: EngineContext, instance_id: int, actor: Actor, note: str = "") -> Instance:
    """Take up an application a failed step stopped, once its cause has been dealt with.

    The stored state is the last good one, so the engine simply runs again from there: a start that failed goes on,
    a timer that failed fires again, and a person whose step failed (their data made a script fail) submits it
    again. If the cause is still there the run fails the same way: the application is flagged again (the
    ``ProcessError`` is raised after the new flag is recorded) and nothing else changes. An external task that
    stopped it (an incident) goes back to its workers with one retry.
    """
    instance = get(session, instance_id, actor)
    if not may_resume(actor, instance):
        raise Forbidden(Text(N_("Only an administrator or a supervisor of the office can resume an application.")))
    if instance.status != ERROR:
        raise Conflict(Text(N_("Application %(number)s is %(status)s; only an application stopped by an error can "
                               "be resumed."), {"number": instance.registration_no, "status": instance.status}))
    now = ctx.now()
    audit.record(session, "resumed", actor=actor.username, at=now, instance_id=instance.id,
                 element_id=instance.error_element, failed=instance.error_message, note=note)
    instance.status, instance.error_element, instance.error_message = RUNNING, None, None
    external_outbox.reopen_incidents(session, ctx, instance, actor=actor.username, note=note)
    with advancing(session, ctx, instance, actor=actor.username) as step:
        step.run(refresh_timers=True)
        step.finish()
    return instance


def get(session: Session, instance_id: int, actor: Actor) -> Instance:
    instance = session.get(Instance, instance_id)
    if instance is None or not may_view_file(session, actor, instance):
        # Same answer for "absent" and "not yours": no information leaks across offices.
        raise NotFound(Text(N_("Application %(id)s was not found."), {"id": instance_id}))
    return instance


def current_data(ctx: EngineContext, instance: Instance) -> dict:
    """The application's process data now (including values set by scripts, such as the permit number)."""
    workflow = runtime.load(ctx, instance)
    if workflow.is_completed():
        return dict(workflow.data or {}) or dict(workflow.last_task.data if workflow.last_task else {})
    ready = runtime.ready_human_tasks(workflow)
    if ready:
        return dict(ready[0].data)
    waiting = workflow.get_tasks(state=TaskState.WAITING)
    task = waiting[0] if waiting else workflow.last_task
    return dict(task.data) if task is not None else {}


def open_tasks(session: Session, instance: Instance) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.instance_id == instance.id,
                                                   Task.state.in_(projection.OPEN_STATES)).order_by(Task.created_at)))


def cancel(session: Session, ctx: EngineContext, instance_id: int, actor: Actor, reason: str = "") -> Instance:
    """The applicant may withdraw before any decision; a supervisor of the office may cancel at any time."""
    instance = get(session, instance_id, actor)
    if instance.status in (COMPLETED, CANCELLED):
        raise Conflict(Text(N_("Application %(number)s is already %(status)s."),
                            {"number": instance.registration_no, "status": instance.status}))
    is_owner = actor.username == instance.applicant
    is_supervisor = SUPERVISOR in actor.roles and actor.covers(instance.jurisdiction)
    if not is_supervisor:
        if not is_owner:
            raise Forbidden(Text(N_("Only the applicant or a supervisor of the office can cancel this application.")))
        decided = session.scalar(select(Task.id).where(Task.instance_id == instance.id, Task.state == "completed",
                                                       Task.for_applicant.is_(False)).limit(1))
        if decided is not None:
            raise Conflict(Text(N_("An officer has already decided on this application; ask the office to cancel "
                                   "it.")))
    elif not is_owner and not reason.strip():
        # The office ends someone's file: the reason is what the applicant is told, and what the audit keeps.
        raise InvalidData(Text(N_("Say why the office cancels this application: the applicant is told the reason.")),
                          {"reason": Text(N_("Give the reason the applicant will read."))})
    now = ctx.now()
    # Tasks first, then the application: the order a completion takes its row locks in. The other order made a
    # cancellation and a completion at the same moment deadlock on PostgreSQL instead of one of them losing.
    for row in open_tasks(session, instance):
        for name, value in clocks.closing_values(ctx, row, now, completed=False).items():
            setattr(row, name, value)
        row.state, row.completed_at = "cancelled", now
    session.flush()
    runtime.bump_revision(session, instance, status=CANCELLED, ended_at=now, updated_at=now)
    clocks.settle(session, ctx, instance, [])
    audit.record(session, "cancelled", actor=actor.username, at=now, instance_id=instance.id, reason=reason)
    if not is_owner:
        notifications.application_cancelled(session, ctx, instance, reason.strip())
    return instance

"""Human tasks: claim, unclaim, assign, complete.

Completing is one transaction: authorize → validate the data against the task's snapshotted form and the decision
against the offered choices → load the instance → complete the SpiffWorkflow task and run to the next wait → save
with the optimistic lock → reconcile the task table → append audit events. A second completion of the same task,
whether it arrives later or at the same moment, ends in ``Conflict`` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.bpmn import choices
from engine.bpmn.rewrite import DECISION_FIELD
from engine.casework import lane_owners, signing_step
from engine.casework.inbox import OPEN
from engine.casework.step import RUNNING, Step, advancing
from engine.errors import Conflict, Forbidden, InvalidData, InvalidInput, NotFound, ProcessError
from engine.forms import required_for, schemas
from engine.messaging import notifications
from engine.people.access import SUPERVISOR, Actor, may_work
from engine.services import definitions
from engine.sla import clocks
from engine.storage import audit, definition_rows, sql
from engine.storage.models import Instance, ServiceDefinition, Task, User
from engine.storage.sql import Prepared, attach, set_loaded
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext


def _visible(actor: Actor, task: Task, instance: Instance) -> bool:
    if task.for_applicant:
        return actor.username == instance.applicant
    if actor.institution_operator:  # a campus sees its own students' steps, wherever their office is
        return instance.institution_code == actor.institution_operator
    return actor.is_staff and actor.covers(task.jurisdiction)


_TASKS, _INSTANCES, _DEFINITIONS = Task.__table__, Instance.__table__, ServiceDefinition.__table__
# The task, its application and the application's definition in one prepared statement, attached to the session as
# ORM objects: every task action starts here, and the ORM's own loading of these ~80 columns cost more CPU than the
# rest of a claim. Of the definition only the columns that may change are read; the rest come from this process's
# copy (definition_rows).
_LAYOUT = (
    (Task, [c.key for c in _TASKS.columns]),
    (Instance, [c.key for c in _INSTANCES.columns]),
)
# The applicant's e-mail address comes along: a step that needs the applicant (a revision request, the end of the
# file) notifies them, and a separate query would cost a round trip in the middle of the step's writes.
_USERS = User.__table__
_LOAD_TASK = Prepared(
    select(*_TASKS.columns, *_INSTANCES.columns, *definition_rows.COLUMNS, _USERS.c.email)
    .select_from(_TASKS.join(_INSTANCES, _INSTANCES.c.id == _TASKS.c.instance_id)
                 .join(_DEFINITIONS, _DEFINITIONS.c.id == _INSTANCES.c.definition_id)
                 .outerjoin(_USERS, _USERS.c.username == _INSTANCES.c.applicant))
    .where(_TASKS.c.id == bindparam("b_task_id")))
_CLOSING = ("state", "completed_at", "completed_by", "decision", "working_seconds", "sla_state", "paused_seconds",
            "paused_since", "sla_alarm_at")
# Closes the task only if it is still open and still free or the completer's (or the applicant's own): a colleague's
# claim that landed after this request read the task wins, as a completion would.
_CLOSE_OPEN_TASK = Prepared(update(_TASKS).where(
    _TASKS.c.id == bindparam("b_task_id"), _TASKS.c.state.in_(OPEN),
    or_(_TASKS.c.assignee.is_(None), _TASKS.c.assignee == bindparam("b_actor"), _TASKS.c.for_applicant.is_(True))),
    columns=_CLOSING)


def get(session: Session, task_id: str, actor: Actor) -> tuple[Task, Instance]:
    # A caller that already loaded the task in this transaction (casework, then tasks.complete) reuses it.
    task = session.identity_map.get(session.identity_key(Task, str(task_id)))
    if task is not None:
        instance = session.get(Instance, task.instance_id)
    else:
        task, instance = _load(session, str(task_id))
    if task is None or instance is None or not _visible(actor, task, instance):
        raise NotFound(Text(N_("Task %(task_id)s was not found."), {"task_id": task_id}))
    return task, instance


def _load(session: Session, task_id: str) -> tuple[Task | None, Instance | None]:
    read, values = task_read(task_id)
    return keep_loaded(session, read.rows(session, values))


def task_read(task_id: str) -> tuple[Prepared, dict]:
    """The read behind loading a task, to send together with another (``sql.read_together``); its rows go to
    ``keep_loaded``."""
    return _LOAD_TASK, {"b_task_id": str(task_id)}


def keep_loaded(session: Session, rows: list[tuple]) -> tuple[Task | None, Instance | None]:
    """The task, its application and definition of ``task_read``'s rows, attached to ``session``: ``get`` then finds
    them without a query."""
    if not rows:
        return None, None
    found, start = [], 0
    for cls, keys in _LAYOUT:
        values = dict(zip(keys, rows[0][start:start + len(keys)], strict=True))
        start += len(keys)
        # An object this session already holds stays the one it holds (it may carry unflushed changes).
        held = session.identity_map.get(session.identity_key(cls, values["id"]))
        found.append(held if held is not None else attach(session, cls, values))
    task, instance = found
    definition = definition_rows.attach_definition(session, rows[0][start:start + len(definition_rows.COLUMNS)])
    if "definition" not in instance.__dict__:
        set_committed_value(instance, "definition", definition)
    notifications.remember_email(session, instance.applicant, rows[0][-1])
    return task, instance


def _require_worker(actor: Actor, task: Task, instance: Instance) -> None:
    if not may_work(actor, for_applicant=task.for_applicant, applicant=instance.applicant, assignee=task.assignee,
                    candidate_groups=task.candidate_groups, jurisdiction=task.jurisdiction):
        named = lane_owners.people_named(task.candidate_groups)
        if named:  # given by name by the process (lane_owners): being of the lane's group is not enough
            raise Forbidden(Text(N_("You may not work on task %(task)s: the process gave it by name to "
                                    "%(people)s (lane_owners) in %(office)s: only they or a supervisor of the office "
                                    "may work it."),
                                 {"task": repr(task.name), "people": ", ".join(named), "office": task.jurisdiction}))
        groups = ", ".join(task.candidate_groups) or Text(N_("a supervisor"))
        raise Forbidden(Text(N_("You may not work on task %(task)s: it is for %(groups)s in %(office)s."),
                             {"task": repr(task.name), "groups": groups, "office": task.jurisdiction}))


def _require_open(task: Task) -> None:
    if task.state not in ("ready", "claimed"):
        raise Conflict(Text(N_("Task %(task)s is already %(state)s; open the application to see its current step."),
                            {"task": repr(task.name), "state": task.state}))


def claim(session: Session, ctx: EngineContext, task_id: str, actor: Actor) -> Task:
    task, instance = get(session, task_id, actor)
    _require_open(task)
    _require_worker(actor, task, instance)
    if task.assignee == actor.username:
        return task
    if task.assignee is not None and not task.for_applicant:
        raise Conflict(Text(N_("Task %(task)s is already claimed by %(assignee)s."),
                            {"task": repr(task.name), "assignee": task.assignee}))
    now = ctx.now()
    _change_if_unchanged(session, task, {"state": "claimed", "assignee": actor.username, "claimed_at": now},
                         Conflict(Text(N_("Task %(task)s was claimed by someone else at the same moment."),
                                       {"task": repr(task.name)})))
    audit.record(session, "task_claimed", actor=actor.username, at=now, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id)
    return task


def unclaim(session: Session, ctx: EngineContext, task_id: str, actor: Actor) -> Task:
    task, instance = get(session, task_id, actor)
    _require_open(task)
    if task.for_applicant:
        raise InvalidInput(Text(N_("Tasks of the applicant cannot be unclaimed.")))
    if task.assignee is None:
        return task  # already back with the group: nothing to release, nothing to record
    if task.assignee != actor.username and not (SUPERVISOR in actor.roles and actor.covers(task.jurisdiction)):
        raise Forbidden(Text(N_("Task %(task)s is claimed by %(assignee)s; only they or a supervisor can release "
                                "it."), {"task": repr(task.name), "assignee": task.assignee}))
    previous = task.assignee
    _change_if_unchanged(session, task, {"state": "ready", "assignee": None, "claimed_at": None},
                         Conflict(Text(N_("Task %(task)s changed at the same moment (completed, released or "
                                          "reassigned); open the application to see its current step."),
                                       {"task": repr(task.name)})))
    audit.record(session, "task_unclaimed", actor=actor.username, at=ctx.now(), instance_id=instance.id,
                 task_id=task.id, element_id=task.element_id, previous_assignee=previous)
    return task


def assign(session: Session, ctx: EngineContext, task_id: str, username: str, actor: Actor) -> Task:
    """A supervisor hands a task to an officer who may work it."""
    task, instance = get(session, task_id, actor)
    _require_open(task)
    if SUPERVISOR not in actor.roles or not actor.covers(task.jurisdiction):
        raise Forbidden(Text(N_("Only a supervisor of this office can assign tasks.")))
    user = session.query(User).filter_by(username=username, active=True).one_or_none()
    if user is None:
        raise InvalidInput(Text(N_("There is no active user %(username)s."), {"username": repr(username)}),
                           {"username": Text(N_("Unknown user."))})
    target = Actor.of(user.username, user.roles, user.groups, user.jurisdictions)
    if not may_work(target, for_applicant=task.for_applicant, applicant=instance.applicant, assignee=None,
                    candidate_groups=task.candidate_groups, jurisdiction=task.jurisdiction):
        raise InvalidInput(Text(N_("%(username)s may not work on %(task)s (wrong group or office)."),
                                {"username": username, "task": repr(task.name)}),
                           {"username": Text(N_("This user is not a candidate for the task."))})
    now = ctx.now()
    previous = task.assignee
    _change_if_unchanged(session, task, {"state": "claimed", "assignee": username, "claimed_at": now},
                         Conflict(Text(N_("Task %(task)s changed at the same moment (completed, claimed or "
                                          "reassigned); open the application to see its current step."),
                                       {"task": repr(task.name)})))
    audit.record(session, "task_assigned", actor=actor.username, at=now, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, assignee=username, previous_assignee=previous)
    return task


def _change_if_unchanged(session: Session, task: Task, values: dict, conflict: Conflict) -> None:
    """Write ``values`` on the task row only if its state and assignee are still what this request read: a
    colleague's claim, release, reassignment or completion in between wins, and this change is a ``conflict``
    (never a completed task brought back to the inbox, nor someone's claim silently taken over)."""
    changed = session.execute(
        update(Task).where(Task.id == task.id, Task.state == task.state,
                           Task.assignee.is_(None) if task.assignee is None else Task.assignee == task.assignee)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise conflict
    set_loaded(task, values)


@dataclass(frozen=True)
class Submission:
    """A task someone may complete now, loaded once with its form: what :func:`commit` completes."""

    task: Task
    instance: Instance
    form: schemas.Form | None


def complete(session: Session, ctx: EngineContext, task_id: str, actor: Actor, data: dict | None = None,
             decision: str | None = None, expected_revision: int | None = None) -> tuple[Instance, list[Task]]:
    """Complete a task; return the instance and its open tasks after the step."""
    data = {} if data is None else data
    return commit(session, ctx, submission(session, task_id, actor, data, expected_revision), actor, data, decision)


def submission(session: Session, task_id: str, actor: Actor, data, expected_revision: int | None = None
               ) -> Submission:
    """The task behind ``task_id`` if ``actor`` may complete it now with ``data`` (an object of form fields).

    Raises ``InvalidData`` for data that is not an object, ``NotFound``, ``Forbidden`` or ``Conflict`` (done,
    claimed by a colleague, application not running or changed since ``expected_revision``).
    """
    if not isinstance(data, dict):
        raise InvalidData(Text(N_("The task data must be a JSON object of form fields.")),
                          {"data": Text(N_("Send an object whose keys are the form's fields."))})
    task, instance = get(session, task_id, actor)
    _require_open(task)
    _require_worker(actor, task, instance)
    if task.assignee not in (None, actor.username) and not task.for_applicant:
        raise Conflict(Text(N_("Task %(task)s is claimed by %(assignee)s. Ask them or a supervisor to release it."),
                            {"task": repr(task.name), "assignee": task.assignee}))
    if instance.status != RUNNING:
        raise Conflict(Text(N_("Application %(number)s is %(status)s; its tasks cannot be completed."),
                            {"number": instance.registration_no, "status": instance.status}))
    if expected_revision is not None and expected_revision != instance.revision:
        raise Conflict(Text(N_("The application changed since you opened it. Reload it and try again.")))
    return Submission(task, instance, definitions.form_of(session, instance.definition, task.form_key))


def commit(session: Session, ctx: EngineContext, submitted: Submission, actor: Actor, data: dict,
           decision: str | None = None) -> tuple[Instance, list[Task]]:
    """Validate ``data`` and ``decision`` against the submitted task's choices and form, then complete it in one
    step; return the instance and its open tasks after the step."""
    task, instance = submitted.task, submitted.instance
    data, credentials = signing_step.take_credentials(data)
    data = _validated(submitted, data, decision)
    data = signing_step.sign_on_approval(session, ctx, task, instance, actor.username, data, decision, credentials)
    with advancing(session, ctx, instance, actor=actor.username) as step:
        step.complete(step.ready_task(task.id, name=task.name), data)
        return instance, _close(session, ctx, step, task, actor, data, decision)


def _close(session: Session, ctx: EngineContext, step: Step, task: Task, actor: Actor, data: dict,
           decision: str | None) -> list[Task]:
    """Close the completed task, record it, finish the step: one round trip on PostgreSQL."""
    instance = step.instance
    now = ctx.now()
    closing = {"state": "completed", "completed_at": now, "completed_by": actor.username, "decision": decision,
               **clocks.closing_values(ctx, task, now, completed=True)}
    # The step's writes travel together (one round trip on PostgreSQL); a lost race with a colleague shows as a
    # task already closed or an application already changed, and undoes them all.
    with sql.batch(session):
        _CLOSE_OPEN_TASK.write(session, {"b_task_id": task.id, "b_actor": actor.username, **closing}, expect=1,
                               conflict=Conflict(Text(N_("Task %(task)s was claimed or completed by someone else "
                                                         "at the same moment."), {"task": repr(task.name)})))
        set_loaded(task, closing)
        where = {"actor": actor.username, "at": now, "instance_id": instance.id, "task_id": task.id,
                 "element_id": task.element_id}
        events = [audit.entry("task_completed", data=data, decision=decision, **where)]
        if decision is not None:
            events.append(audit.entry("decision", decision=decision, **where))
        audit.record_all(session, *events)
        if not task.for_applicant:
            step.note = notifications.note_of(data)
        return step.finish()


def _validated(submitted: Submission, data: dict, decision: str | None) -> dict:
    """The data the task will store, checked: the decision against the offered choices, then everything against
    the task's form — the decision included, so that a form can require a note for some choices (``if`` the
    ``decision`` is "Tolak" ``then`` ``note`` is required)."""
    task, form = submitted.task, submitted.form
    data = dict(data)
    if task.decision_choices:
        choices = {"task": repr(task.name), "choices": ", ".join(task.decision_choices)}
        if decision is None:
            raise InvalidData(Text(N_("Choose a decision for %(task)s: %(choices)s."), choices),
                              {DECISION_FIELD: Text(N_("Choose one of: %(choices)s."), choices)})
        if decision not in task.decision_choices:
            raise InvalidData(Text(N_("%(decision)s is not a choice of %(task)s."),
                                   {"decision": repr(decision), "task": repr(task.name)}),
                              {DECISION_FIELD: Text(N_("Choose one of: %(choices)s."), choices)})
        data[DECISION_FIELD] = decision
    elif decision is not None:
        raise InvalidData(Text(N_("Task %(task)s offers no decision."), {"task": repr(task.name)}),
                          {DECISION_FIELD: Text(N_("This task has no choices."))})
    schemas.validate(form.schema if form else None, data,
                     what=Text(N_("form of %(task)s"), {"task": repr(task.name)}),
                     also=(DECISION_FIELD,) if task.decision_choices else ())
    if decision is not None and form is not None:
        _require_complete_for(submitted, form.schema, data, decision)
    return data


def _require_complete_for(submitted: Submission, schema: dict, data: dict, decision: str) -> None:
    """Refuse a choice whose meaning (approve, reject, return: ``engine.bpmn.choices``) needs fields of the form
    complete (``x-required-for``, ``engine.forms.required_for``): a checklist with every item ticked."""
    meta = submitted.instance.definition.meta or {}
    settings = meta.get("tasks", {}).get(submitted.task.element_id) or {}
    meaning = choices.choice_meaning(decision, settings, meta.get("process"))
    missing = required_for.incomplete(schema, data, meaning, decision)
    if missing:
        name = next(iter(missing))  # the first (the details name every one)
        raise InvalidData(Text(N_("Before choosing %(decision)s on %(task)s, complete %(field)s. %(missing)s"),
                               {"decision": repr(decision), "task": repr(submitted.task.name),
                                "field": required_for.title_of(schema, name), "missing": missing[name]}),
                          missing)


def fire_due_timers(session: Session, ctx: EngineContext, instance_id: int, actor: str = "system") -> list[Task]:
    """Let the instance's due BPMN timers fire (according to ``ctx.clock``) and run to the next wait."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound(Text(N_("Application %(id)s was not found."), {"id": instance_id}))
    if instance.status != RUNNING:
        return []
    try:
        with advancing(session, ctx, instance, actor=actor) as step:
            step.run(refresh_timers=True)
            audit.record(session, "timer_fired", actor=actor, at=ctx.now(), instance_id=instance.id)
            return step.finish()
    except ProcessError:
        return []  # flagged: the timer fires again when the application is resumed

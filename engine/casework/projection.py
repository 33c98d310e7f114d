"""The ``task`` table: a projection of an instance's ready human tasks, reconciled after every step.

Inbox queries read only this table (and ``task_candidate``), never a workflow. Reconciling compares the ready human
tasks of the workflow with the instance's open rows: new ones are inserted with their candidate groups,
jurisdiction, assignee and SLA target; rows whose task is no longer ready are closed (completed by the step that
finished them, or cancelled when a timer or cancellation took the file elsewhere).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.bpmn.expressions import placeholder_name
from engine.casework import lane_owners
from engine.people.access import INSTITUTION_GROUP, institution_group
from engine.sla import clocks
from engine.storage.models import Instance, ServiceDefinition, Task, TaskCandidate
from engine.storage.sql import InsertRows, new_row
from engine.workflow.runtime import ready_human_ids

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

OPEN_STATES = ("ready", "claimed")


def task_settings(definition: ServiceDefinition, spiff_task) -> dict:
    """Settings read at deploy time; tasks of called processes fall back to what the spec itself carries."""
    spec = spiff_task.task_spec
    settings = definition.meta.get("tasks", {}).get(spec.bpmn_id)
    if settings is not None:
        return settings
    extensions = getattr(spec, "extensions", {}) or {}
    groups = [g.strip() for g in extensions.get("camunda:candidateGroups", "").split(",") if g.strip()]
    assignee = extensions.get("camunda:assignee")
    for_applicant = placeholder_name(assignee) in {"applicant", "initiator"} or "applicant" in groups
    if not groups and not assignee and getattr(spec, "lane", None):
        groups = [spec.lane]
    return {
        "element_id": spec.bpmn_id, "name": spec.bpmn_name or spec.bpmn_id,
        "form_key": extensions.get("camunda:formKey"), "candidate_groups": [g for g in groups if g != "applicant"],
        "assignee": assignee, "for_applicant": for_applicant, "sla": extensions.get("sla"),
        "sla_pause": (extensions.get("sla.pause") or "").lower() == "true",
        "jurisdiction": extensions.get("jurisdiction"),
        "calendar": extensions.get("calendar"), "decisions": [], "lane": getattr(spec, "lane", None),
    }


def resolve(value: str | None, data: dict) -> str | None:
    """``${field}`` takes the value from the process data; anything else is a literal."""
    if not value:
        return None
    name = placeholder_name(value)
    if name is None:
        return value
    found = data.get(name)
    return str(found) if found not in (None, "") else None


def reconcile(session: Session, ctx: EngineContext, instance: Instance, workflow,
              known_open: set[str] | None = None) -> list[Task]:
    """Bring the instance's task rows in line with the workflow; return its open tasks after the step.

    The task a person just completed has already been closed by the caller; any other open row whose task is no
    longer ready was taken away by the process (a timer, a cancellation) and is closed as ``cancelled``.
    ``known_open`` (the ids of the open rows, when the caller knows them) saves the lookup when there are none.
    """
    now = ctx.now()
    open_rows = {} if known_open == set() else {
        row.id: row for row in session.scalars(_OPEN_ROWS, {"b_instance_id": instance.id})}
    ready = ready_human_ids(workflow)
    gone = [task_id for task_id in open_rows if task_id not in ready]
    if gone:
        session.execute(update(_TASKS).where(_TASKS.c.id.in_(gone)).values(state="cancelled", completed_at=now))
        clocks.stop_cancelled(session, ctx, [open_rows[task_id] for task_id in gone], now)
    created = [_new_row(session, ctx, instance, spiff_task, task_settings(instance.definition, spiff_task), now)
               for task_id, spiff_task in ready.items() if task_id not in open_rows]
    if created:
        # Plain INSERTs: these rows are returned to the caller, never modified in this transaction.
        _INSERT_TASK.write(session, [_columns(row) for row in created])
        candidates = [{"task_id": row.id, "group_name": g} for row in created for g in row.candidate_groups]
        if candidates:
            _INSERT_CANDIDATE.write(session, candidates)
    kept = [row for task_id, row in open_rows.items() if task_id in ready]
    return sorted(kept + created, key=lambda row: (row.created_at, row.element_id))


_TASKS = Task.__table__
_TASK_KEYS = tuple(column.key for column in _TASKS.columns)
# Built once: constructing SQL expressions costs more than running them on every step.
_OPEN_ROWS = select(Task).where(Task.instance_id == bindparam("b_instance_id"), Task.state.in_(OPEN_STATES))
_INSERT_TASK = InsertRows(_TASKS, _TASK_KEYS)
_INSERT_CANDIDATE = InsertRows(TaskCandidate.__table__, ("task_id", "group_name"))


def _columns(row: Task) -> dict:
    """The row as INSERT parameters: every column (``_new_row`` sets each one that has a default)."""
    return {key: getattr(row, key) for key in _TASK_KEYS}


# The start form's fields that name the applicant (the first filled in is the file's applicant name) and the other
# fields officers look a file up by: its NIK (and NIB) and its title. Their values go into the task row's search text.
NAME_FIELDS = ("full_name", "name", "applicant_name", "owner_name", "company_name")
LOOKUP_FIELDS = ("nik", "nib", *NAME_FIELDS, "research_title", "title", "vessel_name")


def search_text(registration_no: str | None, applicant_name: str | None, step_name: str,
                data: dict | None = None, account: str | None = None) -> str:
    """What the inbox's ``q`` is matched against (see ``engine.casework.inbox``): the registration number, the
    applicant's name and the step's, the applicant's account, then the ``LOOKUP_FIELDS`` the file's data holds (the
    form's NIK, names, title)."""
    text = " ".join(part for part in (registration_no, applicant_name, step_name, account) if part).lower()
    for name in LOOKUP_FIELDS:
        value = (data or {}).get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = " ".join(str(value).split()).lower()
            if value and value not in text:
                text = f"{text} {value}"
    return text[:700]


def _groups_for(instance: Instance, groups: list[str]) -> list[str]:
    """The step's candidate groups, with ``institution`` narrowed to the applicant's own campus; a file without one
    keeps the bare group, which no operator holds, so only a supervisor of its office can take the step."""
    if instance.institution_code is None:
        return list(groups)
    return [institution_group(instance.institution_code) if g == INSTITUTION_GROUP else g for g in groups]


def _new_row(session: Session, ctx: EngineContext, instance: Instance, spiff_task, settings: dict, now) -> Task:
    data = spiff_task.data
    jurisdiction = resolve(settings.get("jurisdiction"), data) or instance.jurisdiction
    if settings.get("for_applicant"):
        assignee, state = instance.applicant, "ready"
    else:
        assignee = resolve(settings.get("assignee"), data)
        state = "claimed" if assignee else "ready"
    row = new_row(Task, dict(  # a transient row for the INSERT and the caller (sql.new_row: the cheap constructor)
        id=str(spiff_task.id), instance_id=instance.id, service_key=instance.service_key,
        element_id=settings["element_id"], name=settings["name"], form_key=settings.get("form_key"),
        candidate_groups=_groups_for(instance, settings.get("candidate_groups") or []),
        for_applicant=bool(settings.get("for_applicant")),
        jurisdiction=jurisdiction, assignee=assignee, state=state,
        decision_choices=list(settings.get("decisions") or []), created_at=now,
        claimed_at=now if state == "claimed" else None, sla=settings.get("sla"),
        sla_pause=bool(settings.get("sla_pause")),
        search_text=search_text(instance.registration_no, instance.applicant_name, settings["name"], data,
                                instance.applicant),
    ))
    if lane_owners.VARIABLE in data:  # a script named the people of the step's lane (spiff-arena)
        lane_owners.give_to_owners(session, row, settings, data, now)
    clocks.start_task_clock(ctx, row, settings, instance.definition.meta.get("process", {}))
    return row

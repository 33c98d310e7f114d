"""Provincial coordination: a step waiting in an office where nobody can work it goes to the supervising office.

The fishing form offers eighteen regencies, but officers reach the regencies one by one. A step whose office has no
active officer of its candidate groups would wait in nobody's inbox while the applicant reads "being processed";
after ``Settings.unstaffed_handover_hours`` of the office's working time it moves to the queue of the office that
supervises it (``Office.supervising_office``, else the default jurisdiction: the province), provided someone there
can work it. The move is one UPDATE of the task row's jurisdiction (the instance keeps its office, so its letter and
registration stay the regency's), audited as ``handed_to_supervising_office`` with from, to and why, and the
applicant is told which office holds the file now. Run by the scheduler's ``unstaffed`` job after the notice to
administrators.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from engine.messaging.notifications import (
    Directory,
    Message,
    applicant_email,
    enqueue,
    in_both_languages,
    metas_of,
    step_in_english,
)
from engine.messaging.preferences import route_to_applicant
from engine.people import offices
from engine.storage import audit
from engine.storage.models import Event, Instance, Office, Task
from engine.texts import ENGLISH, N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

HANDED_OVER = "handed_to_supervising_office"
SYSTEM_ACTOR = "system"


def supervising_office(session: Session, ctx: EngineContext, code: str) -> str:
    """The office that takes ``code``'s unworkable steps: the office's own setting, else the default jurisdiction."""
    found = session.execute(select(Office.supervising_office).where(Office.code == code)).scalar()
    return found or ctx.settings.default_jurisdiction


def unserved(session: Session, directory: Directory) -> set[tuple[str, tuple]]:
    """(office, candidate groups) of the open, unclaimed staff steps that no active officer of those groups in that
    office can work."""
    waiting = [Task.state == "ready", Task.assignee.is_(None), Task.for_applicant.is_(False)]
    # As text: PostgreSQL has no equality for json values, so DISTINCT cannot compare them.
    rows = session.execute(select(Task.jurisdiction, cast(Task.candidate_groups, String)).where(*waiting).distinct())
    pairs = {(office, tuple(orjson.loads(groups) if groups else ())) for office, groups in rows}
    return {(office, groups) for office, groups in pairs if groups and not directory.officers(groups, office)}


def hand_over(session: Session, ctx: EngineContext, *, now: datetime | None = None) -> int:
    """Move every step that has waited its handover time in an office nobody serves to its supervising office's
    queue; return how many moved. A step whose supervising office has nobody for it either stays (the
    administrators' notice names it)."""
    now = now or ctx.now()
    wait = timedelta(hours=ctx.settings.unstaffed_handover_hours)
    directory = Directory.of_active_users(session)
    stranded = unserved(session, directory)
    if not stranded:
        return 0
    steps = list(session.scalars(
        select(Task).where(Task.state == "ready", Task.assignee.is_(None), Task.for_applicant.is_(False),
                           Task.jurisdiction.in_(sorted({office for office, _ in stranded})))
        .order_by(Task.created_at, Task.id).with_for_update(skip_locked=True)))
    # A file already handed over once (its recommendation, say) does not wait again for its next regency step.
    handed = set(session.scalars(select(Event.instance_id).where(
        Event.kind == HANDED_OVER, Event.instance_id.in_(sorted({t.instance_id for t in steps}))))) if steps else set()
    # The few columns the notice needs, not the rows with their workflow state.
    files = {row.id: row for row in session.execute(
        select(Instance.id, Instance.registration_no, Instance.applicant, Instance.definition_id)
        .where(Instance.id.in_(sorted({t.instance_id for t in steps}))))} if steps else {}
    metas = metas_of(session, {f.definition_id for f in files.values()})
    moved = 0
    targets: dict[str, str] = {}
    names: dict[str, str] = {}  # office code -> name, read once per pass
    for task in steps:
        groups = tuple(task.candidate_groups or ())
        if (task.jurisdiction, groups) not in stranded:
            continue
        if (task.instance_id not in handed
                and ctx.calendars.working(task.jurisdiction).add_working_time(task.created_at, wait) > now):
            continue
        if task.jurisdiction not in targets:
            targets[task.jurisdiction] = supervising_office(session, ctx, task.jurisdiction)
        target = targets[task.jurisdiction]
        if target == task.jurisdiction or not directory.officers(groups, target):
            continue
        for code in (task.jurisdiction, target):
            if code not in names:
                names[code] = offices.get(session, code).name
        file = files[task.instance_id]
        _move(session, ctx, task, file, target, now, names, metas.get(file.definition_id))
        moved += 1
    session.flush()
    return moved


def _move(session: Session, ctx: EngineContext, task: Task, instance, target: str, now: datetime,
          names: dict[str, str], meta: dict | None) -> None:
    origin = task.jurisdiction
    hours = ctx.settings.unstaffed_handover_hours
    why = (f"no active officer of group {', '.join(task.candidate_groups)} in office {origin} "
           f"after {hours} working hours")
    task.jurisdiction = target
    audit.record(session, HANDED_OVER, actor=SYSTEM_ACTOR, at=now, instance_id=task.instance_id, task_id=task.id,
                 element_id=task.element_id, groups=list(task.candidate_groups), why=why,
                 **{"from": origin, "to": target})
    holder, left = names[target], names[origin]
    subject, body = in_both_languages(
        N_("Your application %(reg)s is now handled by %(office)s"),
        N_("No officer of %(origin)s can take up step %(step)s of your application %(reg)s yet, so %(office)s now "
           "handles it. You need do nothing: the file, its documents and its deadlines stay as they were."),
        {"reg": instance.registration_no, "office": holder, "origin": left, "step": task.name},
        {ENGLISH: {"step": step_in_english(meta, task.element_id, task.name)}})
    message = Message(kind=HANDED_OVER, recipient=instance.applicant, subject=subject, body=body,
                      email=applicant_email(session, instance), instance_id=instance.id, task_id=task.id,
                      data={"registration_no": instance.registration_no, "from": origin, "to": target},
                      dedupe_key=f"{HANDED_OVER}:{task.id}")
    route_to_applicant(session, ctx, instance.applicant, None, [message])
    enqueue(session, ctx, [message])

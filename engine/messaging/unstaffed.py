"""Steps nobody can work: an office step waiting in an office where no active officer of its groups and no
supervisor serves (a regency the service routes to before its staff were given accounts, an officer deactivated).

Such a step is invisible in every inbox, and only an administrator can see the file, so the scheduler tells the
administrators, once per step, which office and groups are missing and what to do. It looks only at steps that
opened in the last ``LOOK_BACK`` (distinct offices and groups first, then the steps of the unserved ones). That
still reads every recent open step, so it runs as a scheduler job of its own (``scheduler.jobs.notify_unstaffed``,
every five minutes), not inside the SLA pass, whose cost must follow the work due.
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
    enqueue,
    in_both_languages,
    local_time,
    metas_of,
    step_in_english,
)
from engine.storage.models import Instance, Task
from engine.texts import ENGLISH, N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

UNSTAFFED = "step_unstaffed"
LOOK_BACK = timedelta(days=7)


def notify_administrators(session: Session, ctx: EngineContext, *, now: datetime | None = None) -> int:
    """Queue a message to each administrator for every recent step nobody can work; return how many steps."""
    since = (now or ctx.now()) - LOOK_BACK
    waiting = (Task.state == "ready", Task.assignee.is_(None), Task.for_applicant.is_(False), Task.created_at >= since)
    # As text: PostgreSQL has no equality for json values, so DISTINCT cannot compare them.
    rows = [(office, tuple(orjson.loads(groups) if groups else ())) for office, groups in session.execute(
        select(Task.jurisdiction, cast(Task.candidate_groups, String)).where(*waiting).distinct())]
    if not rows:
        return 0
    directory = Directory.of_active_users(session)
    unserved = {(office, groups) for office, groups in rows
                if not directory.officers(groups, office) and not directory.supervisors(office)}
    administrators = directory.administrators()
    if not unserved or not administrators:
        return 0
    steps = [step for step in session.execute(
        select(Task.id, Task.name, Task.element_id, Task.jurisdiction, Task.candidate_groups, Task.created_at,
               Task.instance_id, Instance.registration_no, Instance.definition_id)
        .join(Instance, Instance.id == Task.instance_id)
        .where(*waiting, Task.jurisdiction.in_(sorted({office for office, _ in unserved})))
        .order_by(Task.created_at, Task.id))
        if (step.jurisdiction, tuple(step.candidate_groups or ())) in unserved]
    metas = metas_of(session, {step.definition_id for step in steps})
    enqueue(session, ctx, [_message(ctx, step, person, metas.get(step.definition_id))
                           for step in steps for person in administrators])
    return len(steps)


def _message(ctx: EngineContext, step, person, meta: dict | None) -> Message:
    groups = ", ".join(step.candidate_groups or ()) or "-"
    since = local_time(ctx, step.created_at, step.jurisdiction)
    subject, body = in_both_languages(
        N_("Nobody can work %(step)s in %(office)s (%(reg)s)"),
        N_("Step %(step)s of application %(reg)s has been waiting since %(since)s, but no active officer of group "
           "%(groups)s and no supervisor serves office %(office)s, so it is in nobody's inbox.\nCreate or activate an "
           "officer account with group %(groups)s and office %(office)s (Admin → Users), or assign the task to "
           "another officer."),
        {"step": step.name, "office": step.jurisdiction, "reg": step.registration_no, "since": since,
         "groups": groups}, {ENGLISH: {"step": step_in_english(meta, step.element_id, step.name)}})
    return Message(kind=UNSTAFFED, recipient=person.username, subject=subject, body=body, email=person.email,
                   instance_id=step.instance_id, task_id=step.id,
                   data={"registration_no": step.registration_no, "jurisdiction": step.jurisdiction,
                         "groups": list(step.candidate_groups or ())},
                   dedupe_key=f"{UNSTAFFED}:{step.id}:{person.username}")

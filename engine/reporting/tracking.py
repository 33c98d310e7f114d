"""Tracking applications (*lacak permohonan*): the list a person may see, and one application's history.

The list is SQL over the ``instance`` columns only (never the state blob) with the same visibility rule as
``access.may_view_application``: applicants see their own; staff see the offices they serve (admins: all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.people.access import ADMIN, ALL_JURISDICTIONS, Actor
from engine.storage.models import Event, Instance, ServiceDefinition, Task

STATUSES = ("running", "completed", "error", "cancelled")
MAX_LIMIT = 200


@dataclass
class ApplicationSummary:
    id: int
    registration_no: str
    service: str
    version: int
    service_name: str
    applicant: str
    applicant_name: str
    jurisdiction: str
    status: str
    outcome: str | None
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    definition_id: int | None = None
    # What the version's end events mean (``engine.bpmn.choices``), for an ended file's status; None while it runs.
    definition_meta: dict | None = None


_COLUMNS = (Instance.id, Instance.registration_no, Instance.service_key, ServiceDefinition.version,
            ServiceDefinition.name_id, Instance.applicant, Instance.applicant_name, Instance.jurisdiction,
            Instance.status, Instance.outcome, Instance.started_at, Instance.updated_at, Instance.ended_at,
            Instance.definition_id)


def _visible(actor: Actor):
    own = Instance.applicant == actor.username
    if actor.institution_operator:  # a campus follows its students' files (engine.people.institutions)
        return Instance.institution_code == actor.institution_operator
    if not actor.is_staff:
        return own
    if ADMIN in actor.roles or ALL_JURISDICTIONS in actor.jurisdictions:
        return None
    if not actor.jurisdictions:
        return own
    offices = sorted(actor.jurisdictions)
    # Files of other offices appear once one of their steps is worked here (see applications.may_view).
    holds_a_step = exists().where(Task.instance_id == Instance.id, Task.jurisdiction.in_(offices))
    return or_(own, Instance.jurisdiction.in_(offices), holds_a_step)


def search(session: Session, actor: Actor, *, status: str | None = None, service: str | None = None,
           q: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[ApplicationSummary], int]:
    """Applications the actor may see, newest first, and how many match in total."""
    problems = {}
    if status is not None and status not in STATUSES:
        problems["status"] = f"Use one of: {', '.join(STATUSES)}."
    if not 1 <= limit <= MAX_LIMIT:
        problems["limit"] = f"Use 1 to {MAX_LIMIT}."
    if offset < 0:
        problems["offset"] = "Use 0 or more."
    if problems:
        raise InvalidInput("The filter is not valid: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                           problems)
    conditions = [c for c in [_visible(actor)] if c is not None]
    if status:
        conditions.append(Instance.status == status)
    if service:
        conditions.append(Instance.service_key == service)
    if q and q.strip():
        pattern = f"%{q.strip().lower()}%"
        # the name on the form (``applicant_name``) or the account that applied
        conditions.append(or_(func.lower(Instance.registration_no).like(pattern),
                              func.lower(Instance.applicant_name).like(pattern),
                              func.lower(Instance.applicant).like(pattern)))
    total = session.scalar(select(func.count(Instance.id)).where(*conditions)) or 0
    rows = session.execute(select(*_COLUMNS).join(ServiceDefinition, ServiceDefinition.id == Instance.definition_id)
                           .where(*conditions).order_by(Instance.started_at.desc(), Instance.id.desc())
                           .offset(offset).limit(limit))
    summaries = [ApplicationSummary(*row) for row in rows]
    ended = {summary.definition_id for summary in summaries if summary.status == "completed"}
    if ended:  # one query for the few versions the page's ended files ran on
        metas = dict(session.execute(select(ServiceDefinition.id, ServiceDefinition.meta)
                                     .where(ServiceDefinition.id.in_(sorted(ended)))).all())
        for summary in summaries:
            summary.definition_meta = metas.get(summary.definition_id)
    return summaries, total


def history(session: Session, instance: Instance) -> list[Event]:
    """The application's audit events, oldest first."""
    return list(session.scalars(select(Event).where(Event.instance_id == instance.id).order_by(Event.id)))

"""The office's people seen from the work: who could take a task, and which roles, groups and offices exist.

Groups and offices are not tables of their own: a group is a name that BPMN ``camunda:candidateGroups`` and user
accounts share, an office a jurisdiction code on accounts and applications. These overviews gather them from both
sides so an administrator sees a group that a diagram uses but nobody belongs to (a task nobody can work).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from engine.casework import tasks
from engine.errors import Forbidden
from engine.people.access import ADMIN, ALL_JURISDICTIONS, APPLICANT, ROLES, SUPERVISOR, Actor, may_work
from engine.storage.models import Instance, ServiceDefinition, Task, User


def assignable_to(session: Session, task_id: str, actor: Actor) -> list[User]:
    """Active staff who may work the task, for a supervisor of its office choosing whom to give it to."""
    task, instance = tasks.get(session, task_id, actor)
    if SUPERVISOR not in actor.roles or not actor.covers(task.jurisdiction):
        raise Forbidden("Only a supervisor of this office can assign tasks.")
    people = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [user for user in people if set(user.roles or []) - {APPLICANT} and may_work(
        Actor.of(user.username, user.roles, user.groups, user.jurisdictions), for_applicant=task.for_applicant,
        applicant=instance.applicant, assignee=None, candidate_groups=task.candidate_groups,
        jurisdiction=task.jurisdiction)]


@dataclass
class GroupInfo:
    name: str
    members: list[str] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)  # (service key, step name) that name the group


@dataclass
class OfficeInfo:
    code: str
    staff: list[str] = field(default_factory=list)
    open_tasks: int = 0
    applications: int = 0


@dataclass
class Organisation:
    roles: dict[str, list[str]]  # role -> usernames (applicants are counted, not listed)
    applicants: int
    groups: list[GroupInfo]
    offices: list[OfficeInfo]


def _require_admin(actor: Actor) -> None:
    if ADMIN not in actor.roles:
        raise Forbidden("Only an administrator can see the organisation.")


def organisation(session: Session, actor: Actor) -> Organisation:
    """Roles with their members, candidate groups with members and the steps using them, offices with staff."""
    _require_admin(actor)
    roles: dict[str, list[str]] = {role: [] for role in ROLES if role != APPLICANT}
    applicants = 0
    groups: dict[str, GroupInfo] = {}
    offices: dict[str, OfficeInfo] = {}
    for username, user_roles, user_groups, jurisdictions, active in session.execute(
            select(User.username, User.roles, User.groups, User.jurisdictions, User.active)
            .order_by(User.username)):
        if not active:
            continue
        if set(user_roles or []) <= {APPLICANT}:
            applicants += 1
            continue
        for role in user_roles or []:
            roles.setdefault(role, []).append(username)
        for group in user_groups or []:
            groups.setdefault(group, GroupInfo(group)).members.append(username)
        for code in jurisdictions or []:
            offices.setdefault(code, OfficeInfo(code)).staff.append(username)
    for key, meta in session.execute(select(ServiceDefinition.key, ServiceDefinition.meta)
                                     .where(ServiceDefinition.status != "retired")):
        for step in (meta or {}).get("tasks", {}).values():
            for group in step.get("candidate_groups") or []:
                info = groups.setdefault(group, GroupInfo(group))
                if (key, step.get("name", "")) not in info.steps:
                    info.steps.append((key, step.get("name", "")))
    for code, count in session.execute(select(Task.jurisdiction, func.count()).where(
            Task.state.in_(("ready", "claimed"))).group_by(Task.jurisdiction)):
        offices.setdefault(code, OfficeInfo(code)).open_tasks = count
    for code, count in session.execute(select(Instance.jurisdiction, func.count(distinct(Instance.id)))
                                       .group_by(Instance.jurisdiction)):
        offices.setdefault(code, OfficeInfo(code)).applications = count
    ordered_offices = sorted(offices.values(), key=lambda o: (o.code != ALL_JURISDICTIONS, o.code))
    return Organisation(roles, applicants, sorted(groups.values(), key=lambda g: g.name), ordered_offices)


def known_offices(session: Session) -> list[str]:
    """Office codes in use (on accounts and applications), for choosing jurisdictions."""
    codes = {code for (code,) in session.execute(select(Instance.jurisdiction).distinct())}
    for (jurisdictions,) in session.execute(select(User.jurisdictions)):
        codes.update(jurisdictions or [])
    return sorted(codes)


def known_groups(session: Session) -> list[str]:
    """Candidate groups named by deployed diagrams or held by accounts, for choosing groups."""
    names: set[str] = set()
    for (meta,) in session.execute(select(ServiceDefinition.meta)):
        for step in (meta or {}).get("tasks", {}).values():
            names.update(step.get("candidate_groups") or [])
    for (groups,) in session.execute(select(User.groups)):
        names.update(groups or [])
    return sorted(names)

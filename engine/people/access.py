"""Who may do what: the rules the API enforces, kept in the engine so every entry point shares them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.storage.models import Instance, Task

APPLICANT, OFFICER, SUPERVISOR, ANALYST, MANAGER, ADMIN = (
    "applicant", "officer", "supervisor", "analyst", "manager", "admin")
# An operator of a campus (or other institution whose students apply): not office staff, sees only its students'
# files and works the steps a diagram gives to the applicant's institution.
INSTITUTION = "institution"
ROLES = (APPLICANT, OFFICER, SUPERVISOR, ANALYST, MANAGER, ADMIN, INSTITUTION)
# The candidate group that, in a diagram, means "the operators of the applicant's institution"; a step's row holds
# it resolved to that one institution (``institution:<code>``), so the inbox and access rules need no join.
INSTITUTION_GROUP = "institution"
# The candidate group of one person: a step the process gave to people by name (spiff-arena's ``lane_owners``,
# engine.casework.lane_owners) lists each as ``person:<username>``, which the inbox, this module's rules and the
# directory match as a group that person alone holds.
PERSON_GROUP = "person"
# Jurisdiction code that grants every office (a provincial administrator's view).
ALL_JURISDICTIONS = "*"


@dataclass(frozen=True)
class Actor:
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    groups: frozenset[str] = field(default_factory=frozenset)
    jurisdictions: frozenset[str] = field(default_factory=frozenset)
    full_name: str = ""
    institution: str | None = None  # the campus of an applicant or an institution operator

    @classmethod
    def of(cls, username: str, roles=(), groups=(), jurisdictions=(), full_name: str = "",
           institution: str | None = None) -> Actor:
        return cls(username, frozenset(roles), frozenset(groups), frozenset(jurisdictions), full_name,
                   institution or None)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles)) or ADMIN in self.roles

    def covers(self, jurisdiction: str) -> bool:
        return ALL_JURISDICTIONS in self.jurisdictions or jurisdiction in self.jurisdictions

    @property
    def is_staff(self) -> bool:
        return bool(self.roles - {APPLICANT, INSTITUTION})

    @property
    def institution_operator(self) -> str | None:
        """The institution whose operator this actor is, if any."""
        return self.institution if INSTITUTION in self.roles else None


def institution_group(code: str) -> str:
    """The candidate group a step for the operators of institution ``code`` holds."""
    return f"{INSTITUTION_GROUP}:{code}"


def person_group(username: str) -> str:
    """The candidate group only ``username`` holds."""
    return f"{PERSON_GROUP}:{username}"


SYSTEM = Actor.of("system", roles=[ADMIN], jurisdictions=[ALL_JURISDICTIONS])


def may_work(actor: Actor, *, for_applicant: bool, applicant: str, assignee: str | None,
             candidate_groups: list[str], jurisdiction: str) -> bool:
    """May ``actor`` claim or complete a task with these properties?"""
    if for_applicant:
        return actor.username == applicant
    if assignee is not None and assignee == actor.username:
        return True
    if actor.institution_operator and institution_group(actor.institution_operator) in candidate_groups:
        return True  # the campus's own step (its office does not matter: the student's campus is what counts)
    if not actor.covers(jurisdiction):
        return False
    if SUPERVISOR in actor.roles:
        return True  # supervisors oversee every step of their offices, including tasks nobody else may work
    return OFFICER in actor.roles and (bool(actor.groups.intersection(candidate_groups))
                                       or person_group(actor.username) in candidate_groups)


def may_view_application(actor: Actor, *, applicant: str, jurisdiction: str) -> bool:
    if actor.username == applicant:
        return True
    return actor.is_staff and (actor.covers(jurisdiction) or actor.has_role(ADMIN))


def may_view_file(session: Session, actor: Actor, instance: Instance) -> bool:
    """The applicant, staff of the application's office, staff of any office that holds one of its steps, and the
    operators of the institution the applicant applied under.

    The third part matters when a file travels: a Sinjai vessel's review step is worked in the province office
    (``sulsel``), whose reviewer must see the application and its documents.
    """
    if may_view_application(actor, applicant=instance.applicant, jurisdiction=instance.jurisdiction):
        return True
    if actor.institution_operator:
        return instance.institution_code == actor.institution_operator
    if not actor.is_staff or not actor.jurisdictions:
        return False
    step_here = select(Task.id).where(Task.instance_id == instance.id,
                                      Task.jurisdiction.in_(sorted(actor.jurisdictions))).limit(1)
    return session.scalar(step_here) is not None

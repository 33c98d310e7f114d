"""spiff-arena's ``lane_owners``: a script names the people of a lane, and a step of that lane goes to them alone.

In spiff-arena a script sets ``lane_owners = {"Lane name": ["username", …]}``; a human task drawn in that lane then
becomes ready for those people only, not for everyone of the lane's group. Here, when such a step becomes ready, its
task row lists each named person as the candidate group ``person:<username>`` (:func:`engine.people.access.
person_group`) *instead of* the lane's group; the inbox, the access rule and the directory match it as a group
that person alone holds, so the other rules stand unchanged: the person must be an active officer of the step's
office (its jurisdiction), and the office's supervisors still oversee the step.

Who the process names is data a script computed, so it is checked against the accounts when the step is created:
a name that is no active officer (or supervisor) of the step's office is left out, and recorded in the audit
(``lane_owners_ignored``, with why). When nobody named is left, the step has no candidate but the office's
supervisors — as in spiff-arena, where such a task has no potential owner — rather than the lane's whole group,
which would give it to the very people the process meant to leave out. Every step given this way is recorded
(``task_lane_owners``: the lane and the people), since it bypasses the groups administrators manage.

Only when the step becomes ready: a script changing ``lane_owners`` later does not move a step already waiting.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.people.access import ALL_JURISDICTIONS, OFFICER, PERSON_GROUP, SUPERVISOR, person_group
from engine.storage import audit
from engine.storage.models import Task, User

VARIABLE = "lane_owners"
GIVEN, IGNORED = "task_lane_owners", "lane_owners_ignored"
SYSTEM_ACTOR = "system"
MAX_NAMES = 50  # of one lane: the step's row carries them all, and the inbox matches each


def named_for(settings: dict, data: dict) -> tuple[str, list] | None:
    """(lane, the names the task data gives it) when the step is in a lane ``lane_owners`` lists; else None. The
    applicant's own steps keep their applicant."""
    lane = settings.get("lane")
    table = data.get(VARIABLE) if isinstance(data, dict) else None
    if not lane or settings.get("for_applicant") or not isinstance(table, dict) or lane not in table:
        return None
    names = table[lane]
    return lane, [names] if isinstance(names, str) else list(names) if isinstance(names, list) else [names]


def give_to_owners(session: Session, row: Task, settings: dict, data: dict, now) -> None:
    """Give the new task ``row`` to the people ``lane_owners`` names for its lane (see the module's docstring)."""
    found = named_for(settings, data)
    if found is None:
        return
    lane, names = found
    wanted = list(dict.fromkeys(n.strip() for n in names[:MAX_NAMES] if isinstance(n, str) and n.strip()))
    accounts = {user.username: user for user in session.execute(
        select(User.username, User.roles, User.jurisdictions).where(User.username.in_(wanted),
                                                                     User.active.is_(True)))} if wanted else {}
    owners, ignored = [], [{"name": repr(n), "why": "not a user name"} for n in names[:MAX_NAMES]
                           if not isinstance(n, str) or not n.strip()]
    if len(names) > MAX_NAMES:
        ignored.append({"name": f"{len(names) - MAX_NAMES} more", "why": f"a lane names at most {MAX_NAMES} people"})
    for name in wanted:
        why = _why_not(accounts.get(name), row.jurisdiction)
        if why is None:
            owners.append(name)
        else:
            ignored.append({"name": name, "why": why})
    row.candidate_groups = [person_group(name) for name in owners]
    common = {"actor": SYSTEM_ACTOR, "at": now, "instance_id": row.instance_id, "task_id": row.id,
              "element_id": row.element_id, "lane": lane}
    audit.record(session, GIVEN, **common, owners=owners, office=row.jurisdiction)
    if ignored:
        audit.record(session, IGNORED, **common, ignored=ignored,
                     warning=f"lane_owners names {len(ignored)} people for lane {lane!r} who cannot work this step; "
                             + ("the named people who can work it have it" if owners else
                                "nobody named can, so only the office's supervisors can work it"))


def _why_not(account, office: str) -> str | None:
    """Why the account named cannot have the step, or None when it can."""
    if account is None:
        return "no active account has this user name"
    roles = set(account.roles or ())
    if not roles & {OFFICER, SUPERVISOR}:
        return "not an officer"
    if ALL_JURISDICTIONS not in (account.jurisdictions or ()) and office not in (account.jurisdictions or ()):
        return f"does not work in office {office}"
    return None


def people_named(candidate_groups: list[str]) -> list[str]:
    """The user names of a step given to people by name (empty for a step of groups)."""
    prefix = f"{PERSON_GROUP}:"
    return [group[len(prefix):] for group in candidate_groups or () if group.startswith(prefix)]

"""Candidate groups as a managed list (*daftar grup*): administrators add, retitle and retire groups; accounts are
given groups only from the active list; a deploy names the diagram's groups that are not on it or that no account has.

A group's ``name`` is what diagrams write in ``camunda:candidateGroups`` and what accounts hold, so it never changes:
"renaming" changes the title people read. A retired group stays in the table (history, old versions' steps) but can
no longer be given to an account. A name that is not on the list is refused by name, with the closest listed name
offered, so a mistyped ``verifer`` is caught where it is typed instead of quietly becoming a group nobody works.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.people.access import ADMIN, INSTITUTION_GROUP, Actor
from engine.storage import audit
from engine.storage.models import StaffGroup, User
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,99}$")
NAME_ADVICE = Text(N_("Use 2–100 lower-case letters, digits, '_' or '-', starting with a letter (e.g. verifier)."))


@dataclass(frozen=True)
class GroupRow:
    name: str
    title: str
    retired: bool
    members: int


def _require_admin(actor: Actor) -> None:
    if ADMIN not in actor.roles:
        raise Forbidden(Text(N_("Only an administrator can manage groups.")))


def _get(session: Session, name: str) -> StaffGroup:
    group = session.get(StaffGroup, (name or "").strip().lower())
    if group is None:
        raise NotFound(Text(N_("There is no group %(name)s."), {"name": repr(name)}))
    return group


def active_names(session: Session) -> list[str]:
    """The names accounts may be given, sorted."""
    return list(session.scalars(select(StaffGroup.name).where(StaffGroup.retired_at.is_(None))
                                .order_by(StaffGroup.name)))


def listing(session: Session, *, include_retired: bool = True) -> list[GroupRow]:
    """Every group with how many active accounts hold it; active ones first, then by name."""
    held: dict[str, int] = {}
    for (groups,) in session.execute(select(User.groups).where(User.active.is_(True))):
        for name in groups or ():
            held[name] = held.get(name, 0) + 1
    query = select(StaffGroup)
    if not include_retired:
        query = query.where(StaffGroup.retired_at.is_(None))
    rows = [GroupRow(g.name, g.title, g.retired_at is not None, held.get(g.name, 0)) for g in session.scalars(query)]
    return sorted(rows, key=lambda row: (row.retired, row.name))


def add(session: Session, ctx: EngineContext, actor: Actor, name: str, title: str = "") -> StaffGroup:
    """Put a group on the list (a retired one comes back). ``InvalidInput`` for a bad name, ``Conflict`` when an
    active group has it already."""
    _require_admin(actor)
    name = (name or "").strip().lower()
    if not _NAME.match(name):
        raise InvalidInput(Text(N_("The group name %(name)s is not valid. %(advice)s"),
                                {"name": repr(name), "advice": NAME_ADVICE}), {"name": NAME_ADVICE})
    title = (title or "").strip()[:300] or name
    group = session.get(StaffGroup, name)
    if group is not None and group.retired_at is None:
        raise Conflict(Text(N_("The group %(name)s is already on the list."), {"name": repr(name)}))
    if group is None:
        group = StaffGroup(name=name, title=title, created_at=ctx.now())
        session.add(group)
    else:
        group.retired_at, group.title = None, title
    session.flush()
    audit.record(session, "group_added", actor=actor.username, at=ctx.now(), group=name, title=title)
    return group


def retitle(session: Session, ctx: EngineContext, actor: Actor, name: str, title: str) -> StaffGroup:
    """Change the title people read; the name diagrams use stays."""
    _require_admin(actor)
    group = _get(session, name)
    title = (title or "").strip()[:300]
    if not title:
        advice = Text(N_("Give the group a title, e.g. Verifikator berkas."))
        raise InvalidInput(advice, {"title": advice})
    before, group.title = group.title, title
    audit.record(session, "group_renamed", actor=actor.username, at=ctx.now(), group=group.name, before=before,
                 after=title)
    session.flush()
    return group


def retire(session: Session, ctx: EngineContext, actor: Actor, name: str) -> StaffGroup:
    """Take a group off the list; accounts keep it (their open steps stay workable) but nobody new gets it."""
    _require_admin(actor)
    group = _get(session, name)
    if group.retired_at is None:
        group.retired_at = ctx.now()
        audit.record(session, "group_retired", actor=actor.username, at=ctx.now(), group=group.name)
        session.flush()
    return group


def ensure(session: Session, ctx: EngineContext, names: Iterable[str], *, actor: str | None,
           titles: dict[str, str] | None = None) -> list[str]:
    """Add the names not on the list yet (setup and the demo seed), titled from ``titles`` when given; returns those
    added."""
    known = set(session.scalars(select(StaffGroup.name)))
    added = sorted({n.strip().lower() for n in names if n and n.strip()} - known)
    for name in added:
        session.add(StaffGroup(name=name, title=(titles or {}).get(name, name), created_at=ctx.now()))
    if added:
        session.flush()
        audit.record(session, "groups_seeded", actor=actor, at=ctx.now(), groups=added)
    return added


def check_assignable(session: Session, groups: Iterable[str], *, held: Iterable[str] = ()) -> list[str]:
    """The groups cleaned and sorted, or ``InvalidInput`` naming each one not on the active list with the closest
    listed name. ``held`` are groups the account has already: keeping a retired one is allowed."""
    wanted = sorted({g.strip() for g in groups if g and g.strip()})
    listed = active_names(session)
    allowed = set(listed) | set(held)
    unknown = [g for g in wanted if g not in allowed]
    if not unknown:
        return wanted
    said = []
    for name in unknown:
        close = difflib.get_close_matches(name, listed, n=1, cutoff=0.6)
        said.append(Text(N_("%(name)s (did you mean %(suggestion)s?)"), {"name": repr(name), "suggestion": close[0]})
                     if close else repr(name))
    while len(said) > 1:
        said[-2:] = [Text(N_("%(earlier)s; %(later)s"), {"earlier": said[-2], "later": said[-1]})]
    message = Text(N_("Not on the list of groups: %(groups)s. Choose from the list, or add the group first (Admin → "
                      "Groups)."), {"groups": said[0]})
    raise InvalidInput(message, {"groups": message})


@dataclass(frozen=True)
class DiagramGroup:
    element_id: str
    group: str
    listed: bool
    held: bool


def diagram_groups(session: Session, meta: dict) -> list[DiagramGroup]:
    """Each candidate group a definition's steps name that is not on the active list or that no active account
    holds, located by the step's element id, in the diagram's order."""
    listed = set(active_names(session))
    held = {name for (groups,) in session.execute(select(User.groups).where(User.active.is_(True)))
            for name in groups or ()}
    found = []
    for element_id, step in (meta.get("tasks") or {}).items():
        for group in step.get("candidate_groups") or ():
            if group == INSTITUTION_GROUP:
                continue  # not a staff group: the applicant's campus operators (engine.people.institutions)
            if step.get("lane_owned") and group == step.get("lane"):
                continue  # the lane's steps go to the people a script names in lane_owners, never to this group
            if group not in listed or group not in held:
                found.append(DiagramGroup(element_id, group, group in listed, group in held))
    return found

"""Account administration (admins) and self-registration (applicants).

Creating a user is ``engine.people.users.create``; this module adds what an office needs around it: applicants
registering
themselves, listing, changing roles, groups, jurisdictions and the active flag, and resetting passwords. Every
change is audited; deactivating a user or resetting a password revokes that user's API tokens at once.

A claimed step belongs to one person until they complete or release it: when an account is deactivated, or loses the
group or office a step it holds needs, that step goes back to its group's queue (audited as a release), instead of
staying with someone who can no longer sign in or work it, where only a supervisor would find it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine.errors import Forbidden, InvalidInput, NotFound
from engine.forms.schemas import EMAIL_ADVICE, looks_like_email
from engine.people import groups as group_list
from engine.people import passwords, tokens
from engine.people import users as user_service
from engine.people.access import ADMIN, APPLICANT, ROLES, Actor, may_work
from engine.storage import audit
from engine.storage.models import Instance, Task, User
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

_JURISDICTION_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-*")


def register_applicant(session: Session, ctx: EngineContext, *, username: str, password: str, full_name: str = "",
                       email: str | None = None, nik: str | None = None) -> User:
    """Self-service sign-up: the account gets the applicant role and nothing else (and its NIK when given, so the
    office counter finds it)."""
    return user_service.create(session, username=username, password=password, roles=[APPLICANT],
                               full_name=full_name, email=email, actor=(username or "").strip().lower() or None,
                               at=ctx.now(), nik=nik)


def _require_admin(actor: Actor) -> None:
    if ADMIN not in actor.roles:
        raise Forbidden(Text(N_("Only an administrator can manage user accounts.")))


def _check_jurisdictions(values) -> None:
    bad = [v for v in values or [] if not v or set(v) - _JURISDICTION_CHARS]
    if bad:
        raise InvalidInput(Text(N_("Invalid jurisdiction code(s): %(codes)s."), {"codes": ", ".join(map(repr, bad))}),
                           {"jurisdictions": Text(N_("Use office codes such as sulsel, sinjai or bone ('*' for "
                                                     "all)."))})


def create(session: Session, ctx: EngineContext, actor: Actor, **fields) -> User:
    _require_admin(actor)
    _check_jurisdictions(fields.get("jurisdictions"))
    if fields.get("groups"):
        fields["groups"] = group_list.check_assignable(session, fields["groups"])
    return user_service.create(session, actor=actor.username, at=ctx.now(), **fields)


def get(session: Session, actor: Actor, username: str) -> User:
    _require_admin(actor)
    user = user_service.by_username(session, (username or "").strip().lower())
    if user is None:
        raise NotFound(Text(N_("There is no user %(username)s."), {"username": repr(username)}))
    return user


def search(session: Session, actor: Actor, *, role: str | None = None, q: str | None = None,
           active: bool | None = None, limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    """Users matching the filters, by username; and how many match in total."""
    _require_admin(actor)
    query = select(User)
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(User.username).like(pattern), func.lower(User.full_name).like(pattern)))
    if active is not None:
        query = query.where(User.active.is_(active))
    rows = list(session.scalars(query.order_by(User.username)))
    if role:
        # Roles are a short JSON list per user; filtering them in Python keeps one query for both databases.
        rows = [u for u in rows if role in (u.roles or [])]
    return rows[offset:offset + limit], len(rows)


def update(session: Session, ctx: EngineContext, actor: Actor, username: str, *, roles=None, groups=None,
           jurisdictions=None, active: bool | None = None, full_name: str | None = None,
           email: str | None = None) -> User:
    """Change what is given (None leaves a field alone)."""
    user = get(session, actor, username)
    before = _snapshot(user)
    if roles is not None:
        roles = sorted({r.strip() for r in roles if r and r.strip()})
        if not roles or [r for r in roles if r not in ROLES]:
            choose = Text(N_("Choose roles from: %(roles)s."), {"roles": ", ".join(ROLES)})
            raise InvalidInput(choose, {"roles": choose})
        if user.username == actor.username and ADMIN not in roles:
            raise InvalidInput(Text(N_("You cannot remove your own administrator role; ask another administrator.")),
                               {"roles": Text(N_("An administrator cannot demote themselves."))})
        user.roles = roles
    if groups is not None:
        user.groups = group_list.check_assignable(session, groups, held=user.groups or ())
    if jurisdictions is not None:
        _check_jurisdictions(jurisdictions)
        user.jurisdictions = sorted({j.strip() for j in jurisdictions if j and j.strip()})
    if full_name is not None:
        user.full_name = full_name.strip() or user.username
    if email is not None:
        if email.strip() and not looks_like_email(email):
            raise InvalidInput(EMAIL_ADVICE, {"email": EMAIL_ADVICE})
        user.email = email.strip() or None
    if active is not None and active != user.active:
        if user.username == actor.username and not active:
            raise InvalidInput(Text(N_("You cannot deactivate your own account.")),
                               {"active": Text(N_("Ask another administrator."))})
        user.active = active
        if not active:
            tokens.revoke_all(session, ctx, user.id)
    audit.record(session, "user_updated", actor=actor.username, at=ctx.now(), username=user.username,
                 before=before, after=_snapshot(user))
    _release_claims(session, ctx, actor, user)
    session.flush()
    return user


def claimed_tasks(session: Session, username: str) -> list[tuple[Task, str]]:
    """The open office steps ``username`` holds, oldest first, each with its file's registration number."""
    return [(task, number) for task, number in session.execute(
        select(Task, Instance.registration_no).join(Instance, Instance.id == Task.instance_id)
        .where(Task.assignee == username, Task.state.in_(("ready", "claimed")), Task.for_applicant.is_(False))
        .order_by(Task.created_at, Task.id))]


def _release_claims(session: Session, ctx: EngineContext, actor: Actor, user: User) -> None:
    """Back to their group's queue: the steps ``user`` holds but may no longer work (inactive, or without the
    group or office the step needs)."""
    person = Actor.of(user.username, user.roles or [], user.groups or [], user.jurisdictions or [])
    now = ctx.now()
    for task, _number in claimed_tasks(session, user.username):
        if user.active and may_work(person, for_applicant=False, applicant="", assignee=None,
                                    candidate_groups=task.candidate_groups or [], jurisdiction=task.jurisdiction):
            continue
        task.state, task.assignee, task.claimed_at = "ready", None, None
        audit.record(session, "task_unclaimed", actor=actor.username, at=now, instance_id=task.instance_id,
                     task_id=task.id, element_id=task.element_id, previous_assignee=user.username,
                     reason="account_deactivated" if not user.active else "account_changed")


def reset_password(session: Session, ctx: EngineContext, actor: Actor, username: str, password: str) -> User:
    """Set a new password (``WeakPassword`` when the policy refuses it) and sign the user out everywhere."""
    user = get(session, actor, username)
    passwords.check(password, username=user.username, names=(user.full_name, user.email))
    user.password_hash = generate_password_hash(password)
    revoked = tokens.revoke_all(session, ctx, user.id)
    audit.record(session, "password_reset", actor=actor.username, at=ctx.now(), username=user.username,
                 tokens_revoked=revoked)
    session.flush()
    return user


def _snapshot(user: User) -> dict:
    return {"roles": list(user.roles or []), "groups": list(user.groups or []),
            "jurisdictions": list(user.jurisdictions or []), "active": user.active, "full_name": user.full_name,
            "email": user.email}

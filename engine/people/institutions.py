"""Institutions (*lembaga*: the campuses whose students apply for research permits) and their operators.

An institution is a record (code, name, address, e-mail); its operators are accounts with the ``institution`` role
and the institution's code; its students are applicant accounts registered under it. A file keeps the campus its
applicant had when it started (``instance.institution_code``): that is what the campus's operators see, and what a
diagram's ``camunda:candidateGroups="institution"`` step is narrowed to (``engine.casework.projection``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, Forbidden, InvalidData, InvalidInput
from engine.forms.schemas import EMAIL_ADVICE, looks_like_email
from engine.people import users as user_service
from engine.people.access import ADMIN, APPLICANT, INSTITUTION, Actor
from engine.storage import audit
from engine.storage.models import Instance, Institution, User
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,49}$")
CODE_ADVICE = Text(N_("Use 2–50 lower-case letters, digits, '_' or '-', starting with a letter (e.g. unhas)."))
# The start-form field that names the applicant's institution (forms/research_permit/apply.json).
FORM_FIELD = "institution"


def listing(session: Session) -> list[Institution]:
    """Every institution, by name: what the registration page offers."""
    return list(session.scalars(select(Institution).order_by(Institution.name, Institution.code)))


@dataclass
class Overview:
    """One institution as administrators see it: the record, its operator accounts and how many students."""

    institution: Institution
    operators: list[User] = field(default_factory=list)
    students: int = 0


def overview(session: Session) -> list[Overview]:
    """Every institution with its operators and its number of student accounts, by name (two queries whatever the
    number of campuses: the students are counted in SQL, only the few operator accounts are loaded)."""
    rows = {row.code: Overview(row) for row in listing(session)}
    counted = session.execute(select(User.institution_code, func.count()).where(User.institution_code.is_not(None))
                              .group_by(User.institution_code))
    for code, number in counted:
        if code in rows:
            rows[code].students = number
    for user in session.scalars(select(User).where(User.institution_code.is_not(None)).order_by(User.username)):
        if INSTITUTION in (user.roles or []) and user.institution_code in rows:
            rows[user.institution_code].operators.append(user)
            rows[user.institution_code].students -= 1  # counted above with the students
    return list(rows.values())


def _checked(code: str, name: str, email: str | None) -> dict:
    problems = {}
    if not _CODE.match(code):
        problems["code"] = CODE_ADVICE
    if not name:
        problems["name"] = Text(N_("Write the institution's name (e.g. Universitas Hasanuddin)."))
    if email and not looks_like_email(email):
        problems["email"] = EMAIL_ADVICE
    return problems


def update(session: Session, ctx: EngineContext, actor: Actor, code: str, *, name: str, address: str = "",
           email: str | None = None) -> Institution:
    """Correct an institution's name, address or e-mail (administrators only); the code, which files and accounts
    keep, never changes."""
    if ADMIN not in actor.roles:
        raise Forbidden(Text(N_("Only an administrator can change institutions.")))
    institution = require(session, code, field="code")
    name, email = (name or "").strip(), (email or "").strip() or None
    problems = _checked(institution.code, name, email)
    if problems:
        raise InvalidInput(Text(N_("The institution cannot be changed: check the fields marked.")), problems)
    before = {"name": institution.name, "address": institution.address, "email": institution.email}
    institution.name, institution.address, institution.email = name, (address or "").strip(), email
    after = {"name": institution.name, "address": institution.address, "email": institution.email}
    audit.record(session, "institution_changed", actor=actor.username, at=ctx.now(), code=institution.code,
                 changed={key: [before[key], after[key]] for key in before if before[key] != after[key]})
    return institution


def get(session: Session, code: str | None) -> Institution | None:
    return session.get(Institution, code) if code else None


def create(session: Session, ctx: EngineContext, actor: Actor, *, code: str, name: str, address: str = "",
           email: str | None = None) -> Institution:
    """Add an institution (administrators only); ``InvalidInput`` names the field to fix, ``Conflict`` a taken
    code."""
    if ADMIN not in actor.roles:
        raise Forbidden(Text(N_("Only an administrator can add institutions.")))
    code, name, email = (code or "").strip().lower(), (name or "").strip(), (email or "").strip() or None
    problems = _checked(code, name, email)
    if problems:
        raise InvalidInput(Text(N_("The institution cannot be added: check the fields marked.")), problems)
    if get(session, code) is not None:
        raise Conflict(Text(N_("The institution code %(code)s is taken. Choose another."), {"code": repr(code)}))
    institution = Institution(code=code, name=name, address=(address or "").strip(), email=email,
                              created_at=ctx.now())
    session.add(institution)
    session.flush()
    audit.record(session, "institution_created", actor=actor.username, at=ctx.now(), code=code, name=name)
    return institution


def require(session: Session, code: str | None, *, field: str = "institution") -> Institution:
    """The institution ``code`` names; ``InvalidInput`` on ``field`` when there is none."""
    institution = get(session, (code or "").strip().lower())
    if institution is None:
        choose = Text(N_("Choose your campus from the list; if it is missing, ask the office to add it."))
        raise InvalidInput(Text(N_("There is no institution %(code)s."), {"code": repr(code or "")}),
                           {field: choose})
    return institution


def add_operator(session: Session, ctx: EngineContext, actor: Actor, *, code: str, username: str, password: str,
                 full_name: str = "", email: str | None = None) -> User:
    """An operator account for institution ``code`` (administrators only)."""
    if ADMIN not in actor.roles:
        raise Forbidden(Text(N_("Only an administrator can add institution operators.")))
    institution = require(session, code, field="code")
    return user_service.create(session, username=username, password=password, roles=[INSTITUTION],
                               full_name=full_name, email=email, actor=actor.username, at=ctx.now(),
                               institution_code=institution.code)


def register_student(session: Session, ctx: EngineContext, *, code: str, username: str, password: str,
                     full_name: str = "", email: str | None = None, nik: str | None = None) -> User:
    """Self-service sign-up under a campus: an applicant account that keeps its institution."""
    institution = require(session, code)
    return user_service.create(session, username=username, password=password, roles=[APPLICANT],
                               full_name=full_name, email=email, actor=(username or "").strip().lower() or None,
                               at=ctx.now(), institution_code=institution.code, nik=nik)


def student(session: Session, operator: Actor, username: str | None) -> User:
    """The applicant account ``username`` registered under ``operator``'s institution (applying on their behalf);
    ``InvalidData`` on the ``applicant`` field otherwise."""
    user = user_service.by_username(session, (username or "").strip().lower())
    if (user is None or not user.active or APPLICANT not in (user.roles or [])
            or user.institution_code != operator.institution_operator):
        raise InvalidData(Text(N_("%(applicant)s is not a student registered under your institution."),
                               {"applicant": repr(username or "")}),
                          {"applicant": Text(N_("Give the username the student registered with under your "
                                                "campus; they register first, choosing your campus."))})
    return user


def of_account(session: Session, username: str) -> Institution | None:
    """The institution the account ``username`` is registered under, if any."""
    code = session.scalar(select(User.institution_code).where(User.username == username))
    return get(session, code)


def fill_form(institution: Institution | None, data: dict, schema: dict | None) -> dict:
    """The start form's data with the applicant's campus in its ``institution`` field.

    Empty, it is filled in with the campus's name; a different name is refused there (the file goes to that
    campus's operators, so what the form says must agree); a form without the field is left alone."""
    if institution is None or FORM_FIELD not in ((schema or {}).get("properties") or {}):
        return data
    written = data.get(FORM_FIELD)
    if written in (None, ""):
        return {**data, FORM_FIELD: institution.name}
    if not isinstance(written, str):
        return data  # the form's own check names what is wrong with it
    if " ".join(written.split()).casefold() != institution.name.casefold():
        raise InvalidData(Text(N_("The institution on the form is not the campus the account is registered under.")),
                          {FORM_FIELD: Text(N_("Write %(name)s, or leave the field empty to have it filled in."),
                                            {"name": institution.name})})
    return {**data, FORM_FIELD: institution.name}


def files(session: Session, actor: Actor, *, limit: int = 200) -> list[Instance]:
    """The files of ``actor``'s institution's students, newest first (operators only)."""
    code = actor.institution_operator
    if code is None:
        raise Forbidden(Text(N_("Only an institution's operators can list its students' files.")))
    return list(session.scalars(select(Instance).where(Instance.institution_code == code)
                                .order_by(Instance.started_at.desc(), Instance.id.desc()).limit(limit)))

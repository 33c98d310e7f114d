"""Counter intake (*loket*): the front office applies for a walk-in applicant.

Many fishermen and small firms come to the office with paper documents rather than a phone. The clerk finds the
person's account by NIK, e-mail or phone — or opens one, whose username is the NIK, so the person can later take it
over with "forgot password" — and applies on their behalf through the ordinary start form
(``use_cases.start_application``: the file's applicant is that person, its office the service's rule, and the
clerk must serve that office). The clerk is recorded as ``submitted_by`` in the ``submitted_at_counter`` event,
and :func:`receipt` gives what the printed receipt (*tanda terima*) shows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.errors import Forbidden, InvalidInput
from engine.forms.schemas import looks_like_email
from engine.people import users
from engine.people.access import APPLICANT, Actor
from engine.people.contact import phone_or_none
from engine.storage import audit
from engine.storage.models import Attachment, Event, Instance, User
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

FRONT_OFFICE = "front_office"
SUBMITTED_AT_COUNTER = "submitted_at_counter"


@dataclass(frozen=True)
class Walkin:
    """Who the clerk is serving, as typed at the counter."""

    nik: str = ""
    email: str = ""
    phone: str = ""
    full_name: str = ""


def may_take_walk_ins(actor: Actor) -> bool:
    return FRONT_OFFICE in actor.groups


def _require_clerk(actor: Actor) -> None:
    if not may_take_walk_ins(actor):
        raise Forbidden(Text(N_("Only the front office (group front_office) takes applications at the counter.")))


def _checked(person: Walkin) -> Walkin:
    nik, email = person.nik.strip(), person.email.strip().lower()
    problems = {}
    if nik and not users.NIK.fullmatch(nik):
        problems["nik"] = Text(N_("The NIK is the 16 digits on the KTP, without spaces."))
    if email and not looks_like_email(email):
        problems["email"] = Text(N_("Write the e-mail address as name@example.com, or leave it empty."))
    phone = phone_or_none(person.phone) if person.phone.strip() else ""
    if phone is None:
        problems["phone"] = Text(N_("Write the phone number as 08… or +62…, or leave it empty."))
    if not (nik or email or phone):
        problems["nik"] = Text(N_("Give the applicant's NIK, e-mail address or phone number."))
    if problems:
        raise InvalidInput(Text(N_("The applicant cannot be looked up: check the fields marked.")), problems)
    return Walkin(nik, email, phone or "", " ".join(person.full_name.split())[:300])


def find(session: Session, actor: Actor, person: Walkin) -> list[User]:
    """Active applicant accounts matching the NIK (the account's own, given online or at the counter), e-mail or
    phone given."""
    _require_clerk(actor)
    person = _checked(person)
    matches = []
    if person.nik:
        matches.append(or_(User.nik == person.nik, User.username == person.nik))
    if person.email:
        matches.append(func.lower(User.email) == person.email)
    if person.phone:
        matches.append(User.phone == person.phone)
    return list(session.scalars(select(User).where(User.active.is_(True), or_(*matches)).order_by(User.username)
                                .limit(10)))


def open_account(session: Session, actor: Actor, person: Walkin, *, at: datetime) -> User:
    """An applicant account for a walk-in with no account: the NIK is its username, the password random (the
    person sets their own through "forgot password" by e-mail or phone). ``InvalidInput`` naming the field when
    the NIK or the name is missing, ``Conflict`` when the NIK has an account already."""
    _require_clerk(actor)
    person = _checked(person)
    problems = {}
    if not person.nik:
        problems["nik"] = Text(N_("An account opened at the counter needs the applicant's NIK (16 digits)."))
    if not person.full_name:
        problems["full_name"] = Text(N_("Write the applicant's name as on the KTP."))
    if problems:
        raise InvalidInput(Text(N_("The applicant's account cannot be opened: check the fields marked.")), problems)
    user = users.create(session, username=person.nik, password=secrets.token_urlsafe(24), roles=[APPLICANT],
                        full_name=person.full_name, email=person.email or None, actor=actor.username, at=at,
                        nik=person.nik)
    if person.phone:
        user.phone = person.phone
    audit.record(session, "account_opened_at_counter", actor=actor.username, at=at, username=user.username)
    return user


def record_intake(session: Session, ctx: EngineContext, actor: Actor, instance: Instance) -> None:
    """Audit that the clerk submitted this application for its applicant at the counter."""
    audit.record(session, SUBMITTED_AT_COUNTER, actor=actor.username, at=ctx.now(), instance_id=instance.id,
                 submitted_by=actor.username, applicant=instance.applicant,
                 counter_office=sorted(actor.jurisdictions)[0] if actor.jurisdictions else None)


@dataclass(frozen=True)
class Receipt:
    instance: Instance
    clerk: str
    received_at: datetime
    documents: list[tuple[str, int]]  # (file name, size in bytes), in upload order


def receipt(session: Session, actor: Actor, instance_id: int) -> Receipt:
    """What the counter's receipt prints for an application the front office submitted; ``Forbidden`` for anyone
    but front-office staff serving the counter it was submitted at."""
    _require_clerk(actor)
    event = session.scalars(select(Event).where(Event.instance_id == instance_id,
                                                Event.kind == SUBMITTED_AT_COUNTER)).first()
    instance = session.get(Instance, instance_id)
    office = (event.data or {}).get("counter_office") if event else None
    if event is None or instance is None or not (actor.covers(office) if office else True):
        raise Forbidden(Text(N_("This application was not submitted at your counter.")))
    documents = [(row.name, row.size) for row in session.scalars(
        select(Attachment).where(Attachment.instance_id == instance_id)
        .order_by(Attachment.uploaded_at, Attachment.name))]
    return Receipt(instance, (event.data or {}).get("submitted_by") or event.actor, event.at, documents)

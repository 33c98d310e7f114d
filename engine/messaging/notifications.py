"""Notifications: the outbox every message goes through, in-app lists, and the applicant's stage messages.

A notification is a row written in the transaction of the step that caused it — never a network call there — so a
completion is never slowed down or failed by a mail server, and a notification exists exactly when its cause was
committed. The row is what the app lists (``list_for``); when the recipient has an e-mail address it is also
delivered by the scheduler's sender (``engine.messaging.mail``), with retries.

Each row has one recipient (a username). Messages caused by one event carry a ``dedupe_key`` per recipient; the
column is unique and inserts skip duplicates, so "notify once" holds even when two processes act on the same cause.

Applicants hear about the stages of their file (*tahapan*): received, returned for revision (or another action
needed from them), approved/issued, rejected, closed. Texts are catalogue entries (``engine.texts``), stored in
Bahasa Indonesia first, English second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from engine.bpmn import choices
from engine.errors import InvalidInput
from engine.messaging.preferences import route_by_preference, route_to_applicant
from engine.people.access import ADMIN, ALL_JURISDICTIONS, OFFICER, SUPERVISOR, Actor, person_group
from engine.storage.models import Instance, Notification, ServiceDefinition, Task, User
from engine.storage.sql import Prepared, insert_rows
from engine.texts import ENGLISH, INDONESIAN, N_, Text, render

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_LIMIT = 200

RECEIVED, RETURNED, ACTION_REQUIRED, APPROVED, REJECTED, CLOSED = (
    "application_received", "returned_for_revision", "action_required", "application_approved",
    "application_rejected", "application_closed")
SLA_BREACHED, SLA_FILE_BREACHED, ESCALATED, FIKTIF_POSITIF = (
    "sla_breached", "sla_file_breached", "task_escalated", "fiktif_positif")
STOPPED = "application_stopped"
CANCELLED_BY_OFFICE = "application_cancelled"


@dataclass
class Message:
    kind: str
    recipient: str
    subject: str
    body: str
    email: str | None = None
    instance_id: int | None = None
    task_id: str | None = None
    data: dict = field(default_factory=dict)
    dedupe_key: str | None = None
    # SMS or WhatsApp and the number (engine/messaging/preferences.py); None: e-mail to ``email`` when there is one.
    channel: str | None = None
    phone: str | None = None
    routed: bool = False  # the channel was decided already (``route_to_applicant``): ``enqueue`` leaves it


_TABLE = Notification.__table__


def enqueue(session: Session, ctx: EngineContext, messages: Iterable[Message]) -> int:
    """Write messages to the outbox in the caller's transaction, each by its recipient's channel (officers and
    supervisors choose theirs as applicants do, ``route_by_preference``); returns how many were given."""
    messages = list(messages)
    route_by_preference(session, ctx, messages)
    now = ctx.now()
    # Columns that start empty (read_at, sent_at, claimed_until, last_error) are left to their defaults.
    rows = [{"kind": m.kind, "recipient": m.recipient, "subject": m.subject[:300], "body": m.body,
             "created_at": now, "instance_id": m.instance_id, "task_id": m.task_id, "data": m.data,
             "dedupe_key": m.dedupe_key, "email": m.email, "email_status": PENDING if _address(m) else None,
             "attempts": 0, "next_attempt_at": now if _address(m) else None, "channel": m.channel or (
                 "email" if m.email else None), "phone": m.phone} for m in messages]
    # Duplicates (same dedupe_key) are skipped by the database itself, also against a concurrent transaction.
    insert_rows(session, _TABLE, rows, skip_duplicates_of="dedupe_key")
    return len(rows)


def _address(message: Message) -> str | None:
    return message.phone if message.channel in ("sms", "whatsapp") else message.email


# --- who receives what --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    email: str | None
    roles: frozenset
    groups: frozenset
    jurisdictions: frozenset

    def covers(self, jurisdiction: str) -> bool:
        return ALL_JURISDICTIONS in self.jurisdictions or jurisdiction in self.jurisdictions


class Directory:
    """The active accounts, loaded once per pass: staff are few, tasks many."""

    def __init__(self, people: Iterable[Person]):
        self.people = {p.username: p for p in people}
        self._found: dict[tuple, list[Person]] = {}

    @classmethod
    def from_rows(cls, rows) -> Directory:
        """From rows with ``username, email, roles, groups, jurisdictions``."""
        return cls(Person(r.username, r.email or None, frozenset(r.roles or ()), frozenset(r.groups or ()),
                          frozenset(r.jurisdictions or ())) for r in rows)

    @classmethod
    def of_active_users(cls, session: Session) -> Directory:
        """Every active account."""
        return cls.from_rows(session.execute(
            select(User.username, User.email, User.roles, User.groups, User.jurisdictions)
            .where(User.active.is_(True))))

    def officers(self, groups: Iterable[str], jurisdiction: str) -> list[Person]:
        wanted = frozenset(groups)
        key = ("officers", wanted, jurisdiction)
        if key not in self._found:
            self._found[key] = [p for p in self.people.values()  # a group, or the person's own (lane_owners)
                                if OFFICER in p.roles and (p.groups & wanted or person_group(p.username) in wanted)
                                and p.covers(jurisdiction)]
        return self._found[key]

    def supervisors(self, jurisdiction: str) -> list[Person]:
        key = ("supervisors", jurisdiction)
        if key not in self._found:
            self._found[key] = [p for p in self.people.values()
                                if SUPERVISOR in p.roles and p.covers(jurisdiction)]
        return self._found[key]

    def administrators(self) -> list[Person]:
        return [p for p in self.people.values() if ADMIN in p.roles]

    def email_of(self, username: str | None) -> str | None:
        person = self.people.get(username or "")
        return person.email if person else None


def local_time(ctx: EngineContext, moment: datetime | None, jurisdiction: str | None = None) -> str:
    """``02-06-2026 16:00 WITA``: how officers and applicants read times, in the zone of the office concerned."""
    if moment is None:
        return "-"
    return moment.astimezone(ctx.calendars.timezone(jurisdiction)).strftime("%d-%m-%Y %H:%M %Z")


# --- the applicant's stages ------------------------------------------------------------------------------------------

# Every ended file asks for the satisfaction survey (SKM), answered on the application's page
# (engine.reporting.satisfaction).
_SURVEY = N_("Please take a minute to rate our service (satisfaction survey) on the application's page.")

_STAGE_TEXTS = {
    RECEIVED: (N_("Application %(reg)s received"),
               N_("Your application for %(service)s has been received under registration number %(reg)s. Keep this "
                  "number to track it.")),
    RETURNED: (N_("Application %(reg)s returned for revision"),
               N_("An officer returned application %(reg)s (%(service)s) for revision.%(reason_text)s Open the task "
                  "\"%(step)s\" and complete the file%(deadline)s. The service clock stops while we wait for you.")),
    ACTION_REQUIRED: (N_("Application %(reg)s needs your action"),
                      N_("Application %(reg)s (%(service)s) is waiting for you: open the task "
                         "\"%(step)s\"%(deadline)s.")),
    APPROVED: (N_("Application %(reg)s approved"),
               N_("Application %(reg)s (%(service)s) is complete: %(outcome)s.%(permit)s Download the document from "
                  "the tracking page. %(survey)s")),
    REJECTED: (N_("Application %(reg)s rejected"),
               N_("Application %(reg)s (%(service)s) was not approved: %(outcome)s.%(reason_text)s Complaints go "
                  "through the service's complaints channel. %(survey)s")),
    CANCELLED_BY_OFFICE: (N_("Application %(reg)s cancelled"),
                          N_("The office cancelled application %(reg)s (%(service)s). Reason: %(reason)s. Questions "
                             "and complaints go through the service's complaints channel.")),
    CLOSED: (N_("Application %(reg)s closed"),
             N_("Application %(reg)s (%(service)s) was closed: %(outcome)s. %(survey)s")),
}


def in_both_languages(subject: str, body: str, params: dict, per_language: dict | None = None) -> tuple[str, str]:
    """A message's subject and body from their catalogue ids, in Bahasa Indonesia first and English second, as the
    outbox stores them (``subject_id / subject_en``, bodies split by a blank line): recipients have no language of
    their own, and the in-app list shows the half in the page's language. ``per_language`` gives the parameters that
    are data in two languages (a service's names, an SLA target's words) as ``{"id": {…}, "en": {…}}``."""
    said = [(render(subject, values, locale), render(body, values, locale))
            for locale in (INDONESIAN, ENGLISH) for values in [{**params, **(per_language or {}).get(locale, {})}]]
    (subject_id, body_id), (subject_en, body_en) = said
    return f"{subject_id} / {subject_en}", f"{body_id}\n\n{body_en}"


class Bilingual:
    """``in_both_languages`` for a batch of notices that differ only in a few per-file parameters (the SLA pass's
    thousands of breaches: the same step, service and target, another registration number and due time): each
    distinct text is rendered in both languages once, with the per-file parameters left as holes, and each notice
    fills its holes with one ``%`` per half. The result is the same text ``in_both_languages`` gives."""

    def __init__(self) -> None:
        self._made: dict[tuple, tuple[str, str]] = {}

    def say(self, subject: str, body: str, shared: dict, own: dict, per_language: dict | None = None
            ) -> tuple[str, str]:
        """``shared`` (hashable values) and ``per_language`` are what many notices have in common, ``own`` this
        notice's values (names not in ``per_language``)."""
        key = (subject, body, tuple(shared.items()), tuple(own),
               tuple((locale, tuple(values.items())) for locale, values in (per_language or {}).items()))
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = _with_holes(subject, body, shared, tuple(own), per_language)
        return made[0] % own, made[1] % own


def _with_holes(subject: str, body: str, shared: dict, own: tuple[str, ...], per_language: dict | None
                ) -> tuple[str, str]:
    # Holes are marked with characters no catalogue text or value has, then turned into %(name)s after every other
    # % has been doubled: a % in a step's name or in a translation stays a literal %.
    holes = {name: f"\x00{name}\x00" for name in own}
    said = in_both_languages(subject, body, {**shared, **holes}, per_language)

    def template(text: str) -> str:
        text = text.replace("%", "%%")
        for name, hole in holes.items():
            text = text.replace(hole, f"%({name})s")
        return text

    return template(said[0]), template(said[1])


def step_in_english(meta: dict | None, element_id: str | None, name: str) -> str:
    """A step's name for a notice's English half: the diagram's ``name.en`` (read at deploy), else its own name, so
    that a member of staff reading in English reads the step as their English pages name it."""
    settings = (((meta or {}).get("tasks") or {}).get(element_id) or {}) if element_id else {}
    return (settings.get("names") or {}).get("en") or name


def metas_of(session: Session, definition_ids: Iterable[int]) -> dict[int, dict]:
    """The meta of each definition, read once for a batch of notices (not per step)."""
    wanted = sorted(set(definition_ids))
    if not wanted:
        return {}
    return {row.id: row.meta or {} for row in session.execute(
        select(ServiceDefinition.id, ServiceDefinition.meta).where(ServiceDefinition.id.in_(wanted)))}


def outcome_kind(outcome: str | None, data: dict, meta: dict | None = None) -> str:
    """Which stage message the end of a file is: approved (a permit was issued), rejected, or closed otherwise.

    ``meta`` is the definition's: what its end events mean was settled at deploy (``engine.bpmn.choices``); without
    it, the end event's name is read by that module's fallback."""
    if data.get("issued") is True or data.get("permit_number"):
        return APPROVED
    meaning = choices.outcome_meaning(meta, outcome)
    return APPROVED if meaning == choices.APPROVE else REJECTED if meaning == choices.REJECT else CLOSED


def stage_message(ctx: EngineContext, instance: Instance, kind: str, *, email: str | None, step: str = "",
                  due_at: datetime | None = None, data: dict | None = None, task_id: str | None = None,
                  reason: str = "", step_id: str | None = None) -> Message:
    data = data or {}
    # The English half names the step as the diagram's name.en does (read at deploy), else as the diagram does.
    step_settings = (((instance.definition.meta or {}).get("tasks") or {}).get(step_id) or {}) if step_id else {}
    step_en = (step_settings.get("names") or {}).get("en") or step
    permit = data.get("permit_number")
    values = {
        "reg": instance.registration_no, "step": step, "outcome": instance.outcome or "-", "reason": reason,
        "deadline": Text(N_(" by %(time)s"), {"time": local_time(ctx, due_at, instance.jurisdiction)})
        if due_at else "",
        "permit": Text(N_(" Permit number: %(permit)s."), {"permit": permit}) if permit else "",
        "survey": Text(_SURVEY),
        "reason_text": Text(N_(" The officer's note: \"%(note)s\"."), {"note": reason}) if reason else "",
    }
    # How the file ended, likewise: the end event's name.en beside the name instance.outcome keeps.
    outcome_en = ((((instance.definition.meta or {}).get("outcome_names") or {}).get(instance.outcome) or {})
                  .get("en")) if instance.outcome else None
    names = {INDONESIAN: {"service": instance.definition.name_id or instance.service_key},
             ENGLISH: {"service": instance.definition.name_en or instance.service_key, "step": step_en,
                       **({"outcome": outcome_en} if outcome_en else {})}}
    subject, body = in_both_languages(*_STAGE_TEXTS[kind], values, names)
    key = f"{kind}:{task_id}" if task_id else f"{kind}:{instance.id}"
    return Message(kind=kind, recipient=instance.applicant, subject=subject, body=body, email=email,
                   instance_id=instance.id, task_id=task_id,
                   data={"registration_no": instance.registration_no, "outcome": instance.outcome}, dedupe_key=key)


_EMAIL_OF = Prepared(select(User.email).where(User.username == bindparam("b_username")))
# Addresses already read in this transaction (``engine.casework.tasks`` reads the applicant's with the task it loads).
KNOWN_EMAILS = "lincah.known_emails"


def remember_email(session: Session, username: str, email: str | None) -> None:
    session.info.setdefault(KNOWN_EMAILS, {})[username] = email


def applicant_email(session: Session, instance: Instance, data: dict | None = None) -> str | None:
    """The applicant's account address, else the address typed into the application form."""
    known = session.info.get(KNOWN_EMAILS, {})
    if instance.applicant in known:
        email = known[instance.applicant]
    else:
        found = _EMAIL_OF.rows(session, {"b_username": instance.applicant})
        email = found[0][0] if found else None
    if not email and data:
        typed = data.get("email")
        email = typed if isinstance(typed, str) and "@" in typed else None
    return email or None


def application_cancelled(session: Session, ctx: EngineContext, instance: Instance, reason: str) -> None:
    """The applicant hears that the office cancelled their file, and why."""
    messages = [stage_message(ctx, instance, CANCELLED_BY_OFFICE, email=applicant_email(session, instance),
                              reason=reason.strip().rstrip("."))]
    route_to_applicant(session, ctx, instance.applicant, None, messages)
    enqueue(session, ctx, messages)


def application_received(session: Session, ctx: EngineContext, instance: Instance, data: dict) -> None:
    messages = [stage_message(ctx, instance, RECEIVED, email=applicant_email(session, instance, data))]
    route_to_applicant(session, ctx, instance.applicant, data, messages)
    enqueue(session, ctx, messages)


def application_stopped(session: Session, ctx: EngineContext, instance: Instance, element_id: str | None,
                        message: str) -> None:
    """Tell the office's supervisors (or, when it has none, the administrators) that a failed step stopped the
    application, where and why: nobody can work on it until one of them resumes it."""
    directory = Directory.of_active_users(session)
    recipients = directory.supervisors(instance.jurisdiction) or directory.administrators()
    step = element_id or "?"
    subject, body = in_both_languages(
        N_("Application %(reg)s stopped at step %(step)s"),
        N_("Application %(reg)s stopped with an error at step %(step)s: %(message)s\nDeal with the cause, then "
           "resume the application from its page."),
        {"reg": instance.registration_no, "step": step, "message": message})
    enqueue(session, ctx, [
        Message(kind=STOPPED, recipient=person.username, subject=subject, body=body, email=person.email,
                instance_id=instance.id, data={"registration_no": instance.registration_no, "element_id": element_id},
                dedupe_key=f"{STOPPED}:{instance.id}:{instance.revision}:{step}:{person.username}")
        for person in recipients])


# The field of an officer's form that holds what the applicant should read (the reason for a return or a refusal).
NOTE_FIELD = "note"
MAX_REASON = 2000


def note_of(data: dict | None) -> str:
    """The note an officer wrote in the data of the task they completed, or ''."""
    note = (data or {}).get(NOTE_FIELD)
    return note.strip()[:MAX_REASON] if isinstance(note, str) else ""


def after_step(session: Session, ctx: EngineContext, instance: Instance, open_rows: list[Task], data: dict, *,
               reason: str = "") -> None:
    """Tell the applicant what the step changed for them: a task of theirs opened, or the file ended. ``reason`` is
    the note of the officer whose decision caused it: a return or a refusal says it first-hand."""
    messages = []
    email = None
    # Rows the step created are stamped after the state was saved (updated_at); older ones were told already.
    # (The dedupe key also stops a repeat when a frozen test clock makes every instant the same.)
    new_for_applicant = [row for row in open_rows if row.for_applicant and row.created_at >= instance.updated_at]
    if new_for_applicant or instance.status == "completed":
        email = applicant_email(session, instance, data)
    for row in new_for_applicant:
        kind = RETURNED if row.sla_pause else ACTION_REQUIRED
        messages.append(stage_message(ctx, instance, kind, email=email, step=row.name, step_id=row.element_id,
                                      due_at=row.due_at, task_id=row.id, reason=reason if kind == RETURNED else ""))
    if instance.status == "completed":
        ended = outcome_kind(instance.outcome, data, instance.definition.meta)
        messages.append(stage_message(ctx, instance, ended, email=email, data=data,
                                      reason=reason if ended == REJECTED else ""))
    if messages:
        route_to_applicant(session, ctx, instance.applicant, data, messages)
        enqueue(session, ctx, messages)


# --- in-app ------------------------------------------------------------------------------------------------------


@dataclass
class NotificationPage:
    items: list[Notification]
    unread: int
    next_before: int | None


def list_for(session: Session, actor: Actor, *, unread_only: bool = False, limit: int = 50,
             before: int | None = None) -> NotificationPage:
    """The actor's notifications, newest first; ``before`` (an id) pages back. Raises ``InvalidInput`` for a bad
    limit."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}.", {"limit": f"Use 1 to {MAX_LIMIT}."})
    query = select(Notification).where(Notification.recipient == actor.username)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.id < before)
    items = list(session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    more = len(items) > limit
    items = items[:limit]
    return NotificationPage(items=items, unread=unread_count(session, actor),
                            next_before=items[-1].id if more and items else None)


def unread_count(session: Session, actor: Actor) -> int:
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient == actor.username, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, ctx: EngineContext, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them when ``ids`` is None); returns how many changed.

    Ids of other people's notifications are ignored, never an error that would reveal they exist.
    """
    statement = update(Notification).where(Notification.recipient == actor.username, Notification.read_at.is_(None))
    if ids is not None:
        wanted = [int(i) for i in ids]
        if not wanted:
            return 0
        statement = statement.where(Notification.id.in_(wanted))
    return session.execute(statement.values(read_at=ctx.now()).execution_options(synchronize_session=False)).rowcount

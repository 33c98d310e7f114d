"""The signing step: the head of office reads the draft letter, then signs it, returns it or refuses it.

A step is a signing step when its diagram says so (``camunda:property letter.sign = true`` on the user task); its
choices are the diagram's like every decision (``engine.bpmn.choices``), and only the choice that *approves* signs.
Signing happens before the workflow moves, in the step's transaction:

1. the permit number is reserved — once per application: the reservation is an audited event, and a retry after a
   failed signature finds it and signs under the same number (numbers are a per-service, per-year sequence, written
   with the office's pattern for the service, else the diagram's ``letter.number``);
2. the letter is rendered with that number and signed by the installation's ``DocumentSigner``
   (``engine.documents.signing``), with the NIK and passphrase the signer typed when the signer needs them;
3. the signed letter is stored, and the step completes with ``permit_number`` in its data.

If the signature fails, ``SigningFailed`` leaves the step open with the reason; what was written before it (the
reservation, the failure in the audit log) is kept. The NIK and passphrase travel in the submitted data under
``signer_nik`` and ``signer_passphrase`` only to be taken out before anything is validated, audited or saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import choices
from engine.casework import applications
from engine.casework.registration import next_sequence
from engine.documents import issued_letters
from engine.documents.signing.configured import signer_from_settings
from engine.documents.signing.port import Credentials, SignerIdentity, SigningFailed
from engine.errors import InvalidInput, NotFound
from engine.people import offices, profiles
from engine.storage import audit
from engine.storage.models import Event, Instance, Task
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

SIGN_PROPERTY = "letter.sign"
NUMBER_PROPERTY = "letter.number"
NIK_FIELD, PASSPHRASE_FIELD = "signer_nik", "signer_passphrase"
RESERVED = "permit_number_reserved"
DEFAULT_PATTERN = "{seq:05d}/{year}"


def _settings(instance: Instance, element_id: str) -> dict:
    return (((instance.definition.meta or {}).get("tasks") or {}).get(element_id)) or {}


def is_signing_step(instance: Instance, element_id: str) -> bool:
    value = ((_settings(instance, element_id).get("properties")) or {}).get(SIGN_PROPERTY) or ""
    return value.strip().lower() in ("true", "yes", "1", "ya")


def take_credentials(data: dict) -> tuple[dict, Credentials]:
    """``data`` without the signer's NIK and passphrase, and those two: they are never validated, stored or
    audited."""
    data = dict(data)
    nik = data.pop(NIK_FIELD, None)
    passphrase = data.pop(PASSPHRASE_FIELD, None)
    return data, Credentials(str(nik or "").strip(), str(passphrase or ""))


def needs_credentials(ctx: EngineContext) -> bool:
    """Whether the signer types a NIK and passphrase (the installation signs through BSrE)."""
    return bool(ctx.settings.bsre_url)


def reserved_number(session: Session, instance_id: int) -> str | None:
    """The permit number reserved for the application's letter, or ``None`` before the first signing."""
    data = session.scalar(select(Event.data).where(Event.instance_id == instance_id, Event.kind == RESERVED)
                          .order_by(Event.id.desc()).limit(1))
    return (data or {}).get("permit_number")


def reserve_number(session: Session, ctx: EngineContext, instance: Instance, task: Task, actor: str) -> str:
    """The application's permit number: the one already reserved, else the next of its service and year."""
    found = reserved_number(session, instance.id)
    if found:
        return found
    now = ctx.now()
    local = now.astimezone(ZoneInfo(ctx.settings.timezone))
    # Letters have a sequence of their own beside registrations, in the same counter table under their own key.
    seq = next_sequence(session, f"letter:{instance.service_key}", local.year)
    number = offices.format_number(_pattern(session, instance, task), seq=seq, year=local.year, month=local.month)
    audit.record(session, RESERVED, actor=actor, at=now, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, permit_number=number, seq=seq, year=local.year)
    return number


def _pattern(session: Session, instance: Instance, task: Task) -> str:
    office = offices.get(session, task.jurisdiction or instance.jurisdiction)
    process = (instance.definition.meta or {}).get("process") or {}
    pattern = (office.letter_numbers.get(instance.service_key)
               or ((process.get("properties") or {}).get(NUMBER_PROPERTY) or "").strip() or DEFAULT_PATTERN)
    try:
        return offices.check_number_pattern(pattern)
    except InvalidInput:
        return DEFAULT_PATTERN  # lint refuses a bad diagram pattern; an old version keeps issuing numbers


def signer_identity(session: Session, instance: Instance, task: Task, username: str) -> SignerIdentity:
    try:
        person = profiles.signer(session, username)
    except NotFound:
        person = profiles.Signer(username, username)
    office = offices.get(session, task.jurisdiction or instance.jurisdiction)
    return SignerIdentity(name=person.name, position=person.position, nip=person.nip,
                          location=office.place or office.name)


def sign_on_approval(session: Session, ctx: EngineContext, task: Task, instance: Instance, actor: str, data: dict,
                     decision: str | None, credentials: Credentials) -> dict:
    """``data`` as the step completes with it: on a signing step's approving choice, with the permit number of the
    letter just signed and stored; ``SigningFailed`` (the step stays open) when it could not be signed."""
    if decision is None or not is_signing_step(instance, task.element_id):
        return data
    meta = instance.definition.meta or {}
    if choices.choice_meaning(decision, _settings(instance, task.element_id), meta.get("process")) != choices.APPROVE:
        return data
    number = reserve_number(session, ctx, instance, task, actor)
    letter_data = {**applications.current_data(ctx, instance), **data, "permit_number": number}
    identity = signer_identity(session, instance, task, actor)
    try:
        signer = signer_from_settings(ctx.settings)
        if signer is not None and signer.needs_credentials and not credentials.given:
            raise SigningFailed(Text(N_("Type your NIK and your BSrE passphrase to sign.")))

        def sign(pdf: bytes) -> bytes:
            return pdf if signer is None else signer.sign(pdf, identity, credentials)

        with session.begin_nested():
            issued_letters.issue(session, ctx, instance, letter_data, actor=actor, sign=sign)
    except SigningFailed as failed:
        reason = failed.reason
        audit.record(session, "signing_failed", actor=actor, at=ctx.now(), instance_id=instance.id, task_id=task.id,
                     element_id=task.element_id, permit_number=number, reason=str(reason),
                     reason_id=getattr(reason, "id", None), reason_params=getattr(reason, "params", None))
        raise SigningFailed(failed.reason, element_id=task.element_id) from failed
    audit.record(session, "letter_signed", actor=actor, at=ctx.now(), instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, permit_number=number,
                 signature="none" if signer is None else type(signer).__name__)
    return {**data, "permit_number": number}


def draft(session: Session, ctx: EngineContext, instance: Instance, username: str) -> bytes:
    """The letter the signer is asked to sign, watermarked "DRAF": the reserved number if a signature was tried."""
    data = applications.current_data(ctx, instance)
    number = reserved_number(session, instance.id)
    if number:
        data["permit_number"] = number
    return issued_letters.draft(session, ctx, instance, data, signer=username)

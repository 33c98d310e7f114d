"""The permit letter, issued once: rendered from the service's template when the permit is issued, stored as bytes
with its SHA-256, and from then on only served — never rendered again, so the PDF a holder has is the PDF the
office can prove (``engine.documents.verification``).

Issuing is render → sign → store::

    issue(session, ctx, instance, data, actor=username, sign=document_signer.sign)

``sign`` takes the rendered PDF's bytes and returns the signed PDF's bytes (an electronic signature, PAdES);
the default ``unsigned`` returns them as they are. Whatever ``sign`` returns is what is stored and hashed.
``draft`` renders the same letter with a "DRAF" watermark and stores nothing (the signer reads it before signing).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.documents import default_letter, letter_context, letter_rendering
from engine.documents.signing import demo_certificate
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.people import offices
from engine.people.access import SUPERVISOR, Actor
from engine.services import letter_templates
from engine.services.letter_templates import LetterFiles
from engine.storage import audit
from engine.storage.models import Instance, IssuedLetter
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

Sign = Callable[[bytes], bytes]
log = logging.getLogger(__name__)
MAX_REASON = 1000


def unsigned(pdf: bytes) -> bytes:
    """The signing step of an office without an electronic signature: the rendered PDF as it is."""
    return pdf


def is_issued(instance: Instance, data: dict) -> bool:
    """A permit was issued: the file ended with the issuing script's ``issued`` and a permit number."""
    return instance.status == "completed" and bool(data.get("issued")) and bool(data.get("permit_number"))


def template_of(session: Session, instance: Instance) -> LetterFiles:
    """The template the instance's service version was deployed with, else the engine's own."""
    letter = (instance.definition.meta or {}).get("letter") or {}
    stored = letter_templates.stored(session, letter["sha256"]) if letter.get("sha256") else None
    return stored or default_letter.FILES


def verify_url(session: Session, ctx: EngineContext, instance: Instance, token: str) -> str:
    """The address the QR code opens: the issuing office's public URL, else the installation's."""
    office = offices.get(session, letter_context.issuing_office(instance))
    base = (office.public_url or ctx.settings.public_url or "http://localhost").rstrip("/")
    return f"{base}/verify/{token}"


def issue(session: Session, ctx: EngineContext, instance: Instance, data: dict, *, actor: str | None,
          sign: Sign = unsigned) -> IssuedLetter:
    """Render, sign and store the letter of an issued permit, once: a second call returns the stored letter."""
    existing = session.get(IssuedLetter, instance.id)
    if existing is not None:
        return existing
    if not data.get("permit_number"):
        raise Conflict(f"Application {instance.registration_no} has no permit number to write a letter for.")
    token = secrets.token_urlsafe(18)
    issued_at = ctx.now()
    facts = letter_context.Issue(str(data["permit_number"]), issued_at,
                                 letter_context.signer_username(session, instance, actor),
                                 verify_url(session, ctx, instance, token))
    context = letter_context.build(session, ctx, instance, data, facts)
    if sign is not unsigned and demo_certificate.in_use(ctx.settings) is not None:
        context["demo_signature"] = True  # signed with `lincah demo`'s certificate: every page says so
    pdf = sign(_rendered(session, ctx, instance, context))
    until = letter_context.valid_until_of(ctx, instance, data, issued_at)
    letter = IssuedLetter(instance_id=instance.id, permit_number=facts.permit_number,
                          sha256=hashlib.sha256(pdf).hexdigest(), pdf=pdf, issued_at=issued_at,
                          valid_until=until.isoformat() if until else None, verify_token=token)
    session.add(letter)
    session.flush()
    audit.record(session, "letter_issued", actor=actor, at=issued_at, instance_id=instance.id,
                 permit_number=facts.permit_number, sha256=letter.sha256, signer=facts.signer_username)
    return letter


def issue_on_completion(session: Session, ctx: EngineContext, instance: Instance, workflow, *, actor: str) -> None:
    """The step that ends a file with an issued permit issues its letter in the same transaction. A letter that
    cannot be rendered does not undo the decision: the failure is logged and audited, and the first download
    tries again (and says why if it fails again)."""
    data = dict(workflow.data or {}) or dict(workflow.last_task.data if workflow.last_task else {})
    if not is_issued(instance, data) or of(session, instance.id) is not None:
        return
    try:
        with session.begin_nested():
            issue(session, ctx, instance, data, actor=actor)
    except Exception as exc:  # noqa: BLE001 - a template or font problem must not lose the officer's decision
        log.exception("letter of %s not rendered", instance.registration_no)
        audit.record(session, "letter_failed", actor=actor, at=ctx.now(), instance_id=instance.id,
                     message=str(exc)[:500])


def draft(session: Session, ctx: EngineContext, instance: Instance, data: dict, *, signer: str) -> bytes:
    """The letter as it would be issued now, watermarked "DRAF", for the signer to read; nothing is stored."""
    facts = letter_context.Issue(str(data.get("permit_number") or "…"), ctx.now(), signer,
                                 verify_url(session, ctx, instance, "draf"))
    context = letter_context.build(session, ctx, instance, data, facts, draft=True)
    return _rendered(session, ctx, instance, context)


def _rendered(session: Session, ctx: EngineContext, instance: Instance, context: dict) -> bytes:
    """The template filled in and laid out; ``Conflict`` naming the template when it fails at render time (lint
    checked what it names, not e.g. a division by zero in an expression), so nobody meets a server error."""
    template = template_of(session, instance)
    try:
        return letter_rendering.render_pdf(template, context, seconds=ctx.settings.letter_render_seconds)
    except Exception as exc:  # noqa: BLE001 - whatever a template's expression raises, the answer is located
        log.exception("letter template %s of %s failed", template.origin, instance.service_key)
        raise Conflict(Text(N_("The permit letter of %(service)s could not be rendered (%(reason)s): an analyst "
                               "must correct the service's letter template (%(file)s) and deploy it again."),
                            {"service": instance.service_key, "reason": f"{type(exc).__name__}: {exc}"[:200],
                             "file": ((instance.definition.meta or {}).get("letter") or {}).get("file")
                             or "the engine's own"})) from exc


def of(session: Session, instance_id: int) -> IssuedLetter | None:
    """The stored letter of an application, or ``None`` before it is issued."""
    return session.get(IssuedLetter, instance_id)


def by_token(session: Session, token: str) -> IssuedLetter | None:
    """The letter a QR code names, or ``None`` for a token no letter has."""
    if not token or len(token) > 64:
        return None
    return session.scalar(select(IssuedLetter).where(IssuedLetter.verify_token == token))


def pdf_of(session: Session, letter: IssuedLetter) -> bytes:
    """The stored bytes (deferred on the row, so listing letters never reads them)."""
    return letter.pdf


def matches(letter: IssuedLetter, held: bytes) -> bool:
    """Whether the PDF someone holds is, byte for byte, the one issued."""
    return secrets.compare_digest(hashlib.sha256(held).hexdigest(), letter.sha256)


def status(ctx: EngineContext, letter: IssuedLetter, instance: Instance) -> str:
    """``revoked``, ``expired`` (past its validity in the office's time zone) or ``valid``."""
    if letter.revoked_at is not None:
        return "revoked"
    if letter.valid_until:
        today = ctx.now().astimezone(ctx.calendars.timezone(instance.jurisdiction)).date().isoformat()
        if today > letter.valid_until:
            return "expired"
    return "valid"


def revoke(session: Session, ctx: EngineContext, instance: Instance, actor: Actor, reason: str) -> IssuedLetter:
    """A supervisor of the file's office revokes its letter, saying why (audited); the bytes stay as issued."""
    if SUPERVISOR not in actor.roles or not actor.covers(instance.jurisdiction):
        raise Forbidden(Text(N_("Only a supervisor of the office that handled the file may revoke its permit.")))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(Text(N_("Say why the permit is revoked: the reason is shown on the verification page.")),
                           {"reason": "required"})
    if len(reason) > MAX_REASON:
        raise InvalidInput(Text(N_("Keep the reason under %(limit)s characters."), {"limit": MAX_REASON}),
                           {"reason": "too long"})
    letter = of(session, instance.id)
    if letter is None:
        raise NotFound(f"Application {instance.registration_no} has no issued letter to revoke.")
    if letter.revoked_at is not None:
        raise Conflict(Text(N_("Permit %(number)s was already revoked."), {"number": letter.permit_number}))
    letter.revoked_at, letter.revoked_by, letter.revoke_reason = ctx.now(), actor.username, reason
    session.flush()
    audit.record(session, "letter_revoked", actor=actor.username, at=letter.revoked_at, instance_id=instance.id,
                 permit_number=letter.permit_number, reason=reason)
    return letter

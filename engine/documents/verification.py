"""What the public verification page (the QR code's address) proves about a letter: what the permit allows, where,
until when and to whom — the same fields the letter's template prints, as their forms title them, never a private
one — its status (valid, expired, revoked with the reason), and whether a PDF someone holds is byte for byte the
one issued (its SHA-256 against the stored one).

Showing the substance, not only the number and holder, is what catches a letter whose title or location was
altered: the page says what the office issued, whatever the paper says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from jinja2 import TemplateSyntaxError
from sqlalchemy.orm import Session

from engine.documents import issued_letters, letter_context
from engine.documents.signing import demo_certificate, validation
from engine.people import offices
from engine.services import definitions, letter_templates
from engine.storage.models import Instance, IssuedLetter
from engine.workflow import runtime

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

log = logging.getLogger("lincah.verification")

MAX_UPLOAD = 10 * 1024 * 1024  # a permit letter is a few hundred KB; a signed one with its chain stays far below this
# Fields shown elsewhere on the page (the holder) or that say nothing about the permit's substance.
_NOT_SUBSTANCE = frozenset({"applicant_name", "owner_name", "permit_number", "issued", "decision", "note",
                            "signature_confirmed", "declaration"})


@dataclass
class Verification:
    """A letter as the verification page shows it."""

    status: str  # valid | expired | revoked
    office: str
    title: str
    permit_number: str
    holder: str
    issued_on: str
    valid_until: str
    revoked_on: str = ""
    revoke_reason: str = ""
    substance: list[tuple[str, str]] = field(default_factory=list)  # (field title, value) as the letter says


def of_token(session: Session, ctx: EngineContext, token: str) -> tuple[IssuedLetter, Verification] | None:
    """The letter a QR code names and what the page shows of it; ``None`` for a token no letter has."""
    letter = issued_letters.by_token(session, token)
    if letter is None:
        return None
    instance = session.get(Instance, letter.instance_id)
    return letter, describe(session, ctx, letter, instance)


def describe(session: Session, ctx: EngineContext, letter: IssuedLetter, instance: Instance) -> Verification:
    from_data = _data(ctx, instance)
    definition = instance.definition
    process = (definition.meta or {}).get("process") or {}
    zone = ctx.calendars.timezone(instance.jurisdiction)
    office = offices.get(session, letter_context.issuing_office(instance))
    return Verification(
        status=issued_letters.status(ctx, letter, instance),
        office=office.name,
        title=letter_context.letter_title((process.get("names") or {}).get("id") or instance.service_key),
        permit_number=letter.permit_number,
        holder=str(from_data.get("applicant_name") or from_data.get("owner_name") or instance.applicant_name
                   or instance.applicant),
        issued_on=letter_templates.tanggal(letter.issued_at.astimezone(zone).date()),
        valid_until=letter_templates.tanggal(letter.valid_until) if letter.valid_until else "",
        revoked_on=(letter_templates.tanggal(letter.revoked_at.astimezone(zone).date())
                    if letter.revoked_at else ""),
        revoke_reason=letter.revoke_reason or "",
        substance=substance(session, instance, from_data))


def _data(ctx: EngineContext, instance: Instance) -> dict:
    """The ended file's data (``engine.casework.applications.current_data`` is a layer above)."""
    workflow = runtime.load(ctx, instance)
    return dict(workflow.data or {}) or dict(workflow.last_task.data if workflow.last_task else {})


def substance(session: Session, instance: Instance, data: dict) -> list[tuple[str, str]]:
    """``(title, value)`` of each field the service's letter prints, in the template's order, as its form shows it
    (choices by title, dates in Indonesian); private fields never."""
    try:
        tree = letter_templates.parse(issued_letters.template_of(session, instance))
    except TemplateSyntaxError:  # a template deployed before lint checked it
        tree = None
    named = [name for name, _line in letter_templates.data_fields(tree)] if tree is not None else []
    instead_of = letter_templates.fallbacks(tree) if tree is not None else {}
    if not named:  # the engine's own letter prints the start form's fields
        return letter_context.start_details(session, instance.definition, _public(data))
    titles = _titles(session, instance.definition)
    shown = letter_context.shown_fields(session, instance.definition, _public(data))
    found, seen = [], set()
    for name in named:
        if name in seen or name in _NOT_SUBSTANCE or name not in shown or shown[name] == "":
            continue
        if shown.get(instead_of.get(name, "")):  # a fallback the letter did not print
            continue
        seen.add(name)
        found.append((titles.get(name, name), shown[name]))
    return found


def _public(data: dict) -> dict:
    return {name: value for name, value in data.items() if name not in letter_templates.PRIVATE_FIELDS}


def _titles(session: Session, definition) -> dict[str, str]:
    titles: dict[str, str] = {}
    for form_key in (definition.forms or {}):
        form = definitions.form_of(session, definition, form_key)
        properties = (form.schema.get("properties") or {}) if form and isinstance(form.schema, dict) else {}
        for name, prop in properties.items():
            if isinstance(prop, dict) and prop.get("title"):
                titles.setdefault(name, str(prop["title"]))
    return titles


@dataclass
class HeldSignatures:
    """The signature check of an uploaded PDF as the page states it: each signature's facts, its time in the
    office's zone, and whether the installation names any trust root at all."""

    check: validation.SignatureCheck
    times: list[str]  # ``signed_at`` of each signature, as the page prints it
    roots_unreadable: bool = False


def check_signatures(session: Session, ctx: EngineContext, letter: IssuedLetter, held: bytes) -> HeldSignatures:
    """The electronic signatures of ``held`` validated against ``LINCAH_SIGNING_TRUST_ROOTS`` — the demo's root when
    that is unset and ``lincah demo`` signs the letters — (bounded; nothing fetched). Roots that cannot be read are
    logged and the signatures reported untrusted, never a server error."""
    unreadable = False
    try:
        roots = validation.trust_roots(demo_certificate.trust_roots_setting(ctx.settings))
    except ValueError as exc:
        log.error("%s", exc)
        roots, unreadable = [], True
    found = validation.check(held, roots)
    if unreadable:
        found.roots_configured = False
    zone = ctx.calendars.timezone(session.get(Instance, letter.instance_id).jurisdiction)
    times = [_moment(signature.signed_at, zone) for signature in found.signatures]
    return HeldSignatures(found, times, unreadable)


def _moment(at: datetime | None, zone) -> str:
    if at is None:
        return ""
    local = at.astimezone(zone)
    return f"{letter_templates.tanggal(local.date())}, {local:%H:%M} {local.tzname() or ''}".strip()


def matches(letter: IssuedLetter, held: bytes) -> bool:
    """Whether the PDF someone uploaded is the one issued, byte for byte."""
    return issued_letters.matches(letter, held)

"""What a letter template is given: the file's data (any field of any step, raw in ``data`` and as its form shows it
in ``fields``), the office (kop surat), the permit (number, title, issue date in Indonesian), the validity period the
service declares, the signer's block from their staff profile, the copy list (*tembusan*), the QR code of the
office's verification page.

A service declares in its process properties (``camunda:properties``):
``letter.validity`` — ``P1Y`` (from the issue date) or ``${end_date}`` (a date field of the file);
``letter.cc`` — one property per copy recipient, in order; ``letter.on_behalf`` — the *a.n.* line above the
signer's position (``a.n. GUBERNUR SULAWESI SELATAN``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.documents.letter_rendering import image_data_url, qr_data_url
from engine.errors import NotFound
from engine.people import offices, profiles
from engine.services import definitions
from engine.services.letter_templates import PRIVATE_FIELDS, tanggal
from engine.storage.models import Event, Instance, Task

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?", re.IGNORECASE)
_FIELD_REF = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


@dataclass(frozen=True)
class Issue:
    """The moment and place of issue: the office's local date, the number, who signs."""

    permit_number: str
    issued_at: datetime
    signer_username: str | None
    verify_url: str


def valid_until(process: dict, data: dict, issued_on: date) -> date | None:
    """The last day the permit is valid, when the service declares a period (``letter.validity``)."""
    declared = ((process.get("properties") or {}).get("letter.validity") or "").strip()
    if not declared:
        return None
    reference = _FIELD_REF.fullmatch(declared)
    if reference:
        try:
            return date.fromisoformat(str(data.get(reference.group(1)) or "")[:10])
        except ValueError:
            return None
    match = _DURATION.fullmatch(declared)
    if not match or not any(match.groups()):
        return None
    years, months, days = (int(part or 0) for part in match.groups())
    month_index = issued_on.month - 1 + months
    year = issued_on.year + years + month_index // 12
    month = month_index % 12 + 1
    day = min(issued_on.day, _days_in(year, month))
    return date(year, month, day) + timedelta(days=days) - timedelta(days=1)


def _days_in(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def copies(process: dict) -> list[str]:
    """The *tembusan* list, in the order the diagram gives it."""
    return list(process.get("letter_copies") or [])


def signer_username(session: Session, instance: Instance, actor: str | None) -> str | None:
    """Who signs: the person completing the issuing step, else the officer of the last office step (a file decided
    by the clock, *fiktif positif*, is signed for by the last officer who worked it)."""
    if actor and actor != "system":
        return actor
    return session.scalar(
        select(Event.actor).join(Task, Task.id == Event.task_id)
        .where(Event.instance_id == instance.id, Event.kind == "task_completed", Task.for_applicant.is_(False))
        .order_by(Event.id.desc()).limit(1))


@dataclass(frozen=True)
class Paper:
    """What a letter reads besides the file's data: the service version (its meta and its forms' fields), the file's
    registration number and applicant, the issuing office and the signer. ``build`` looks these up for a stored
    file; a deploy's trial fill (``engine.documents.letter_trial``) gives stand-ins, so both fill the same names."""

    meta: dict
    service_key: str
    registration_no: str
    applicant: str
    form_fields: dict[str, dict]
    start_fields: dict[str, dict]
    office: offices.OfficeView
    signer: profiles.Signer


def build(session: Session, ctx: EngineContext, instance: Instance, data: dict, issue: Issue, *,
          draft: bool = False) -> dict:
    """Everything the template is given, by the names ``engine.services.letter_templates.CONTEXT_NAMES`` lists."""
    definition = instance.definition
    paper = Paper(definition.meta or {}, instance.service_key, instance.registration_no,
                  instance.applicant_name or instance.applicant, _form_properties(session, definition),
                  _start_properties(session, definition), offices.get(session, issuing_office(instance)),
                  _signer(session, issue.signer_username))
    local = issue.issued_at.astimezone(ctx.calendars.timezone(instance.jurisdiction))
    return fill(paper, data, issue, local.date(), draft=draft)


def fill(paper: Paper, data: dict, issue: Issue, issued_on: date, *, draft: bool = False) -> dict:
    """``build`` once everything is looked up: the names a template is given, from ``paper`` and ``data``."""
    process = paper.meta.get("process") or {}
    office, signer = paper.office, paper.signer
    until = valid_until(process, data, issued_on)
    public = {name: value for name, value in data.items() if name not in PRIVATE_FIELDS}
    service_name = (process.get("names") or {}).get("id") or paper.service_key
    return {
        "data": public,
        "fields": shown(paper.form_fields, public),
        "details": details(paper.start_fields, public),
        "office": {"name": office.name, "address": office.address, "place": office.place or office.name,
                   "public_url": office.public_url, "code": office.code,
                   "emblem": image_data_url(office.emblem, office.emblem_type)},
        "permit": {"number": issue.permit_number, "registration_no": paper.registration_no,
                   "title": letter_title(service_name), "issued_on": tanggal(issued_on),
                   "issued_iso": issued_on.isoformat(), "legal_basis": process.get("legal_basis") or "",
                   "on_behalf": (process.get("properties") or {}).get("letter.on_behalf", "")},
        "service": {"key": paper.service_key, "name": service_name},
        "holder": str(data.get("applicant_name") or data.get("owner_name") or paper.applicant),
        "place_date": f"{office.place or office.name}, {tanggal(issued_on)}",
        "valid_until": tanggal(until) if until else "",
        "signer": {"name": signer.name, "position": signer.position, "rank": signer.rank, "nip": signer.nip},
        "copies": copies(process),
        "qr": qr_data_url(issue.verify_url),
        "verify_url": issue.verify_url,
        "draft": draft,
    }


def valid_until_of(ctx: EngineContext, instance: Instance, data: dict, issued_at: datetime) -> date | None:
    """The last valid day of a permit issued at ``issued_at`` (the office's local date), when the service has one."""
    process = (instance.definition.meta or {}).get("process") or {}
    local = issued_at.astimezone(ctx.calendars.timezone(instance.jurisdiction))
    return valid_until(process, data, local.date())


def issuing_office(instance: Instance) -> str:
    """The office whose letterhead the letter carries: the last step's office when the diagram fixes one (the
    province issues a regency's fishing permit), else the file's."""
    tasks = (instance.definition.meta or {}).get("tasks") or {}
    fixed = [step.get("jurisdiction") for step in tasks.values()
             if step.get("jurisdiction") and "${" not in str(step.get("jurisdiction"))]
    return str(fixed[-1]) if fixed else instance.jurisdiction


def _signer(session: Session, username: str | None) -> profiles.Signer:
    if not username:
        return profiles.Signer("", "")
    try:
        return profiles.signer(session, username)
    except NotFound:
        return profiles.Signer(username, username)


def letter_title(service_name: str) -> str:
    """"Izin Penelitian" → "Surat Izin Penelitian"; a name that already says what paper it is stays."""
    if service_name.lower().startswith(("surat", "sertifikat", "tanda", "keputusan")):
        return service_name
    return f"Surat {service_name}"


def shown_fields(session: Session, definition, data: dict) -> dict[str, str]:
    """Each field as its form shows it: a choice by its title, a date in Indonesian, a number without ``.0``."""
    return shown(_form_properties(session, definition), data)


def start_details(session: Session, definition, data: dict, limit: int = 12) -> list[tuple[str, str]]:
    """``(title, value)`` of the start form's filled fields, as the form titles and shows them (the engine's own
    letter lists these; the holder's name and attachments are shown elsewhere or not at all)."""
    return details(_start_properties(session, definition), data, limit)


def _form_properties(session: Session, definition) -> dict[str, dict]:
    """Every top-level field of the version's forms: name → its schema (the first form naming it wins)."""
    found = {}
    for form_key in (definition.forms or {}):
        form = definitions.form_of(session, definition, form_key)
        for name, prop in ((form.schema.get("properties") or {}) if form and isinstance(form.schema, dict)
                           else {}).items():
            if isinstance(prop, dict):
                found.setdefault(name, prop)
    return found


def _start_properties(session: Session, definition) -> dict[str, dict]:
    form = definitions.form_of(session, definition, (definition.meta or {}).get("start_form"))
    return dict((form.schema.get("properties") or {}) if form and isinstance(form.schema, dict) else {})


def shown(properties: dict[str, dict], data: dict) -> dict[str, str]:
    """``shown_fields`` given the forms' fields (``properties``: name → schema)."""
    found = {}
    for name, value in data.items():
        if isinstance(value, bool) or isinstance(value, dict | list) or value is None:
            continue
        found[name] = _shown(properties.get(name) or {}, value)
    return found


def details(properties: dict[str, dict], data: dict, limit: int = 12) -> list[tuple[str, str]]:
    """``start_details`` given the start form's fields (``properties``: name → schema)."""
    found = []
    for name, prop in properties.items():
        value = data.get(name)
        if (not isinstance(prop, dict) or name in ("applicant_name", "owner_name") or isinstance(value, bool)
                or not isinstance(value, str | int | float) or value == ""):
            continue
        found.append((str(prop.get("title") or name), _shown(prop, value)))
    return found[:limit]


def _shown(prop: dict, value) -> str:
    for choice in prop.get("oneOf") or ():
        if isinstance(choice, dict) and choice.get("const") == value and choice.get("title"):
            return str(choice["title"])
    if prop.get("format") == "date" and isinstance(value, str):
        return tanggal(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

"""The permit letter an applicant downloads once the permit is issued: a one-page PDF with the permit number, the
holder, what the permit covers (the start form's own fields, titled as the form titles them), the signing officer,
the legal basis, and a QR code that opens the office's public check of the permit.

The facts are gathered from the database (``permit_facts``) and drawn by ``render`` (fpdf2, QR by segno); the
address inside the QR code is the caller's (the web layer signs it), so this module knows nothing of URLs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import segno
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.messaging.notifications import local_time
from engine.services import definitions
from engine.storage.models import Event, Instance, Task, User

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

# Start-form fields that identify a person, never printed on a letter anyone may be shown.
PRIVATE_FIELDS = frozenset({"nik", "email", "phone", "npwp", "address", "declaration"})
MAX_FACTS = 10


@dataclass
class PermitFacts:
    office: str
    title: str
    permit_number: str
    registration_no: str
    holder: str
    issued_on: str  # the issue date and time as the office writes it (its time zone)
    signed_by: str
    legal_basis: str
    details: list[tuple[str, str]] = field(default_factory=list)  # (field title, value)


def is_issued(instance: Instance, data: dict) -> bool:
    return instance.status == "completed" and bool(data.get("issued")) and bool(data.get("permit_number"))


def permit_facts(session: Session, ctx: EngineContext, instance: Instance, data: dict) -> PermitFacts:
    """What the letter says, for an issued permit (``is_issued``)."""
    definition = instance.definition
    process = (definition.meta or {}).get("process", {})
    start = definitions.form_of(session, definition, (definition.meta or {}).get("start_form"))
    # The officer of the last office step: the audit log's order, since two steps may close in the same instant.
    signer = session.execute(
        select(User.full_name, User.username).join(Event, Event.actor == User.username)
        .join(Task, Task.id == Event.task_id)
        .where(Event.instance_id == instance.id, Event.kind == "task_completed", Task.for_applicant.is_(False))
        .order_by(Event.id.desc()).limit(1)).first()
    return PermitFacts(
        office=ctx.settings.office_code,
        title=_letter_title((process.get("names") or {}).get("id") or instance.service_key),
        permit_number=str(data["permit_number"]),
        registration_no=instance.registration_no,
        holder=str(data.get("applicant_name") or data.get("owner_name") or instance.applicant_name
                   or instance.applicant),
        issued_on=local_time(ctx, instance.ended_at, instance.jurisdiction),
        signed_by=(signer.full_name or signer.username) if signer else "",
        legal_basis=process.get("legal_basis") or "",
        details=_details(start.schema if start else {}, data))


def _letter_title(service_name: str) -> str:
    """"Izin Penelitian" → "Surat Izin Penelitian"; a name that already says what paper it is stays."""
    if service_name.lower().startswith(("surat", "sertifikat", "tanda", "keputusan")):
        return service_name
    return f"Surat {service_name}"


def _details(schema: dict, data: dict) -> list[tuple[str, str]]:
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        value = data.get(name)
        if name in PRIVATE_FIELDS or name in ("applicant_name", "owner_name") or not isinstance(prop, dict):
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
            continue
        shown = _choice_title(prop, value)
        found.append((prop.get("title") or name, shown))
    return found[:MAX_FACTS]


def _choice_title(prop: dict, value) -> str:
    for choice in prop.get("oneOf") or ():
        if isinstance(choice, dict) and choice.get("const") == value and choice.get("title"):
            return choice["title"]
    if prop.get("format") == "date" and isinstance(value, str) and len(value) == 10:
        return "-".join(reversed(value.split("-")))
    return str(value)


# The PDF core fonts speak Latin-1; Indonesian needs no more, but modellers' text may carry typographic marks.
_PLAIN = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "-"})


def _plain(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def render(facts: PermitFacts, *, check_url: str) -> bytes:
    """The letter as PDF bytes."""
    pdf = FPDF(format="A4")
    pdf.set_title(_plain(f"{facts.title} {facts.permit_number}"))
    pdf.set_author(_plain(facts.office))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 6, _plain(facts.office), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", new_x="LMARGIN", new_y="NEXT",
             align="C")
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, _plain(facts.title.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, _plain(f"Nomor: {facts.permit_number}"), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(6)
    rows = [("Diberikan kepada", facts.holder), ("Nomor registrasi", facts.registration_no), *facts.details]
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(60, 6, _plain(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 6, _plain(value), new_x="LMARGIN", new_y="NEXT")
    if facts.legal_basis:
        pdf.ln(3)
        pdf.set_font("Helvetica", "I", 9)
        pdf.multi_cell(0, 5, _plain(f"Dasar hukum: {facts.legal_basis}"), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    top = pdf.get_y()
    qr = io.BytesIO()
    segno.make(check_url, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    pdf.image(qr, x=pdf.l_margin, y=top, w=35, h=35)
    pdf.set_xy(pdf.w / 2, top)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, _plain(f"Diterbitkan {facts.issued_on}\nDitandatangani secara elektronik oleh\n"
                                f"{facts.signed_by or '-'}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(top + 40)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, _plain("Dokumen ini diterbitkan secara elektronik. Keasliannya dapat diperiksa dengan "
                                f"memindai kode QR atau membuka {check_url}"), align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

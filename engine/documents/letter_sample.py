"""A letter template previewed against a service *version* with invented data — the analyst's letter editor.

The issued letter is filled with a stored application's data (``engine.documents.issued_letters``); a preview
is not: the data comes from the version's forms (each field's example, default or first choice, else a plausible
value for its kind) or from a test run (``engine.services.trial``), never from a real applicant's file. Analysts
design services; they do not work files, and a letter prints the holder's name, address and what they applied for —
data an analyst has no need to see. A stand-in file (``SampleFile``) gives the letter what it reads of an
application. The letter-preview API (``POST /api/v1/definitions/{key}/letter-preview``) uses it too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import pypdfium2

from engine.bpmn.problems import ProblemList
from engine.documents import default_letter, issued_letters, letter_context, letter_rendering
from engine.errors import LincahError
from engine.forms import schemas
from engine.services import definitions, letter_templates, office_rule
from engine.services.letter_templates import LetterFiles
from engine.storage.models import ServiceDefinition
from engine.texts import N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from sqlalchemy.orm import Session

    from engine.context import EngineContext

MAX_PAGES = 4  # a letter is one or two pages; a runaway loop in a template is not drawn page after page
PAGE_SCALE = 1.4  # 72 dpi × 1.4: A4 about 830 px wide, readable beside the editor
MAX_DEPTH = 6  # levels of objects and lists a sample value fills in


@dataclass(frozen=True)
class SampleFile:
    """What a letter reads of an application (``letter_context.build``), for a file that does not exist."""

    definition: ServiceDefinition
    service_key: str
    jurisdiction: str
    registration_no: str
    applicant: str = "uji-coba"
    applicant_name: str = ""


@dataclass
class Preview:
    """A template checked and, when it has no errors, drawn: the PDF and each page as PNG with its text."""

    problems: list[dict]
    pdf: bytes | None = None
    pages: list[tuple[bytes, str]] | None = None


def template_of(session: Session, definition: ServiceDefinition) -> LetterFiles:
    """The template a version was deployed with, else the engine's own (which the editor starts from)."""
    letter = (definition.meta or {}).get("letter") or {}
    found = letter_templates.stored(session, letter["sha256"]) if letter.get("sha256") else None
    return found or default_letter.FILES


def form_fields(session: Session, definition: ServiceDefinition) -> dict[str, dict]:
    """Every top-level field the version's forms declare, start form first: name → its schema."""
    meta = definition.meta or {}
    order = [meta.get("start_form")] + sorted(definition.forms or {})
    found: dict[str, dict] = {}
    for form_key in order:
        form = definitions.form_of(session, definition, form_key) if form_key else None
        properties = (form.schema.get("properties") if form and isinstance(form.schema, dict) else None) or {}
        for name, prop in properties.items():
            if isinstance(name, str) and isinstance(prop, dict):
                found.setdefault(name, prop)
    return found


def sample_data(session: Session, ctx: EngineContext, definition: ServiceDefinition) -> dict:
    """A value for every field of every form — example, default, constant or first choice, else one plausible for
    its kind — and the fields the issuing step writes (``permit_number``)."""
    today = ctx.now().date()
    data = {name: value_for(prop, name, today) for name, prop in form_fields(session, definition).items()}
    data = {name: value for name, value in data.items() if value is not None}
    data.setdefault("permit_number", f"503/00001/CONTOH/{today.year}")
    data.setdefault("issued", True)
    return data


def value_for(prop: dict, name: str, today, depth: int = 0):
    """A plausible value of one field; dates fall after ``today`` (a period starts a week on, lasts three months).
    An object gets a value for each of its fields and a list one item, so ``data.vessel.name`` reads as it would
    for a real file (``MAX_DEPTH`` levels deep: a schema's nesting is the analyst's, not ours to follow without end)."""
    for keyword in ("examples", "enum"):
        if isinstance(prop.get(keyword), list) and prop[keyword]:
            return prop[keyword][0]
    for keyword in ("default", "const"):
        if keyword in prop:
            return prop[keyword]
    for keyword in ("oneOf", "anyOf"):
        first = (prop.get(keyword) or [None])[0]
        if isinstance(first, dict):
            return value_for(first, name, today, depth)
    kind = prop.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    fmt = prop.get("format")
    if fmt == schemas.ATTACHMENT_FORMAT or (kind == "array" and (prop.get("items") or {}).get("format")
                                            == schemas.ATTACHMENT_FORMAT):
        return None  # a letter prints no document; a stand-in reference would only mislead
    if fmt == "date":
        later = 90 if name.startswith(("end", "until", "valid")) else 7
        return (today + timedelta(days=later)).isoformat()
    if fmt == "date-time":
        return f"{(today + timedelta(days=7)).isoformat()}T09:00:00+08:00"
    if fmt == "email":
        return "contoh@example.id"
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = prop.get("minimum", prop.get("exclusiveMinimum", 0))
        value = max(low, 1) if prop.get("maximum", 10 ** 9) >= max(low, 1) else low
        return int(value) if kind == "integer" else float(value)
    if kind == "object" or kind == "array":
        return _value_inside(prop, kind, name, today, depth + 1) if depth < MAX_DEPTH else None
    title = prop.get("title")
    label = title.get("id") or title.get("en") if isinstance(title, dict) else title
    return f"Contoh {label or name.replace('_', ' ')}"[: int(prop.get("maxLength") or 200)]


def _value_inside(prop: dict, kind: str, name: str, today, depth: int):
    if kind == "array":
        items = prop.get("items")
        item = value_for(items, name, today, depth) if isinstance(items, dict) else None
        return [item] if item is not None else None
    inner = {key: value_for(sub, key, today, depth) for key, sub in (prop.get("properties") or {}).items()
             if isinstance(key, str) and isinstance(sub, dict)}
    return {key: value for key, value in inner.items() if value is not None} or None


def _office(ctx: EngineContext, definition: ServiceDefinition, start_schema: dict | None, data: dict) -> str:
    """The office the service's rule picks for ``data``; the installation's when the data does not decide it."""
    try:
        return office_rule.office_of(definition.key, (definition.meta or {}).get("process"), start_schema, data,
                                     ctx.settings.default_jurisdiction)
    except LincahError:
        return ctx.settings.default_jurisdiction


def preview(session: Session, ctx: EngineContext, definition: ServiceDefinition, files: LetterFiles, data: dict,
            *, signer: str | None) -> Preview:
    """``files`` checked as a deploy of ``definition`` would check it; without errors, filled with ``data`` and drawn
    with the DRAF watermark by the renderer the issued letter uses. Nothing is stored."""
    problems = ProblemList()
    if len(files.html.encode()) + len((files.css or "").encode()) > letter_templates.MAX_TEMPLATE_BYTES:
        problems.error("letter_too_large", N_("The letter template is larger than %(limit)s KB; keep images out "
                                              "of it (the emblem comes from the office's settings)."),
                       file=files.origin, element_id=definition.key,
                       params={"limit": letter_templates.MAX_TEMPLATE_BYTES // 1024})
    else:
        letter_templates.check_fields(files, definition.key, set(form_fields(session, definition)), problems)
    if problems.errors:
        return Preview([p.to_dict() for p in problems.sorted()])
    start = definitions.form_of(session, definition, (definition.meta or {}).get("start_form"))
    code = (((definition.meta or {}).get("process") or {}).get("properties") or {}).get("code") or definition.key
    now = ctx.now()
    stand_in = SampleFile(definition, definition.key, _office(ctx, definition, start.schema if start else None, data),
                          f"UJI-COBA/{code}/{now.year}/00001",
                          applicant_name=str(data.get("applicant_name") or data.get("owner_name") or ""))
    number = str(data.get("permit_number") or "…")
    facts = letter_context.Issue(number, now, signer, issued_letters.verify_url(session, ctx, stand_in, "draf"))
    context = letter_context.build(session, ctx, stand_in, data, facts, draft=True)
    try:
        pdf = letter_rendering.render_pdf(files, context, seconds=ctx.settings.letter_render_seconds)
    except Exception as exc:  # noqa: BLE001 - whatever a template's expression raises is the analyst's to fix
        problems.error("letter_render_failed",
                       N_("The letter template could not be filled with this data (%(reason)s); check the "
                          "expressions that use the fields named."),
                       file=files.origin, line=letter_rendering.template_line(exc), element_id=definition.key,
                       params={"reason": f"{type(exc).__name__}: {exc}"[:200]})
        return Preview([p.to_dict() for p in problems.sorted()])
    return Preview([], pdf, png_pages(pdf))


def png_pages(pdf: bytes, *, scale: float = PAGE_SCALE, limit: int = MAX_PAGES) -> list[tuple[bytes, str]]:
    """Each page (up to ``limit``) as PNG bytes with its text: the page shows as an image under the site's
    Content-Security-Policy (no plugins, no frames), and its text is the image's alternative."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for index in range(min(len(document), limit)):
            page = document[index]
            image = page.render(scale=scale).to_pil()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=True)
            text = page.get_textpage().get_text_bounded()
            pages.append((buffer.getvalue(), " ".join(text.split())))
        return pages
    finally:
        document.close()

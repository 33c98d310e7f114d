"""A letter template being written, previewed with a file's data: checked as a deploy would check it (located
problems), filled with the file's data, rendered with a "DRAF" watermark, nothing stored — so an analyst sees the
letter before deploying the template that issues it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.problems import ProblemList
from engine.documents import issued_letters, letter_context, letter_rendering
from engine.errors import Conflict, InvalidDefinition, InvalidInput
from engine.services import definitions, letter_templates
from engine.services.letter_templates import LetterFiles
from engine.storage.models import Instance
from engine.texts import N_, Text
from engine.workflow import runtime

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext


def preview(session: Session, ctx: EngineContext, instance: Instance, files: LetterFiles, *, signer: str) -> bytes:
    """``files`` (a template being written) filled with the file ``instance``'s data, watermarked "DRAF", nothing
    stored; ``InvalidDefinition`` with the located problems when lint would refuse the template at deploy."""
    problems = ProblemList()
    if len(files.html.encode()) + len((files.css or "").encode()) > letter_templates.MAX_TEMPLATE_BYTES:
        raise InvalidInput(Text(N_("The letter template is larger than %(limit)s KB; keep images out of it (the "
                                   "emblem comes from the office's settings)."),
                                {"limit": letter_templates.MAX_TEMPLATE_BYTES // 1024}), {"letter": "too large"})
    letter_templates.check_fields(files, instance.service_key, _form_fields(session, instance), problems)
    if problems.errors:
        raise InvalidDefinition(f"The letter template has {len(problems.errors)} error(s): fix the lines named and "
                                "preview again.", [p.to_dict() for p in problems.sorted()])
    workflow = runtime.load(ctx, instance)
    data = dict(workflow.data or {}) or dict(workflow.last_task.data if workflow.last_task else {})
    facts = letter_context.Issue(str(data.get("permit_number") or "…"), ctx.now(), signer,
                                 issued_letters.verify_url(session, ctx, instance, "draf"))
    context = letter_context.build(session, ctx, instance, data, facts, draft=True)
    try:
        return letter_rendering.render_pdf(files, context, seconds=ctx.settings.letter_render_seconds)
    except Exception as exc:  # noqa: BLE001 - whatever a template's expression raises, the answer is located
        raise Conflict(Text(N_("The permit letter of %(service)s could not be rendered (%(reason)s): an analyst "
                               "must correct the service's letter template (%(file)s) and deploy it again."),
                            {"service": instance.service_key, "reason": f"{type(exc).__name__}: {exc}"[:200],
                             "file": files.origin})) from exc


def _form_fields(session: Session, instance: Instance) -> set[str]:
    found: set[str] = set()
    for form_key in (instance.definition.forms or {}):
        form = definitions.form_of(session, instance.definition, form_key)
        if form is not None and isinstance(form.schema, dict):
            found.update(name for name in (form.schema.get("properties") or {}) if isinstance(name, str))
    return found


def latest_of_service(session: Session, service_key: str) -> Instance | None:
    """The newest application of a service (whose data a preview fills a template with), or ``None``."""
    return session.scalar(select(Instance).where(Instance.service_key == service_key)
                          .order_by(Instance.id.desc()).limit(1))

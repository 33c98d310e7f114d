"""The signing step on the task page: the draft letter the head of office reads (a PDF framed beside the form), the
NIK and passphrase fields when letters are signed through BSrE, and the reason of the last failed signature.

What signing means — the number reserved once, the letter rendered, signed and stored — is the engine's
(``engine.casework.signing_step``); this module only shows it.
"""

from __future__ import annotations

import logging
import re

from flask import make_response, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine import texts
from engine.casework import signing_step, use_cases
from engine.storage.models import Event

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, render
from ..security import current_actor, signed_in

log = logging.getLogger("lincah.web")
CREDENTIAL_FIELDS = (signing_step.NIK_FIELD, signing_step.PASSPHRASE_FIELD)


def panel(opened) -> dict | None:
    """What the task page shows of a signing step (``None`` for other steps): the draft's address, whether the
    signer types a NIK and passphrase, and the last failed signature's reason while the step is open."""
    task, instance = opened.task, opened.instance
    if task.for_applicant or not signing_step.is_signing_step(instance, task.element_id):
        return None
    failed = None
    if task.state in ("ready", "claimed"):
        failed = db().scalar(select(Event).where(Event.task_id == task.id, Event.kind == "signing_failed")
                             .order_by(Event.id.desc()).limit(1))
    return {"draft_url": url_for("web.draft_letter", task_id=task.id),
            "credentials": signing_step.needs_credentials(ctx()),
            "number": signing_step.reserved_number(db(), instance.id),
            "failed": failed, "failed_reason": _reason(failed) if failed is not None else ""}


@bp.app_template_global("signing_reason")
def _reason(event: Event) -> str:
    """A failed signature's reason in the page's language (the audit keeps its catalogue id and parameters)."""
    data = event.data or {}
    if data.get("reason_id"):
        return texts.render(data["reason_id"], data.get("reason_params") or {}, i18n.lang())
    return str(data.get("reason") or "")


def credentials(form) -> dict:
    """The NIK and passphrase typed on the page, for the engine to take out of the data before anything is kept."""
    return {name: form.get(name, "") for name in CREDENTIAL_FIELDS if form.get(name)}


@bp.route("/tasks/<task_id>/draft.pdf")
@signed_in()
def draft_letter(task_id: str):
    actor = current_actor()
    opened = use_cases.open_task(db(), ctx(), task_id, actor)
    if opened.task.for_applicant or not signing_step.is_signing_step(opened.instance, opened.task.element_id):
        return render("web/error.html", 404, title=_("There is no draft letter here"),
                      explanation=_("Only the signing step shows the draft of the permit letter."))
    try:
        pdf = signing_step.draft(db(), ctx(), opened.instance, actor.username)
    except Exception as exc:  # noqa: BLE001 - a template or font problem: the signer is told, the analyst can fix it
        log.exception("draft letter of %s not rendered", opened.instance.registration_no)
        return render("web/error.html", 500, title=_("The draft letter could not be drawn"),
                      explanation=_("The letter template of this service could not be rendered (%(reason)s). "
                                    "Ask the analyst to check the template in the modeler; do not sign before "
                                    "the draft can be read.", reason=str(exc)[:300]))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    name = re.sub(r"[^A-Za-z0-9]+", "-", opened.instance.registration_no).strip("-") or "surat"
    response.headers["Content-Disposition"] = f'inline; filename="draf-{name}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    # The task page frames the draft beside the form: this page only, never another site.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response

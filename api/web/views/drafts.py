"""Drafts of the forms people fill in (``engine.casework.drafts``): the page's script saves the inputs here as they
type, and the form's own page draws them again on return — on any device, after a refresh or a new sign-in.

``POST /drafts`` answers JSON for the script: 200 with the time saved, 401 when the session has ended (the script
says so and the page restores what was saved once the person signs in again), 422 with the bound exceeded. Who may
keep a draft of a form is who may send it: a start form's draft needs the right to apply for that service, a
task's draft the right to work that task — checked on every save (``engine.casework.drafts.authorize``), as the
form's own page checks it. Programs use the same drafts through ``/api/v1/drafts``.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.casework import drafts
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound

from .. import formdata, i18n
from ..blueprint import bp
from ..pages import FormPage, ctx, db
from ..security import current_actor, safe_next

SCOPE_FIELD = "_scope"


@bp.route("/drafts", methods=["POST"])
def save_draft():
    actor = current_actor()
    if actor is None:
        return jsonify({"error": _("Your session has ended. Sign in again: what was saved is kept.")}), 401
    try:
        scope = drafts.authorize(db(), actor, request.form.get(SCOPE_FIELD) or "")
        draft = drafts.save(db(), ctx(), actor, scope, request.form.items(multi=True))
    except (NotFound, Forbidden):
        return jsonify({"error": _("This form cannot keep a draft.")}), 404
    except InvalidInput as refused:
        return jsonify({"error": refused.localized(i18n.lang())}), 422
    except Conflict as raced:
        return jsonify({"error": raced.localized(i18n.lang())}), 409
    return jsonify({"saved_at": draft.updated_at.isoformat(), "saved_text": i18n.when(draft.updated_at)})


@bp.route("/drafts/discard", methods=["POST"])
def discard_draft():
    actor = current_actor()
    back = safe_next(request.form.get("next"), url_for("web.catalogue"))
    if actor is not None:
        drafts.discard(db(), actor, (request.form.get(SCOPE_FIELD) or "")[:drafts.MAX_SCOPE + 1])
        flash(_("The draft has been discarded."), "info")
    return redirect(back)


def restore(page: FormPage, actor, scope: str) -> dict:
    """Put ``actor``'s draft of ``scope`` into ``page`` (as typed: no validation) and say what the form template
    needs to keep saving it: ``{"scope", "restored_at"}``."""
    found = drafts.load(db(), ctx(), actor, scope)
    if found is not None:
        submission = formdata.parse(page.schema, page.ui_schema, MultiDict(found.pairs), None, None,
                                    ctx().settings.timezone)
        page.data, page.raw = submission.data, submission.raw
    return {"scope": scope, "restored_at": found.saved_at if found else None}


def discard_sent(actor, scope: str) -> None:
    """The form was accepted: its draft has served."""
    drafts.discard(db(), actor, scope)

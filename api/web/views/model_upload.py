"""Deploying a spiff-arena model folder from the analyst's services page: the folder zipped, one file chosen, one
draft version of its service (``engine.services.model_folder`` unpacks it with every bound it needs). Without
script: a plain form, then the service's page, or the located problems in the page's language."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidDefinition
from engine.people.access import ANALYST
from engine.services import definitions, model_folder

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import current_actor, signed_in
from .analyst import status_label


def _problem_text(problem: dict) -> str:
    return problem.get("message_id") if i18n.lang() == "id" and problem.get("message_id") else problem["message"]


@bp.route("/analyst/models/deploy", methods=["POST"])
@signed_in(ANALYST)
def analyst_model_deploy():
    upload = request.files.get("model")
    if upload is None or not upload.filename:
        flash(_("Choose the model folder's .zip file."), "error")
        return redirect(url_for("web.analyst_services"))
    name = "".join(ch for ch in upload.filename if ch.isprintable()).strip()[:200] or "model.zip"
    try:
        folder = model_folder.from_zip(name, upload.read(model_folder.MAX_ZIP_BYTES + 1))
        with engine_step():
            result = definitions.deploy(db(), ctx(), folder.main, folder.supporting, folder.forms,
                                        actor=current_actor().username, publish=False)
    except InvalidDefinition as error:
        problems = [{**p, "text": _problem_text(p)} for p in error.problems]
        errors = [p for p in problems if p.get("severity") == "error"]
        return render("web/analyst/model_refused.html", 422, name=name, problems=problems,
                      message=_("Not deployed: %(count)s error(s). Fix them and deploy again.", count=len(errors)))
    definition = result.definition
    if result.created:
        flash(_("Deployed as draft %(key)s version %(version)s. Publish it when the problems are dealt with.",
                key=definition.key, version=definition.version), "success")
    else:
        flash(_("Unchanged: identical to %(key)s version %(version)s (%(status)s).", key=definition.key,
                version=definition.version, status=status_label(definition.status)), "success")
    return redirect(url_for("web.analyst_service", key=definition.key))

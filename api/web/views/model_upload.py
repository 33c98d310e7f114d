"""Deploying a spiff-arena model folder from the analyst's pages: one draft version of its service
(``engine.services.model_folder`` unpacks it with every bound it needs).

* the services page: the folder zipped, one file chosen; without script: a plain form, then the service's page, or
  the located problems in the page's language;
* the web modeler (:func:`analyst_model_folder`): the folder itself (``<input webkitdirectory>``) or its zip, checked
  when it is opened (the primary diagram comes back to be drawn), checked again while the analyst edits the primary
  diagram, and deployed as one unit; JSON with the problems, each naming its file and element."""

from __future__ import annotations

from dataclasses import replace

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from engine.bpmn.compiler import SourceFile
from engine.errors import InvalidDefinition, LincahError
from engine.people.access import ANALYST
from engine.services import definitions, model_folder

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import current_actor, signed_in
from .analyst import _definition_json, status_label

# A folder's files travel unpacked: the body may hold the folder's limit, the edited primary diagram and the
# multipart framing (the application's MAX_CONTENT_LENGTH is smaller, for single uploads).
FOLDER_BODY_BYTES = model_folder.MAX_TOTAL_BYTES + model_folder.MAX_FILE_BYTES + 1024 * 1024


def _folder_body_limit() -> None:
    """The folder's body limit, set before anything reads the body (the CSRF check reads a posted ``_csrf``)."""
    if request.endpoint == "web.analyst_model_folder":
        request.max_content_length = FOLDER_BODY_BYTES


bp.before_request_funcs.setdefault(None, []).insert(0, _folder_body_limit)


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


def _folder_from_request() -> model_folder.ModelFolder:
    """The folder the modeler sent: its files (``files``, several) or its zip (``model``), the primary diagram as
    the analyst has edited it in ``primary`` (when sent) in place of the file's own content."""
    zipped = request.files.get("model")
    name = "".join(ch for ch in (request.form.get("folder") or "") if ch.isprintable()).strip()[:200]
    if zipped is not None and zipped.filename:
        name = name or "".join(ch for ch in zipped.filename if ch.isprintable()).strip()[:200] or "model.zip"
        folder = model_folder.from_zip(name, zipped.read(model_folder.MAX_ZIP_BYTES + 1))
    else:
        uploads = [(upload.filename or "", upload.stream) for upload in request.files.getlist("files")]
        folder = model_folder.from_uploads(name or "model", uploads)
    edited = request.files.get("primary")
    if edited is not None:
        folder = replace(folder, main=SourceFile(folder.main.name, edited.read(model_folder.MAX_FILE_BYTES + 1)))
    return folder


@bp.route("/analyst/models/folder", methods=["POST"])
@signed_in(ANALYST)
def analyst_model_folder():
    """The modeler's model folder: ``action=open`` checks it and returns the primary diagram's file name and text;
    ``lint`` checks it as edited; ``deploy`` deploys it as a draft. Problems keep their ``file``, so the modeler
    marks those of the primary diagram on the canvas and lists the others under their file."""
    action = request.form.get("action", "open")
    try:
        folder = _folder_from_request()
        if action == "deploy":
            with engine_step():
                result = definitions.deploy(db(), ctx(), folder.main, folder.supporting, folder.forms,
                                            actor=current_actor().username, publish=False)
        else:
            compiled = definitions.lint(ctx(), folder.main, folder.supporting, folder.forms)
    except InvalidDefinition as error:
        errors = [p for p in error.problems if p.get("severity") == "error"]
        return jsonify(message=_("Not deployed: %(count)s error(s). Fix the problems listed (each names its file) "
                                 "and deploy again.", count=len(errors)) if action == "deploy"
                       else _("The model folder cannot be opened: %(count)s error(s).", count=len(errors)),
                       problems=error.problems, errors=len(errors)), 422
    except LincahError as error:  # not a diagram at all: one problem, the modeler shows it
        problem = {"severity": "error", "code": error.code, "message": str(error.message),
                   "message_id": str(error.message), "file": "", "element_id": None, "line": None}
        return jsonify(message=str(error.message), problems=[problem], errors=1), 422
    body = {"folder": folder.name, "primary": folder.main.name,
            "files": [folder.main.name, *(f.name for f in folder.supporting), *sorted(folder.forms.uploads)]}
    if action == "deploy":
        definition = result.definition
        message = _("Deployed as draft %(key)s version %(version)s. Publish it when the problems are dealt with.",
                    key=definition.key, version=definition.version) if result.created else \
            _("Unchanged: identical to %(key)s version %(version)s (%(status)s).", key=definition.key,
              version=definition.version, status=status_label(definition.status))
        return jsonify({**body, "message": message, "problems": result.warnings, "created": result.created,
                        "definition": _definition_json(definition), "errors": 0})
    problems = [p.to_dict() for p in compiled.problems.sorted()]
    if action == "open":
        body["xml"] = folder.main.data.decode("utf-8", "replace")
    return jsonify({**body, "ok": compiled.ok, "flavour": compiled.flavour, "problems": problems,
                    "errors": sum(1 for p in problems if p.get("severity") == "error")})

"""The analyst's table editor: dmn-js (built in ``web/src/dmn-modeler.js``) opens a deployed DMN file, or a starter
table, and deploys the edited file as a new version of its decisions — the upload ``POST /api/v1/definitions``
takes in its ``dmn`` field, here under the web session. Problems come back located (decision, rule, column) in the
page's language; a table deployed with a service changes only the decision called by key: the service keeps its
own copy until it is deployed again.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, g, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound as HttpNotFound

from engine.bpmn.compiler import SourceFile
from engine.errors import InvalidDefinition
from engine.people.access import ANALYST
from engine.services import decisions

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import csrf_token, current_actor, signed_in
from . import dmn_js_texts

BLANK = Path(__file__).resolve().parent.parent / "templates" / "web" / "analyst" / "dmn" / "blank.dmn"
MAX_FILES = 10


def N_(text: str) -> str:  # noqa: N802 - Babel's marker for a text translated later (it extracts N_("…"))
    return text


# The table editor's words, by their English (the key its script looks them up by).
EDITOR_TEXTS = (
    N_("Deploying…"), N_("Not deployed."), N_("Table opened."), N_("Error"), N_("Warning"),
    N_("This file is not a DMN file the editor can read: "), N_("Show in the table"),
)


@bp.route("/analyst/decisions/<key>/<int(max=2147483647):version>/table.dmn")
@signed_in(ANALYST)
def analyst_decision_dmn(key: str, version: int):
    row = decisions.get_version(db(), key, version)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    if request.args.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="{key}-v{version}.dmn"'
    return Response(row.dmn, mimetype="application/xml", headers=headers)


@bp.route("/analyst/decisions/blank.dmn")
@signed_in(ANALYST)
def analyst_blank_dmn():
    return Response(BLANK.read_text(encoding="utf-8"), mimetype="application/xml")


@bp.route("/analyst/dmn-modeler")
@signed_in(ANALYST)
def analyst_dmn_modeler():
    g.staff_page = True
    key, version = request.args.get("key"), request.args.get("version", type=int)
    if key and version:
        row = decisions.get_version(db(), key, version)
        xml_url, title, service = url_for("web.analyst_decision_dmn", key=key, version=version), f"{key} v{version}", \
            row.service_key
    elif key or version:
        raise HttpNotFound()
    else:
        xml_url, title, service = url_for("web.analyst_blank_dmn"), _("New decision table"), None
    config = {"xmlUrl": xml_url, "deployUrl": url_for("web.analyst_dmn_deploy"), "csrf": csrf_token(),
              "lang": i18n.lang(), "fileName": f"{key or 'decision'}.dmn",
              "texts": {text: _(text) for text in EDITOR_TEXTS}, "dmnTexts": dmn_js_texts.texts()}
    return render("web/analyst/dmn_modeler.html", config=config, title=title, key=key, version=version,
                  service=service)


def _problem_message(problem: dict) -> str:
    return problem.get("message_id") if i18n.lang() == "id" and problem.get("message_id") else problem["message"]


@bp.route("/analyst/decisions/deploy", methods=["POST"])
@signed_in(ANALYST)
def analyst_dmn_deploy():
    """Deploy the editor's DMN file(s) (multipart ``dmn``); JSON with the versions made, or the located problems."""
    uploads = [upload for upload in request.files.getlist("dmn") if upload and upload.filename][:MAX_FILES]
    if not uploads:
        return jsonify(message=_("Choose a .dmn file to deploy."), problems=[]), 400
    names = [Path(u.filename).name for u in uploads]
    files = [SourceFile(name if name.lower().endswith(".dmn") else f"{name}.dmn", upload.read())
             for name, upload in zip(names, uploads, strict=True)]
    try:
        with engine_step():
            rows = decisions.deploy(db(), ctx(), files, actor=current_actor().username)
    except InvalidDefinition as error:
        problems = [{**p, "text": _problem_message(p)} for p in error.problems]
        errors = [p for p in problems if p.get("severity") == "error"]
        return jsonify(message=_("Not deployed: %(count)s error(s). Fix them and deploy again.", count=len(errors)),
                       problems=problems), 422
    listed = [{"key": row.key, "version": row.version, "name": row.name, "hit_policy": row.hit_policy,
               "url": url_for("web.analyst_decision", key=row.key, version=row.version)} for row in rows]
    message = _("Deployed: %(decisions)s. Try it on its page.",
                decisions=", ".join(f"{row.key} v{row.version}" for row in rows))
    return jsonify(message=message, decisions=listed, problems=[])

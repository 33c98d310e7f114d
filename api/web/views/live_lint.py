"""Lint while drawing: the modeler sends its diagram a moment after each change and shows the problems on the
elements as the analyst goes, without deploying anything (the forms of the version it was opened from count, as at
deploy)."""

from __future__ import annotations

from pathlib import Path

from flask import jsonify, request

from engine.bpmn.compiler import SourceFile
from engine.errors import LincahError
from engine.people.access import ANALYST
from engine.services import definitions

from ..blueprint import bp
from ..pages import ctx
from ..security import signed_in
from .analyst import _form_source, _forms_of, _latest


@bp.route("/analyst/lint", methods=["POST"])
@signed_in(ANALYST)
def analyst_lint():
    upload = request.files.get("bpmn")
    if upload is None:
        return jsonify(problems=[], ok=False), 400
    main = SourceFile(Path(upload.filename or "diagram.bpmn").name, upload.read())
    base = _latest(request.form.get("based_on"))
    uploads = _forms_of(base) if base is not None else {}
    try:
        compiled = definitions.lint(ctx(), main, [], _form_source(uploads))
    except LincahError as exc:  # a file that is not BPMN at all: one problem, the modeler shows it
        problem = {"severity": "error", "code": exc.code, "message": str(exc.message),
                   "message_id": str(exc.message), "element_id": None, "line": None}
        return jsonify(ok=False, errors=1, problems=[problem])
    problems = [p.to_dict() for p in compiled.problems.sorted()]
    return jsonify(ok=compiled.ok, problems=problems,
                   errors=sum(1 for p in problems if p.get("severity") == "error"))

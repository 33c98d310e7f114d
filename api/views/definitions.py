"""Deploying, linting, listing and publishing service definitions (analysts).

The request is multipart: ``bpmn`` (the diagram, then any files its call activities need) and ``forms`` (JSON
Schema and UI schema files), or ``model``: a zipped model folder (``engine.services.model_folder``). Everything
else — checking, versioning, the no-op redeploy — is the engine's.
"""

from __future__ import annotations

import re

import orjson
from flask import Response

from engine.bpmn.compiler import SourceFile
from engine.documents import letter_sample
from engine.errors import InvalidData, InvalidDefinition, NotFound
from engine.forms.schemas import FormSource
from engine.people.access import ANALYST, MANAGER, OFFICER, SUPERVISOR
from engine.services import decisions, definitions, letter_templates, model_folder, version_diff
from engine.services.letter_templates import LetterFiles

from .. import presenters
from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.definitions import (
    DefinitionSchema,
    DefinitionUpload,
    DeployQuery,
    DeployResult,
    DiffQuery,
    LintResult,
    VersionDiffSchema,
)
from ..schemas.permits import LetterPreviewQuery, LetterPreviewUpload
from ..unit_of_work import engine_context, session

blp = Blueprint("definitions", __name__, url_prefix="/api/v1",
                description="Service definitions: deploy BPMN with its forms, version, publish (analysts).")


def _file_name(upload, default: str) -> str:
    name = "".join(ch for ch in (upload.filename or "") if ch.isprintable()).strip()
    return name[:200] or default


def _dmn_files(files: dict) -> list[SourceFile]:
    """The uploads of the field ``dmn``, each named ``….dmn`` so that the engine reads it as a decision file."""
    found = []
    for upload in files.get("dmn") or []:
        name = _file_name(upload, "decisions.dmn")
        found.append(SourceFile(name if name.lower().endswith(".dmn") else f"{name}.dmn", upload.read()))
    return found


def _only_dmn(files: dict) -> bool:
    return not [f for f in files.get("bpmn") or [] if f is not None] and bool(files.get("dmn"))


def _sources(files: dict) -> tuple[SourceFile, list[SourceFile], FormSource]:
    if files.get("model") is not None:
        upload = files["model"]
        folder = model_folder.from_zip(_file_name(upload, "model.zip"), upload.read(model_folder.MAX_ZIP_BYTES + 1))
        return folder.main, folder.supporting, folder.forms
    bpmn = [f for f in files.get("bpmn") or [] if f is not None]
    if not bpmn:
        raise InvalidData("Attach the BPMN file in the multipart field 'bpmn' (or only DMN files in 'dmn').",
                          {"bpmn": "A BPMN file is required."})
    sources = [SourceFile(_file_name(f, "diagram.bpmn"), f.read()) for f in bpmn]
    sources += _dmn_files(files)
    uploads = {}
    for upload in files.get("forms") or []:
        name = _file_name(upload, "")
        content = upload.read()
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidData(f"The form file {name!r} is not UTF-8 text.",
                              {"forms": f"{name}: save the file as UTF-8 JSON."}) from None
        if not name:
            raise InvalidData("Every form file needs a file name ('<formKey>.json').", {"forms": "File name missing."})
        uploads[name] = content
    for field, name in (("letter", "letter.html"), ("letter_css", "letter.css")):
        if files.get(field) is not None:
            content = files[field].read()
            try:
                content.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidData(f"The letter file in {field!r} is not UTF-8 text.",
                                  {field: "Save the template as UTF-8."}) from None
            uploads[name] = content  # engine.services.definitions.letter_source reads it from the uploads
    return sources[0], sources[1:], FormSource(uploads, [])


@blp.route("/definitions", methods=["POST"])
@login_required(ANALYST)
@blp.arguments(DeployQuery, location="query", as_kwargs=True)
@blp.arguments(DefinitionUpload, location="files")
@blp.response(201, DeployResult)
@blp.alt_response(200, schema=DeployResult, description="Identical content was deployed before: that version.")
def deploy(files, publish: bool):
    """Deploy a BPMN file (and its forms and DMN files) as a new version of its service, or only DMN files."""
    if _only_dmn(files):
        rows = decisions.deploy(session(), engine_context(), _dmn_files(files), actor=current_actor().username)
        listed = [presenters.decision(row) for row in rows]
        return {**listed[0], "status": "published", "created": True, "warnings": [], "decisions": listed}, 201
    main, supporting, forms = _sources(files)
    result = definitions.deploy(session(), engine_context(), main, supporting, forms,
                                actor=current_actor().username, publish=publish)
    d = result.definition
    body = {"key": d.key, "version": d.version, "status": d.status, "created": result.created,
            "warnings": result.warnings}
    return body, 201 if result.created else 200


@blp.route("/lint", methods=["POST"])
@login_required(ANALYST)
@blp.arguments(DefinitionUpload, location="files")
@blp.response(200, LintResult)
def lint(files):
    """Check a BPMN file (and its forms and DMN files), or only DMN files, without deploying."""
    if _only_dmn(files):
        found, problems = decisions.lint(engine_context(), _dmn_files(files), session())  # as the deploy reads it
        return {"key": next(iter(found), None), "ok": not problems.errors,
                "problems": [p.to_dict() for p in problems.sorted()]}
    main, supporting, forms = _sources(files)
    compiled = definitions.lint(engine_context(), main, supporting, forms)
    return {"key": compiled.key, "ok": compiled.ok, "flavour": compiled.flavour,
            "problems": [p.to_dict() for p in compiled.problems.sorted()]}


@blp.route("/definitions")
@login_required(ANALYST)
@blp.response(200, DefinitionSchema(many=True))
def list_definitions():
    """Every deployed version of every service."""
    return [presenters.definition(d) for d in definitions.versions(session())]


@blp.route("/definitions/<string:key>")
@login_required(ANALYST)
@blp.response(200, DefinitionSchema(many=True))
def list_versions(key: str):
    """The versions of one service, oldest first."""
    rows = definitions.versions(session(), key)
    if not rows:
        raise NotFound(f"No service {key!r} has been deployed. GET /api/v1/definitions lists them.")
    return [presenters.definition(d) for d in rows]


@blp.route("/definitions/<string:key>/<int(max=2147483647):version>/bpmn")
@login_required(ANALYST, OFFICER, SUPERVISOR)
@blp.response(200, content_type="application/xml", description="The BPMN XML as deployed.")
def get_bpmn(key: str, version: int):
    """The BPMN XML of one version (for the modeler and for officers reading the procedure)."""
    definition = definitions.get_version(session(), key, version)
    filename = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{key}-v{version}.bpmn")
    return Response(definition.bpmn, mimetype="application/xml",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@blp.route("/definitions/<string:key>/<int(max=2147483647):version>/publish", methods=["POST"])
@login_required(ANALYST)
@blp.response(200, DefinitionSchema)
def publish(key: str, version: int):
    """Publish a version: new applications use it; the previously published version is retired."""
    definition = definitions.publish_version(session(), engine_context(), key, version,
                                             actor=current_actor().username)
    return presenters.definition(definition)


@blp.route("/definitions/<string:key>/letter-preview", methods=["POST"])
@login_required(ANALYST)
@blp.arguments(LetterPreviewQuery, location="query", as_kwargs=True)
@blp.arguments(LetterPreviewUpload, location="files")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
              description="The letter as the template would issue it, marked DRAF.")
def letter_preview(files, key: str, version: int | None = None, application: int | None = None):
    """Preview a letter template (multipart ``letter``, ``letter_css``; default: the version's own) for a version of
    the service (``?version=``, default the newest), filled with sample data (multipart ``data``, a JSON object;
    default: invented from the version's forms — never a real applicant's file): checked as a deploy checks it (422
    with the located problems), rendered with a DRAF watermark, nothing stored. The analyst's letter editor
    (``/analyst/services/<key>/<version>/letter``) does the same on a page."""
    if application is not None:
        raise InvalidData("A preview is filled with sample data, never with an applicant's file: send the data to "
                          "try as the multipart part 'data' (a JSON object) instead of ?application=.",
                          {"application": "not taken"})
    db, ctx = session(), engine_context()
    definition = (definitions.get_version(db, key, version) if version is not None
                  else _newest_version(db, key))
    template = letter_sample.template_of(db, definition)
    if files.get("letter") is not None:
        html = files["letter"].read(letter_templates.MAX_TEMPLATE_BYTES + 1).decode("utf-8", errors="replace")
        css = (files["letter_css"].read(letter_templates.MAX_TEMPLATE_BYTES + 1).decode("utf-8", errors="replace")
               if files.get("letter_css") else None)
        template = LetterFiles("upload:letter.html", html, css)
    data = letter_sample.sample_data(db, ctx, definition)
    if files.get("data") is not None:
        data.update(_sample_data(files["data"].read(_MAX_SAMPLE_BYTES + 1)))
    shown = letter_sample.preview(db, ctx, definition, template, data, signer=current_actor().username)
    if shown.problems:
        raise InvalidDefinition(f"The letter template has {len(shown.problems)} problem(s): fix the lines named and "
                                "preview again.", shown.problems)
    name = re.sub(r"[^A-Za-z0-9_-]", "_", key)
    return Response(shown.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="draf-{name}.pdf"'})


_MAX_SAMPLE_BYTES = 256 * 1024


def _newest_version(db, key: str):
    rows = definitions.versions(db, key)
    if not rows:
        raise NotFound(f"There is no service {key!r}. See GET /definitions for the keys.")
    return rows[-1]


def _sample_data(raw: bytes) -> dict:
    if len(raw) > _MAX_SAMPLE_BYTES:
        raise InvalidData(f"The sample data is larger than {_MAX_SAMPLE_BYTES // 1024} KB.", {"data": "too large"})
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidData(f"The sample data is not JSON ({exc}).", {"data": "not JSON"}) from None
    if not isinstance(data, dict):
        raise InvalidData("The sample data must be a JSON object: {\"field\": value, ...}.",
                          {"data": "not an object"})
    return data


@blp.route("/definitions/<string:key>/diff")
@login_required(ANALYST, MANAGER)
@blp.arguments(DiffQuery, location="query", as_kwargs=True)
@blp.response(200, VersionDiffSchema)
def diff(key: str, from_version: int, to_version: int):
    """What changed from one version of a service to another: elements added, removed and changed (type, name, form,
    who works it, lane, SLA, choices and their meanings, conditions, timers, scripts), the service's settings and
    its forms (by snapshot hash, with the top-level fields added and removed)."""
    return version_diff.diff_versions(session(), key, from_version, to_version).to_dict()

"""The analyst's pages (*analis layanan*): services and their versions, the BPMN modeler (deploy as draft with the
lint problems shown on the diagram, publish), the form editor with a live preview drawn by the product's own form
renderer, and a test run of a draft that creates nothing.

Deploying, publishing and the test run are the engine's (``engine.services.definitions``, ``engine.services.trial``);
these views turn
them into pages and into the JSON the modeler's script reads.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from flask import Response, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from werkzeug.exceptions import NotFound as HttpNotFound

from engine.bpmn.compiler import SourceFile
from engine.errors import InvalidDefinition, InvalidInput
from engine.forms.schemas import FormSource, schema_file_name, ui_file_name
from engine.people.access import ANALYST
from engine.services import definitions, letter_templates, model_folder, trial
from engine.services.letter_templates import LetterFiles, LetterSource

from .. import formdata, i18n, starter_forms
from .. import forms as form_renderer
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import csrf_token, current_actor, signed_in
from . import bpmn_js_texts, form_builder_texts

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web" / "analyst" / "bpmn"


def N_(text: str) -> str:  # noqa: N802 - Babel's marker for a text translated later (it extracts N_("…"))
    return text


TEMPLATE_NAMES = {"blank": N_("Blank service"), "approval": N_("Verify and approve")}
STATUS_LABELS = (N_("draft"), N_("published"), N_("retired"))
# The modeler's words, by their English (the key its script looks them up by).
MODELER_TEXTS = (
    N_("Error"), N_("Warning"), N_("line"), N_("Deploying…"), N_("Diagram opened."),
    N_("Opened, with import warnings: "), N_("This file is not a BPMN diagram this modeler can read: "),
    N_("Not deployed."), N_("Not published."), N_("Lincah (SLA and catalogue)"), N_("SLA target (e.g. PT4H, P5D)"),
    N_("SLA pauses here (waiting for the applicant)"), N_("On breach, hand over to group"),
    N_("Calendar (24x7 for plain time)"), N_("Service name (Indonesian)"), N_("Service name (English)"),
    N_("Whole-file SLA (e.g. P5D)"), N_("Fee (0 = free)"), N_("Product (Indonesian)"), N_("Product (English)"),
    N_("Office (code or ${field})"), N_("Complaints channel"), N_("Legal basis"),
    N_("Shown in the public catalogue"), N_("Create starter form"), N_("Edit form"),
    N_("Checked while drawing: no problems."), N_("Checked while drawing, errors: "),
    N_("The file had no layout: the modeler laid it out; check it before deploying."),
    N_("“{name}” is not a BPMN XML file. Choose a .bpmn file saved from a BPMN modeler (such as Camunda Modeler or "
       "“Download .bpmn” here); the diagram on the page is unchanged."),
    # Opening a model folder (api/web/views/model_upload.py)
    N_("Note"), N_("Opening the model folder…"), N_("Model folder opened: "),
    N_("Model folder {folder}: {primary} drawn, deployed with {files}."),
    N_("The folder holds no .bpmn, .dmn or .json file; choose the model's own folder."),
    N_("The folder holds {count} diagrams, tables and forms; a model folder may hold at most {limit}."),
    N_("{name} is larger than {limit} MB; each file of a model folder may hold at most that."),
    N_("The folder's files together are larger than {limit} MB; a model folder may hold at most that."),
    N_("{name} is larger than {limit} MB; a zipped model folder may hold at most that."))


def _staff_page() -> None:
    g.staff_page = True


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("Accept") == "application/json"


def status_label(status: str) -> str:
    return _(status)


def _definition_json(definition) -> dict:
    return {"key": definition.key, "version": definition.version, "status": definition.status,
            "status_label": status_label(definition.status),
            "url": url_for("web.analyst_service", key=definition.key),
            "publish_url": url_for("web.analyst_publish", key=definition.key, version=definition.version)}


# --- services and versions --------------------------------------------------------------------------------------

@bp.route("/analyst/services")
@signed_in(ANALYST)
def analyst_services():
    _staff_page()
    services: dict[str, list] = {}
    for definition in definitions.versions(db()):
        services.setdefault(definition.key, []).append(definition)
    rows = [(key, i18n.service_name(versions[-1]), list(reversed(versions))) for key, versions in services.items()]
    return render("web/analyst/services.html", services=rows, templates=TEMPLATE_NAMES)


@bp.route("/analyst/services/<key>")
@signed_in(ANALYST)
def analyst_service(key: str):
    _staff_page()
    versions = list(reversed(definitions.versions(db(), key)))
    if not versions:
        raise HttpNotFound()
    return render("web/analyst/service.html", key=key, name=i18n.service_name(versions[0]), versions=versions)


@bp.route("/analyst/services/<key>/<int(max=2147483647):version>/diagram.bpmn")
@signed_in(ANALYST)
def analyst_diagram(key: str, version: int):
    definition = definitions.get_version(db(), key, version)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    if request.args.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="{key}-v{version}.bpmn"'
    return Response(definition.bpmn, mimetype="application/xml", headers=headers)


@bp.route("/analyst/templates/<name>.bpmn")
@signed_in(ANALYST)
def analyst_template(name: str):
    if name not in TEMPLATE_NAMES:
        raise HttpNotFound()
    return Response((TEMPLATES / f"{name}.bpmn").read_text(encoding="utf-8"), mimetype="application/xml")


@bp.route("/analyst/services/<key>/<int(max=2147483647):version>/publish", methods=["POST"])
@signed_in(ANALYST)
def analyst_publish(key: str, version: int):
    replaced = [d for d in definitions.versions(db(), key) if d.status == "published" and d.version != version]
    with engine_step():
        definition = definitions.publish_version(db(), ctx(), key, version, actor=current_actor().username)
    message = _("Published %(key)s version %(version)s: new applications use it from now on.", key=key,
                 version=version)
    for old in replaced:
        # Two analysts may publish at the same moment: each is told which version (and whose) stops taking files.
        message = " ".join([message, _("Version %(version)s (deployed by %(who)s) takes no new applications any "
                                        "more; those already on it continue there.", version=old.version,
                                        who=old.deployed_by or "–")])
    if _wants_json():
        return jsonify(message=message, definition=_definition_json(definition))
    flash(message, "success")
    return redirect(url_for("web.analyst_service", key=key))


# --- the modeler ---------------------------------------------------------------------------------------------------

@bp.route("/analyst/modeler")
@signed_in(ANALYST)
def analyst_modeler():
    _staff_page()
    key, version = request.args.get("key"), request.args.get("version", type=int)
    template = request.args.get("template")
    if key and version:
        definitions.get_version(db(), key, version)  # 404 for a version that does not exist
        xml_url, title = url_for("web.analyst_diagram", key=key, version=version), f"{key} v{version}"
    else:
        template = template if template in TEMPLATE_NAMES else "blank"
        xml_url, title, key = url_for("web.analyst_template", name=template), _(TEMPLATE_NAMES[template]), None
    config = {"xmlUrl": xml_url, "deployUrl": url_for("web.analyst_deploy"), "lintUrl": url_for("web.analyst_lint"),
              "basedOn": key, "folderUrl": url_for("web.analyst_model_folder"),
              "folderLimits": {"files": model_folder.MAX_FILES, "fileBytes": model_folder.MAX_FILE_BYTES,
                               "totalBytes": model_folder.MAX_TOTAL_BYTES, "zipBytes": model_folder.MAX_ZIP_BYTES},
              "basedOnVersion": version if key else None, "lang": i18n.lang(),
              "csrf": csrf_token(),
              "texts": {text: _(text) for text in MODELER_TEXTS}, "bpmnTexts": bpmn_js_texts.texts()}
    return render("web/analyst/modeler.html", config=config, title=title, key=key, version=version)


def _forms_of(definition) -> dict[str, bytes]:
    """The snapshotted forms of a version as uploads, so a new version keeps the forms edited on the web."""
    uploads = {}
    for form_key in sorted(definition.forms or {}):
        form = definitions.form_of(db(), definition, form_key)
        if form is None:
            continue
        uploads[schema_file_name(form_key)] = orjson.dumps(form.schema, option=orjson.OPT_INDENT_2)
        if form.ui_schema is not None:
            uploads[ui_file_name(form_key)] = orjson.dumps(form.ui_schema, option=orjson.OPT_INDENT_2)
    return uploads


class _CarriedLetter(LetterSource):
    """The letter a version made on the web from ``base`` keeps: base's stored template (one edited on the letter
    page lives only in the versions, not in processes/letters), for base's service only — a diagram imported in its
    place with another process id gets its own letter, as a deploy from files would."""

    def __init__(self, base, fallback: LetterSource):
        super().__init__()
        letter = (base.meta or {}).get("letter") or {}
        self.key, self.fallback = base.key, fallback
        stored = letter_templates.stored(db(), letter["sha256"]) if letter.get("sha256") else None
        # Named as base names it (``research_permit.html``), so problems and the new version say the same file.
        self.files = LetterFiles(letter.get("file") or f"{base.key}.html", stored.html, stored.css) if stored \
            else None

    def find(self, key: str | None) -> LetterFiles | None:
        if self.files is not None and key == self.key:
            return self.files
        return self.fallback.find(key)


def _latest(key: str | None):
    versions = definitions.versions(db(), key) if key else []
    return versions[-1] if versions else None


def _form_source(uploads: dict[str, bytes]) -> FormSource:
    return FormSource(uploads, [ctx().settings.forms_dir])


def _with_starter_forms(main: SourceFile, uploads: dict[str, bytes]) -> tuple[dict[str, bytes], list[str]]:
    """The uploads plus a starter for each form the diagram is missing (the existing ones win), and those keys."""
    compiled = definitions.lint(ctx(), main, [], _form_source(uploads))
    return {**starter_forms.starter_uploads(compiled), **uploads}, starter_forms.missing_form_keys(compiled)


def _deploy(main: SourceFile, supporting: list[SourceFile], uploads: dict[str, bytes], base=None):
    """Deploy as a draft; made from version ``base``, it keeps base's letter unless ``uploads`` bring one."""
    source = _form_source(uploads)
    letters = definitions.letter_source(ctx(), source)
    if base is not None and "letter.html" not in uploads:
        letters = _CarriedLetter(base, letters)
    with engine_step():
        return definitions.deploy(db(), ctx(), main, supporting, source, actor=current_actor().username,
                                  publish=False, letters=letters)


@bp.route("/analyst/deploy", methods=["POST"])
@signed_in(ANALYST)
def analyst_deploy():
    """Deploy the modeler's diagram as a draft; JSON with the problems (each naming its element) either way.

    With ``create_missing_forms=1`` each form the lint reports missing gets a starter form (see ``starter_forms``),
    and the answer lists them (``starter_forms``: key and form editor address) for the analyst to edit next.
    """
    upload = request.files.get("bpmn")
    if upload is None or not upload.filename:
        return jsonify(message=_("Choose a .bpmn file to deploy."), problems=[]), 400
    main = SourceFile(Path(upload.filename).name, upload.read())
    base = _latest(request.form.get("based_on"))
    meanwhile = _deployed_since(request.form.get("based_on"), request.form.get("based_on_version", type=int))
    uploads = _forms_of(base) if base is not None else {}
    starters: list[str] = []
    if request.form.get("create_missing_forms") == "1":
        uploads, starters = _with_starter_forms(main, uploads)
    try:
        result = _deploy(main, [], uploads, base)
    except InvalidDefinition as error:
        errors = [p for p in error.problems if p.get("severity") == "error"]
        return jsonify(message=_("Not deployed: %(count)s error(s). Fix the highlighted elements and deploy again.",
                                  count=len(errors)), problems=error.problems), 422
    definition = result.definition
    if not result.created:
        message = _("Unchanged: identical to %(key)s version %(version)s (%(status)s).", key=definition.key,
                     version=definition.version, status=status_label(definition.status))
    elif result.warnings:
        message = _("Deployed as draft %(key)s version %(version)s. Publish it when the problems are dealt with.",
                     key=definition.key, version=definition.version)
    else:
        message = _("Deployed as draft %(key)s version %(version)s: no problems. Publish it when you are ready.",
                     key=definition.key, version=definition.version)
    created_forms = [{"key": form_key, "edit_url": url_for("web.analyst_form", key=definition.key,
                                                           version=definition.version, form_key=form_key)}
                     for form_key in starters if form_key in (definition.forms or {})]
    if created_forms:
        message = " ".join([message, _("Starter forms created: %(count)s. Edit them now; saving an edit makes the "
                                       "next draft.", count=len(created_forms))])
    others = [d for d in meanwhile if d.key == definition.key and d.version != definition.version]
    if result.created and others:
        message = " ".join([message, _meanwhile_note(others, request.form.get("based_on_version", type=int))])
    return jsonify(message=message, problems=result.warnings, created=result.created,
                   definition=_definition_json(definition), starter_forms=created_forms,
                   meanwhile=[{"version": d.version, "deployed_by": d.deployed_by} for d in others])


def _deployed_since(key: str | None, version: int | None) -> list:
    """The versions of ``key`` deployed after ``version``: a colleague's work since this modeler opened it."""
    if not key or not version:
        return []
    return [d for d in definitions.versions(db(), key) if d.version > version]


def _meanwhile_note(others: list, based_on: int) -> str:
    """What an analyst reads whose draft was made from a version colleagues have since replaced."""
    versions = ", ".join(f"v{d.version} ({d.deployed_by or '–'})" for d in others)
    return _("Note: while you edited version %(base)s, %(versions)s was deployed; this draft is made from version "
              "%(base)s and does not contain those changes. Open version %(latest)s in the modeler to compare "
              "before you publish.", base=based_on, versions=versions, latest=others[-1].version)


# --- the form editor -----------------------------------------------------------------------------------------------

def _form_users(definition) -> dict[str, list[str]]:
    """form key → names of the steps (or the start) that use it."""
    used: dict[str, list[str]] = {}
    meta = definition.meta or {}
    if meta.get("start_form"):
        used.setdefault(meta["start_form"], []).append(_("Start form"))
    for task in (meta.get("tasks") or {}).values():
        if task.get("form_key"):
            used.setdefault(task["form_key"], []).append(task.get("name") or task.get("element_id"))
    return used


@bp.route("/analyst/services/<key>/<int(max=2147483647):version>/forms")
@signed_in(ANALYST)
def analyst_forms(key: str, version: int):
    _staff_page()
    definition = definitions.get_version(db(), key, version)
    return render("web/analyst/forms.html", definition=definition, used=_form_users(definition),
                  form_keys=sorted(definition.forms or {}))


def _parse(text: str, *, optional: bool = False) -> tuple[dict | None, str | None]:
    if optional and not (text or "").strip():
        return None, None
    try:
        value = orjson.loads(text or "")
    except orjson.JSONDecodeError as exc:
        return None, _("Not valid JSON: %(message)s", message=str(exc))
    if not isinstance(value, dict):
        return None, _("Write a JSON object.")
    return value, None


def check_schema(schema_text: str, ui_text: str) -> tuple[dict | None, dict | None, list[str]]:
    """Parse both texts and check the schema against its metaschema; the problems as sentences."""
    schema, schema_error = _parse(schema_text)
    ui_schema, ui_error = _parse(ui_text, optional=True)
    problems = [f"JSON Schema: {schema_error}"] if schema_error else []
    if ui_error:
        problems.append(f"UI schema: {ui_error}")
    if schema is not None:
        try:
            validator_for(schema, default=Draft202012Validator).check_schema(schema)
        except SchemaError as exc:
            path = "/".join(str(p) for p in exc.path) or "(root)"
            problems.append(f"JSON Schema {path}: {exc.message}")
            schema = None
    return schema, ui_schema, problems


def _form_texts(definition, form_key: str) -> tuple[str, str]:
    form = definitions.form_of(db(), definition, form_key)
    if form is None:
        raise HttpNotFound()
    ui = orjson.dumps(form.ui_schema, option=orjson.OPT_INDENT_2).decode() if form.ui_schema is not None else ""
    return orjson.dumps(form.schema, option=orjson.OPT_INDENT_2).decode(), ui


@bp.route("/analyst/services/<key>/<int(max=2147483647):version>/forms/edit/<path:form_key>",
          methods=["GET", "POST"])
@signed_in(ANALYST)
def analyst_form(key: str, version: int, form_key: str):
    _staff_page()
    definition = definitions.get_version(db(), key, version)
    if form_key not in (definition.forms or {}):
        raise HttpNotFound()
    schema_text, ui_text = _form_texts(definition, form_key)
    problems: list[str] = []
    if request.method == "POST":
        schema_text, ui_text = request.form.get("schema", ""), request.form.get("ui_schema", "")
        schema, ui_schema, problems = check_schema(schema_text, ui_text)
        if not problems:
            uploads = _forms_of(definition)
            uploads[schema_file_name(form_key)] = orjson.dumps(schema)
            uploads.pop(ui_file_name(form_key), None)
            if ui_schema is not None:
                uploads[ui_file_name(form_key)] = orjson.dumps(ui_schema)
            main = SourceFile(definition.bpmn_filename, definition.bpmn.encode())
            supporting = [SourceFile(name, text.encode()) for name, text in (definition.extra_bpmn or {}).items()]
            try:
                result = _deploy(main, supporting, uploads, definition)
            except InvalidDefinition as error:
                problems = [p.get("message_id") if i18n.lang() == "id" and p.get("message_id") else p["message"]
                            for p in error.problems if p.get("severity") == "error"]
            else:
                saved = result.definition
                message = (N_("Saved as draft %(key)s version %(version)s with the edited form.") if result.created
                           else N_("The form is unchanged: %(key)s version %(version)s already has it."))
                flash(_(message, key=saved.key, version=saved.version), "success")
                return redirect(url_for("web.analyst_form", key=saved.key, version=saved.version, form_key=form_key))
    preview = _preview(schema_text, ui_text)
    return render("web/analyst/form_editor.html", 422 if problems else 200, definition=definition,
                  form_key=form_key, schema_text=schema_text, ui_text=ui_text, problems=problems, preview=preview,
                  used=_form_users(definition).get(form_key, []), builder_texts=form_builder_texts.texts())


def _preview(schema_text: str, ui_text: str) -> dict:
    schema, ui_schema, problems = check_schema(schema_text, ui_text)
    form = form_renderer.build(schema, ui_schema, {}, locale=i18n.lang()) if schema is not None else None
    return {"form": form, "problems": problems}


@bp.route("/analyst/forms/preview", methods=["POST"])
@signed_in(ANALYST)
def analyst_form_preview():
    """The live preview (an HTML fragment): the schema checked, then drawn by the product's form renderer."""
    preview = _preview(request.form.get("schema", ""), request.form.get("ui_schema", ""))
    return render("web/analyst/form_preview.html", preview=preview)


# --- the test run --------------------------------------------------------------------------------------------------

def _steps(text: str) -> list[trial.TrialStep]:
    try:
        raw = orjson.loads(text or "[]")
    except orjson.JSONDecodeError:
        raw = []
    steps = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and isinstance(item.get("element_id"), str):
            data = item.get("data") if isinstance(item.get("data"), dict) else {}
            steps.append(trial.TrialStep(item["element_id"], item.get("decision") or None, data))
    return steps


def _worded_errors(form, data, errors: dict) -> list[tuple[str, str]]:
    """(field title, message) of what the sample data gets wrong, worded as the apply page words it for people."""
    if not errors:
        return []
    schema = form.schema if form is not None else None
    worded = formdata.localize(schema, data if isinstance(data, dict) else {}, errors)
    out = []
    for path, message in worded.items():
        title = formdata.schema_at(schema, path.split(".")).get("title") if isinstance(schema, dict) else None
        out.append((i18n.pick(title, path) if path != "(form)" else _("Form"), message))
    return out


@bp.route("/analyst/services/<key>/<int(max=2147483647):version>/trial", methods=["GET", "POST"])
@signed_in(ANALYST)
def analyst_trial(key: str, version: int):
    _staff_page()
    definition = definitions.get_version(db(), key, version)
    start_form = definitions.form_of(db(), definition, (definition.meta or {}).get("start_form"))
    steps: list[trial.TrialStep] = []
    input_error = None
    if request.method == "POST":
        data_text = request.form.get("start_data", "")
        steps = _steps(request.form.get("steps", ""))
        if request.form.get("element_id"):
            step_data, step_error = _parse(request.form.get("step_data") or "{}")
            input_error = step_error
            if step_data is not None:
                steps.append(trial.TrialStep(request.form["element_id"], request.form.get("decision") or None,
                                             step_data))
    else:
        data_text = orjson.dumps(trial.sample_start_data(definition, start_form), option=orjson.OPT_INDENT_2).decode()
    start_data, data_error = _parse(data_text)
    result = None
    if data_error is None:
        try:
            result = trial.run(ctx(), definition, start_form, start_data, steps)
        except InvalidInput as error:
            input_error = error.message
            steps = steps[:-1]
            result = trial.run(ctx(), definition, start_form, start_data, steps)
    steps_json = orjson.dumps([{"element_id": s.element_id, "decision": s.decision, "data": s.data}
                               for s in steps]).decode()
    visited = result.visited if result else []
    waiting = [w.element_id for w in result.waiting] if result else []
    return render("web/analyst/trial.html", definition=definition, data_text=data_text, data_error=data_error,
                  input_error=input_error, result=result, steps_json=steps_json,
                  start_errors=_worded_errors(start_form, start_data, result.start_errors if result else {}),
                  highlight={"done": visited, "current": waiting,
                             "xml_url": url_for("web.analyst_diagram", key=key, version=version)})

"""The analyst's permit-letter editor (*Surat izin*): a version's letter template (HTML and CSS) edited, previewed
as the issued letter would print — same checks as a deploy, same renderer, DRAF watermark — with sample data, and
saved as the service's next draft version (the version in force never changes: versions are snapshots).

Sample data comes from the version's forms or from a test run of it (the test run page sends its inputs here and
the run is replayed), never from an application: see ``engine.documents.letter_sample`` for why.

The preview shows each page as a PNG (``data:`` image): the site's policy allows no plugins (``object-src 'none'``)
and no framing (``X-Frame-Options: DENY``), so an embedded PDF would not show; the page's text is the image's
alternative, and the PDF itself can be opened from the page.
"""

from __future__ import annotations

import base64
import re

import orjson
from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine.bpmn.compiler import SourceFile
from engine.documents import letter_sample
from engine.errors import InvalidDefinition, InvalidInput
from engine.people.access import ANALYST
from engine.services import definitions, trial
from engine.services.letter_templates import MAX_TEMPLATE_BYTES, LetterFiles

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, render
from ..security import current_actor, signed_in
from .analyst import _deploy, _forms_of

FORMS, TRIAL = "forms", "trial"
ORIGIN = "letter.html"  # the name problems are located in: the template as the editor uploads it


def _data_from(source: str, definition, trial_start: str, trial_steps: str) -> tuple[dict, str | None]:
    """The sample data of ``source``, and what went wrong replaying a test run (its data up to there is used)."""
    if source == TRIAL and trial_start:
        try:
            start = orjson.loads(trial_start)
        except orjson.JSONDecodeError:
            start = None
        if isinstance(start, dict):
            start_form = definitions.form_of(db(), definition, (definition.meta or {}).get("start_form"))
            try:
                result = trial.run(ctx(), definition, start_form, start, _trial_steps(trial_steps))
            except InvalidInput as error:
                return letter_sample.sample_data(db(), ctx(), definition), error.message
            data = {name: value for name, value in result.data.items() if not name.startswith("_")}
            data.setdefault("permit_number", letter_sample.sample_data(db(), ctx(), definition)["permit_number"])
            return data, result.error
    return letter_sample.sample_data(db(), ctx(), definition), None


def _trial_steps(text: str) -> list[trial.TrialStep]:
    try:
        raw = orjson.loads(text or "[]")
    except orjson.JSONDecodeError:
        return []
    return [trial.TrialStep(item["element_id"], item.get("decision") or None,
                            item["data"] if isinstance(item.get("data"), dict) else {})
            for item in (raw if isinstance(raw, list) else [])
            if isinstance(item, dict) and isinstance(item.get("element_id"), str)]


def _problem_text(problem: dict) -> str:
    return problem.get("message_id") if i18n.lang() == "id" and problem.get("message_id") else problem["message"]


@bp.route("/analyst/services/<key>/<int(max=2147483647):version>/letter", methods=["GET", "POST"])
@signed_in(ANALYST)
def analyst_letter(key: str, version: int):
    """The editor: GET opens the version's template with sample data from its forms and previews it; POST
    ``action`` = ``preview`` (the texts as typed), ``fill`` (new sample data from ``source``) or ``save``."""
    g.staff_page = True  # the desk-wide layout: the template and its pages side by side
    definition = definitions.get_version(db(), key, version)
    stored = letter_sample.template_of(db(), definition)
    form = request.form
    html = form.get("html", stored.html) if request.method == "POST" else stored.html
    css = form.get("css", stored.css or "") if request.method == "POST" else (stored.css or "")
    source = form.get("source") if form.get("source") in (FORMS, TRIAL) else FORMS
    trial_start, trial_steps = form.get("trial_start", ""), form.get("trial_steps", "")
    action = form.get("action", "preview")
    note = data_error = None
    if request.method == "GET" or action == "fill" or "sample_data" not in form:
        data, note = _data_from(source, definition, trial_start, trial_steps)
        data_text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    else:
        data_text = form.get("sample_data", "")
        try:
            data = orjson.loads(data_text or "{}")
        except orjson.JSONDecodeError as exc:
            data, data_error = None, _("Not valid JSON: %(message)s", message=str(exc))
        if data is not None and not isinstance(data, dict):
            data, data_error = None, _("Write a JSON object.")
    files = LetterFiles(ORIGIN, html, css or None)
    if action == "save" and request.method == "POST":
        saved = _save(definition, files)
        if isinstance(saved, list):
            return _page(definition, files, source, trial_start, trial_steps, data_text, data_error, note,
                         letter_sample.Preview(saved), 422)
        return saved
    if data is None:
        return _page(definition, files, source, trial_start, trial_steps, data_text, data_error, note, None, 422)
    result = letter_sample.preview(db(), ctx(), definition, files, data, signer=current_actor().username)
    return _page(definition, files, source, trial_start, trial_steps, data_text, data_error, note, result,
                 422 if result.problems else 200)


def _save(definition, files: LetterFiles):
    """Deploy the version again with this template as the next draft; the problems (as dicts) when refused."""
    if len(files.html.encode()) + len((files.css or "").encode()) > MAX_TEMPLATE_BYTES:
        return letter_sample.preview(db(), ctx(), definition, files, {}, signer=None).problems
    uploads = _forms_of(definition)
    uploads["letter.html"] = files.html.encode()
    uploads.pop("letter.css", None)
    if files.css:
        uploads["letter.css"] = files.css.encode()
    main = SourceFile(definition.bpmn_filename, definition.bpmn.encode())
    supporting = [SourceFile(name, text.encode()) for name, text in (definition.extra_bpmn or {}).items()]
    try:
        result = _deploy(main, supporting, uploads)
    except InvalidDefinition as error:
        return [p for p in error.problems if p.get("severity") == "error"]
    saved = result.definition
    if result.created:
        flash(_("Saved as draft %(key)s version %(version)s with the edited letter. Version %(running)s is "
                "unchanged; publish the draft to issue letters with it.", key=saved.key, version=saved.version,
                running=definition.version), "success")
    else:
        flash(_("The letter is unchanged: %(key)s version %(version)s already has it.", key=saved.key,
                version=saved.version), "success")
    return redirect(url_for("web.analyst_letter", key=saved.key, version=saved.version))


def _page(definition, files, source, trial_start, trial_steps, data_text, data_error, note, result, status):
    problems = [{"line": p.get("line"), "code": p.get("code"), "text": _problem_text(p)}
                for p in (result.problems if result else [])]
    pages = [("data:image/png;base64," + base64.b64encode(png).decode(), text)
             for png, text in ((result.pages or []) if result else [])]
    return render("web/analyst/letter_editor.html", status, definition=definition, html=files.html,
                  css=files.css or "", source=source, trial_start=trial_start, trial_steps=trial_steps,
                  data_text=data_text, data_error=data_error, note=note, problems=problems, pages=pages,
                  previewed=result is not None)


@bp.route("/analyst/services/<key>/<int(max=2147483647):version>/letter.pdf", methods=["POST"])
@signed_in(ANALYST)
def analyst_letter_pdf(key: str, version: int):
    """The previewed letter as a PDF to open or download (the same check and renderer as the page)."""
    definition = definitions.get_version(db(), key, version)
    try:
        data = orjson.loads(request.form.get("sample_data") or "{}")
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return Response(_("Write a JSON object."), 422, mimetype="text/plain")
    files = LetterFiles(ORIGIN, request.form.get("html", ""), request.form.get("css") or None)
    result = letter_sample.preview(db(), ctx(), definition, files, data, signer=current_actor().username)
    if result.pdf is None:  # the page lists these with their lines; this answer is for a PDF opened anyway
        return Response("\n".join(f"{ORIGIN}:{p.get('line') or 0}: {_problem_text(p)}" for p in result.problems),
                        422, mimetype="text/plain")
    name = re.sub(r"[^A-Za-z0-9_-]", "_", key)
    return Response(result.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="draf-{name}-v{version}.pdf"'})

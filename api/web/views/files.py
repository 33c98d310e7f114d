"""Documents: opened in the browser (not downloaded) by whoever may see their application, and uploaded one by
one as a form's file fields are filled in."""

from __future__ import annotations

from flask import jsonify, request, send_file, url_for
from flask_babel import gettext as _

from engine.documents import attachments
from engine.errors import LincahError

from ...errors import status_of
from ..blueprint import bp
from ..formdata import accepted_types, upload_message, wrong_type_message
from ..i18n import filesize
from ..pages import ctx, db, engine_step
from ..security import current_actor, signed_in


@bp.route("/files/<attachment_id>")
@signed_in()
def document(attachment_id: str):
    row, content = attachments.for_download(db(), ctx(), attachment_id[:64], current_actor())
    response = send_file(content, mimetype=row.content_type, download_name=row.name, as_attachment=False,
                         etag=row.sha256, conditional=True, max_age=0)
    # Only PDF, JPEG and PNG ever get here (the store sniffs the bytes); never let a browser guess another type.
    # Images are also sandboxed; a PDF cannot be, because browsers refuse to show PDFs in a sandbox.
    if row.content_type != "application/pdf":
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/files", methods=["POST"])
@signed_in()
def upload():
    """One document, uploaded as soon as it is chosen (the pages' JavaScript does this, so a phone on a slow
    network sends each file once and the form itself stays small); the answer is the reference the form keeps."""
    chosen = request.files.get("file")
    if chosen is None or not chosen.filename:
        return jsonify({"error": _("Choose a file.")}), 400
    # the field's accept list, sent by the page's script, so a wrong type is answered at once with the types the
    # field takes; the engine checks the field again when the form is sent
    accept = [t.strip() for t in (request.form.get("accept") or "").split(",") if t.strip()]
    try:
        with engine_step():
            row = attachments.store(db(), ctx(), name=chosen.filename, stream=chosen.stream, actor=current_actor())
    except LincahError as exc:
        return jsonify({"error": upload_message(exc, accept)}), status_of(exc)
    if accept and row.content_type not in accept:
        return jsonify({"error": wrong_type_message(accepted_types(accept))}), 415
    return jsonify({**attachments.reference(row), "url": url_for("web.document", attachment_id=row.id),
                    "size_text": filesize(row.size)}), 201

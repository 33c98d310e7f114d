"""Documents opened in the browser (not downloaded): for whoever may see the application they belong to."""

from __future__ import annotations

from flask import send_file

from engine import attachments

from ..blueprint import bp
from ..pages import ctx, db
from ..security import current_actor, signed_in


@bp.route("/files/<attachment_id>")
@signed_in()
def document(attachment_id: str):
    row, path = attachments.for_download(db(), ctx(), attachment_id[:64], current_actor())
    response = send_file(path, mimetype=row.content_type, download_name=row.name, as_attachment=False,
                         etag=row.sha256, conditional=True, max_age=0)
    # Only PDF, JPEG and PNG ever get here (the store sniffs the bytes); never let a browser guess another type.
    # Images are also sandboxed; a PDF cannot be, because browsers refuse to show PDFs in a sandbox.
    if row.content_type != "application/pdf":
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response

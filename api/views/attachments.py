"""Upload a document (PDF, JPEG, PNG) and download it again — for those who may see its application."""

from __future__ import annotations

from flask import send_file

from engine.documents import attachments

from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.attachments import AttachmentSchema, AttachmentUpload
from ..unit_of_work import engine_context, session

blp = Blueprint("attachments", __name__, url_prefix="/api/v1/attachments",
                description="Documents for file fields: upload first, then put the reference into the form.")


@blp.route("", methods=["POST"])
@login_required()
@blp.arguments(AttachmentUpload, location="files")
@blp.response(201, AttachmentSchema)
def upload(files):
    """Store a file; the answer is the reference to put into a file field of a form."""
    upload = files["file"]
    row = attachments.store(session(), engine_context(), name=upload.filename, stream=upload.stream,
                            actor=current_actor())
    return {**attachments.reference(row), "sha256": row.sha256}


@blp.route("/<string:attachment_id>")
@login_required()
@blp.doc(responses={"200": {"description": "The file.", "content": {
    content_type: {"schema": {"type": "string", "format": "binary"}} for content_type in attachments.SIGNATURES}}})
def download(attachment_id: str):
    """The file, to its uploader and to whoever may see the application it belongs to."""
    row, content = attachments.for_download(session(), engine_context(), attachment_id, current_actor())
    response = send_file(content, mimetype=row.content_type, download_name=row.name, as_attachment=True,
                         etag=row.sha256, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response

"""The issued permit's letter as the API describes it: what was stored, its status and the page that proves it."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from .common import QueryArgs, RequestSchema


class PermitLetter(Schema):
    permit_number = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "valid, expired or revoked"})
    sha256 = fields.String(required=True, metadata={
        "description": "SHA-256 of the stored PDF: a copy whose hash differs is not the letter issued."})
    issued_at = fields.DateTime(required=True)
    valid_until = fields.String(allow_none=True, metadata={"description": "Last valid day (ISO date), if any."})
    verify_url = fields.String(allow_none=True, metadata={
        "description": "The public verification page the letter's QR code opens."})
    revoked_at = fields.DateTime(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    revoke_reason = fields.String(allow_none=True)


class RevokeRequest(RequestSchema):
    reason = fields.String(required=True, validate=validate.Length(1, 1000), metadata={
        "description": "Why the permit is revoked; shown on the verification page."})


class LetterPreviewQuery(QueryArgs):
    version = fields.Integer(load_default=None, validate=validate.Range(1, 2147483647), metadata={
        "description": "The service version whose forms and letter are previewed; default: the newest version."})
    application = fields.Integer(load_default=None, metadata={
        "description": "No longer taken: a preview never shows a real applicant's file (422 when sent)."})


class LetterPreviewUpload(Schema):
    letter = Upload(load_default=None, metadata={
        "description": "The template being written (Jinja2 HTML, UTF-8); default: the one deployed with the file."})
    letter_css = Upload(load_default=None, metadata={"description": "Its CSS (optional)."})
    data = Upload(load_default=None, metadata={
        "description": "Sample data as a JSON object (optional; default: invented from the version's forms — each "
                       "field's example, default or first choice)."})

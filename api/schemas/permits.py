"""The issued permit's letter as the API describes it: what was stored, its status and the page that proves it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import RequestSchema


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

"""The front office's counter over the API: walk-in applicants' accounts and receipts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import RequestSchema


class WalkinQuery(RequestSchema):
    nik = fields.String(load_default="", validate=validate.Length(0, 300))
    email = fields.String(load_default="", validate=validate.Length(0, 300))
    phone = fields.String(load_default="", validate=validate.Length(0, 300))


class WalkinAccount(RequestSchema):
    nik = fields.String(required=True, validate=validate.Length(1, 300),
                        metadata={"description": "16 digits: the new account's username and NIK."})
    full_name = fields.String(required=True, validate=validate.Length(1, 300))
    email = fields.String(load_default="", validate=validate.Length(0, 300))
    phone = fields.String(load_default="", validate=validate.Length(0, 300))


class ApplicantAccount(Schema):
    username = fields.String(required=True, metadata={"description": "Send as `applicant` when applying for them."})
    full_name = fields.String(required=True)
    nik = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class ApplicantAccountList(Schema):
    items = fields.List(fields.Nested(ApplicantAccount), required=True)


class ReceivedDocument(Schema):
    name = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes."})


class CounterReceipt(Schema):
    application = fields.Integer(required=True)
    registration_no = fields.String(required=True)
    service = fields.String(required=True)
    applicant = fields.String(required=True)
    applicant_name = fields.String(required=True)
    received_at = fields.DateTime(required=True)
    received_by = fields.String(required=True)
    documents = fields.List(fields.Nested(ReceivedDocument), required=True)
    tracking_url = fields.String(required=True, metadata={"description": "What the receipt's QR code opens."})
    pdf = fields.String(required=True, metadata={"description": "The printable receipt (A5 PDF)."})

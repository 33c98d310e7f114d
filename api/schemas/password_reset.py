"""Forgot password over the API: ask for a link (e-mail) or a code (SMS/WhatsApp), then set the new password."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .common import RequestSchema


class PasswordResetRequest(RequestSchema):
    email = fields.String(validate=validate.Length(1, 300), metadata={
        "description": "The account's e-mail address: a link to set a new password is mailed to it."})
    phone = fields.String(validate=validate.Length(1, 100), metadata={
        "description": "The account's mobile number, or its username (NIK): a six-digit code goes by SMS or WhatsApp "
                       "to the account's number. Only where the office has an SMS or WhatsApp gateway."})

    @validates_schema
    def _one_way(self, data, **kwargs):
        if ("email" in data) == ("phone" in data):
            raise ValidationError("Send either email or phone, not both and not neither.", "email")


class PasswordResetAccepted(Schema):
    message = fields.String(required=True, metadata={
        "description": "The same answer whether or not an account has the address or number."})
    by = fields.String(required=True, metadata={"description": "email or phone, as asked."})


class PasswordResetConfirm(RequestSchema):
    token = fields.String(validate=validate.Length(1, 200), metadata={
        "description": "The secret of the mailed link: the last part of its address (lcp_…)."})
    phone = fields.String(validate=validate.Length(1, 100), metadata={
        "description": "With code: the number or username the code was asked for."})
    code = fields.String(validate=validate.Regexp(r"^\s*[0-9]{6}\s*$", error="The code has six digits."),
                         metadata={"description": "The six digits sent by SMS or WhatsApp."})
    password = fields.String(required=True, validate=validate.Length(1, 200), metadata={
        "description": "The new password; the policy's refusal is a 422 naming password."})

    @validates_schema
    def _one_way(self, data, **kwargs):
        if "token" in data:
            if "code" in data or "phone" in data:
                raise ValidationError("Send either token, or phone and code.", "token")
        elif "code" not in data or "phone" not in data:
            missing = "code" if "code" not in data else "phone"
            raise ValidationError("Send the mailed link's token, or the phone and the code sent to it.", missing)

"""Sign-in, registration and the user record as clients see it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import RequestSchema


class UserSchema(Schema):
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)
    groups = fields.List(fields.String(), required=True)
    jurisdictions = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    institution = fields.String(allow_none=True, metadata={"description": "The campus code an applicant registered "
                                                                           "under, or an operator works for."})
    created_at = fields.DateTime(allow_none=True)


class TokenRequest(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(1, 100))
    password = fields.String(required=True, validate=validate.Length(1, 1000))
    label = fields.String(load_default="", validate=validate.Length(0, 100),
                          metadata={"description": "Where the token is used, e.g. 'android'."})


class TokenResponse(Schema):
    token = fields.String(required=True, metadata={"description": "Send as 'Authorization: Bearer <token>'."})
    expires_at = fields.DateTime(required=True)
    user = fields.Nested(UserSchema, required=True)


class RegisterRequest(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(1, 100))
    password = fields.String(required=True, validate=validate.Length(1, 1000))
    full_name = fields.String(load_default="", validate=validate.Length(0, 300))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(0, 300))
    nik = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9]{16}$", error="The NIK is the 16 digits on the KTP, without spaces."), metadata={
        "description": "The applicant's NIK (optional): the office counter finds the account by it."})
    institution = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 50), metadata={
        "description": "Students: the code of their campus (GET /api/v1/institutions). The campus's operators then "
                       "confirm the student's research permit applications and follow their files."})

"""User administration (admins)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .auth import UserSchema
from .common import PagingArgs, RequestSchema


class UserCreate(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(1, 100))
    password = fields.String(required=True, validate=validate.Length(1, 1000))
    full_name = fields.String(load_default="", validate=validate.Length(0, 300))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(0, 300))
    roles = fields.List(fields.String(validate=validate.Length(1, 50)), required=True,
                        validate=validate.Length(1, 6))
    groups = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list,
                         validate=validate.Length(0, 50))
    jurisdictions = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list,
                                validate=validate.Length(0, 50))


class UserUpdate(RequestSchema):
    full_name = fields.String(validate=validate.Length(0, 300))
    email = fields.Email(allow_none=True, validate=validate.Length(0, 300))
    roles = fields.List(fields.String(validate=validate.Length(1, 50)), validate=validate.Length(1, 6))
    groups = fields.List(fields.String(validate=validate.Length(1, 100)), validate=validate.Length(0, 50))
    jurisdictions = fields.List(fields.String(validate=validate.Length(1, 100)), validate=validate.Length(0, 50))
    active = fields.Boolean()


class PasswordReset(RequestSchema):
    password = fields.String(required=True, validate=validate.Length(1, 1000))


class UserListArgs(PagingArgs):
    role = fields.String(validate=validate.OneOf(["applicant", "officer", "supervisor", "analyst", "manager",
                                                  "admin"]))
    q = fields.String(validate=validate.Length(1, 200))
    active = fields.Boolean()


class UserPage(Schema):
    items = fields.List(fields.Nested(UserSchema), required=True)
    total = fields.Integer(required=True)

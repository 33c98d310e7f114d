"""Candidate groups, the managed list (admins)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import RequestSchema


class GroupCreate(RequestSchema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    title = fields.String(load_default="", validate=validate.Length(0, 300))


class GroupRename(RequestSchema):
    title = fields.String(required=True, validate=validate.Length(1, 300))


class GroupSchema(Schema):
    name = fields.String()
    title = fields.String()
    retired = fields.Boolean()
    members = fields.Integer(metadata={"description": "Active accounts that have the group."})


class GroupList(Schema):
    items = fields.List(fields.Nested(GroupSchema))

"""Bodies and answers of the migration endpoints (``api/views/migrations.py``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .definitions import DiffQuery

_VERSION = {"strict": True, "validate": validate.Range(1, 2147483647)}


class PlanQuery(DiffQuery):
    pass


class PlanSchema(Schema):
    service = fields.String(required=True)
    from_version = fields.Integer(required=True, data_key="from")
    to_version = fields.Integer(required=True, data_key="to")
    mapping = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), required=True, metadata={
        "description": "Element of the old version → element of the new one (null: nowhere)."})
    open_steps = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "Open tasks per element of the old version: the applications the move touches."})


class PlanBody(Schema):
    from_version = fields.Integer(required=True, data_key="from", **_VERSION)
    to_version = fields.Integer(required=True, data_key="to", **_VERSION)
    mapping = fields.Dict(keys=fields.String(validate=validate.Length(1, 200)),
                          values=fields.String(allow_none=True, validate=validate.Length(1, 200)),
                          load_default=dict, validate=validate.Length(max=2000), metadata={
                              "description": "Changes to the default plan (same ids): old element → new one, or "
                                             "null for nowhere."})


class RunBody(PlanBody):
    note = fields.String(load_default="", validate=validate.Length(max=500),
                         metadata={"description": "Why: recorded on each application's history."})
    limit = fields.Integer(load_default=500, strict=True, validate=validate.Range(1, 5000),
                           metadata={"description": "Move at most this many now; `remaining` says how many wait."})


class VerdictSchema(Schema):
    application_id = fields.Integer(required=True)
    registration_no = fields.String(required=True)
    steps = fields.List(fields.String(), required=True)
    movable = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), required=True)


class StepCountSchema(Schema):
    movable = fields.Integer(required=True)
    blocked = fields.Integer(required=True)


class DryRunSchema(Schema):
    movable = fields.Integer(required=True)
    total = fields.Integer(required=True)
    by_step = fields.Dict(keys=fields.String(), values=fields.Nested(StepCountSchema), required=True)
    applications = fields.List(fields.Nested(VerdictSchema), required=True)


class RunSchema(Schema):
    moved = fields.List(fields.Integer(), required=True)
    stayed = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "Application id → why it stayed."})
    busy = fields.List(fields.Integer(), required=True)
    remaining = fields.Integer(required=True)

"""API clients and incidents (issue 16)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import RequestSchema

_NAMES = fields.List(fields.String(validate=validate.Length(1, 200)), load_default=list,
                     validate=validate.Length(0, 100))


class ApiClientCreate(RequestSchema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    topics = _NAMES
    messages = _NAMES
    jurisdictions = _NAMES


class ApiClientSchema(Schema):
    name = fields.String()
    topics = fields.List(fields.String())
    messages = fields.List(fields.String())
    jurisdictions = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    rotated_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class ApiClientWithSecret(ApiClientSchema):
    secret = fields.String(metadata={"description": "Shown once; Lincah keeps only its hash."})


class ApiClientList(Schema):
    items = fields.List(fields.Nested(ApiClientSchema))


class IncidentSchema(Schema):
    id = fields.String(metadata={"description": "The external task's id."})
    element_id = fields.String()
    element_name = fields.String()
    topic = fields.String()
    retries = fields.Integer(allow_none=True)
    error_message = fields.String(allow_none=True)
    error_details = fields.String(allow_none=True)
    worker_id = fields.String(allow_none=True)
    client = fields.String(allow_none=True)
    created_at = fields.DateTime()
    state = fields.String()


class IncidentList(Schema):
    items = fields.List(fields.Nested(IncidentSchema))


class IncidentRetry(RequestSchema):
    retries = fields.Integer(load_default=1, validate=validate.Range(1, 100))
    note = fields.String(load_default="", validate=validate.Length(0, 2000))

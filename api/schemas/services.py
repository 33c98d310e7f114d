"""The public catalogue of permit services (*jenis layanan*)."""

from __future__ import annotations

from marshmallow import Schema, fields


class LocalizedText(Schema):
    id = fields.String(required=True, metadata={"description": "Bahasa Indonesia"})
    en = fields.String(required=True, metadata={"description": "English"})


class LocalizedList(Schema):
    id = fields.List(fields.String(), required=True)
    en = fields.List(fields.String(), required=True)


class FormSchema(Schema):
    key = fields.String(required=True)
    schema = fields.Dict(required=True, metadata={"description": "JSON Schema of the form data."})
    ui_schema = fields.Dict(allow_none=True, metadata={"description": "Layout hints (react-jsonschema-form)."})


class ServiceSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    names = fields.Nested(LocalizedText, required=True)
    description = fields.Nested(LocalizedText, required=True)
    requirements = fields.Nested(LocalizedList, required=True)
    fee = fields.String(required=True)
    output = fields.Nested(LocalizedText, required=True)
    legal_basis = fields.String(required=True)
    complaints = fields.String(required=True)
    sla = fields.String(allow_none=True, metadata={"description": "Service-level target, ISO-8601 working time."})


class ServiceDetailSchema(ServiceSchema):
    start_form = fields.Nested(FormSchema, allow_none=True)

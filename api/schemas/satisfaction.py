"""The satisfaction survey (SKM) and its index (IKM)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.reporting.satisfaction import CODES, MAX_COMMENT

from .common import RequestSchema


class SurveyAnswer(RequestSchema):
    answers = fields.Dict(keys=fields.String(validate=validate.OneOf(CODES)),
                          values=fields.Integer(validate=validate.Range(1, 4)), required=True,
                          metadata={"description": f"Each of the nine items, 1 (not good) to 4 (very good): "
                                                   f"{', '.join(CODES)}."})
    comment = fields.String(load_default="", validate=validate.Length(0, MAX_COMMENT))


class SurveyReceipt(Schema):
    application_id = fields.Integer(required=True)
    submitted_at = fields.DateTime(required=True)


class SatisfactionIndex(Schema):
    service = fields.String(allow_none=True, metadata={"description": "null for all services together"})
    responses = fields.Integer(required=True)
    item_means = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    ikm = fields.Float(allow_none=True, metadata={"description": "mean of the item values × 25"})
    grade = fields.String(allow_none=True, metadata={"description": "A, B, C or D (Permenpan RB 14/2017)"})


class SatisfactionReport(Schema):
    overall = fields.Nested(SatisfactionIndex, required=True)
    services = fields.List(fields.Nested(SatisfactionIndex), required=True)

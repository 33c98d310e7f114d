"""The administrators' log of refusals from outside (issue 16): what API clients sent that Lincah refused before
it reached an application, or that lost its race to one."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate

from engine.integration.refusals import ADMIN_LOG

from .common import RequestSchema

_KINDS = ", ".join(ADMIN_LOG)


class RefusalQuery(RequestSchema):
    client = fields.String(validate=validate.Length(1, 100),
                           metadata={"description": "Only this API client's refusals (its name)."})
    kind = fields.String(validate=validate.OneOf(ADMIN_LOG),
                         metadata={"description": f"Only this kind: {_KINDS}."})
    since = fields.AwareDateTime(default_timezone=UTC,
                                 metadata={"description": "Only refusals at or after this time (ISO 8601; UTC when "
                                                          "no offset is given)."})
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class RefusalSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": f"{_KINDS}: a message that reached no "
                                                                 "application, a refused signal, a delivery another "
                                                                 "step beat to the wait."})
    at = fields.DateTime(required=True)
    client = fields.String(allow_none=True, metadata={"description": "The API client that sent it."})
    name = fields.String(allow_none=True, metadata={"description": "The message's or signal's name, as sent."})
    event = fields.String(allow_none=True, metadata={"description": "message or signal (a lost delivery)."})
    application_id = fields.Integer(allow_none=True, metadata={"description": "The application a lost delivery "
                                                                              "was for."})
    registration_no = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    business_key = fields.String(allow_none=True)
    correlation_keys = fields.Dict(keys=fields.String(), values=fields.String())
    variables = fields.List(fields.String(), metadata={"description": "The names of the variables sent, never "
                                                                     "their values."})
    reason = fields.String(allow_none=True, metadata={"description": "Why it was refused (what the client was "
                                                                     "answered)."})
    problems = fields.Dict(keys=fields.String(), values=fields.String(),
                           metadata={"description": "Variable -> why, when its variables were what was refused."})


class RefusalPage(Schema):
    items = fields.List(fields.Nested(RefusalSchema), required=True)
    total = fields.Integer(required=True, metadata={"description": "Every refusal the filters match."})
    offset = fields.Integer(required=True)
    limit = fields.Integer(required=True)

"""Form drafts (*draf*): what a person typed into a form and has not sent, kept per account and form."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.casework.drafts import MAX_NAME, MAX_PAIRS, MAX_SCOPE, MAX_VALUE

from .common import QueryArgs, RequestSchema

SCOPE_HELP = "start:<service key> for a service's start form, task:<task id> for a task's form."


class DraftArgs(QueryArgs):
    scope = fields.String(required=True, validate=validate.Length(1, MAX_SCOPE), metadata={"description": SCOPE_HELP})


class DraftRequest(RequestSchema):
    scope = fields.String(required=True, validate=validate.Length(1, MAX_SCOPE), metadata={"description": SCOPE_HELP})
    fields_ = fields.List(
        fields.Tuple((fields.String(validate=validate.Length(1, MAX_NAME)),
                      fields.String(validate=validate.Length(0, MAX_VALUE)))),
        data_key="fields", required=True, validate=validate.Length(0, MAX_PAIRS),
        metadata={"description": "The form's inputs as [name, value] pairs, as the form would send them "
                                 "(documents as <field>.__id / <field>.__name)."})


class DraftSchema(Schema):
    scope = fields.String(required=True)
    fields_ = fields.List(fields.List(fields.String()), data_key="fields", required=True)
    saved_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True, metadata={"description": "When the draft is deleted unless saved "
                                                                         "again."})


class DraftSaved(Schema):
    scope = fields.String(required=True)
    saved_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)

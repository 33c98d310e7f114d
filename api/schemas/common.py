"""Shapes shared by every area: the error body and paging."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate


def _has_nul(value, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 50:
        return False
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


class RequestSchema(Schema):
    """Base of every request shape: NUL characters are refused everywhere (no text column can store them)."""

    error_messages = {"type": "Send a JSON object ({\"field\": value, ...}) with the fields this request takes; "
                              "see /api/v1/docs."}

    @pre_load
    def _refuse_nul(self, data, **kwargs):
        if _has_nul(dict(data) if hasattr(data, "keys") and not isinstance(data, dict) else data):
            raise ValidationError("Text may not contain NUL (\\u0000) characters.")
        return data


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine-readable code, e.g. not_found."})
    message = fields.String(required=True, metadata={"description": "What went wrong and what to do next."})
    details = fields.Raw(allow_none=True, metadata={"description": "Per-field messages, problem lists, …"})
    problems = fields.List(fields.Dict(), metadata={"description": "Lint problems of a rejected BPMN upload."})
    element_id = fields.String(allow_none=True, metadata={"description": "BPMN element where a process failed."})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class QueryArgs(RequestSchema):
    class Meta:
        unknown = EXCLUDE


class PagingArgs(QueryArgs):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))

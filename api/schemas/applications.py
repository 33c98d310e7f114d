"""Applications (*permohonan*)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import PagingArgs, RequestSchema
from .tasks import TaskItem


class ApplicationCreate(RequestSchema):
    service = fields.String(required=True, validate=validate.Length(1, 200))
    data = fields.Dict(required=True, metadata={"description": "The start form's fields."})
    jurisdiction = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100),
                                 metadata={"description": "Office code; normally taken from the service or data."})
    applicant = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100), metadata={
        "description": "Front office only: the username of the applicant this application is for."})


class ApplicationSummary(Schema):
    id = fields.Integer(required=True)
    registration_no = fields.String(required=True)
    service = fields.String(required=True)
    version = fields.Integer(required=True)
    service_name = fields.String(required=True)
    applicant = fields.String(required=True)
    applicant_name = fields.String(required=True)
    jurisdiction = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "running, completed, error or cancelled"})
    outcome = fields.String(allow_none=True)
    started_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)


class ApplicationCreated(Schema):
    id = fields.Integer(required=True)
    registration_no = fields.String(required=True)
    status = fields.String(required=True)
    tasks = fields.List(fields.Nested(TaskItem), required=True)


class EventSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    actor = fields.String(allow_none=True)
    at = fields.DateTime(required=True)
    task_id = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    data = fields.Dict(required=True)


class ApplicationDetail(ApplicationSummary):
    revision = fields.Integer(required=True)
    error_element = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    data = fields.Dict(required=True, metadata={"description": "Current process data (incl. script results)."})
    tasks = fields.List(fields.Nested(TaskItem), required=True, metadata={"description": "Open tasks."})
    history = fields.List(fields.Nested(EventSchema), required=True)


class ApplicationListArgs(PagingArgs):
    status = fields.String(validate=validate.OneOf(["running", "completed", "error", "cancelled"]))
    service = fields.String(validate=validate.Length(1, 200))
    q = fields.String(validate=validate.Length(1, 200), metadata={
        "description": "Part of the registration number or the applicant's name."})


class ApplicationPage(Schema):
    items = fields.List(fields.Nested(ApplicationSummary), required=True)
    total = fields.Integer(required=True)


class CancelRequest(RequestSchema):
    reason = fields.String(load_default="", validate=validate.Length(0, 2000))


class ResumeRequest(RequestSchema):
    note = fields.String(load_default="", validate=validate.Length(0, 2000),
                         metadata={"description": "What was done about the cause (kept in the audit log)."})

"""Tasks and the inbox."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import QueryArgs, RequestSchema
from .services import FormSchema


class ApplicationRef(Schema):
    id = fields.Integer(required=True)
    registration_no = fields.String(required=True)
    service = fields.String(required=True)
    applicant_name = fields.String(required=True)


class TaskItem(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    element_id = fields.String(required=True)
    application = fields.Nested(ApplicationRef, required=True)
    candidate_groups = fields.List(fields.String(), required=True)
    for_applicant = fields.Boolean(required=True, metadata={"description": "The applicant's own task."})
    jurisdiction = fields.String(required=True)
    assignee = fields.String(allow_none=True)
    state = fields.String(required=True, metadata={"description": "ready, claimed, completed or cancelled"})
    form_key = fields.String(allow_none=True)
    decision_choices = fields.List(fields.String(), required=True)
    decision = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    claimed_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    sla_state = fields.String(allow_none=True, metadata={"description": "on_track, at_risk, breached, met, missed"})


class TaskDetail(TaskItem):
    form = fields.Nested(FormSchema, allow_none=True)
    data = fields.Dict(required=True, metadata={"description": "The application's data as this task sees it."})
    revision = fields.Integer(required=True, metadata={
        "description": "The application's revision; send it back as expected_revision to detect concurrent edits."})


class InboxArgs(QueryArgs):
    service = fields.String(validate=validate.Length(1, 200))
    state = fields.String(validate=validate.OneOf(["ready", "claimed", "completed"]))
    assignee = fields.String(validate=validate.OneOf(["me", "none"]))
    sla = fields.String(validate=validate.OneOf(["at_risk", "breached"]))
    q = fields.String(validate=validate.Length(1, 200), metadata={
        "description": "Part of the registration number, the applicant's name (on the form, or their account), the "
                       "step name, or the form's NIK or title (case-insensitive)."})
    sort = fields.String(validate=validate.OneOf(["due_at", "created_at", "completed_at"]), metadata={
        "description": "Default: due_at (soonest first); completed_at (newest first) for state=completed."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=validate.Length(1, 500), metadata={"description": "next_cursor of the last page"})
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))


class InboxPage(Schema):
    items = fields.List(fields.Nested(TaskItem), required=True)
    total = fields.Integer(required=True)
    total_capped = fields.Boolean(required=True, metadata={
        "description": "True when the inbox (open tasks or history) holds more than 1,000 tasks: total is then "
                       "1,000, a floor (shown as '1,000+'); the dashboard counts open queues exactly."})
    next_cursor = fields.String(allow_none=True)


class CompleteRequest(RequestSchema):
    data = fields.Dict(load_default=dict, metadata={"description": "The task form's fields."})
    decision = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                             metadata={"description": "One of the task's decision_choices."})
    expected_revision = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 2**31 - 1))


class AssignRequest(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(1, 100))


class ApplicationState(Schema):
    id = fields.Integer(required=True)
    registration_no = fields.String(required=True)
    status = fields.String(required=True)
    outcome = fields.String(allow_none=True)
    revision = fields.Integer(required=True)


class CompleteResult(Schema):
    application = fields.Nested(ApplicationState, required=True)
    tasks = fields.List(fields.Nested(TaskItem), required=True, metadata={"description": "The open tasks now."})

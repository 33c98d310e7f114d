"""Applications (*permohonan*)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from .common import PagingArgs, RequestSchema
from .tasks import TaskItem


class ApplicationCreate(RequestSchema):
    """There is no office to choose: the service decides it (a fixed office, or the start-form field it routes by,
    such as the fishing permit's ``home_regency``). A ``jurisdiction`` sent anyway is refused by name, so a client
    built for the old request learns why instead of having its choice silently dropped."""

    class Meta:
        description = ("The office that works the file comes from the service, never from the request: a fixed "
                       "office, or the start-form field the service routes by (e.g. home_regency), which must be "
                       "one of the offices it lists. A jurisdiction field is refused (422).")

    service = fields.String(required=True, validate=validate.Length(1, 200))
    data = fields.Dict(required=True, metadata={
        "description": "The start form's fields, including the one that chooses the office when the service "
                       "routes by one (e.g. home_regency)."})
    applicant = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100), metadata={
        "description": "Front office only: the username of the applicant this application is for."})

    @pre_load
    def _no_office_choice(self, body, **kwargs):
        if isinstance(body, dict) and "jurisdiction" in body:
            raise ValidationError(OFFICE_NOT_CHOSEN, "jurisdiction")
        return body


OFFICE_NOT_CHOSEN = ("The office is not chosen in the request: the service decides it (for a service routed by "
                     "region, answer the start form's field for it, e.g. data.home_regency). Leave this field out.")


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


class BillSchema(Schema):
    amount = fields.Integer(allow_none=True, metadata={"description": "The levy (retribusi) in whole rupiah."})
    account = fields.String(required=True, metadata={"description": "Virtual account / payment code."})
    deadline = fields.DateTime(allow_none=True, metadata={"description": "Pay before (with the bank's offset)."})
    status = fields.String(required=True, metadata={
        "description": "waiting, paid, expired, or refused (still waiting after the bank's payment message was "
                       "refused: see the history); declined (the bank refused to issue the bill: account is empty, "
                       "the bill_refused event in the history has the bank's reason) or requested (asked again "
                       "since)."})
    paid_amount = fields.Integer(allow_none=True)


class ApplicationDetail(ApplicationSummary):
    revision = fields.Integer(required=True)
    error_element = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    data = fields.Dict(required=True, metadata={"description": "Current process data (incl. script results)."})
    tasks = fields.List(fields.Nested(TaskItem), required=True, metadata={"description": "Open tasks."})
    history = fields.List(fields.Nested(EventSchema), required=True)
    bill = fields.Nested(BillSchema, allow_none=True, metadata={
        "description": "The bill, once issued, of a service that declares one (bill.* process properties)."})


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

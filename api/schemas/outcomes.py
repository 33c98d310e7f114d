"""How files and decisions ended (``engine.reporting.outcomes``) and the survey's comments, for managers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import QueryArgs
from .reports import DayOrInstant


class OutcomeArgs(QueryArgs):
    service = fields.String(validate=validate.Length(1, 200), metadata={"description": "A service key."})
    jurisdiction = fields.String(validate=validate.Length(1, 100), metadata={"description": "An office code."})
    date_from = DayOrInstant(data_key="from", metadata={"description": "Files and steps ended from this day or "
                                                                       "instant on.", "example": "2026-06-01"})
    date_to = DayOrInstant(data_key="to", metadata={"description": "Up to this day, inclusive, or before this "
                                                                   "instant.", "example": "2026-06-30"})


class ServiceRow(Schema):
    """A row of a report by service: the service's key and its name."""

    service = fields.String()
    service_name = fields.String()


class FileOutcomeRow(ServiceRow):
    ended = fields.Integer()
    issued = fields.Integer()
    rejected = fields.Integer()
    closed = fields.Integer(metadata={"description": "Ended on an end event that is neither approval nor refusal."})
    withdrawn = fields.Integer(metadata={"description": "Cancelled by the applicant or the office."})
    issued_within_sla = fields.Integer()
    issued_with_target = fields.Integer()
    rejected_within_sla = fields.Integer(metadata={"description": "Refusals within the file's SLA: never added to "
                                                                  "the issued ones."})
    rejected_with_target = fields.Integer()
    office_median_seconds = fields.Float(allow_none=True, metadata={"description": "Working time the office took."})
    held_files = fields.Integer(metadata={"description": "Ended files that waited for their applicant."})
    held_median_seconds = fields.Float(allow_none=True, metadata={
        "description": "Working time those files waited for the applicant (steps with sla.pause)."})
    held_total_seconds = fields.Float()


class StepOutcomeRow(ServiceRow):
    step = fields.String()
    step_name = fields.String()
    for_applicant = fields.Boolean()
    completed = fields.Integer()
    approved = fields.Integer()
    returned = fields.Integer()
    rejected = fields.Integer()
    other = fields.Integer()
    held_median_seconds = fields.Float(allow_none=True)


class OutcomesSchema(Schema):
    files = fields.List(fields.Nested(FileOutcomeRow))
    steps = fields.List(fields.Nested(StepOutcomeRow))


class CommentArgs(OutcomeArgs):
    rating = fields.Integer(validate=validate.OneOf([1, 2, 3, 4]), metadata={
        "description": "Only responses whose mean answer rounds to this (1 not good … 4 very good)."})


class CommentSchema(Schema):
    submitted_at = fields.DateTime()
    service = fields.String()
    jurisdiction = fields.String()
    instance_id = fields.Integer()
    registration_no = fields.String()
    mean = fields.Float()
    rating = fields.Integer()
    text = fields.String()


class CommentList(Schema):
    items = fields.List(fields.Nested(CommentSchema))

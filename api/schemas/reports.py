"""The SLA report (*laporan kinerja layanan*) and the overdue list (managers, supervisors)."""

from __future__ import annotations

import re
from datetime import date, datetime

from marshmallow import Schema, fields, validate

from engine.reporting.reports import MAX_OVERDUE

from .common import QueryArgs

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Far enough for any report, near enough that converting to UTC never leaves the range a database stores.
FIRST_YEAR, LAST_YEAR = 1900, 2999


class DayOrInstant(fields.String):
    """``2026-06-01`` (a whole day, office time) or an instant ``2026-06-01T08:00:00+08:00``.

    Loads as a ``date`` or a ``datetime``; the view turns both into instants in the office's time zone.
    """

    default_error_messages = {
        "moment": "Use a date such as 2026-06-01, or a date and time such as 2026-06-01T08:00:00+08:00.",
        "range": f"Use a year from {FIRST_YEAR} to {LAST_YEAR}.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> date | datetime:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            moment = date.fromisoformat(text) if _DAY.match(text) else datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("moment") from None
        if not _DAY.match(text) and "T" not in text.upper() and " " not in text:
            raise self.make_error("moment")
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise self.make_error("range")
        return moment


class SlaReportArgs(QueryArgs):
    service = fields.String(validate=validate.Length(1, 200), metadata={
        "description": "A service key (e.g. research_permit): only that service."})
    jurisdiction = fields.String(validate=validate.Length(1, 100), metadata={
        "description": "An office code you serve (e.g. sulsel): only that office. Default: all your offices."})
    date_from = DayOrInstant(data_key="from", metadata={
        "description": "Count completions from this day (00:00 office time) or instant on. Open counts are always "
                       "'now'.", "example": "2026-06-01"})
    date_to = DayOrInstant(data_key="to", metadata={
        "description": "Count completions up to this day, inclusive (a date), or before this instant (a date and "
                       "time). A time without offset is office time.", "example": "2026-06-30"})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]), metadata={
        "description": "json (default) or csv: the same figures as a spreadsheet-ready CSV file."})


class OverdueArgs(QueryArgs):
    service = fields.String(validate=validate.Length(1, 200), metadata={"description": "A service key."})
    jurisdiction = fields.String(validate=validate.Length(1, 100), metadata={
        "description": "An office code you serve. Default: all your offices."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_OVERDUE))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))


class FiguresSchema(Schema):
    completed = fields.Integer(required=True, metadata={
        "description": "Completed in the period (office steps or whole files; cancelled ones not counted)."})
    median_seconds = fields.Float(allow_none=True, metadata={
        "description": "Median working time taken, seconds (pauses for the applicant excluded); null: none."})
    p90_seconds = fields.Float(allow_none=True, metadata={"description": "90th percentile of the same."})
    within_sla = fields.Integer(required=True, metadata={"description": "Completed within their target (met)."})
    with_target = fields.Integer(required=True, metadata={"description": "Completed that had a target."})
    share_within_sla = fields.Float(allow_none=True, metadata={
        "description": "within_sla / with_target (0–1); null when none had a target."})
    open = fields.Integer(required=True, metadata={"description": "Open now, whatever the period."})
    open_at_risk = fields.Integer(required=True)
    open_breached = fields.Integer(required=True)


class StepRow(Schema):
    service = fields.String(required=True)
    service_name = fields.String(required=True)
    step = fields.String(required=True, metadata={"description": "The BPMN element id of the step."})
    step_name = fields.String(required=True)
    sla = fields.String(allow_none=True, metadata={"description": "The target, e.g. PT4H (working time)."})
    jurisdiction = fields.String(allow_none=True, metadata={"description": "The office; null: all offices."})
    figures = fields.Nested(FiguresSchema, required=True)


class FileRow(Schema):
    service = fields.String(required=True)
    service_name = fields.String(required=True)
    sla = fields.String(allow_none=True, metadata={"description": "The whole-file target, e.g. P5D."})
    jurisdiction = fields.String(allow_none=True, metadata={"description": "The office; null: all offices."})
    figures = fields.Nested(FiguresSchema, required=True)


class ReportQuerySchema(Schema):
    service = fields.String(allow_none=True)
    jurisdiction = fields.String(allow_none=True)
    date_from = fields.DateTime(allow_none=True)
    date_to = fields.DateTime(allow_none=True, metadata={"description": "Exclusive end of the period."})


class SlaReportSchema(Schema):
    generated_at = fields.DateTime(required=True)
    query = fields.Nested(ReportQuerySchema, required=True)
    steps = fields.List(fields.Nested(StepRow), required=True, metadata={
        "description": "Per service and step, all your offices together."})
    files = fields.List(fields.Nested(FileRow), required=True, metadata={
        "description": "Whole files per service, all your offices together."})
    steps_by_jurisdiction = fields.List(fields.Nested(StepRow), required=True)
    files_by_jurisdiction = fields.List(fields.Nested(FileRow), required=True)


class OverdueItem(Schema):
    task_id = fields.String(required=True)
    instance_id = fields.Integer(required=True, metadata={"description": "The application's id."})
    registration_no = fields.String(required=True)
    applicant_name = fields.String(required=True)
    service = fields.String(required=True)
    step = fields.String(required=True)
    step_name = fields.String(required=True)
    jurisdiction = fields.String(required=True)
    holder = fields.String(allow_none=True, metadata={
        "description": "The officer who claimed the step; null while it waits in the groups' inboxes."})
    candidate_groups = fields.List(fields.String(), required=True)
    sla = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    due_at = fields.DateTime(required=True)
    breached_at = fields.DateTime(required=True)
    overdue_seconds = fields.Float(required=True, metadata={"description": "Working time since it was due."})


class OverduePage(Schema):
    items = fields.List(fields.Nested(OverdueItem), required=True, metadata={"description": "Longest overdue first."})
    total = fields.Integer(required=True)

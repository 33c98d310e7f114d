"""Institutions (campuses) and a campus's students' files."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .applications import ApplicationSummary
from .common import RequestSchema


class InstitutionSchema(Schema):
    code = fields.String(required=True, metadata={"description": "What registration sends as `institution`."})
    name = fields.String(required=True)


class InstitutionList(Schema):
    items = fields.List(fields.Nested(InstitutionSchema), required=True)


class InstitutionCreate(RequestSchema):
    code = fields.String(required=True, validate=validate.Length(1, 50))
    name = fields.String(required=True, validate=validate.Length(1, 300))
    address = fields.String(load_default="", validate=validate.Length(0, 500))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 300))


class InstitutionDetail(InstitutionSchema):
    address = fields.String()
    email = fields.String(allow_none=True)
    operators = fields.List(fields.String(), metadata={"description": "Usernames of the operator accounts."})
    students = fields.Integer(metadata={"description": "Applicant accounts registered under the campus."})


class OperatorCreate(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(1, 100))
    password = fields.String(required=True, validate=validate.Length(1, 1000))
    full_name = fields.String(load_default="", validate=validate.Length(0, 300))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 300))


class CampusFilesQuery(RequestSchema):
    status = fields.String(load_default="", metadata={"description": "in_process, needs_action, issued, rejected, "
                                                                     "closed, cancelled or error; empty: all."})
    q = fields.String(load_default="", validate=validate.Length(0, 200),
                      metadata={"description": "Registration number, applicant's name or username (part of)."})
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class CampusFile(ApplicationSummary):
    file_status = fields.String(required=True, metadata={"description": "The status people read (as `status` of "
                                                                         "the query)."})
    campus_steps = fields.List(fields.String(), required=True,
                               metadata={"description": "Ids of open tasks waiting for the campus's operators."})
    letter = fields.Boolean(required=True, metadata={"description": "A signed permit letter can be downloaded."})


class CampusFilePage(Schema):
    items = fields.List(fields.Nested(CampusFile), required=True)
    total = fields.Integer(required=True)

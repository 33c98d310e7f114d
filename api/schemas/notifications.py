"""In-app notifications (*notifikasi*): each person's own."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.messaging.notifications import MAX_LIMIT

from .common import QueryArgs, RequestSchema

MAX_IDS = 1000


class NotificationArgs(QueryArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "true: only the unread ones."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))
    before = fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={
        "description": "next_before of the previous page: older notifications than that id."})


class NotificationItem(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={
        "description": "e.g. application_received, returned_for_revision, sla_breached, task_escalated"})
    subject = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "Bahasa Indonesia first, then English."})
    created_at = fields.DateTime(required=True)
    read = fields.Boolean(required=True)
    read_at = fields.DateTime(allow_none=True)
    instance_id = fields.Integer(allow_none=True, metadata={"description": "The application it is about."})
    task_id = fields.String(allow_none=True, metadata={"description": "The task it is about."})
    data = fields.Dict(required=True)


class NotificationPage(Schema):
    items = fields.List(fields.Nested(NotificationItem), required=True, metadata={"description": "Newest first."})
    unread = fields.Integer(required=True, metadata={"description": "All your unread notifications."})
    next_before = fields.Integer(allow_none=True, metadata={
        "description": "Pass as 'before' for the next (older) page; null on the last page."})


class MarkReadRequest(RequestSchema):
    ids = fields.List(fields.Integer(validate=validate.Range(1, 2**31 - 1)), load_default=None, allow_none=True,
                      validate=validate.Length(0, MAX_IDS), metadata={
                          "description": "The notifications to mark read; leave out to mark all of yours read."})


class MarkReadResult(Schema):
    marked = fields.Integer(required=True, metadata={"description": "How many changed from unread to read."})
    unread = fields.Integer(required=True, metadata={"description": "Your unread notifications now."})

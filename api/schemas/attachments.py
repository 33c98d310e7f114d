"""Uploaded documents."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields


class AttachmentUpload(Schema):
    file = Upload(required=True, metadata={"description": "A PDF, JPEG or PNG file of at most 10 MB."})


class AttachmentSchema(Schema):
    id = fields.String(required=True, metadata={"description": "Put this reference into the form field."})
    name = fields.String(required=True)
    size = fields.Integer(required=True)
    content_type = fields.String(required=True)
    sha256 = fields.String(required=True)

"""Deploying and versioning service definitions (analysts)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from .common import QueryArgs


class DeployQuery(QueryArgs):
    publish = fields.Boolean(load_default=False, metadata={"description": "Publish the new version at once."})


class DefinitionUpload(Schema):
    bpmn = fields.List(Upload(), load_default=list, metadata={
        "description": "The BPMN file; further files are the processes its call activities use. Required unless "
                       "only DMN files are deployed."})
    forms = fields.List(Upload(), load_default=list, metadata={
        "description": "Form files: '<formKey>.json' / '<formKey>.ui.json', or the key's last segment."})
    dmn = fields.List(Upload(), load_default=list, metadata={
        "description": "DMN files: the decision tables the diagram's business rule tasks name, versioned with it; "
                       "alone (without 'bpmn'), decisions callable by key."})


class ProblemSchema(Schema):
    severity = fields.String(required=True, metadata={"description": "error (blocks deploy) or warning"})
    code = fields.String(required=True)
    message = fields.String(required=True)
    message_id = fields.String(metadata={"description": "The message in Bahasa Indonesia."})
    file = fields.String(required=True)
    line = fields.Integer(allow_none=True)
    element_id = fields.String(allow_none=True)
    extra = fields.Dict()


class DeployResult(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    created = fields.Boolean(required=True, metadata={"description": "False: identical content was deployed before."})
    warnings = fields.List(fields.Nested(ProblemSchema), required=True)
    decisions = fields.List(fields.Nested(lambda: DecisionVersionSchema()), metadata={
        "description": "The DMN decisions deployed (key, version, name, hit policy)."})


class DecisionVersionSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    hit_policy = fields.String(required=True, metadata={"description": "U, A, P, F, R, O, C, C+, C<, C> or C#"})


class LintResult(Schema):
    key = fields.String(allow_none=True)
    ok = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)


class DefinitionSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    name_id = fields.String(required=True)
    name_en = fields.String(required=True)
    bpmn_filename = fields.String(required=True)
    sha256 = fields.String(required=True)
    deployed_by = fields.String(allow_none=True)
    deployed_at = fields.DateTime(required=True)
    published_at = fields.DateTime(allow_none=True)
    warnings = fields.List(fields.Nested(ProblemSchema), required=True)

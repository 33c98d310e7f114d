"""Deploying and versioning service definitions (analysts)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from .common import QueryArgs


class DeployQuery(QueryArgs):
    publish = fields.Boolean(load_default=False, metadata={"description": "Publish the new version at once."})


class DefinitionUpload(Schema):
    bpmn = fields.List(Upload(), load_default=list, metadata={
        "description": "The BPMN file; further files are the processes its call activities use. Required unless "
                       "only DMN files are deployed."})
    forms = fields.List(Upload(), load_default=list, metadata={
        "description": "Form files: '<formKey>.json' / '<formKey>.ui.json', or the key's last segment."})
    model = Upload(load_default=None, metadata={
        "description": "A model folder packed as a .zip (spiff-arena's layout: the diagrams that call each other, "
                       "their DMN tables and JSON forms side by side, process_model.json naming the primary file), "
                       "deployed as one service; instead of 'bpmn', 'forms' and 'dmn'."})
    letter = Upload(load_default=None, metadata={
        "description": "The service's permit letter template (Jinja2 HTML, UTF-8); instead of "
                       "letters/<key>.html beside the forms."})
    letter_css = Upload(load_default=None, metadata={"description": "The letter template's CSS (optional)."})
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
    flavour = fields.String(metadata={"description": "Whose BPMN extensions were read: camunda, spiff (spiff-arena's "
                                                     "spiffworkflow:), camunda+spiff or plain."})
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


class DiffQuery(QueryArgs):
    from_version = fields.Integer(required=True, data_key="from", strict=False, validate=validate.Range(1, 2147483647),
                                  metadata={"description": "The version compared from (usually the older)."})
    to_version = fields.Integer(required=True, data_key="to", strict=False, validate=validate.Range(1, 2147483647),
                                metadata={"description": "The version compared to."})


class FieldChangeSchema(Schema):
    field = fields.String(required=True, metadata={
        "description": "type, name, form_key, candidate_groups, assignee, lane, sla, sla_pause, sla_escalate, "
                       "calendar, jurisdiction, properties, choices ('name (meaning)'), default, source, target, "
                       "condition, meaning, timer, script — or a process setting's name"})
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class DiffElementSchema(Schema):
    element_id = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "The BPMN tag: userTask, sequenceFlow, …"})
    name = fields.String(allow_none=True)


class DiffChangedSchema(DiffElementSchema):
    changes = fields.List(fields.Nested(FieldChangeSchema), required=True)


class DiffFormSchema(Schema):
    form_key = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "added, removed or changed"})
    before = fields.String(allow_none=True, metadata={"description": "Snapshot hash in the 'from' version."})
    after = fields.String(allow_none=True, metadata={"description": "Snapshot hash in the 'to' version."})
    fields_added = fields.List(fields.String(), required=True, metadata={"description": "Top-level fields."})
    fields_removed = fields.List(fields.String(), required=True)


class DiffLetterSchema(Schema):
    status = fields.String(required=True, metadata={"description": "added, removed or changed"})
    before = fields.String(allow_none=True, metadata={"description": "Template hash in the 'from' version."})
    after = fields.String(allow_none=True, metadata={"description": "Template hash in the 'to' version."})
    lines_added = fields.Integer(required=True, metadata={"description": "Lines of HTML and CSS added."})
    lines_removed = fields.Integer(required=True)


class VersionDiffSchema(Schema):
    key = fields.String(required=True)
    from_version = fields.Integer(required=True)
    to_version = fields.Integer(required=True)
    added = fields.List(fields.Nested(DiffElementSchema), required=True)
    removed = fields.List(fields.Nested(DiffElementSchema), required=True)
    changed = fields.List(fields.Nested(DiffChangedSchema), required=True)
    process = fields.List(fields.Nested(FieldChangeSchema), required=True, metadata={
        "description": "Changed settings of the service itself (camunda:properties of the process)."})
    forms = fields.List(fields.Nested(DiffFormSchema), required=True)
    letter = fields.Nested(DiffLetterSchema, allow_none=True, metadata={
        "description": "The letter template's change; null when both versions print the same template."})

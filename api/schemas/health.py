"""The readiness answer."""

from __future__ import annotations

from marshmallow import Schema, fields


class KeptWorkflowsSchema(Schema):
    held = fields.Integer(metadata={"description": "Workflows kept in memory for their application's next step."})
    limit = fields.Integer(metadata={"description": "LINCAH_LIVE_WORKFLOWS (0: none kept)."})
    reused = fields.Integer(metadata={"description": "Steps since start that reused a kept workflow."})
    restored = fields.Integer(metadata={"description": "Steps since start that restored it from the database."})


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok, or unavailable (see problems)."})
    database = fields.String(metadata={"description": "ok, or unreachable: no answer, or none within a second (a "
                                                      "frozen or overloaded server)."})
    schema = fields.String(allow_none=True, metadata={"description": "Migration revision of the database."})
    expected_schema = fields.String(metadata={"description": "Revision this server needs."})
    scheduler = fields.String(metadata={"description": "Where timers and SLA clocks run."})
    kept_workflows = fields.Nested(KeptWorkflowsSchema)
    problems = fields.List(fields.String(), metadata={"description": "What is wrong and what to do."})

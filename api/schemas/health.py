"""The readiness answer."""

from __future__ import annotations

from marshmallow import Schema, fields


class KeptWorkflowsSchema(Schema):
    held = fields.Integer(metadata={"description": "Workflows kept in memory for their application's next step."})
    limit = fields.Integer(metadata={"description": "LINCAH_LIVE_WORKFLOWS (0: none kept)."})
    reused = fields.Integer(metadata={"description": "Steps since start that reused a kept workflow."})
    restored = fields.Integer(metadata={"description": "Steps since start that restored it from the database."})


class JobBeatSchema(Schema):
    job = fields.String(metadata={"description": "timers, sla, notifications or uploads."})
    last_run_age_seconds = fields.Float(metadata={"description": "Seconds since any scheduler last finished it."})
    interval_seconds = fields.Float(metadata={"description": "Seconds between its runs."})
    late = fields.Boolean(metadata={"description": "Not finished within three intervals and a minute."})
    schedulers = fields.Integer(metadata={"description": "Scheduler processes that ran it in the last week."})


class SchedulerStateSchema(Schema):
    state = fields.String(metadata={"description": "running; late (a job not run within three intervals); never ran "
                                                   "(no scheduler ever ran against this database); unknown (the "
                                                   "database did not answer)."})
    in_this_process = fields.Boolean(metadata={"description": "This server runs the jobs itself (lincah serve)."})
    jobs = fields.List(fields.Nested(JobBeatSchema))


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok; degraded (serving, but no scheduler works the timers, SLA "
                                                    "clocks and e-mail: see scheduler and problems; still 200); or "
                                                    "unavailable (503, see problems)."})
    database = fields.String(metadata={"description": "ok, or unreachable: no answer, or none within a second (a "
                                                      "frozen or overloaded server)."})
    schema = fields.String(allow_none=True, metadata={"description": "Migration revision of the database."})
    expected_schema = fields.String(metadata={"description": "Revision this server needs."})
    scheduler = fields.Nested(SchedulerStateSchema, metadata={"description": "Whether a scheduler runs the periodic "
                                                                             "jobs, from its heartbeat."})
    kept_workflows = fields.Nested(KeptWorkflowsSchema)
    problems = fields.List(fields.String(), metadata={"description": "What is wrong and what to do."})

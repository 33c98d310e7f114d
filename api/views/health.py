"""Is this server ready to work? For load balancers, systemd checks and the person on call. No sign-in needed.

200 when the database answers and its schema is the one this code expects; 503 otherwise, saying which part is
wrong and what to do — within about a second even when the database is frozen (``engine.storage.readiness``), so a load
balancer takes the server out of rotation instead of waiting on it. Nothing in the answer is about applications or
people.
"""

from __future__ import annotations

from flask import current_app

from engine.storage import heartbeat
from engine.storage.db import head_revision
from engine.storage.readiness import DatabaseProbe, NotReady

from ..json_body import Blueprint
from ..schemas.health import HealthSchema
from ..unit_of_work import engine_context, session

# Seconds a client should wait before asking again when the answer is 503.
RETRY_AFTER = "5"

blp = Blueprint("health", __name__, url_prefix="/api/v1/health", description="Readiness of this server.")


@blp.route("")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="The database is unreachable or not migrated.")
def health():
    """Database reachable and migrated; whether a scheduler works the timers; workflows kept by this process."""
    ctx = engine_context()
    body = {"status": "ok", "database": "ok", "schema": None, "expected_schema": head_revision(),
            "scheduler": {"state": "unknown", "in_this_process": bool(current_app.extensions["lincah"]["scheduler"]),
                          "jobs": []},
            "kept_workflows": {"held": len(ctx.live), "limit": ctx.live.size, "reused": ctx.live.hits,
                               "restored": ctx.live.misses},
            "problems": []}
    try:
        body["schema"] = _probe().schema_revision()
    except NotReady as not_ready:
        body.update(status="unavailable", database="unreachable")
        body["problems"].append(f"{not_ready.reason} Check LINCAH_DATABASE_URL and that the database server is "
                                "running and not overloaded.")
        return body, 503, {"Retry-After": RETRY_AFTER}
    if body["schema"] != body["expected_schema"]:
        body["status"] = "unavailable"
        body["problems"].append(f"The database schema is at {body['schema'] or 'nothing'}, this server needs "
                                f"{body['expected_schema']}: run 'lincah db upgrade'.")
        return body, 503
    _scheduler_state(body, ctx)
    return body


def _scheduler_state(body: dict, ctx) -> None:
    """The scheduler's heartbeat: degraded (still 200 — this server can serve) when no scheduler works the jobs."""
    beats = heartbeat.latest(session(), ctx.now())
    scheduler = body["scheduler"]
    scheduler["jobs"] = [{"job": beat.job, "last_run_age_seconds": round(beat.age_seconds, 1),
                          "interval_seconds": beat.interval_seconds, "late": beat.late, "schedulers": beat.schedulers}
                         for beat in beats]
    if not beats:
        scheduler["state"] = "never ran"
        body["problems"].append("No scheduler has run yet: BPMN timers, SLA clocks and e-mail wait. Start "
                                "'lincah scheduler' beside the web server (or use 'lincah serve', which runs one).")
    elif any(beat.late for beat in beats):
        scheduler["state"] = "late"
        late = ", ".join(beat.job for beat in beats if beat.late)
        body["problems"].append(f"No scheduler has finished its {late} job(s) within {heartbeat.LATE_AFTER} of their "
                                "intervals: check that 'lincah scheduler' runs and its log.")
    else:
        scheduler["state"] = "running"
    if scheduler["state"] != "running":
        body["status"] = "degraded"


def _probe() -> DatabaseProbe:
    """One probe per app (its session factory), made on the first check."""
    lincah = current_app.extensions["lincah"]
    probe = lincah.get("readiness")
    if probe is None:
        probe = lincah.setdefault("readiness", DatabaseProbe(lincah["session_factory"]))
    return probe

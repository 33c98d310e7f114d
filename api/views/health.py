"""Is this server ready to work? For load balancers, systemd checks and the person on call. No sign-in needed.

200 when the database answers and its schema is the one this code expects; 503 otherwise, saying which part is
wrong and what to do — within about a second even when the database is frozen (``engine.storage.readiness``), so a load
balancer takes the server out of rotation instead of waiting on it. Nothing in the answer is about applications or
people.
"""

from __future__ import annotations

from flask import current_app

from engine.storage.db import head_revision
from engine.storage.readiness import DatabaseProbe, NotReady

from ..json_body import Blueprint
from ..schemas.health import HealthSchema
from ..unit_of_work import engine_context

# Seconds a client should wait before asking again when the answer is 503.
RETRY_AFTER = "5"

blp = Blueprint("health", __name__, url_prefix="/api/v1/health", description="Readiness of this server.")


@blp.route("")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="The database is unreachable or not migrated.")
def health():
    """Database reachable and migrated; the scheduler's place; workflows kept in memory by this process."""
    ctx = engine_context()
    body = {"status": "ok", "database": "ok", "schema": None, "expected_schema": head_revision(),
            "scheduler": "in this process" if current_app.extensions["lincah"]["scheduler"] else "separate process",
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
    return body


def _probe() -> DatabaseProbe:
    """One probe per app (its session factory), made on the first check."""
    lincah = current_app.extensions["lincah"]
    probe = lincah.get("readiness")
    if probe is None:
        probe = lincah.setdefault("readiness", DatabaseProbe(lincah["session_factory"]))
    return probe

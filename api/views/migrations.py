"""Moving running applications to another version of their service (analysts): the plan, the dry run, the run, and
an application's rollback. ``engine/casework/migration.py`` says what is kept and what stops a move."""

from __future__ import annotations

from flask import current_app

from engine.casework import migration, migration_batch
from engine.errors import NotFound
from engine.people.access import ADMIN, ANALYST
from engine.storage.models import Instance

from .. import presenters
from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.migrations import DryRunSchema, PlanBody, PlanQuery, PlanSchema, RunBody, RunSchema
from ..unit_of_work import engine_context, session

blp = Blueprint("migrations", __name__, url_prefix="/api/v1",
                description="Moving running applications to another version of their service (analysts).")


def _plan(key: str, body: dict) -> migration.Plan:
    plan = migration.default_plan(session(), engine_context(), key, body["from_version"], body["to_version"])
    plan.mapping.update(body.get("mapping") or {})
    return plan


@blp.route("/definitions/<string:key>/migration/plan")
@login_required(ANALYST, ADMIN)
@blp.arguments(PlanQuery, location="query", as_kwargs=True)
@blp.response(200, PlanSchema)
def plan(key: str, from_version: int, to_version: int):
    """The default plan (every element to the one of the same id in the new version, or null) and the open tasks per
    element of the old version."""
    found = migration.default_plan(session(), engine_context(), key, from_version, to_version)
    return {"service": key, "from_version": from_version, "to_version": to_version, "mapping": found.mapping,
            "open_steps": migration_batch.open_steps(session(), key, from_version)}


@blp.route("/definitions/<string:key>/migration/dry-run", methods=["POST"])
@login_required(ANALYST, ADMIN)
@blp.arguments(PlanBody)
@blp.response(200, DryRunSchema)
def dry_run(body: dict, key: str):
    """For every running application of the old version: whether it can move and, if not, why (the step, the
    field). Nothing is changed."""
    result = migration_batch.dry_run(session(), engine_context(), _plan(key, body))
    return {"movable": result.movable, "total": len(result.verdicts), "by_step": result.by_step(),
            "applications": [{"application_id": v.instance_id, "registration_no": v.registration_no,
                              "steps": v.steps, "movable": v.movable, "reasons": v.reasons}
                             for v in result.verdicts]}


@blp.route("/definitions/<string:key>/migration", methods=["POST"])
@login_required(ANALYST, ADMIN)
@blp.arguments(RunBody)
@blp.response(200, RunSchema)
def run(body: dict, key: str):
    """Move up to ``limit`` applications that can move, 50 per transaction with a savepoint per application when a
    batch must be retried (one that fails stays untouched, the others move); call again while ``remaining`` is above
    0. Each move is on the application's history with who and why."""
    plan_ = _plan(key, body)
    session().commit()  # the batch opens its own transactions
    factory = current_app.extensions["lincah"]["session_factory"]
    report = migration_batch.run(factory, engine_context(), plan_, actor=current_actor().username,
                                 note=body["note"], limit=body["limit"])
    return {"moved": report.moved, "stayed": {str(k): v for k, v in report.refused.items()}, "busy": report.busy,
            "remaining": report.remaining}


@blp.route("/applications/<int:application_id>/migration/rollback", methods=["POST"])
@login_required(ANALYST, ADMIN)
@blp.response(200)
def rollback(application_id: int):
    """Move an application back to the version it came from, while nothing happened to it since (409 otherwise)."""
    instance = session().get(Instance, application_id)
    if instance is None:
        raise NotFound(f"Application {application_id} was not found.")
    migration.roll_back(session(), engine_context(), instance, actor=current_actor().username)
    session().flush()
    session().refresh(instance)
    return presenters.application_summary(instance)

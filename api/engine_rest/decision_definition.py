"""``/engine-rest/decision-definition``: evaluate a deployed DMN decision by key, as Camunda 7's
``POST /decision-definition/key/{key}/evaluate`` does — typed variables in, a list of typed result maps out.

People call it for now (analysts and administrators, with their bearer token: trying a table before a service uses
it); API clients are not yet scoped to decisions.
"""

from __future__ import annotations

from flask import jsonify

from engine.integration.variables import plain, typed
from engine.people.access import ANALYST
from engine.services import decisions
from engine.storage.models import DecisionDefinition

from ..auth import login_required
from ..unit_of_work import session
from . import blp, body


def present(row: DecisionDefinition) -> dict:
    """Camunda's ``DecisionDefinitionDto`` (the fields Lincah has)."""
    return {"id": f"{row.key}:{row.version}:{row.id}", "key": row.key, "name": row.name, "version": row.version,
            "resource": row.filename, "category": None, "deploymentId": None, "decisionRequirementsDefinitionId": None,
            "decisionRequirementsDefinitionKey": None, "historyTimeToLive": None, "versionTag": None,
            "tenantId": None}


@blp.route("/decision-definition/key/<string:key>")
@login_required(ANALYST)
def get_decision(key: str):
    """The latest version of decision ``key``."""
    return jsonify(present(decisions.latest(session(), key)))


@blp.route("/decision-definition/key/<string:key>/evaluate", methods=["POST"])
@login_required(ANALYST)
def evaluate(key: str):
    """Evaluate the latest version of decision ``key`` with ``{"variables": {name: {value, type}}}``."""
    variables = plain(body().get("variables"))
    results = decisions.evaluate_latest(session(), key, variables)
    return jsonify([{name: typed(value) for name, value in result.items()} for result in results])

"""People's side of the integration: administrators manage API clients; supervisors and administrators see an
application's incidents (external tasks that ran out of retries) and send them back to the workers."""

from __future__ import annotations

from engine.casework import applications
from engine.integration import clients, external_tasks
from engine.people.access import ADMIN, SUPERVISOR

from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.integration import (
    ApiClientCreate,
    ApiClientList,
    ApiClientSchema,
    ApiClientWithSecret,
    IncidentList,
    IncidentRetry,
    IncidentSchema,
)
from ..unit_of_work import engine_context, session

clients_blp = Blueprint("api_clients", __name__, url_prefix="/api/v1/clients",
                        description="API clients: programs calling /engine-rest (administrators).")
incidents_blp = Blueprint("incidents", __name__, url_prefix="/api/v1/applications",
                          description="Incidents: external tasks of an application that stopped.")


def _with_secret(row, secret: str) -> dict:
    return {**{name: getattr(row, name) for name in ApiClientSchema().fields}, "secret": secret}


@clients_blp.route("")
@login_required(ADMIN)
@clients_blp.response(200, ApiClientList)
def list_clients():
    return {"items": clients.all_clients(session())}


@clients_blp.route("", methods=["POST"])
@login_required(ADMIN)
@clients_blp.arguments(ApiClientCreate)
@clients_blp.response(201, ApiClientWithSecret)
def add_client(body):
    """Create a client; the answer carries its secret, this once."""
    row, secret = clients.add(session(), engine_context(), body["name"], topics=body["topics"],
                              messages=body["messages"], jurisdictions=body["jurisdictions"],
                              actor=current_actor().username)
    return _with_secret(row, secret)


@clients_blp.route("/<string:name>/rotate", methods=["POST"])
@login_required(ADMIN)
@clients_blp.response(200, ApiClientWithSecret)
def rotate_client(name: str):
    """A new secret (in the answer, this once); the old one stops working at once."""
    row, secret = clients.rotate(session(), engine_context(), name, actor=current_actor().username)
    return _with_secret(row, secret)


@clients_blp.route("/<string:name>/revoke", methods=["POST"])
@login_required(ADMIN)
@clients_blp.response(200, ApiClientSchema)
def revoke_client(name: str):
    return clients.revoke(session(), engine_context(), name, actor=current_actor().username)


@incidents_blp.route("/<int(max=2147483647):application_id>/incidents")
@login_required(SUPERVISOR)
@incidents_blp.response(200, IncidentList)
def list_incidents(application_id: int):
    instance = applications.get(session(), application_id, current_actor())
    return {"items": external_tasks.incidents(session(), instance.id)}


@incidents_blp.route("/<int(max=2147483647):application_id>/incidents/<string:task_id>/retry", methods=["POST"])
@login_required(SUPERVISOR)
@incidents_blp.arguments(IncidentRetry, required=False)
@incidents_blp.response(200, IncidentSchema)
def retry_incident(body, application_id: int, task_id: str):
    """Send the external task back to the workers with ``retries``; the application runs again once none of its
    incidents is left (an administrator or a supervisor of the office)."""
    body = body or {}
    return external_tasks.retry_incident(session(), engine_context(), application_id, task_id, current_actor(),
                                         retries=body.get("retries", 1), note=body.get("note", ""))

"""``/engine-rest``: Camunda 7's REST contract, so Camunda's own worker libraries run against Lincah unchanged.

Callers are API clients (``engine.integration.clients``), not people: HTTP Basic with the client's name and secret,
as Camunda's clients send it, or the secret as a bearer token. Errors have Camunda's shape,
``{"type": "…Exception", "message": …}``, with the statuses its reference gives each endpoint.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, Forbidden, InvalidData, InvalidInput, LincahError, NotFound, ProcessError
from engine.integration import clients
from engine.integration.clients import Caller
from engine.integration.external_tasks import WrongWorker
from engine.people.tokens import Throttled, Unauthenticated

from ..unit_of_work import session

blp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest")


class MissingResource(NotFound):
    """404 of a read (``GET /external-task/{id}``), which Camunda types ``InvalidRequestException``."""


# Most specific first: (error class, status, Camunda's exception type).
ERRORS = (
    (Unauthenticated, 401, "AuthenticationException"),
    (Throttled, 429, "RestException"),
    (Forbidden, 403, "AuthorizationException"),
    (MissingResource, 404, "InvalidRequestException"),
    (NotFound, 404, "NotFoundException"),
    (WrongWorker, 400, "BadUserRequestException"),
    (InvalidData, 400, "InvalidRequestException"),
    (InvalidInput, 400, "InvalidRequestException"),
    (Conflict, 500, "OptimisticLockingException"),
    (ProcessError, 500, "ProcessEngineException"),
    (LincahError, 400, "RestException"),
)


def error(kind: str, message: str, status: int, details=None):
    body = {"type": kind, "message": message}
    if details:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    return response


@blp.errorhandler(LincahError)
def _lincah_error(exc: LincahError):
    status, kind = next((status, kind) for cls, status, kind in ERRORS if isinstance(exc, cls))
    response = error(kind, exc.message, status, exc.details if isinstance(exc, InvalidData) else None)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="lincah"'
    return response


@blp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    kind = "InvalidRequestException" if (exc.code or 500) < 500 else "RestException"
    return error(kind, exc.description or exc.name, exc.code or 500)


def caller() -> Caller:
    """The API client calling; ``Unauthenticated`` without valid credentials."""
    if "api_client" not in g:
        name, secret = credentials(request.headers.get("Authorization", ""))
        g.api_client = clients.authenticate(session(), secret, name)
    return g.api_client


def credentials(authorization: str) -> tuple[str | None, str | None]:
    """(name, secret) of an ``Authorization`` header: HTTP Basic, or a bearer token (the secret alone)."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            name, _, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return name, secret
    if scheme.lower() == "bearer":
        return None, value.strip()
    return None, None


def body() -> dict:
    """The JSON object sent; 400 ``InvalidRequestException`` for anything else (an empty body is ``{}``)."""
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object.")
    return data


from . import correlation, decision_definition, external_task  # noqa: E402,F401 - registers their routes on blp

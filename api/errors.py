"""The one place where errors become HTTP answers.

Every error body has the same shape, ``{"error": {"code", "message", "details"}}``, whether it comes from the engine
(``LincahError`` and its subclasses), from request parsing (webargs, werkzeug: unknown route, wrong method, bad
JSON, body too large, wrong content type) or from the database (a lost race: 409; a database that is down, frozen or
overloaded: 503 with Retry-After). Anything else is a bug: it is logged with its traceback and a reference, and the
client gets a generic 500 that carries the reference but no internals.
"""

from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from engine.documents.attachments import UnsupportedType
from engine.errors import (
    Conflict,
    Forbidden,
    InvalidData,
    InvalidDefinition,
    InvalidInput,
    LincahError,
    NotFound,
    ProcessError,
    SandboxViolation,
    TooLarge,
)
from engine.people.tokens import Throttled, Unauthenticated
from engine.storage import db

log = logging.getLogger("lincah.api")

# Most specific first: the first class the error is an instance of decides the status.
STATUS = (
    (Unauthenticated, 401),
    (Throttled, 429),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooLarge, 413),
    (UnsupportedType, 415),
    (InvalidDefinition, 422),
    (InvalidData, 422),
    (InvalidInput, 422),
    (SandboxViolation, 422),
    (ProcessError, 422),
    (LincahError, 400),
)

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid_input",
    429: "too_many_attempts",
}

HTTP_MESSAGES = {
    400: "The request could not be read. Send valid JSON (Content-Type: application/json) or a multipart form.",
    404: "There is nothing at this address. See /api/v1/docs for the endpoints.",
    405: "This address does not accept that method. See /api/v1/docs for the endpoints.",
    413: "The request is too large. Upload smaller files (documents up to 10 MB).",
    415: "This content type is not accepted here. Send JSON, or a multipart form for uploads.",
    422: "Some fields are not valid. Correct them and try again.",
}


def error_body(code: str, message: str, details=None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "details": details, **extra}}


def status_of(error: LincahError) -> int:
    return next(status for cls, status in STATUS if isinstance(error, cls))


def lincah_error(error: LincahError):
    status = status_of(error)
    extra = {}
    if isinstance(error, InvalidDefinition):
        extra["problems"] = error.problems
    if isinstance(error, ProcessError):
        extra["element_id"] = error.element_id
    response = jsonify(error_body(error.code, error.message, error.details, **extra))
    response.status_code = status
    if isinstance(error, Unauthenticated):
        response.headers["WWW-Authenticate"] = 'Bearer realm="lincah"'
    if isinstance(error, Throttled):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _flatten(messages, prefix: str = "") -> dict[str, str]:
    """webargs' nested ``{"json": {"field": ["msg"]}}`` → ``{"field": "msg"}``."""
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if prefix == "" and key in ("json", "query", "files", "form", "headers", "view_args"):
                flat.update(_flatten(value, ""))
                continue
            name = "(form)" if key == "_schema" else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
    elif isinstance(messages, list):
        texts = [m for m in messages if isinstance(m, str)]
        if texts:
            flat[prefix or "(form)"] = " ".join(texts)
        for item in messages:
            if isinstance(item, dict):
                flat.update(_flatten(item, prefix))
    else:
        flat[prefix or "(form)"] = str(messages)
    return flat


def http_error(error: HTTPException):
    status = error.code or 500
    code = HTTP_CODES.get(status, "http_error")
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    details = _flatten(messages) if messages else None
    if status == 400 and details:
        message = "The request body is not valid JSON."
    elif status == 422 and details:
        message = "Some fields are not valid: " + ", ".join(sorted(details)) + ". Correct them and try again."
    else:
        message = data.get("message") or HTTP_MESSAGES.get(status) or error.description or error.name
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


# Seconds a client should wait before trying again when the database is unavailable: long enough for a restart or
# a failover to finish, short enough that a person retrying by hand is not sent away for long.
RETRY_AFTER = "5"
UNAVAILABLE_MESSAGE = ("The database does not answer right now (it is down, overloaded or restarting). Try again in a "
                       "minute; if it keeps happening, tell the administrator.")


def note_unavailable(error: Exception) -> None:
    """One line, no traceback: an outage is the database's state, not a bug in this code."""
    log.warning("database unavailable (%s): %s", type(error).__name__, str(error).split("\n")[0])


def database_unavailable(error):
    """503 with Retry-After: the request may have been fine; the database could not serve it."""
    note_unavailable(error)
    response = jsonify(error_body("unavailable", UNAVAILABLE_MESSAGE))
    response.status_code = 503
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def database_error(error):
    if db.unavailable(error):
        return database_unavailable(error)
    if isinstance(error, IntegrityError) or db.lost_race(error):
        log.info("lost race answered as 409: %s", error.orig)
        response = jsonify(error_body("conflict", "Someone changed the same record at the same moment. Reload and "
                                      "try again."))
        response.status_code = 409
        return response
    if isinstance(error, DataError):
        log.warning("value refused by the database answered as 422: %s", error.orig)
        response = jsonify(error_body("invalid_input", "A value is too long or out of range. Shorten it and try "
                                      "again."))
        response.status_code = 422
        return response
    return unexpected(error)


def unexpected(error: Exception):
    reference = uuid.uuid4().hex[:12]
    log.exception("unexpected error (reference %s)", reference, exc_info=error)
    response = jsonify(error_body("internal_error", "Something went wrong on the server. It has been logged; try "
                                  "again, or tell the administrator this reference.", {"reference": reference}))
    response.status_code = 500
    return response


def register(app: Flask) -> None:
    app.register_error_handler(LincahError, lincah_error)
    app.register_error_handler(HTTPException, http_error)
    for database_failure in (DBAPIError, PoolTimeout, PendingRollbackError):
        app.register_error_handler(database_failure, database_error)
    app.register_error_handler(Exception, unexpected)

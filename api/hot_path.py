"""The busiest calls answered below Flask: a worker completing its external task (``/engine-rest``), a person
completing a task (``/api/v1/tasks/{id}/complete``) and reading their inbox (``/api/v1/tasks``).

Why: Flask's request machinery — the request context, the before/after hooks, webargs' parsing and flask-smorest's
wrappers, the response object — costs about 0.5 ms of CPU per call, spent on nothing these calls need: a seventh
of a worker's whole completion (server, PostgreSQL and worker together), about a tenth of an officer's.

Each ``Route`` takes only its plain case: its method and path, an ``Authorization`` header (of the route's scheme,
when it names one), for a ``POST`` a JSON body of a known length within the limit, for a ``GET`` no body; and a body
or query the route's own parser accepts as Flask's would. Everything else goes to the Flask app untouched. The
answer is the one Flask would give — the tests (``tests/api/test_engine_rest_hot_path.py``,
``tests/api/test_tasks_hot_path.py``, ``tests/api/test_inbox_hot_path.py``) hold the two equal:

- the same engine call in one transaction with the engine's commit rule (``engine.storage.db.transaction``), after
  the same authentication;
- the same request id (the client's sane ``X-Request-ID`` or a new one: on every log line, in the audit event, in
  the answer), request counter and log line (``api.observability.count_answer``), security headers and installation
  sync (session key, calendars);
- **any error is answered by Flask**: the exception is handed to the route's view (``environ[RAISED]``), which
  raises it, so the error shapes, the 503 of an unavailable database and the logged 500 come from the one place that
  makes them. The transaction has ended by then (committed or rolled back by the same rule), so nothing runs twice.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from engine.observability import bind_request_id, new_request_id, reset_request_id, sane_request_id

from .observability import HEADER as REQUEST_ID_HEADER
from .observability import count_answer
from .security_headers import PAGE_POLICY, fixed_headers

RAISED = "lincah.hot_path.raised"  # environ key: the exception the route's view raises for Flask to answer


@dataclass(frozen=True)
class Answer:
    status: str  # the status line's text: "200 OK"
    content_headers: tuple[tuple[str, str], ...]  # Content-Type (and Content-Length) as Flask's response has them
    body: bytes

    @property
    def code(self) -> int:
        return int(self.status.partition(" ")[0])


class Route(Protocol):
    """One endpoint answered below Flask."""

    method: str  # "POST" or "GET"
    rule: str  # the Flask URL rule: the request counter names routes by it
    path: re.Pattern  # the whole path; its group, if any, is the id the call acts on
    scheme: str | None  # the Authorization scheme it takes ("bearer"); None: any, the route's engine call checks it

    def parse(self, body: bytes, query: str) -> dict | None:
        """The call's arguments from the body (``POST``) or the query string (``GET``); ``None`` sends the request to
        Flask, which says what is wrong."""

    def answer(self, extensions: dict, key: str, arguments: dict, authorization: str) -> Answer:
        """Authenticate, act, and build the answer, in one transaction; any exception is answered by Flask."""


class HotPaths:
    """WSGI middleware in front of the Flask app (inside ``ProxyFix``): the routes' plain calls here, the rest to
    ``app``."""

    def __init__(self, app, extensions: dict, max_content_length: int, routes: Sequence[Route]):
        self.app = app
        self.extensions = extensions  # the Flask app's ``extensions["lincah"]``: ctx, session factory, sync
        self.max_content_length = max_content_length
        self.routes = tuple(routes)

    def __call__(self, environ, start_response):
        taken = self._taken(environ)
        if taken is None:
            return self.app(environ, start_response)
        route, key = taken
        started = time.perf_counter()
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])) if route.method == "POST" else b""
        arguments = route.parse(body, environ.get("QUERY_STRING", ""))
        if arguments is None:
            return self._to_flask(environ, start_response, body)
        request_id = sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        token = bind_request_id(request_id)
        try:
            self.extensions.get("sync", _nothing)()
            answer = route.answer(self.extensions, key, arguments, environ["HTTP_AUTHORIZATION"])
        except Exception as exc:  # noqa: BLE001 - every error is answered by Flask's handlers, as for any view
            environ[RAISED] = exc
            environ["HTTP_X_REQUEST_ID"] = request_id  # Flask answers under the id the attempt logged with
            return self._to_flask(environ, start_response, body)
        finally:
            reset_request_id(token)
        start_response(answer.status, [
            *answer.content_headers, (REQUEST_ID_HEADER, request_id), ("Content-Security-Policy", PAGE_POLICY),
            *fixed_headers(self.extensions["ctx"].settings.https)])
        count_answer(route.rule, route.method, environ["PATH_INFO"], answer.code, started)
        return [answer.body]

    def _taken(self, environ) -> tuple[Route, str] | None:
        """The route and id of a call a route can take whole; ``None`` sends the request to Flask."""
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        authorization = environ.get("HTTP_AUTHORIZATION")
        if not path.isascii() or "\x00" in path or not authorization:
            return None
        for route in self.routes:
            match = route.path.fullmatch(path) if route.method == method else None
            if match is not None:
                break
        else:
            return None
        if route.scheme is not None and authorization.partition(" ")[0].lower() != route.scheme:
            return None
        length = environ.get("CONTENT_LENGTH", "")
        if "HTTP_TRANSFER_ENCODING" in environ:
            return None
        if method == "GET":
            return (route, "") if length in ("", "0") else None  # a GET with a body: Flask's to judge
        if not length.isdigit() or int(length) > self.max_content_length:
            return None
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if int(length) and mimetype != "application/json" and not mimetype.endswith("+json"):
            return None  # Flask answers 415
        return route, match.group(1)

    def _to_flask(self, environ, start_response, body: bytes):
        environ["wsgi.input"] = io.BytesIO(body)  # read here once: Flask reads it again
        return self.app(environ, start_response)


def raised(environ) -> None:
    """In a route's view: raise what the hot path handed over (nothing when Flask takes the call from the start)."""
    exception = environ.pop(RAISED, None)
    if exception is not None:
        raise exception


def _nothing() -> None:
    """No installation sync registered (an app without the web pages)."""

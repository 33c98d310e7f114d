"""A worker completing its external task, answered below Flask: the busiest call of ``/engine-rest``.

Why: Flask's request machinery — the request context, eight hooks, the response object — costs about 0.5 ms of CPU
per call, a seventh of a whole completion (server, PostgreSQL and worker together), spent on nothing a completion
needs. ``bench/external_tasks.py`` measured 448 → 515 completions/s on 2 cores with this path (README, "External
tasks").

Only the plain case is taken: ``POST /engine-rest/external-task/{id}/complete`` with a JSON body of a known length
within the limit and an ``Authorization`` header. Everything else goes to the Flask app untouched. The answer is
the one Flask would give — ``tests/api/test_engine_rest_hot_path.py`` holds the two equal:

- the same engine call (``engine.integration.external_tasks.complete``) in one transaction with the engine's commit
  rule (``engine.storage.db.transaction``), after the same authentication (``credentials``, ``clients``);
- the same request id (the client's sane ``X-Request-ID`` or a new one: on every log line, in the audit event, in the
  answer), request counter and log line (``api.observability.count_answer``), security headers and installation
  sync (session key, calendars);
- **any error is answered by Flask**: the exception is handed to the ``complete`` view, which raises it, so
  Camunda's error shapes, the 503 of an unavailable database and the logged 500 come from the one place that makes
  them. The transaction has ended by then (committed or rolled back by the same rule), so nothing runs twice.
"""

from __future__ import annotations

import io
import re
import time

import orjson

from engine.integration import clients, external_tasks
from engine.observability import bind_request_id, new_request_id, reset_request_id, sane_request_id
from engine.storage.db import transaction

from ..observability import HEADER as REQUEST_ID_HEADER
from ..observability import count_answer
from ..security_headers import PAGE_POLICY, fixed_headers
from . import credentials

ROUTE = "/engine-rest/external-task/<task_id>/complete"  # the URL rule, as the request counter names routes
_COMPLETE = re.compile(r"/engine-rest/external-task/([^/]+)/complete")
RAISED = "lincah.hot_path.raised"  # environ key: the exception the ``complete`` view raises for Flask to answer


class CompletionPath:
    """WSGI middleware in front of the Flask app (inside ``ProxyFix``): completions here, the rest to ``app``."""

    def __init__(self, app, extensions: dict, max_content_length: int):
        self.app = app
        self.extensions = extensions  # the Flask app's ``extensions["lincah"]``: ctx, session factory, sync
        self.max_content_length = max_content_length

    def __call__(self, environ, start_response):
        task_id = self._plain_completion(environ)
        if task_id is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        try:
            data = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):  # Flask's JSON reader says what is wrong with it
            return self._to_flask(environ, start_response, body)
        request_id = sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        token = bind_request_id(request_id)
        try:
            self._complete(task_id, data, environ["HTTP_AUTHORIZATION"])
        except Exception as exc:  # noqa: BLE001 - every error is answered by Flask's handlers, as for any view
            environ[RAISED] = exc
            environ["HTTP_X_REQUEST_ID"] = request_id  # Flask answers under the id the attempt logged with
            return self._to_flask(environ, start_response, body)
        finally:
            reset_request_id(token)
        start_response("204 NO CONTENT", [
            ("Content-Type", "text/html; charset=utf-8"), (REQUEST_ID_HEADER, request_id),
            ("Content-Security-Policy", PAGE_POLICY), *fixed_headers(self.extensions["ctx"].settings.https)])
        count_answer(ROUTE, "POST", environ["PATH_INFO"], 204, started)
        return [b""]

    def _plain_completion(self, environ) -> str | None:
        """The task id of a completion this path can take whole; ``None`` sends the request to Flask."""
        if environ["REQUEST_METHOD"] != "POST":
            return None
        path = environ.get("PATH_INFO", "")
        match = _COMPLETE.fullmatch(path)
        if match is None or not path.isascii() or "\x00" in path or not environ.get("HTTP_AUTHORIZATION"):
            return None
        length = environ.get("CONTENT_LENGTH", "")
        if not length.isdigit() or int(length) > self.max_content_length or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if int(length) and mimetype != "application/json" and not mimetype.endswith("+json"):
            return None  # Flask answers 415
        return match.group(1)

    def _complete(self, task_id: str, data: dict, authorization: str) -> None:
        self.extensions.get("sync", _nothing)()
        name, secret = credentials(authorization)
        with transaction(self.extensions["session_factory"]) as session:
            caller = clients.authenticate(session, secret, name)
            external_tasks.complete(session, self.extensions["ctx"], caller, task_id, data.get("workerId"),
                                    data.get("variables"), data.get("localVariables"))

    def _to_flask(self, environ, start_response, body: bytes):
        environ["wsgi.input"] = io.BytesIO(body)  # read here once: Flask reads it again
        return self.app(environ, start_response)


def _nothing() -> None:
    """No installation sync registered (an app without the web pages)."""

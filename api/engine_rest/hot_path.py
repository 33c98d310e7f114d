"""A worker completing its external task, answered below Flask (``api.hot_path``): the busiest call of
``/engine-rest``.

``bench/external_tasks.py`` measured 448 → 515 completions/s on 2 cores with this path (README, "External tasks").
Only ``POST /engine-rest/external-task/{id}/complete`` with a JSON object (or nothing) as its body is taken; the
engine call is ``engine.integration.external_tasks.complete``, after the same authentication as the view's
(``credentials``, ``clients``). ``tests/api/test_engine_rest_hot_path.py`` holds its answers equal to Flask's.
"""

from __future__ import annotations

import re

import orjson

from engine.integration import clients, external_tasks
from engine.storage.db import transaction

from ..hot_path import Answer
from . import credentials

# Flask answers the empty 204 with this Content-Type (and no length): the hot path sends the same headers.
NO_CONTENT = Answer("204 NO CONTENT", (("Content-Type", "text/html; charset=utf-8"),), b"")


class ExternalTaskCompletion:
    method = "POST"
    rule = "/engine-rest/external-task/<task_id>/complete"
    path = re.compile(r"/engine-rest/external-task/([^/]+)/complete")
    scheme = None  # Basic or a bearer token: ``credentials`` reads either, and refuses the rest

    def parse(self, body: bytes, query: str) -> dict | None:
        try:
            data = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None  # Flask's JSON reader says what is wrong with it

    def answer(self, extensions: dict, key: str, arguments: dict, authorization: str) -> Answer:
        name, secret = credentials(authorization)
        with transaction(extensions["session_factory"]) as session:
            caller = clients.authenticate(session, secret, name)
            external_tasks.complete(session, extensions["ctx"], caller, key, arguments.get("workerId"),
                                    arguments.get("variables"), arguments.get("localVariables"))
        return NO_CONTENT


ROUTE = ExternalTaskCompletion()

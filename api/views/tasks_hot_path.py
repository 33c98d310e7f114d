"""A person completing a task, answered below Flask (``api.hot_path``): the busiest write of the API.

Taken only with a bearer token and a JSON body that the API's strict reader (``api.json_body.load``) and the view's
``CompleteRequest`` accept as they are; the view (``api.views.tasks.complete``) answers everything else and every
error. The call is the view's: the token's actor (``tokens.actor_of``; the ``login_required`` gate has no roles on
this endpoint), ``use_cases.complete_task``, and the answer built by ``presenters.completion`` before the commit —
with one round trip fewer: the token and the task are read together.
``tests/api/test_tasks_hot_path.py`` holds the answers equal to Flask's.
"""

from __future__ import annotations

import re

import orjson
from marshmallow import ValidationError

from engine.casework import tasks, use_cases
from engine.people import tokens
from engine.storage import sql
from engine.storage.db import transaction

from .. import json_body, presenters
from ..auth import bearer_of
from ..hot_path import Answer
from ..schemas.tasks import CompleteRequest

_ARGUMENTS = CompleteRequest()


class TaskCompletion:
    rule = "/api/v1/tasks/<string:task_id>/complete"
    path = re.compile(r"/api/v1/tasks/([^/]+)/complete")
    scheme = "bearer"

    def parse(self, body: bytes) -> dict | None:
        if not body:  # webargs reads "no body" its own way: the view answers it
            return None
        try:
            return _ARGUMENTS.load(json_body.load(body))
        except (ValueError, ValidationError):  # not JSON, not storable, or not the request's fields
            return None

    def answer(self, extensions: dict, key: str, arguments: dict, authorization: str) -> Answer:
        ctx = extensions["ctx"]
        reading_token = tokens.token_read(bearer_of(authorization))
        with transaction(extensions["session_factory"]) as session:
            # The token and the task in one round trip on PostgreSQL: the task's rows stay unseen until the
            # token is good, and ``complete_task`` finds the task attached instead of reading it again.
            credentials, loaded = sql.read_together(session, reading_token, tasks.task_read(key))
            actor, _token_id = tokens.actor_of(ctx, credentials)
            held = tasks.keep_loaded(session, loaded)  # held: the session's identity map keeps objects weakly
            instance, open_tasks = use_cases.complete_task(
                session, ctx, key, actor, data=arguments["data"], decision=arguments["decision"],
                expected_revision=arguments["expected_revision"])
            body = orjson.dumps(presenters.completion(instance, open_tasks, ctx.now()))
            del held
        return Answer("200 OK", (("Content-Type", "application/json"), ("Content-Length", str(len(body)))), body)


ROUTE = TaskCompletion()

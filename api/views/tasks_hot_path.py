"""A person completing a task and reading their inbox, answered below Flask (``api.hot_path``): the busiest write and
the busiest read of the API.

**Completing** (``TaskCompletion``).

Taken only with a bearer token and a JSON body that the API's strict reader (``api.json_body.load``) and the view's
``CompleteRequest`` accept as they are; the view (``api.views.tasks.complete``) answers everything else and every
error. The call is the view's: the token's actor (``tokens.actor_of``; the ``login_required`` gate has no roles on
this endpoint), ``use_cases.complete_task``, and the answer built by ``presenters.completion`` before the commit —
with one round trip fewer: the token and the task are read together.
``tests/api/test_tasks_hot_path.py`` holds the answers equal to Flask's.

**The inbox** (``InboxListing``). Taken only with a bearer token and a query string of ASCII text in which no
parameter repeats, read as Flask does (``parse_qsl``, blank values kept) and accepted by the view's ``InboxArgs``.
The call is the view's (``api.views.tasks.list_tasks``): the role gate of ``login_required`` (applicants, officers,
supervisors), ``inbox.search`` and ``presenters.inbox_page``. ``tests/api/test_inbox_hot_path.py`` holds the answers
equal to Flask's.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import orjson
from marshmallow import ValidationError

from engine.casework import inbox, tasks, use_cases
from engine.people import tokens
from engine.people.access import APPLICANT, OFFICER, SUPERVISOR
from engine.storage import sql
from engine.storage.db import reading, transaction

from .. import json_body, presenters
from ..auth import bearer_of, require_role
from ..hot_path import Answer
from ..schemas.tasks import CompleteRequest, InboxArgs

_ARGUMENTS = CompleteRequest()
_INBOX_ARGUMENTS = InboxArgs()
_INBOX_ROLES = (APPLICANT, OFFICER, SUPERVISOR)  # the view's login_required


class TaskCompletion:
    method = "POST"
    rule = "/api/v1/tasks/<string:task_id>/complete"
    path = re.compile(r"/api/v1/tasks/([^/]+)/complete")
    scheme = "bearer"

    def parse(self, body: bytes, query: str) -> dict | None:
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
            # Held until the step has used them: the session's identity map keeps its objects only weakly.
            _held = tasks.keep_loaded(session, loaded)
            instance, open_tasks = use_cases.complete_task(
                session, ctx, key, actor, data=arguments["data"], decision=arguments["decision"],
                expected_revision=arguments["expected_revision"])
            body = orjson.dumps(presenters.completion(instance, open_tasks, ctx.now()))
        return _json(body)


class InboxListing:
    method = "GET"
    rule = "/api/v1/tasks"
    path = re.compile(r"/api/v1/tasks")
    scheme = "bearer"

    def parse(self, body: bytes, query: str) -> dict | None:
        if not query.isascii():  # Werkzeug keeps undecodable bytes percent-encoded: the view answers those
            return None
        try:
            pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            return None
        arguments = dict(pairs)
        if len(arguments) != len(pairs):  # a parameter given twice: webargs' choice of value is the view's
            return None
        try:
            return _INBOX_ARGUMENTS.load(arguments)
        except ValidationError:
            return None

    def answer(self, extensions: dict, key: str, arguments: dict, authorization: str) -> Answer:
        ctx = extensions["ctx"]
        with reading(extensions["session_factory"]) as session:  # two round trips: the token, the page with its count
            actor, _token_id = tokens.actor_for(session, ctx, bearer_of(authorization))
            require_role(actor, _INBOX_ROLES)
            now = ctx.now()
            page = inbox.search(session, actor, inbox.InboxQuery(**arguments), now=now)
            body = orjson.dumps(presenters.inbox_page(page, now))
        return _json(body)


def _json(body: bytes) -> Answer:
    """A 200 with ``body`` as Flask's ``json_response`` sends it (``api.fast_json``)."""
    return Answer("200 OK", (("Content-Type", "application/json"), ("Content-Length", str(len(body)))), body)


COMPLETION = TaskCompletion()
INBOX = InboxListing()

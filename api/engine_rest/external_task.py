"""``/engine-rest/external-task``: fetch and lock (with long polling), complete, failure, bpmnError, extendLock,
unlock, and reading tasks — Camunda 7's paths, bodies and statuses.

A long poll (``asyncResponseTimeout``) never holds a database transaction while it waits: each attempt is a
transaction of its own, and between attempts the request sleeps briefly, up to a bounded total.
"""

from __future__ import annotations

import time

from flask import current_app, request

from engine.errors import InvalidInput, NotFound
from engine.integration import external_tasks
from engine.integration.external_rows import FetchedTask
from engine.integration.external_tasks import TopicRequest
from engine.integration.variables import camunda_time, typed_all
from engine.storage.db import transaction
from engine.storage.models import ExternalTask

from ..hot_path import raised
from ..unit_of_work import commit_now, engine_context, session
from . import MissingResource, blp, body, caller

MAX_ASYNC_RESPONSE_MS = 30_000  # a worker asking to wait longer is answered after this (empty), and asks again
POLL_INTERVAL = 0.5


def present(row: ExternalTask | FetchedTask) -> dict:
    """Camunda's ``ExternalTaskDto``."""
    locked_until = row.lock_expires_at or row.retry_at
    return {
        "activityId": row.element_id, "activityInstanceId": f"{row.element_id}:{row.task_id}",
        "errorMessage": row.error_message, "executionId": row.task_id, "id": row.id,
        "lockExpirationTime": camunda_time(locked_until), "createTime": camunda_time(row.created_at),
        "processDefinitionId": f"{row.service_key}:{row.definition_id}", "processDefinitionKey": row.service_key,
        "processDefinitionVersionTag": None, "processInstanceId": str(row.instance_id), "tenantId": None,
        "retries": row.retries, "suspended": False, "workerId": row.worker_id, "topicName": row.topic,
        "priority": row.priority, "businessKey": row.business_key,
    }


def _topics(raw) -> list[TopicRequest]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("topics must be a list of {topicName, lockDuration, …}.")
    topics = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("topicName"), str):
            raise InvalidInput("Each topic needs its topicName.")
        variables = item.get("variables")
        if variables is not None and (not isinstance(variables, list)
                                      or not all(isinstance(v, str) for v in variables)):
            raise InvalidInput("A topic's variables must be a list of names.")
        topics.append(TopicRequest(item["topicName"], item.get("lockDuration"), variables,
                                   bool(item.get("localVariables")), item.get("businessKey")))
    return topics


def _whole(value, name: str, default=None):
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{name} must be a whole number, 0 or more.")
    return value


@blp.route("/external-task/fetchAndLock", methods=["POST"])
def fetch_and_lock():
    """Lock up to ``maxTasks`` tasks of the topics for ``workerId``; with ``asyncResponseTimeout``, wait for some."""
    data, client = body(), caller()
    worker_id, topics = data.get("workerId"), _topics(data.get("topics"))
    max_tasks = _whole(data.get("maxTasks"), "maxTasks", 1)
    wait_ms = min(_whole(data.get("asyncResponseTimeout"), "asyncResponseTimeout", 0), MAX_ASYNC_RESPONSE_MS)
    use_priority = bool(data.get("usePriority"))
    ctx, factory = engine_context(), current_app.extensions["lincah"]["session_factory"]

    def attempt(using) -> list[dict]:
        locked = external_tasks.fetch_and_lock(using, ctx, client, worker_id, max_tasks, topics,
                                               use_priority=use_priority)
        return [{**present(item.row), "variables": typed_all(item.variables), "extensionProperties": {}}
                for item in locked]

    # The first attempt shares the request's transaction with the client's sign-in: one commit, not two.
    answer = attempt(session())
    if answer or wait_ms <= 0 or max_tasks == 0:
        return answer
    commit_now()  # nothing is held while the request waits
    deadline = time.monotonic() + wait_ms / 1000
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return answer
        time.sleep(min(POLL_INTERVAL, remaining))
        with transaction(factory) as later:
            answer = attempt(later)
        if answer:
            return answer


@blp.route("/external-task/<task_id>/complete", methods=["POST"])
def complete(task_id: str):
    """Answered below Flask (``hot_path.ExternalTaskCompletion``) in the plain case; here when it handed over an
    error to answer, or for a request it does not take (no credentials, a body not JSON, …)."""
    raised(request.environ)
    data = body()
    external_tasks.complete(session(), engine_context(), caller(), task_id, data.get("workerId"),
                            data.get("variables"), data.get("localVariables"))
    return "", 204


@blp.route("/external-task/<task_id>/failure", methods=["POST"])
def failure(task_id: str):
    data = body()
    external_tasks.handle_failure(session(), engine_context(), caller(), task_id, data.get("workerId"),
                                  error_message=data.get("errorMessage"), error_details=data.get("errorDetails"),
                                  retries=data.get("retries"), retry_timeout_ms=data.get("retryTimeout"))
    return "", 204


@blp.route("/external-task/<task_id>/bpmnError", methods=["POST"])
def bpmn_error(task_id: str):
    data = body()
    external_tasks.handle_bpmn_error(session(), engine_context(), caller(), task_id, data.get("workerId"),
                                     data.get("errorCode"), data.get("errorMessage"), data.get("variables"))
    return "", 204


@blp.route("/external-task/<task_id>/extendLock", methods=["POST"])
def extend_lock(task_id: str):
    data = body()
    external_tasks.extend_lock(session(), engine_context(), caller(), task_id, data.get("workerId"),
                               data.get("newDuration"))
    return "", 204


@blp.route("/external-task/<task_id>/unlock", methods=["POST"])
def unlock(task_id: str):
    external_tasks.unlock(session(), engine_context(), caller(), task_id)
    return "", 204


def _flag(name: str) -> bool | None:
    value = request.args.get(name)
    return None if value is None else value.lower() == "true"


@blp.route("/external-task", methods=["GET"])
def list_tasks():
    """The client's unfinished tasks (``topicName``, ``workerId``, ``locked``, ``notLocked``, ``processInstanceId``,
    ``activityId``, ``withRetriesLeft``, ``noRetriesLeft``, ``firstResult``, ``maxResults``)."""
    args, ctx = request.args, engine_context()
    locked = True if _flag("locked") else False if _flag("notLocked") else None
    retries = True if _flag("withRetriesLeft") else False if _flag("noRetriesLeft") else None
    try:
        instance_id = int(args["processInstanceId"]) if "processInstanceId" in args else None
        first, limit = int(args.get("firstResult", 0)), min(int(args.get("maxResults", 100)), 1000)
    except ValueError as exc:
        raise InvalidInput("processInstanceId, firstResult and maxResults are whole numbers.") from exc
    rows = external_tasks.query(session(), caller(), topic=args.get("topicName"), worker_id=args.get("workerId"),
                                locked=locked, instance_id=instance_id, element_id=args.get("activityId"),
                                with_retries_left=retries, now=ctx.now(), first=max(first, 0), limit=max(limit, 0))
    return [present(row) for row in rows]


@blp.route("/external-task/<task_id>", methods=["GET"])
def get_task(task_id: str):
    try:
        row = external_tasks.get(session(), caller(), task_id)
    except NotFound as exc:
        raise MissingResource(exc.message) from exc
    return present(row)

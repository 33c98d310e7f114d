"""The inbox and task actions: claim, unclaim, assign, complete. Authorization and races are the engine's."""

from __future__ import annotations

from flask import request

from engine.casework import inbox, tasks, use_cases
from engine.people.access import APPLICANT, OFFICER, SUPERVISOR

from .. import presenters
from ..auth import current_actor, login_required
from ..fast_json import json_response
from ..hot_path import raised
from ..json_body import Blueprint
from ..schemas.tasks import (
    AssignRequest,
    CompleteRequest,
    CompleteResult,
    InboxArgs,
    InboxPage,
    TaskDetail,
    TaskItem,
)
from ..unit_of_work import engine_context, session

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Your inbox and the work on tasks.")


def _item(task) -> dict:
    instance = tasks.get(session(), task.id, current_actor())[1]
    return presenters.task_of(task, instance, engine_context().now())


@blp.route("")
@login_required(APPLICANT, OFFICER, SUPERVISOR)
@blp.arguments(InboxArgs, location="query", as_kwargs=True)
@blp.response(200, InboxPage)
def list_tasks(**filters):
    """Your inbox: tasks you may work (your groups in your offices, or assigned to you), soonest due first."""
    raised(request.environ)  # the plain call is answered below Flask (``tasks_hot_path``); its errors are here
    now = engine_context().now()
    page = inbox.search(session(), current_actor(), inbox.InboxQuery(**filters), now=now)
    return json_response(presenters.inbox_page(page, now))


@blp.route("/<string:task_id>")
@login_required()
@blp.response(200, TaskDetail)
def get(task_id: str):
    """A task with its form, the application's current data and the decision choices."""
    opened = use_cases.open_task(session(), engine_context(), task_id, current_actor())
    body = presenters.task_of(opened.task, opened.instance, engine_context().now())
    body.update(form=presenters.form(opened.form), data=opened.data, revision=opened.instance.revision)
    return body


@blp.route("/<string:task_id>/claim", methods=["POST"])
@login_required()
@blp.response(200, TaskItem)
def claim(task_id: str):
    """Take the task: it leaves your colleagues' 'unassigned' view. Claimed by someone else → 409."""
    return _item(tasks.claim(session(), engine_context(), task_id, current_actor()))


@blp.route("/<string:task_id>/unclaim", methods=["POST"])
@login_required()
@blp.response(200, TaskItem)
def unclaim(task_id: str):
    """Give the task back to the group (the assignee or a supervisor)."""
    return _item(tasks.unclaim(session(), engine_context(), task_id, current_actor()))


@blp.route("/<string:task_id>/assign", methods=["POST"])
@login_required(SUPERVISOR)
@blp.arguments(AssignRequest)
@blp.response(200, TaskItem)
def assign(body, task_id: str):
    """Hand the task to an officer who may work it (supervisors)."""
    return _item(tasks.assign(session(), engine_context(), task_id, body["username"], current_actor()))


@blp.route("/<string:task_id>/complete", methods=["POST"])
@login_required()
@blp.arguments(CompleteRequest)
@blp.response(200, CompleteResult)
def complete(body, task_id: str):
    """Submit the task's form (and decision); the application moves on to its next step."""
    raised(request.environ)  # the plain call is answered below Flask (``tasks_hot_path``); its errors are here
    instance, open_tasks = use_cases.complete_task(session(), engine_context(), task_id, current_actor(),
                                                  data=body["data"], decision=body["decision"],
                                                  expected_revision=body["expected_revision"])
    return json_response(presenters.completion(instance, open_tasks, engine_context().now()))

"""Casework through the API: apply (for oneself or, at the counter, for someone else), open a task, complete it.

These wrap ``applications.start`` and ``tasks.complete`` with what an HTTP client adds: the front office applying
on behalf of a registered applicant, and file references checked and linked to the application
(``engine.documents.attachments``) — all inside the caller's one transaction, so a rejected reference undoes the
step. Nobody applying chooses the office: the service's rule does (``engine.services.office_rule``), and
front-office staff may apply only for files of an office they serve.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy.orm import Session

from engine.casework import applications, lane_owners, tasks
from engine.documents import attachments
from engine.errors import Forbidden, InvalidData
from engine.forms import dynamic_options, schemas
from engine.people import institutions
from engine.people import users as user_service
from engine.people.access import ADMIN, APPLICANT, OFFICER, SUPERVISOR, Actor, may_work
from engine.services import definitions
from engine.storage.models import Instance, Task
from engine.texts import N_, Text
from engine.workflow import runtime

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext


def _applicant_of(session: Session, actor: Actor, applicant: str | None) -> tuple[str, str | None]:
    """Whose application this is: the caller's own, or — for office staff and campus operators — a registered
    applicant's (a campus only its own students')."""
    if actor.institution_operator:
        if applicant is None:
            raise InvalidData(Text(N_("Name the student you are applying for.")),
                              {"applicant": Text(N_("The username the student registered with under your "
                                                    "campus."))})
        user = institutions.student(session, actor, applicant)
        return user.username, user.full_name or None
    if applicant is None or applicant.strip().lower() == actor.username:
        if APPLICANT in actor.roles:
            return actor.username, None
        if actor.has_role(OFFICER, SUPERVISOR):
            raise InvalidData(Text(N_("Name the applicant you are applying for.")),
                              {"applicant": Text(N_("The username of the applicant (they register at "
                                                    "/auth/register)."))})
        raise Forbidden(Text(N_("Only applicants and front-office officers can submit applications.")))
    if not actor.has_role(OFFICER, SUPERVISOR):
        raise Forbidden(Text(N_("Only office staff can submit an application on behalf of someone else.")))
    user = user_service.by_username(session, applicant.strip().lower())
    if user is None or not user.active or APPLICANT not in (user.roles or []):
        raise InvalidData(Text(N_("There is no active applicant account %(applicant)s."),
                               {"applicant": repr(applicant)}),
                          {"applicant": Text(N_("Register the applicant first (POST /api/v1/auth/register)."))})
    return user.username, user.full_name or None


def start_application(session: Session, ctx: EngineContext, actor: Actor, *, service: str, data,
                      applicant: str | None = None) -> Instance:
    """Validate, start and link files; the office staff starting it must serve the application's office (the one
    the service's rule gives it)."""
    username, full_name = _applicant_of(session, actor, applicant)
    definition = definitions.latest_published(session, service)
    start_form = definitions.form_of(session, definition, definition.meta.get("start_form"))
    schema = start_form.schema if start_form else None
    campus = institutions.of_account(session, username)
    if isinstance(data, dict):
        data = institutions.fill_form(campus, data, schema)
    schemas.validate(schema, data, what=schemas.APPLICATION_FORM)
    data, files = attachments.check_references(session, schema, data, actor)
    instance = applications.start(session, ctx, service=service, data=data, actor=actor, applicant=username,
                                  applicant_name=full_name, version=definition.version,
                                  institution=campus.code if campus else None)
    if (username != actor.username and not actor.institution_operator
            and not (actor.covers(instance.jurisdiction) or ADMIN in actor.roles)):
        raise Forbidden(Text(N_("This application belongs to the %(office)s office, which you do not serve."),
                             {"office": instance.jurisdiction}))
    attachments.link(session, files, instance.id)
    return instance


@dataclass
class OpenedTask:
    task: Task
    instance: Instance
    form: schemas.Form | None
    data: dict


def open_task(session: Session, ctx: EngineContext, task_id: str, actor: Actor) -> OpenedTask:
    """A task with its form and current data, for someone who may work it (or did)."""
    task, instance = tasks.get(session, task_id, actor)
    worker = may_work(actor, for_applicant=task.for_applicant, applicant=instance.applicant, assignee=task.assignee,
                      candidate_groups=task.candidate_groups, jurisdiction=task.jurisdiction)
    if not (worker or task.completed_by == actor.username or ADMIN in actor.roles):
        raise Forbidden(Text(N_("Task %(task)s is for %(groups)s in %(office)s; open the application instead."),
                             {"task": repr(task.name),
                              "groups": ", ".join(lane_owners.people_named(task.candidate_groups)
                                                  or task.candidate_groups) or Text(N_("a supervisor")),
                              "office": task.jurisdiction}))
    form = definitions.form_of(session, instance.definition, task.form_key)
    data = _task_data(ctx, instance, task)
    return OpenedTask(task, instance, dynamic_options.for_task(form, data), data)


def _task_data(ctx: EngineContext, instance, task) -> dict:
    workflow = runtime.load(ctx, instance)
    try:
        return dict(workflow.get_task_from_id(UUID(task.id)).data)
    except Exception:  # noqa: BLE001 - the task has left the tree (finished loop); show the application's data
        return applications.current_data(ctx, instance)


def complete_task(session: Session, ctx: EngineContext, task_id: str, actor: Actor, *, data, decision=None,
                  expected_revision: int | None = None) -> tuple[Instance, list[Task]]:
    """Complete a task with the documents its form refers to: the task loaded once, its form looked up once, the
    data checked once (references, then the form), all in the caller's transaction."""
    data = {} if data is None else data
    submitted = tasks.submission(session, task_id, actor, data, expected_revision)
    if submitted.form is not None and dynamic_options.uses(submitted.form.schema):
        # Choices from the task's data are checked against that data as it is now (a workflow load, only here).
        task_data = _task_data(ctx, submitted.instance, submitted.task)
        submitted = replace(submitted, form=dynamic_options.for_task(submitted.form, task_data))
    files: list = []
    if data:
        data, files = attachments.check_references(session, submitted.form.schema if submitted.form else None, data,
                                                   actor, instance_id=submitted.instance.id)
    instance, open_tasks = tasks.commit(session, ctx, submitted, actor, data, decision)
    attachments.link(session, files, instance.id)
    return instance, open_tasks

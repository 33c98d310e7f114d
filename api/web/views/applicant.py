"""The applicant's pages (used on a phone): apply, my applications with their stages, one application,
notifications. Office staff use the same list and detail pages for the files of their offices."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.casework import applications, counter, drafts, use_cases
from engine.errors import Conflict, Forbidden, InvalidData, InvalidInput, ProcessError
from engine.messaging import deliveries, notifications
from engine.people import institutions, users
from engine.people.access import APPLICANT, INSTITUTION, OFFICER, SUPERVISOR
from engine.reporting import reasons, timeline, tracking
from engine.services import definitions
from engine.storage.models import Task

from .. import i18n
from ..blueprint import bp
from ..delivery_labels import delivery_labels
from ..pages import FormPage, ctx, db, engine_step, render, service_names
from ..security import current_actor, signed_in
from ..survey import survey_for
from .drafts import discard_sent, restore
from .incidents import incidents_of
from .public import steps_of

PAGE_SIZE = 20
APPLICANT_FIELD = "_applicant"


def _start_form(definition) -> FormPage:
    form = definitions.form_of(db(), definition, (definition.meta or {}).get("start_form"))
    return FormPage(form.schema if form else None, form.ui_schema if form else None)


@bp.route("/services/<key>/apply", methods=["GET", "POST"])
@signed_in(APPLICANT, OFFICER, SUPERVISOR, INSTITUTION)
def apply(key: str):
    actor = current_actor()
    definition = definitions.latest_published(db(), key)
    page = _start_form(definition)
    on_behalf = APPLICANT not in actor.roles  # front office staff apply at the counter for a registered applicant
    # The counter (views/counter.py) links here with the walk-in applicant it found or opened.
    applicant = (request.form.get(APPLICANT_FIELD) or request.args.get("applicant") or "").strip()[:100]
    scope = drafts.scope_for_start(definition.key)
    context = {"definition": definition, "on_behalf": on_behalf, "applicant": applicant,
               "service_name": i18n.service_name(definition), "draft": {"scope": scope, "restored_at": None}}
    if request.method == "GET":
        if not on_behalf:
            page.data = _from_account(page.schema, actor)
        if not request.args.get("applicant"):  # a counter's draft would carry the previous walk-in's answers
            context["draft"] = restore(page, actor, scope)
        return render("web/apply.html", form=page.build(), **context)
    submission = page.read(request)
    if submission.action:
        return render("web/apply.html", form=page.build(), **context)
    if on_behalf and not applicant:
        page.errors[APPLICANT_FIELD] = _("Enter the applicant's username.")
    if page.check():
        try:
            with engine_step():
                instance = use_cases.start_application(db(), ctx(), actor, service=key, data=page.data,
                                                      applicant=applicant or None)
                at_counter = on_behalf and counter.may_take_walk_ins(actor)
                if at_counter:
                    counter.record_intake(db(), ctx(), actor, instance)
        except (InvalidData, InvalidInput) as exc:
            page.refused(exc)
            if APPLICANT_FIELD[1:] in page.errors:
                page.errors[APPLICANT_FIELD] = _("There is no active applicant account with this username.")
                page.errors.pop(APPLICANT_FIELD[1:])
        else:
            discard_sent(actor, scope)
            flash(_("Your application has been sent. Registration number: %(number)s.",
                    number=instance.registration_no), "success")
            if at_counter:
                return redirect(url_for("web.counter_receipt", application_id=instance.id))
            return redirect(url_for("web.application", application_id=instance.id))
    return render("web/apply.html", 422, form=page.build(), applicant_error=page.errors.get(APPLICANT_FIELD),
                  **context)


# Start-form fields that ask for what the applicant's account already holds.
_NAME_FIELDS = ("applicant_name", "full_name", "name", "owner_name")


def _from_account(schema: dict | None, actor) -> dict:
    """The applicant's name and e-mail address put into the start form's fields for them (they may change them):
    nobody should type again what they gave when they registered."""
    fields = (schema or {}).get("properties") or {}
    text = {name for name, spec in fields.items() if isinstance(spec, dict) and spec.get("type") == "string"}
    prefilled = {}
    name = next((field for field in _NAME_FIELDS if field in text), None)
    if name and actor.full_name and actor.full_name != actor.username:
        prefilled[name] = actor.full_name
    user = users.by_username(db(), actor.username)
    if "email" in text and user is not None and user.email:
        prefilled["email"] = user.email
    campus = institutions.get(db(), user.institution_code) if user is not None else None
    if institutions.FORM_FIELD in text and campus is not None:  # the campus they registered under
        prefilled[institutions.FORM_FIELD] = campus.name
    return prefilled


def _step_names(definition) -> dict[str, str]:
    return {key: step.get("name") for key, step in ((definition.meta or {}).get("tasks") or {}).items()}


def _open_rows(instance_ids: list[int]) -> dict[int, list[Task]]:
    rows: dict[int, list[Task]] = {}
    if instance_ids:
        for task in db().scalars(select(Task).where(Task.instance_id.in_(instance_ids),
                                                    Task.state.in_(("ready", "claimed")))):
            rows.setdefault(task.instance_id, []).append(task)
    return rows


@bp.route("/applications")
@signed_in()
def my_applications():
    actor = current_actor()
    status = request.args.get("status") or None
    q = (request.args.get("q") or "").strip()[:200] or None
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    if status not in (None, *tracking.STATUSES):
        status = None
    rows, total = tracking.search(db(), actor, status=status, q=q, limit=PAGE_SIZE, offset=offset)
    open_rows = _open_rows([r.id for r in rows])
    items = [(row, timeline.status(row, open_rows.get(row.id, [])),
              [t for t in open_rows.get(row.id, []) if t.for_applicant and t.assignee == actor.username])
             for row in rows]
    g.staff_page = actor.is_staff
    return render("web/applications.html", items=items, total=total, offset=offset, page_size=PAGE_SIZE,
                  status=status, q=q or "", names=service_names(), statuses=tracking.STATUSES)


@bp.route("/applications/<int(max=2147483647):application_id>")
@signed_in()
def application(application_id: int):
    actor = current_actor()
    instance = applications.get(db(), application_id, actor)
    return application_page(instance, actor, survey=survey_for(instance, actor))


def application_page(instance, actor, *, survey: dict | None, http_status: int = 200, cancel_error: str | None = None):
    """One application's page for a visitor who may see it (``applications.get`` checked that)."""
    session = db()
    data = applications.current_data(ctx(), instance)
    open_tasks = applications.open_tasks(session, instance)
    events = tracking.history(session, instance)
    start = _start_form(instance.definition)
    summary = FormPage(start.schema, start.ui_schema, data, readonly=True).build()
    g.staff_page = actor.is_staff
    incidents, incidents_retryable = incidents_of(instance, actor)
    status = timeline.status(instance, open_tasks, data)
    reason = (reasons.for_applicant(instance, events, open_tasks, status, actor.username)
              if actor.username == instance.applicant else None)
    cancellable = instance.status == "running" and (
        (actor.username == instance.applicant and not any(e.kind == "decision" for e in events))
        or (SUPERVISOR in actor.roles and actor.covers(instance.jurisdiction)))
    return render("web/application.html", http_status, instance=instance, data=data, summary=summary,
                  status=status, reason=reason,
                  stages=timeline.stages(instance, events, open_tasks), events=events, open_tasks=open_tasks,
                  service_name=i18n.service_name(instance.definition), steps=steps_of(instance.definition),
                  cancellable=cancellable, permit_number=data.get("permit_number"),
                  step_names=_step_names(instance.definition),
                  resumable=instance.status == applications.ERROR and applications.may_resume(actor, instance),
                  survey=survey, cancel_error=cancel_error, incidents=incidents,
                  incidents_retryable=incidents_retryable,
                  file_sla=((instance.definition.meta or {}).get("process") or {}).get("sla"),
                  deliveries=deliveries.for_application(session, actor, instance), **delivery_labels())


@bp.route("/applications/<int(max=2147483647):application_id>/cancel", methods=["POST"])
@signed_in()
def cancel(application_id: int):
    actor = current_actor()
    try:
        instance = applications.cancel(db(), ctx(), application_id, actor,
                                       reason=(request.form.get("reason") or "").strip()[:500])
    except Conflict:
        flash(_("This application can no longer be withdrawn: an officer has already decided on it."), "error")
    except InvalidData:
        # The office must say why: the page comes back with the form open at the reason.
        instance = applications.get(db(), application_id, actor)
        return application_page(instance, actor, survey=None, http_status=422,
                                cancel_error=_("Give the reason the applicant will read."))
    else:
        flash(_("The application has been withdrawn.") if actor.username == instance.applicant
              else _("The application has been cancelled; the applicant is told the reason."), "success")
    return redirect(url_for("web.application", application_id=application_id))


@bp.route("/applications/<int(max=2147483647):application_id>/resume", methods=["POST"])
@signed_in(SUPERVISOR)
def resume(application_id: int):
    try:
        applications.resume(db(), ctx(), application_id, current_actor(),
                            note=(request.form.get("note") or "").strip()[:2000])
    except ProcessError as failed:
        flash(_("The application stopped again at step %(step)s: %(reason)s", step=failed.element_id or "?",
                reason=failed.message), "error")
    except (Conflict, Forbidden) as refused:
        flash(refused.message, "error")
    else:
        flash(_("The application has been resumed."), "success")
    return redirect(url_for("web.application", application_id=application_id))


@bp.route("/notifications")
@signed_in()
def notifications_page():
    actor = current_actor()
    try:
        before = int(request.args["before"]) if request.args.get("before") else None
    except ValueError:
        abort(404)
    page = notifications.list_for(db(), actor, limit=30, before=before)
    items = [(n, *_in_language(n)) for n in page.items]
    g.staff_page = actor.is_staff
    return render("web/notifications.html", items=items, page=page)


def _in_language(notification) -> tuple[str, str]:
    """Stage messages carry Indonesian and English (``subject_id / subject_en``; bodies split by a blank line)."""
    subject_parts = notification.subject.split(" / ", 1)
    body_parts = notification.body.split("\n\n", 1)
    english = i18n.lang() == "en"
    subject = subject_parts[1] if english and len(subject_parts) == 2 else subject_parts[0]
    body = body_parts[1] if english and len(body_parts) == 2 else body_parts[0]
    return subject, body


@bp.route("/notifications/read", methods=["POST"])
@signed_in()
def notifications_read():
    notifications.mark_read(db(), ctx(), current_actor())
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("web.notifications_page"))

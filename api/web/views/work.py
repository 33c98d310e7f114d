"""The work on tasks: the officer's inbox, claiming, a supervisor's reassignment, and the task page where an
officer decides (or an applicant answers a revision request).

Everything that decides — who may see, claim or complete what, validation, races — is the engine's
(``engine.casework.inbox``, ``engine.casework.tasks``, ``engine.casework.use_cases``); these views only turn it into
pages.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine.casework import applications, drafts, inbox, staff, tasks, use_cases
from engine.documents.signing.port import SigningFailed
from engine.errors import Conflict, InvalidData, InvalidInput
from engine.people.access import OFFICER, SUPERVISOR, may_work
from engine.reporting import queue_counts, timeline, tracking
from engine.texts import Text

from .. import file_summary, i18n, records  # noqa: F401 - what each step recorded: history and file summary
from ..blueprint import bp
from ..instructions import render as instructions_html
from ..labels import sla_badge
from ..pages import FormPage, ctx, db, decision_buttons, engine_step, render, service_names
from ..security import current_actor, safe_next, signed_in
from . import signing
from .applicant import _start_form, _step_names
from .drafts import discard_sent, restore
from .public import steps_of

PAGE_SIZE = 25
DECISION_FIELD = "_decision"
REVISION_FIELD = "_revision"
QUEUE_FIELD = "_queue"
FILTERS = ("service", "state", "assignee", "sla", "q", "sort")


def _inbox_query(args) -> inbox.InboxQuery:
    """The inbox filter from the address; values the engine would refuse are dropped, not shown as errors."""
    query = inbox.InboxQuery(limit=PAGE_SIZE)
    query.service = (args.get("service") or "").strip()[:200] or None
    query.state = args.get("state") if args.get("state") in ("ready", "claimed") else None
    query.assignee = args.get("assignee") if args.get("assignee") in ("me", "none") else None
    query.sla = args.get("sla") if args.get("sla") in inbox.SLA_STATES else None
    query.q = (args.get("q") or "").strip()[:200] or None
    query.sort = args.get("sort") if args.get("sort") in ("due_at", "created_at") else "due_at"
    query.cursor = (args.get("cursor") or "")[:500] or None
    return query


def _queue_string(query: inbox.InboxQuery) -> str:
    return urlencode({k: getattr(query, k) for k in FILTERS if getattr(query, k) and
                      not (k == "sort" and query.sort == "due_at")})


@bp.route("/inbox", endpoint="inbox")
@signed_in(OFFICER, SUPERVISOR)
def inbox_page():
    actor = current_actor()
    query = _inbox_query(request.args)
    now = ctx().now()
    try:
        page = inbox.search(db(), actor, query, now=now)
    except InvalidInput:  # a stale cursor: start again from the first page
        query.cursor = None
        page = inbox.search(db(), actor, query, now=now)
    rows = [(row, sla_badge(ctx(), row.task, now)) for row in page.items]
    g.staff_page = True
    return render("web/inbox.html", rows=rows, page=page, query=query, queue=_queue_string(query),
                  counts=queue_counts.counts(db(), actor, now), names=service_names())


def _back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


def _changed_meanwhile() -> str:
    # A colleague completed, claimed, released or reassigned the task between this page and the click.
    return _("This task changed at the same moment (completed, claimed or reassigned); this is how it stands now.")


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@signed_in()
def claim(task_id: str):
    try:
        with engine_step():
            task = tasks.claim(db(), ctx(), task_id, current_actor())
    except Conflict:
        flash(_("Someone else has just claimed this task."), "error")
    else:
        flash(_("You have claimed “%(name)s”.", name=task.name), "success")
    return redirect(_back(url_for("web.task", task_id=task_id)))


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@signed_in()
def unclaim(task_id: str):
    try:
        with engine_step():
            task = tasks.unclaim(db(), ctx(), task_id, current_actor())
    except Conflict:
        flash(_changed_meanwhile(), "error")
        return redirect(url_for("web.task", task_id=task_id))
    flash(_("“%(name)s” is back in the group's queue.", name=task.name), "success")
    return redirect(_back(url_for("web.inbox")))


@bp.route("/tasks/<task_id>/assign", methods=["POST"])
@signed_in(SUPERVISOR)
def assign(task_id: str):
    username = (request.form.get("username") or "").strip()
    try:
        with engine_step():
            task = tasks.assign(db(), ctx(), task_id, username, current_actor())
    except InvalidInput:
        flash(_("%(user)s cannot work on this task (wrong group or office).", user=username or "–"), "error")
    except Conflict:
        flash(_changed_meanwhile(), "error")
    else:
        flash(_("“%(name)s” is now assigned to %(user)s.", name=task.name, user=username), "success")
    return redirect(_back(url_for("web.task", task_id=task_id)))


def _task_form(opened) -> FormPage:
    form = opened.form
    return FormPage(form.schema if form else None, form.ui_schema if form else None)


def _page(opened, page: FormPage, http_status: int = 200, conflict: str | None = None, draft: dict | None = None,
          signing_error: str | None = None):
    """The task page: for the applicant a revision request on a phone; for officers the whole file beside the
    form."""
    actor = current_actor()
    task, instance = opened.task, opened.instance
    events = tracking.history(db(), instance)
    is_open = task.state in ("ready", "claimed")
    context = {"task": task, "instance": instance, "form": page.build(), "conflict": conflict,
               "service_name": i18n.service_name(instance.definition), "is_open": is_open,
               "revision": request.form.get(REVISION_FIELD) if conflict is None and request.method == "POST"
               else instance.revision,
               "queue": request.values.get(QUEUE_FIELD) or request.args.get("queue") or "",
               "decisions": decision_buttons(task, instance.definition),
               "draft": draft or {"scope": drafts.scope_for_task(task.id), "restored_at": None}}
    # spiff-arena's instructionsForEndUser, filled from the step's data and rendered with HTML off
    meta = instance.definition.meta
    step = (meta.get("tasks") or {}).get(task.element_id) or {}
    text = step.get("instructions") or (meta.get("instructions") or {}).get(task.element_id)
    context["instructions"] = instructions_html(text, opened.data)
    if task.for_applicant:
        context["note"] = timeline.last_note_before(events, task)
        return render("web/task_applicant.html", http_status, **context)
    start = _start_form(instance.definition)
    open_tasks = applications.open_tasks(db(), instance)
    done = sorted({e.element_id for e in events if e.kind == "task_completed" and e.element_id})
    may = may_work(actor, for_applicant=False, applicant=instance.applicant, assignee=task.assignee,
                   candidate_groups=task.candidate_groups, jurisdiction=task.jurisdiction)
    supervising = SUPERVISOR in actor.roles and actor.covers(task.jurisdiction)
    context.update(
        step_names=_step_names(instance.definition),
        summary=FormPage(start.schema, start.ui_schema, opened.data, readonly=True).build(),
        events=events, stages=timeline.stages(instance, events, open_tasks), open_tasks=open_tasks,
        status=timeline.status(instance, open_tasks, opened.data), badge=sla_badge(ctx(), task, ctx().now()),
        current_elements=[t.element_id for t in open_tasks], done_elements=done, steps=steps_of(instance.definition),
        can_claim=is_open and may and task.assignee is None,
        can_unclaim=is_open and task.assignee is not None and (task.assignee == actor.username or supervising),
        can_work=is_open and may and task.assignee in (None, actor.username),
        assignable=staff.assignable_to(db(), task.id, actor) if is_open and supervising else [],
        permit_number=opened.data.get("permit_number"), data=opened.data,  # the file's data: its bill (_bill.html)
        signing=signing.panel(opened), signing_error=signing_error)
    if context["signing"] and context["signing"]["credentials"]:
        context["draft"] = None  # the NIK and passphrase typed here are never kept as a form draft
    g.staff_page = True
    return render("web/task_officer.html", http_status, **context)


@bp.route("/tasks/<task_id>", methods=["GET"])
@signed_in()
def task(task_id: str):
    opened = use_cases.open_task(db(), ctx(), task_id, current_actor())
    page = _task_form(opened)
    # Prefilled with what the applicant's start form holds (a revision edits those values); what other steps
    # wrote (a previous officer's note) is not put into this step's inputs.
    start = _start_form(opened.instance.definition)
    shared = set((start.schema or {}).get("properties") or {})
    page.data = {name: value for name, value in opened.data.items() if name in shared}
    draft = restore(page, current_actor(), drafts.scope_for_task(opened.task.id)) if opened.task.state in (
        "ready", "claimed") else None
    return _page(opened, page, draft=draft)


def _next_task(actor, queue: str, done_id: str) -> str | None:
    """The next task to work in the queue the officer came from: soonest due, unclaimed or theirs."""
    query = _inbox_query({k: v[0] for k, v in parse_qs(queue).items()})
    query.cursor, query.limit = None, 20
    for row in inbox.search(db(), actor, query, now=ctx().now()).items:
        if row.task.id != done_id and row.task.assignee in (None, actor.username) and not row.task.for_applicant:
            return row.task.id
    return None


def _lost_race(task, decision: str | None, refused: Conflict) -> str:
    """What an officer whose completion lost a race reads: above all, that their own work was not saved — and, while
    the task is still open, the engine's specific reason (who holds it, the application's state)."""
    if task.state in ("ready", "claimed"):
        changed = _("The application changed while you were working on it (another officer, or the applicant, "
                    "acted first). Check the current state below; what you typed is kept.")
        return f"{changed} {refused.localized(i18n.lang())}" if isinstance(refused.message, Text) else changed
    if decision:
        return _("Your decision (%(decision)s) was not saved: a colleague completed this task at the same moment. "
                 "Their outcome is below; if it should change, talk to them or to your supervisor.",
                 decision=decision)
    return _("What you entered was not saved: a colleague completed this task at the same moment. Their outcome "
             "is below; if it should change, talk to them or to your supervisor.")


@bp.route("/tasks/<task_id>", methods=["POST"])
@signed_in()
def complete(task_id: str):
    actor = current_actor()
    opened = use_cases.open_task(db(), ctx(), task_id, actor)
    page = _task_form(opened)
    submission = page.read(request)
    if submission.action:
        return _page(opened, page)
    choices = opened.task.decision_choices or []
    decision = request.form.get(DECISION_FIELD) or None
    if choices and decision not in choices:
        page.errors["(form)"] = _("Choose one of the decisions: %(choices)s.", choices=", ".join(choices))
    try:
        revision = int(request.form.get(REVISION_FIELD, ""))
    except ValueError:
        revision = None
    if not page.check():
        return _page(opened, page, 422)
    try:
        with engine_step():
            instance, _open = use_cases.complete_task(db(), ctx(), task_id, actor,
                                                     data={**page.data, **signing.credentials(request.form)},
                                                     decision=decision if choices else None,
                                                     expected_revision=revision)
    except (InvalidData, InvalidInput) as exc:
        page.refused(exc)
        return _page(opened, page, 422)
    except SigningFailed as failed:  # the step stays open; the reserved number and the audited failure are kept
        return _page(opened, page, 422, signing_error=failed.localized(i18n.lang()))
    except Conflict as refused:
        db().refresh(opened.instance)
        db().refresh(opened.task)
        return _page(opened, page, 409, conflict=_lost_race(opened.task, decision if choices else None, refused))
    discard_sent(actor, drafts.scope_for_task(task_id))
    if opened.task.for_applicant:
        flash(_("Your revision has been sent to the office."), "success")
        return redirect(url_for("web.application", application_id=instance.id))
    done = _("“%(name)s” of %(number)s is done.", name=opened.task.name, number=instance.registration_no)
    if actor.institution_operator:  # a campus has no office queue: back to its students' files
        flash(done, "success")
        return redirect(url_for("web.campus_files"))
    queue = request.form.get(QUEUE_FIELD) or ""
    following = _next_task(actor, queue, task_id)
    if following is None:
        flash(done + " " + _("Your queue is empty."), "success")
        return redirect(url_for("web.inbox") + (f"?{queue}" if queue else ""))
    flash(done + " " + _("Here is the next task in your queue."), "success")
    return redirect(url_for("web.task", task_id=following, queue=queue or None))

"""Incidents on the application page: external tasks (a worker outside, the HTTP connector) that ran out of retries.

Staff of the office see each one with its step, the error and its details; a supervisor of the office or an
administrator sends it back to the workers (``engine.integration.external_tasks.retry_incident``, audited).
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from engine.casework import applications
from engine.errors import Conflict, InvalidInput
from engine.integration import external_tasks
from engine.people.access import SUPERVISOR

from ..blueprint import bp
from ..pages import ctx, db, engine_step
from ..security import current_actor, signed_in

MAX_RETRIES = 100


def incidents_of(instance, actor) -> tuple[list, bool]:
    """The application's incidents as its staff see them, and whether ``actor`` may retry them."""
    if not actor.is_staff:
        return [], False
    return external_tasks.incidents(db(), instance.id), applications.may_resume(actor, instance)


def _retries(text: str | None) -> int | None:
    try:
        value = int((text or "1").strip())
    except ValueError:
        return None
    return value if 1 <= value <= MAX_RETRIES else None


@bp.route("/applications/<int(max=2147483647):application_id>/incidents/<task_id>/retry", methods=["POST"])
@signed_in(SUPERVISOR)
def retry_incident(application_id: int, task_id: str):
    """Send one incident back to the workers. An application or incident the person may not see is a 404, an
    officer posting is a 403 (``signed_in``); a stale page (retried meanwhile) comes back with the reason."""
    back = redirect(url_for("web.application", application_id=application_id) + "#incidents")
    retries = _retries(request.form.get("retries"))
    if retries is None:
        flash(_("Give the number of retries as a whole number from 1 to 100."), "error")
        return back
    try:
        with engine_step():
            row = external_tasks.retry_incident(db(), ctx(), application_id, task_id[:36], current_actor(),
                                                retries=retries,
                                                note=(request.form.get("note") or "").strip()[:2000])
    except (Conflict, InvalidInput) as refused:
        flash(refused.message, "error")
    else:
        flash(_("Step %(step)s has been sent back to its workers with %(retries)d retries.",
                step=row.element_name or row.element_id, retries=retries), "success")
    return back

"""A campus operator's page (*operator kampus*): their students' files, the steps waiting for the campus (the
confirmation of a student, *surat pengantar*), the issued letters to download, and applying for a student.

What an operator may see and do is the engine's rule (``engine.people.access``): only files started under their
institution; the steps themselves are worked on the ordinary task page.
"""

from __future__ import annotations

from flask import request
from sqlalchemy import select

from engine.people import institutions
from engine.people.access import INSTITUTION, institution_group
from engine.reporting import campus_files as campus_pages
from engine.reporting import timeline
from engine.services import definitions
from engine.storage.models import IssuedLetter, Task

from ..blueprint import bp
from ..pages import db, render, service_names
from ..security import current_actor, signed_in


@bp.route("/campus", endpoint="campus_files")
@signed_in(INSTITUTION)
def campus_files():
    actor = current_actor()
    institution = institutions.get(db(), actor.institution_operator)
    wanted = (request.args.get("status") or "").strip()
    if wanted not in timeline.STATUSES:
        wanted = ""
    query = (request.args.get("q") or "").strip()[:200]
    number = request.args.get("page", default=1, type=int) or 1
    number = max(1, min(number, 100_000))
    listed = campus_pages.page(db(), actor, status=wanted, query=query,
                               offset=(number - 1) * campus_pages.PAGE_SIZE)
    files = listed.files
    open_rows: dict[int, list[Task]] = {}
    if files:
        for task in db().scalars(select(Task).where(Task.instance_id.in_([f.id for f in files]),
                                                    Task.state.in_(("ready", "claimed")))
                                 .order_by(Task.created_at)):
            open_rows.setdefault(task.instance_id, []).append(task)
    ours = institution_group(actor.institution_operator) if actor.institution_operator else None
    # One query for the letters instead of loading each finished workflow: a file with a stored letter is issued.
    lettered = set(db().scalars(select(IssuedLetter.instance_id).where(
        IssuedLetter.instance_id.in_([f.id for f in files])))) if files else set()
    items = []
    for instance in files:
        steps = open_rows.get(instance.id, [])
        status = timeline.ISSUED if instance.id in lettered else timeline.status(instance, steps)
        items.append({"instance": instance, "status": status, "steps": steps,
                      "ours": [t for t in steps if ours in (t.candidate_groups or [])],
                      "issued": instance.id in lettered})
    services = [d for d in definitions.published_services(db()) if _asks_for_institution(d)]
    return render("web/campus/files.html", institution=institution, items=items, names=service_names(),
                  services=services, status=wanted, statuses=timeline.STATUSES, query=query, listed=listed,
                  page_number=number)


def _asks_for_institution(definition) -> bool:
    form = definitions.form_of(db(), definition, (definition.meta or {}).get("start_form"))
    return form is not None and institutions.FORM_FIELD in ((form.schema or {}).get("properties") or {})
